#include "distribution/skopeo.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/unique_fd.hpp"

extern char** environ;

namespace tproc::distribution {

namespace {

constexpr size_t kMaxStdout = size_t{8} << 20;
constexpr size_t kMaxStderr = size_t{64} << 10;
constexpr size_t kMaxReason = 400;

/// A started skopeo; killed and reaped if it is still running when this goes.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  /// Waits for it; its wait status.
  Result<int> wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0)
      if (errno != EINTR) return Error::from_errno("wait for skopeo");
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_;
};

struct Pipe {
  UniqueFd read;
  UniqueFd write;
  static Result<Pipe> create() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return Error::from_errno("pipe");
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
  }
};

/// Appends what `fd` has to `text` (keeping at most `limit` bytes: the tail for stderr);
/// false at end of file.
bool drain(int fd, std::string& text, size_t limit, bool keep_tail) {
  char buffer[16384];
  ssize_t got = ::read(fd, buffer, sizeof buffer);
  if (got < 0) return errno == EINTR || errno == EAGAIN;
  if (got == 0) return false;
  text.append(buffer, static_cast<size_t>(got));
  if (text.size() > limit) {
    if (keep_tail) text.erase(0, text.size() - limit);
    else text.resize(limit + 1);  // marks "too much" for the caller
  }
  return true;
}

/// The message of skopeo's last fatal log line (`msg="..."`, unquoted), else its last line.
std::string fatal_message(const std::string& text) {
  std::string message;
  size_t position = 0;
  while (position < text.size()) {
    size_t end = text.find('\n', position);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + position, end - position);
    position = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    size_t msg = line.find("msg=\"");
    if (msg == std::string_view::npos) {
      if (line.find("level=") == std::string_view::npos) message = std::string(line);
      continue;
    }
    if (line.find("level=warning") != std::string_view::npos || line.find("level=info") != std::string_view::npos) continue;
    std::string unquoted;
    for (size_t i = msg + 5; i < line.size() && line[i] != '"'; ++i) {
      if (line[i] == '\\' && i + 1 < line.size()) ++i;
      unquoted += line[i];
    }
    message = unquoted;
  }
  return message;
}

bool has(const std::string& text, std::string_view needle) { return text.find(needle) != std::string::npos; }

/// The "sha256:…" that follows `after` in `text`, or "".
std::string digest_after(const std::string& text, std::string_view after) {
  size_t at = text.find(after);
  if (at == std::string::npos) return {};
  at = text.find("sha256:", at);
  return at == std::string::npos ? std::string() : text.substr(at, 7 + 64);
}

}  // namespace

Error skopeo_error(const std::string& stderr_text, const std::string& registry) {
  std::string message = fatal_message(stderr_text);
  std::string lower;
  for (char c : message) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  const std::string host = registry.empty() ? "the registry" : registry;
  if (has(lower, "unauthorized") || has(lower, "authentication required") || has(lower, "401") ||
      has(lower, "invalid username/password") || has(lower, "denied"))
    return Error::explained("authentication failed: " + host + " refused the credentials, or wants some (tproc login " +
                                (registry.empty() ? "REGISTRY" : registry) + ")",
                            EACCES);
  if (has(lower, "digest did not match") || has(lower, "digest mismatch")) {
    std::string expected = digest_after(message, "xpected");
    std::string got = digest_after(message, "got");
    if (!expected.empty())
      return Error::explained("blob " + expected + ": content does not match its digest" +
                                  (got.empty() ? std::string() : " (it hashes to " + got + ")"),
                              EBADMSG);
    return Error::explained("a blob's content does not match its digest", EBADMSG);
  }
  if (has(lower, "manifest unknown")) return Error::explained("no such image on " + host + " (manifest unknown)", ENOENT);
  if (has(lower, "name unknown") || has(lower, "repository name not known"))
    return Error::explained("no such repository on " + host, ENOENT);
  if (has(lower, "server gave http response to https client"))
    return Error::explained(host + " speaks plain HTTP, not HTTPS: pass --tls-verify=false to use it", EPROTO);
  if (has(lower, "x509:") || has(lower, "tls:"))
    return Error::explained("TLS with " + host + " failed: " + message.substr(message.find(lower.find("x509:") != std::string::npos ? "x509:" : "tls:")), EPROTO);
  if (has(lower, "connection refused")) return Error::explained("cannot reach " + host + ": connection refused", ECONNREFUSED);
  if (has(lower, "no such host")) return Error::explained("cannot reach " + host + ": no such host", EHOSTUNREACH);
  if (message.empty()) message = "skopeo failed without saying why";
  for (char& c : message)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (message.size() > kMaxReason) message = message.substr(0, kMaxReason) + "...";
  return Error::explained(message, EIO);
}

Result<std::string> run_skopeo(const SkopeoCall& call) {
  Pipe out = TPROC_TRY(Pipe::create());
  Pipe err = TPROC_TRY(Pipe::create());
  UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null_fd) return Error::from_errno("open /dev/null");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!call.pass_stdin) posix_spawn_file_actions_adddup2(&actions, null_fd.get(), 0);
  if (call.pass_stdout) {
  } else if (call.capture_stdout) posix_spawn_file_actions_adddup2(&actions, out.write.get(), 1);
  else if (call.progress) posix_spawn_file_actions_adddup2(&actions, 2, 1);
  else posix_spawn_file_actions_adddup2(&actions, null_fd.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err.write.get(), 2);

  std::vector<std::string> argv_text{"skopeo"};
  argv_text.insert(argv_text.end(), call.args.begin(), call.args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_text;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view variable(*entry);
    bool replaced = false;
    for (const std::string& extra : call.extra_env)
      if (variable.substr(0, variable.find('=') + 1) == std::string_view(extra).substr(0, extra.find('=') + 1)) replaced = true;
    if (!replaced) env_text.emplace_back(variable);
  }
  env_text.insert(env_text.end(), call.extra_env.begin(), call.extra_env.end());
  std::vector<char*> envp;
  for (std::string& variable : env_text) envp.push_back(variable.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  int spawned = ::posix_spawnp(&pid, "skopeo", &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    if (spawned == ENOENT)
      return Error::explained("skopeo is not installed: tproc speaks to registries through it (apt-get install skopeo)", ENOEXEC);
    return Error("cannot start skopeo", spawned);
  }
  Child child(pid);
  out.write.reset();
  err.write.reset();

  std::string stdout_text, stderr_text;
  bool out_open = call.capture_stdout, err_open = true;
  if (!call.capture_stdout) out.read.reset();
  while (out_open || err_open) {
    pollfd fds[2] = {{out_open ? out.read.get() : -1, POLLIN, 0}, {err_open ? err.read.get() : -1, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("poll skopeo");
    }
    if (out_open && fds[0].revents) out_open = drain(out.read.get(), stdout_text, kMaxStdout, false);
    if (err_open && fds[1].revents) err_open = drain(err.read.get(), stderr_text, kMaxStderr, true);
  }
  int status = TPROC_TRY(child.wait());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (WIFSIGNALED(status) && stderr_text.empty())
      return Error::explained(std::string("skopeo was killed by ") + ::strsignal(WTERMSIG(status)), EINTR);
    return skopeo_error(stderr_text, call.registry);
  }
  if (stdout_text.size() > kMaxStdout)
    return Error::explained("the registry's answer is larger than " + std::to_string(kMaxStdout) + " bytes", EFBIG);
  return stdout_text;
}

}  // namespace tproc::distribution
