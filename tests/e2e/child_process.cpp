#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace tproc::e2e {

namespace {

std::runtime_error system_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

/// A pipe whose both ends are close-on-exec (posix_spawn's dup2 clears it on the child's copy).
std::pair<UniqueFd, UniqueFd> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw system_error("pipe2");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

/// Frees posix_spawn's attribute objects on every path.
struct SpawnAttributes {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  SpawnAttributes() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnAttributes() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
};

}  // namespace

std::ostream& operator<<(std::ostream& stream, const Outcome& outcome) {
  stream << "status " << outcome.status;
  if (outcome.signal != 0) stream << " (killed by signal " << outcome.signal << ")";
  if (outcome.timed_out) stream << " (TIMED OUT: killed by the test harness)";
  return stream << "\n--- stdout ---\n" << outcome.out << "\n--- stderr ---\n" << outcome.err
                << "\n--------------";
}

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv,
                                 const std::vector<std::string>& env, const SpawnOptions& options,
                                 const std::string& cwd) {
  // Writing to the stdin of a process that already exited must fail with EPIPE, not kill the test.
  static const bool sigpipe_ignored = ::signal(SIGPIPE, SIG_IGN) != SIG_ERR;
  (void)sigpipe_ignored;
  if (argv.empty()) throw std::runtime_error("spawn: empty argv");
  ChildProcess child;
  SpawnAttributes spawn;

  std::optional<std::pair<UniqueFd, UniqueFd>> input;
  if (options.input || options.keep_stdin_open) {
    input = make_pipe();
    posix_spawn_file_actions_adddup2(&spawn.actions, input->first.get(), STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&spawn.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  auto output = make_pipe();
  auto errors = make_pipe();
  posix_spawn_file_actions_adddup2(&spawn.actions, output.second.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&spawn.actions, errors.second.get(), STDERR_FILENO);
  // Only stdio: whatever else the test process inherited (from a shell, from ctest) stays out.
  posix_spawn_file_actions_addclosefrom_np(&spawn.actions, STDERR_FILENO + 1);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&spawn.actions, cwd.c_str());

  // A clean start whatever the test process did: no blocked signals, every handler default.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&spawn.attributes, &none);
  posix_spawnattr_setsigdefault(&spawn.attributes, &all);
  posix_spawnattr_setflags(&spawn.attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> raw_argv, raw_env;
  for (const std::string& arg : argv) raw_argv.push_back(const_cast<char*>(arg.c_str()));
  raw_argv.push_back(nullptr);
  for (const std::string& entry : env) raw_env.push_back(const_cast<char*>(entry.c_str()));
  raw_env.push_back(nullptr);

  int error = ::posix_spawn(&child.pid_, argv[0].c_str(), &spawn.actions, &spawn.attributes,
                            raw_argv.data(), raw_env.data());
  if (error != 0) {
    errno = error;
    throw system_error("spawn " + argv[0]);
  }
  // Unreaped, the pid cannot be reused: the pidfd names exactly our child.
  child.pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, child.pid_, 0)));
  if (!child.pidfd_) {
    int saved = errno;
    child.kill_and_reap();
    errno = saved;
    throw system_error("pidfd_open");
  }
  child.stdout_ = std::move(output.first);
  child.stderr_ = std::move(errors.first);
  set_nonblocking(child.stdout_.get());
  set_nonblocking(child.stderr_.get());
  if (input) {
    child.stdin_ = std::move(input->second);
    set_nonblocking(child.stdin_.get());
    if (options.input) child.pending_input_ = *options.input;
    child.close_stdin_when_written_ = !options.keep_stdin_open;
    if (child.close_stdin_when_written_ && child.pending_input_.empty()) child.stdin_.reset();
  }
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      stdin_(std::move(other.stdin_)),
      stdout_(std::move(other.stdout_)),
      stderr_(std::move(other.stderr_)),
      pending_input_(std::move(other.pending_input_)),
      close_stdin_when_written_(other.close_stdin_when_written_),
      out_text_(std::move(other.out_text_)),
      err_text_(std::move(other.err_text_)),
      outcome_(std::move(other.outcome_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
    stdin_ = std::move(other.stdin_);
    stdout_ = std::move(other.stdout_);
    stderr_ = std::move(other.stderr_);
    pending_input_ = std::move(other.pending_input_);
    close_stdin_when_written_ = other.close_stdin_when_written_;
    out_text_ = std::move(other.out_text_);
    err_text_ = std::move(other.err_text_);
    outcome_ = std::move(other.outcome_);
  }
  return *this;
}

