#pragma once
// Sandbox: the fixture of every end-to-end test. It owns a fresh temp dir with runtime/ (the
// daemons' sockets: TPROC_RUNTIME_DIR) and home/ (TPROC_HOME), runs the real `tproc` binary
// against them, and on destruction -- also when a test fails -- removes every space it used,
// kills any daemon or tproc that outlived that, and deletes the temp dir.

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "child_process.hpp"

namespace tproc::e2e {

/// The tproc binary under test (build/bin/tproc): the front door (cli/front/).
std::string tproc_binary();

/// The full CLI the front door hands most commands to (build/libexec/tproc/tproc-cli).
std::string full_cli_binary();

/// The path of a test program from tests/programs/ (build/tests/programs/NAME).
std::string program(std::string_view name);

/// The path of a sample program (build/samples/SAMPLE/NAME).
std::string sample(std::string_view sample, std::string_view name);

/// One row of `tproc space ls --format json`.
struct SpaceInfo {
  std::string name;
  pid_t pid = 0;     ///< the space daemon's pid (0 when its daemon is dead)
  long tprocs = 0;   ///< how many programs it runs
  std::string state; ///< "up", or "dead" when a socket has no daemon behind it
};

/// One row of `tproc ps --format json`.
struct TprocInfo {
  std::string space;
  std::string id;       ///< the numeric ID as text (the JSON may hold a number or a string)
  std::string name;
  pid_t pid = 0;
  std::string state;    ///< "running" or "exited"
  std::string started;
  std::string command;
  std::map<std::string, std::string> labels;  ///< `run --label KEY=VALUE`
};

/// A temp dir with its own runtime and home, and the `tproc` commands run against it.
class Sandbox {
 public:
  /// Creates the temp dir. Throws if the tproc binary has not been built.
  Sandbox();
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  /// The temp dir: the default working directory of everything the sandbox starts.
  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path runtime_dir() const { return root_ / "runtime"; }
  std::filesystem::path home_dir() const { return root_ / "home"; }

  /// Runs `tproc ARGS...` to completion. A command still running after `timeout` is killed and
  /// fails the test with a std::runtime_error.
  Outcome tproc(const std::vector<std::string>& args, const SpawnOptions& options = {},
                Duration timeout = kCommandTimeout);

  /// Starts `tproc ARGS...` in the background (e.g. a `tproc run` to signal or kill).
  ChildProcess start_tproc(const std::vector<std::string>& args, const SpawnOptions& options = {});

  /// Starts a program directly (e.g. the full CLI), with the same environment rules.
  ChildProcess start_direct(const std::vector<std::string>& argv, const SpawnOptions& options = {});

  /// Runs a program directly, without tproc, with the same environment rules.
  Outcome run_direct(const std::vector<std::string>& argv, const SpawnOptions& options = {},
                     Duration timeout = kCommandTimeout);

  /// Runs `tproc run -d RUN_ARGS...` and returns the ID it prints; throws (quoting the outcome)
  /// unless it exits 0 having printed one line with a number.
  std::string detach(const std::vector<std::string>& run_args);

  /// `tproc space ls --format json`, parsed; throws if the command fails.
  std::vector<SpaceInfo> spaces();

  /// `tproc ps [SPACE] [-a] --format json`, parsed (all spaces when `space` is empty).
  std::vector<TprocInfo> ps(const std::string& space = "", bool all = false);

  /// The tproc of `space` whose ID or name is `id_or_name`, if ps lists it.
  std::optional<TprocInfo> find_tproc(const std::string& space, const std::string& id_or_name,
                                      bool all = false);

  /// Like find_tproc, but throws (quoting ps) when ps does not list it.
  TprocInfo tproc_info(const std::string& space, const std::string& id_or_name, bool all = false);

  /// The pid of the daemon of `space` (from `space ls`); throws if the space is not listed.
  pid_t daemon_pid(const std::string& space);

  /// Writes `bytes` to root()/relative with `mode`; returns the full path.
  std::string write_file(const std::string& relative, std::string_view bytes, mode_t mode = 0755);

  /// The environment every process started by the sandbox gets: the test's own, with
  /// TPROC_RUNTIME_DIR and TPROC_HOME pointing into the sandbox, plus `extra` (KEY=VALUE).
  std::vector<std::string> environment(const std::vector<std::string>& extra = {}) const;

 private:
  ChildProcess start(const std::vector<std::string>& argv, const SpawnOptions& options);
  void remove_spaces() noexcept;
  void kill_leftovers() noexcept;

  std::filesystem::path root_;
};

/// Polls `condition` every few milliseconds until it holds (true) or `timeout` passes (false).
bool eventually(const std::function<bool()>& condition,
                Duration timeout = std::chrono::seconds(10));

/// True when `pid` names a live process (not gone, not a zombie).
bool process_alive(pid_t pid);

/// The state letter /proc/PID/stat shows for `pid` ('R', 'S', 'T' stopped...), or 0 if it is gone.
char process_state(pid_t pid);

/// How many descriptors `pid` has open (the entries of /proc/PID/fd).
size_t open_fd_count(pid_t pid);

/// How many mappings (VMAs) the address space of `pid` holds (the lines of /proc/PID/maps).
size_t mapping_count(pid_t pid);

/// The resident set size of the address space of `pid`, in KiB (VmRSS in /proc/PID/status).
long rss_kib(pid_t pid);

/// A TCP port of 127.0.0.1 free right now (the kernel's pick for a bind to port 0, then released).
int free_tcp_port();

/// The whole contents of a file (throws if it cannot be read).
std::string read_file(const std::filesystem::path& path);

/// `text` split at '\n' (a final newline does not make an empty last line).
std::vector<std::string> lines(std::string_view text);

}  // namespace tproc::e2e
