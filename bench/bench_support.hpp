// Shared plumbing of the benchmark drivers: running a program to completion, a throw-away space
// with its own runtime and state directories, and summary statistics.
//
// The drivers measure ratios against baselines taken in the same run and never assert timing:
// they exit non-zero only when a program fails or gives a wrong result.
#pragma once

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace tproc::bench {

/// Monotonic time in nanoseconds.
inline long long now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

/// Set by SIGINT/SIGTERM so a driver stops measuring and still cleans up its space.
inline volatile sig_atomic_t stop_requested = 0;

/// Routes SIGINT and SIGTERM to stop_requested.
inline void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = [](int) { stop_requested = 1; };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

/// A wait status as a shell would describe it: "exit 0", "killed by signal 11 (Segmentation fault)".
inline std::string describe_status(int status) {
  if (status < 0) return "could not be started";
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  }
  return "wait status " + std::to_string(status);
}

/// Result of one run: the wait status (-1: not started) and, if asked for, what it wrote to stdout.
struct RunResult {
  int status = -1;
  std::string out;
  [[nodiscard]] bool ok() const { return status == 0; }
};

/// Runs args[0] (an absolute path) with posix_spawn and waits for it. stdin is /dev/null for every
/// program, so direct and tproc runs see the same thing; stdout (or `captured_fd`) is captured when capture is set
/// (into a pipe read after the wait, so a stray copy of the pipe held elsewhere cannot hang us;
/// the programs here write one line, far below the pipe's capacity), else inherited.
inline RunResult run(const std::vector<std::string>& args, bool capture = false, int captured_fd = STDOUT_FILENO) {
  RunResult result;
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  int pipe_fds[2] = {-1, -1};
  if (capture && pipe2(pipe_fds, O_CLOEXEC) != 0) {
    std::fprintf(stderr, "pipe2: %s\n", std::strerror(errno));
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (capture) posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], captured_fd);

  pid_t pid = -1;
  int err = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (capture) close(pipe_fds[1]);
  if (err != 0) {
    std::fprintf(stderr, "posix_spawn %s: %s\n", argv[0], std::strerror(err));
    if (capture) close(pipe_fds[0]);
    return result;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      std::fprintf(stderr, "waitpid: %s\n", std::strerror(errno));
      status = -1;
      break;
    }
  }
  result.status = status;
  if (capture) {
    fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
    char buffer[4096];
    ssize_t n;
    while ((n = read(pipe_fds[0], buffer, sizeof buffer)) > 0) result.out.append(buffer, static_cast<size_t>(n));
    close(pipe_fds[0]);
  }
  return result;
}

/// A space of its own for one benchmark run: private TPROC_RUNTIME_DIR and TPROC_HOME (temporary
/// directories, set in this process's environment so every `tproc` it runs uses them), removed
/// together with the space (`tproc space rm -f`) when the object goes away.
class BenchSpace {
 public:
  /// Creates the directories and exports them; nullopt (with a message) on failure.
  static std::optional<BenchSpace> create(std::string tproc, const std::string& prefix) {
    // /tmp rather than $TMPDIR: the daemon's socket path must fit in sun_path (108 bytes).
    std::string runtime_template = "/tmp/" + prefix + "-run-XXXXXX";
    std::string home_template = "/tmp/" + prefix + "-home-XXXXXX";
    if (mkdtemp(runtime_template.data()) == nullptr) {
      std::fprintf(stderr, "mkdtemp: %s\n", std::strerror(errno));
      return std::nullopt;
    }
    if (mkdtemp(home_template.data()) == nullptr) {
      std::fprintf(stderr, "mkdtemp: %s\n", std::strerror(errno));
      std::filesystem::remove_all(runtime_template);
      return std::nullopt;
    }
    setenv("TPROC_RUNTIME_DIR", runtime_template.c_str(), 1);
    setenv("TPROC_HOME", home_template.c_str(), 1);
    return BenchSpace(std::move(tproc), prefix + "-" + std::to_string(getpid()), runtime_template, home_template);
  }

  BenchSpace(BenchSpace&& other) noexcept
      : tproc_(std::move(other.tproc_)),
        name_(std::move(other.name_)),
        runtime_dir_(std::move(other.runtime_dir_)),
        home_dir_(std::move(other.home_dir_)),
        siblings_(std::move(other.siblings_)),
        owned_(std::exchange(other.owned_, false)) {}
  BenchSpace& operator=(BenchSpace&&) = delete;
  BenchSpace(const BenchSpace&) = delete;
  BenchSpace& operator=(const BenchSpace&) = delete;

  ~BenchSpace() {
    if (!owned_) return;
    siblings_.push_back(name_);
    for (const std::string& name : siblings_) {
      RunResult removed = run({tproc_, "space", "rm", "-f", name}, /*capture=*/true);  // it prints the name
      if (!removed.ok()) {
        std::fprintf(stderr, "warning: tproc space rm -f %s: %s\n", name.c_str(), describe_status(removed.status).c_str());
      }
    }
    std::error_code ignored;
    std::filesystem::remove_all(runtime_dir_, ignored);
    std::filesystem::remove_all(home_dir_, ignored);
  }

  /// The space's name.
  [[nodiscard]] const std::string& name() const { return name_; }
  /// The space's TPROC_HOME (its bundle cache lives in bundles/).
  [[nodiscard]] const std::string& home() const { return home_dir_; }
  /// Arguments of `tproc run SPACE program args...`.
  [[nodiscard]] std::vector<std::string> run_args(std::vector<std::string> program_and_args) const {
    return run_args_in(name_, std::move(program_and_args));
  }
  /// The name of another space in the same directories (NAME-suffix), removed with this one.
  [[nodiscard]] std::string sibling(const std::string& suffix) {
    siblings_.push_back(name_ + "-" + suffix);
    return siblings_.back();
  }
  /// Arguments of `tproc run SPACE program args...` for `space`, this space or a sibling.
  [[nodiscard]] std::vector<std::string> run_args_in(const std::string& space, std::vector<std::string> program_and_args) const {
    std::vector<std::string> args{tproc_, "run", space};
    args.insert(args.end(), program_and_args.begin(), program_and_args.end());
    return args;
  }

 private:
  BenchSpace(std::string tproc, std::string name, std::string runtime_dir, std::string home_dir)
      : tproc_(std::move(tproc)), name_(std::move(name)), runtime_dir_(std::move(runtime_dir)), home_dir_(std::move(home_dir)) {}

  std::string tproc_;
  std::string name_;
  std::string runtime_dir_;
  std::string home_dir_;
  std::vector<std::string> siblings_;
  bool owned_ = true;
};

/// Summary of a set of samples.
struct Stats {
  double p50 = 0;
  double p90 = 0;
  double mean = 0;
  double min = 0;
};

/// p50 (median), p90, mean and min of samples (at least one).
inline Stats summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  Stats stats;
  stats.p50 = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  stats.p90 = samples[std::min(n - 1, (n * 9) / 10)];
  double sum = 0;
  for (double s : samples) sum += s;
  stats.mean = sum / static_cast<double>(n);
  stats.min = samples.front();
  return stats;
}

/// Parses a positive count from argv[index], or returns fallback when absent; nullopt if malformed.
inline std::optional<int> count_arg(int argc, char** argv, int index, int fallback) {
  if (argc <= index) return fallback;
  char* end = nullptr;
  long value = std::strtol(argv[index], &end, 10);
  if (end == argv[index] || *end != '\0' || value < 1 || value > 1'000'000) return std::nullopt;
  return static_cast<int>(value);
}

}  // namespace tproc::bench