ChildProcess::~ChildProcess() { kill_and_reap(); }

void ChildProcess::kill_and_reap() {
  if (pid_ <= 0 || outcome_) return;
  ::kill(pid_, SIGKILL);
  reap(true);
}

void ChildProcess::send_signal(int signal) {
  if (pid_ > 0 && !outcome_) ::kill(pid_, signal);
}

void ChildProcess::write_stdin(std::string_view bytes) {
  if (!stdin_) throw std::runtime_error("write_stdin: stdin is not an open pipe");
  pending_input_.append(bytes);
  pump(Clock::now() + std::chrono::seconds(10), [&] { return pending_input_.empty(); });
}

void ChildProcess::close_stdin() {
  if (!pending_input_.empty()) close_stdin_when_written_ = true;
  else stdin_.reset();
}

bool ChildProcess::wait_for_output(std::string_view needle, Duration timeout) {
  pump(Clock::now() + timeout, [&] { return out_text_.find(needle) != std::string::npos; });
  return out_text_.find(needle) != std::string::npos;
}

std::optional<std::string> ChildProcess::first_line(Duration timeout) {
  if (!wait_for_output("\n", timeout)) return std::nullopt;
  return out_text_.substr(0, out_text_.find('\n'));
}

bool ChildProcess::exited() {
  pump(Clock::now(), [] { return false; });
  return outcome_.has_value();
}

Outcome ChildProcess::wait(Duration timeout) {
  pump(Clock::now() + timeout, [] { return false; });
  if (!outcome_) {
    ::kill(pid_, SIGKILL);
    reap(true);
    outcome_->timed_out = true;
  }
  return *outcome_;
}

template <class Done>
void ChildProcess::pump(Clock::time_point deadline, Done done) {
  while (!outcome_ && !done()) {
    pollfd fds[4];
    nfds_t count = 0;
    fds[count++] = {pidfd_.get(), POLLIN, 0};
    if (stdout_) fds[count++] = {stdout_.get(), POLLIN, 0};
    if (stderr_) fds[count++] = {stderr_.get(), POLLIN, 0};
    if (stdin_ && !pending_input_.empty()) fds[count++] = {stdin_.get(), POLLOUT, 0};

    auto left = std::chrono::duration_cast<Duration>(deadline - Clock::now()).count();
    int ready = ::poll(fds, count, static_cast<int>(left > 0 ? left : 0));
    if (ready < 0 && errno != EINTR) throw system_error("poll");

    read_available(stdout_, out_text_);
    read_available(stderr_, err_text_);
    if (stdin_ && !pending_input_.empty()) {
      ssize_t put = ::write(stdin_.get(), pending_input_.data(), pending_input_.size());
      if (put > 0) pending_input_.erase(0, static_cast<size_t>(put));
      if (put < 0 && errno != EAGAIN && errno != EINTR) pending_input_.clear();  // EPIPE: it left
      if (pending_input_.empty() && close_stdin_when_written_) stdin_.reset();
    }
    if (ready > 0 && (fds[0].revents & POLLIN)) reap(false);
    if (Clock::now() >= deadline) return;
  }
}

void ChildProcess::read_available(UniqueFd& fd, std::string& text) {
  while (fd) {
    char buffer[65536];
    ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got > 0) {
      text.append(buffer, static_cast<size_t>(got));
    } else if (got == 0) {
      fd.reset();  // every writer closed it
    } else {
      if (errno != EINTR) return;  // EAGAIN: nothing more for now
    }
  }
}

void ChildProcess::reap(bool blocking) {
  int status = 0;
  pid_t got;
  do {
    got = ::waitpid(pid_, &status, blocking ? 0 : WNOHANG);
  } while (got < 0 && errno == EINTR);
  if (got != pid_) return;
  // What it wrote before it exited is in the pipes now. A grandchild that still holds a pipe
  // (a daemon that kept our stderr) must not keep us waiting: take what is there and stop.
  read_available(stdout_, out_text_);
  read_available(stderr_, err_text_);
  Outcome outcome;
  if (WIFEXITED(status)) {
    outcome.status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome.signal = WTERMSIG(status);
    outcome.status = 128 + outcome.signal;
  }
  outcome.out = out_text_;
  outcome.err = err_text_;
  outcome_ = std::move(outcome);
  stdin_.reset();
  stdout_.reset();
  stderr_.reset();
  pidfd_.reset();
}

}  // namespace tproc::e2e
