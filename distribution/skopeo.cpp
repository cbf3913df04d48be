#include "distribution/skopeo.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/path_search.hpp"
#include "common/unique_fd.hpp"

extern char** environ;

namespace tproc::distribution {

namespace {

constexpr size_t kMaxStdout = size_t{8} << 20;
constexpr size_t kMaxStderr = size_t{64} << 10;
constexpr size_t kMaxReason = 400;
constexpr int kCopyAttempts = 3;

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

/// Whether `word` stands in `text` on its own, not inside a longer run of letters and digits: a
/// status code ("401"), not three digits of an upload id, a digest or a port.
bool has_word(const std::string& text, std::string_view word) {
  const auto alnum = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1))
    if ((at == 0 || !alnum(text[at - 1])) && (at + word.size() == text.size() || !alnum(text[at + word.size()]))) return true;
  return false;
}

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
  if (has(lower, "unauthorized") || has(lower, "authentication required") || has_word(lower, "401") ||
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
  if (has(lower, "unexpected eof") || has(lower, "connection reset") || has(lower, "broken pipe") ||
      has(lower, "use of closed network connection"))
  {
    // skopeo logs "Failed, retrying in 1s ... (1/3)" before each retry it makes itself.
    size_t retries = 0;
    for (size_t at = stderr_text.find("retrying in"); at != std::string::npos; at = stderr_text.find("retrying in", at + 1)) ++retries;
    if (retries == 0) return Error::explained("the connection to " + host + " dropped during the transfer", ECONNRESET);
    return Error::explained("the connection to " + host + " dropped during the transfer (" + std::to_string(retries + 1) +
                                " attempts)",
                            ECONNABORTED);
  }
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
  Pipe exec_report = TPROC_TRY(Pipe::create());
  UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null_fd) return Error::from_errno("open /dev/null");
  const std::string program = find_on_path("skopeo", ::getenv("PATH"));
  if (program.empty())
    return Error::explained("skopeo is not installed: tproc speaks to registries through it (apt-get install skopeo)", ENOEXEC);

  std::vector<std::string> argv_text{"skopeo"};
  if (!call.scratch_dir.empty()) argv_text.insert(argv_text.end(), {"--tmpdir", call.scratch_dir});
  argv_text.insert(argv_text.end(), call.args.begin(), call.args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> extra_env = call.extra_env;
  if (!call.scratch_dir.empty()) extra_env.push_back("TMPDIR=" + call.scratch_dir);
  std::vector<std::string> env_text;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view variable(*entry);
    bool replaced = false;
    for (const std::string& extra : extra_env)
      if (variable.substr(0, variable.find('=') + 1) == std::string_view(extra).substr(0, extra.find('=') + 1)) replaced = true;
    if (!replaced) env_text.emplace_back(variable);
  }
  env_text.insert(env_text.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (std::string& variable : env_text) envp.push_back(variable.data());
  envp.push_back(nullptr);

  // Which of our fds become skopeo's 0, 1 and 2 (-1: ours as it is).
  const int child_stdin = call.pass_stdin ? -1 : null_fd.get();
  const int child_stdout = call.pass_stdout      ? -1
                           : call.capture_stdout ? out.write.get()
                           : call.progress       ? 2
                                                 : null_fd.get();
  // fork rather than posix_spawn: only a child of our own can get RLIMIT_FSIZE before it execs.
  // Everything the child touches was prepared above; it calls only async-signal-safe functions.
  pid_t pid = ::fork();
  if (pid < 0) return Error::from_errno("cannot start skopeo");
  if (pid == 0) {
    if (call.max_file_bytes != 0) {
      struct rlimit limit;
      if (::getrlimit(RLIMIT_FSIZE, &limit) == 0 &&
          (limit.rlim_max == RLIM_INFINITY || limit.rlim_max > call.max_file_bytes)) {
        limit.rlim_cur = call.max_file_bytes;
        ::setrlimit(RLIMIT_FSIZE, &limit);
      }
    }
    if (child_stdin >= 0) ::dup2(child_stdin, 0);
    if (child_stdout >= 0) ::dup2(child_stdout, 1);
    ::dup2(err.write.get(), 2);
    ::execve(program.c_str(), argv.data(), envp.data());
    int failure = errno;
    (void)!::write(exec_report.write.get(), &failure, sizeof failure);
    ::_exit(127);
  }
  Child child(pid);
  exec_report.write.reset();
  int exec_errno = 0;
  while (::read(exec_report.read.get(), &exec_errno, sizeof exec_errno) < 0 && errno == EINTR) {
  }
  if (exec_errno != 0) {
    (void)child.wait();
    return Error("cannot start " + program, exec_errno);
  }
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
    if (call.max_file_bytes != 0 && has(stderr_text, "file too large"))
      return Error::explained("the registry sent more than the " + std::to_string(call.max_file_bytes) +
                                  " bytes the image's manifest declares (stopped there)",
                              EFBIG);
    return skopeo_error(stderr_text, call.registry);
  }
  if (stdout_text.size() > kMaxStdout)
    return Error::explained("the registry's answer is larger than " + std::to_string(kMaxStdout) + " bytes", EFBIG);
  return stdout_text;
}

Result<void> run_skopeo_copy(const SkopeoCall& call, const std::string& output) {
  for (int attempt = 1;; ++attempt) {
    ::unlink(output.c_str());
    auto copied = run_skopeo(call);
    if (copied) return ok();
    if (copied.error().code() != ECONNRESET) return std::move(copied).error();
    if (attempt == kCopyAttempts) {
      ::unlink(output.c_str());
      return Error::explained(copied.error().message() + " (" + std::to_string(kCopyAttempts) + " attempts)", ECONNRESET);
    }
  }
}

}  // namespace tproc::distribution
