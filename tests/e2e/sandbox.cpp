#include "sandbox.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/unique_fd.hpp"
#include "json.hpp"

extern char** environ;

namespace tproc::e2e {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string tproc_binary() { return TPROC_BINARY; }

std::string full_cli_binary() { return TPROC_FULL_CLI; }

std::string program(std::string_view name) {
  return std::string(TPROC_PROGRAMS_DIR) + "/" + std::string(name);
}

std::string sample(std::string_view sample, std::string_view name) {
  return std::string(TPROC_SAMPLES_DIR) + "/" + std::string(sample) + "/" + std::string(name);
}

namespace {

/// Socket paths must fit sun_path (108 bytes): a long $TMPDIR falls back to /tmp.
fs::path temp_base() {
  std::error_code error;
  fs::path base = fs::temp_directory_path(error);
  if (error || base.native().size() > 40) base = "/tmp";
  return base;
}

/// The text of a JSON id or pid, whether the CLI printed it as a number or a string.
std::string json_text(const Json& value) { return value.text(); }

pid_t json_pid(const Json& value) { return static_cast<pid_t>(std::stol(json_text(value))); }

std::string member_text(const Json& object, std::string_view key) {
  const Json* value = object.find(key);
  return value == nullptr ? std::string() : json_text(*value);
}

/// The NUL-separated contents of a /proc file, or empty if unreadable.
std::string read_proc(pid_t pid, const char* file) {
  std::ifstream stream("/proc/" + std::to_string(pid) + "/" + file, std::ios::binary);
  std::ostringstream text;
  text << stream.rdbuf();
  return text.str();
}

std::vector<pid_t> numeric_entries(const std::string& dir) {
  std::vector<pid_t> out;
  if (DIR* stream = ::opendir(dir.c_str())) {
    while (dirent* entry = ::readdir(stream)) {
      char* end = nullptr;
      long value = std::strtol(entry->d_name, &end, 10);
      if (end != entry->d_name && *end == '\0') out.push_back(static_cast<pid_t>(value));
    }
    ::closedir(stream);
  }
  return out;
}

/// The direct children of every thread of `pid`.
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  for (pid_t tid : numeric_entries("/proc/" + std::to_string(pid) + "/task")) {
    std::istringstream list(read_proc(pid, ("task/" + std::to_string(tid) + "/children").c_str()));
    for (pid_t child; list >> child;) out.push_back(child);
  }
  return out;
}

}  // namespace

Sandbox::Sandbox() {
  if (::access(TPROC_BINARY, X_OK) != 0)
    throw std::runtime_error(std::string("the tproc binary is not built: ") + TPROC_BINARY +
                             " (build the `tproc` target)");
  std::string pattern = (temp_base() / "tproc-e2e-XXXXXX").native();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
  root_ = pattern;
  fs::create_directory(runtime_dir());
  fs::permissions(runtime_dir(), fs::perms::owner_all, fs::perm_options::replace);
  fs::create_directory(home_dir());
}

Sandbox::~Sandbox() {
  remove_spaces();
  kill_leftovers();
  std::error_code ignored;
  fs::remove_all(root_, ignored);
}

void Sandbox::remove_spaces() noexcept {
  std::vector<SpaceInfo> listed;
  try {
    listed = spaces();
  } catch (const std::exception& error) {
    std::cerr << "tproc e2e cleanup: listing spaces failed: " << error.what() << "\n";
  }
  for (const SpaceInfo& space : listed) {
    try {
      Outcome removed = tproc({"space", "rm", "-f", space.name}, {}, 20s);
      if (removed.status != 0)
        std::cerr << "tproc e2e cleanup: `tproc space rm -f " << space.name << "` failed: "
                  << removed << "\n";
    } catch (const std::exception& error) {
      std::cerr << "tproc e2e cleanup: " << error.what() << "\n";
    }
  }
}

void Sandbox::kill_leftovers() noexcept {
  try {
    // Whatever still carries this sandbox's runtime dir in its environment was started, directly
    // or not, by this sandbox: a daemon `space rm -f` did not stop, or a program in its space.
    const std::string marker = "TPROC_RUNTIME_DIR=" + runtime_dir().native();
    auto ours = [&](pid_t pid) {
      std::string env = '\0' + read_proc(pid, "environ");
      return env.find('\0' + marker + '\0') != std::string::npos;
    };
    std::set<pid_t> doomed;
    for (pid_t pid : numeric_entries("/proc"))
      if (pid != ::getpid() && ours(pid)) doomed.insert(pid);
    // A daemon that cleaned its environment is still known by `space ls`.
    try {
      for (const SpaceInfo& space : spaces())
        if (space.pid > 0 && process_alive(space.pid) &&
            (ours(space.pid) || read_proc(space.pid, "cmdline").find("tproc") != std::string::npos))
          doomed.insert(space.pid);
    } catch (const std::exception&) {
    }
    // The programs of a doomed daemon are its children.
    std::vector<pid_t> pending(doomed.begin(), doomed.end());
    while (!pending.empty()) {
      pid_t pid = pending.back();
      pending.pop_back();
      for (pid_t child : children_of(pid))
        if (child != ::getpid() && doomed.insert(child).second) pending.push_back(child);
    }
    for (pid_t pid : doomed) {
      if (!process_alive(pid)) continue;
      std::string comm = read_proc(pid, "comm");
      if (!comm.empty() && comm.back() == '\n') comm.pop_back();
      std::cerr << "tproc e2e cleanup: killing leftover process " << pid << " (" << comm
                << ") of " << root_.native() << "\n";
      ::kill(pid, SIGKILL);
    }
    for (pid_t pid : doomed) eventually([&] { return !process_alive(pid); }, 5s);
  } catch (const std::exception& error) {
    std::cerr << "tproc e2e cleanup: " << error.what() << "\n";
  }
}

std::vector<std::string> Sandbox::environment(const std::vector<std::string>& extra) const {
  auto key_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  std::set<std::string> overridden = {"TPROC_RUNTIME_DIR", "TPROC_HOME"};
  std::set<std::string> extra_keys;
  for (const std::string& entry : extra) extra_keys.insert(key_of(entry));
  // `extra` may point TPROC_RUNTIME_DIR or TPROC_HOME elsewhere (at a directory another user
  // planted, say): then it replaces the sandbox's, never follows it unseen.
  std::vector<std::string> env;
  if (!extra_keys.count("TPROC_RUNTIME_DIR")) env.push_back("TPROC_RUNTIME_DIR=" + runtime_dir().native());
  if (!extra_keys.count("TPROC_HOME")) env.push_back("TPROC_HOME=" + home_dir().native());
  overridden.insert(extra_keys.begin(), extra_keys.end());
  for (char** entry = environ; *entry != nullptr; ++entry)
    if (!overridden.count(key_of(*entry))) env.emplace_back(*entry);
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

ChildProcess Sandbox::start(const std::vector<std::string>& argv, const SpawnOptions& options) {
  return ChildProcess::spawn(argv, environment(options.extra_env), options,
                             options.cwd.empty() ? root_.native() : options.cwd);
}

Outcome Sandbox::tproc(const std::vector<std::string>& args, const SpawnOptions& options,
                       Duration timeout) {
  Outcome outcome = start_tproc(args, options).wait(timeout);
  if (outcome.timed_out) {
    // A hang fails the test at once: the next commands would likely hang too, and a test that
    // outlives ctest's timeout is killed before this sandbox can clean up.
    std::ostringstream message;
    message << "`tproc";
    for (const std::string& arg : args) message << " " << arg;
    message << "` hung; killed after " << timeout.count() << " ms: " << outcome;
    throw std::runtime_error(message.str());
  }
  return outcome;
}

ChildProcess Sandbox::start_tproc(const std::vector<std::string>& args,
                                  const SpawnOptions& options) {
  std::vector<std::string> argv = {tproc_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return start(argv, options);
}

ChildProcess Sandbox::start_direct(const std::vector<std::string>& argv, const SpawnOptions& options) {
  return start(argv, options);
}

Outcome Sandbox::run_direct(const std::vector<std::string>& argv, const SpawnOptions& options,
                            Duration timeout) {
  return start(argv, options).wait(timeout);
}

std::string Sandbox::detach(const std::vector<std::string>& run_args) {
  std::vector<std::string> args = {"run", "-d"};
  args.insert(args.end(), run_args.begin(), run_args.end());
  Outcome started = tproc(args);
  std::string id = started.out;
  if (!id.empty() && id.back() == '\n') id.pop_back();
  bool numeric = !id.empty() && id.find_first_not_of("0123456789") == std::string::npos;
  if (started.status != 0 || started.timed_out || !numeric) {
    std::ostringstream message;
    message << "`tproc run -d` did not print an ID: " << started;
    throw std::runtime_error(message.str());
  }
  return id;
}

std::vector<SpaceInfo> Sandbox::spaces() {
  Outcome listed = tproc({"space", "ls", "--format", "json"}, {}, 10s);
  if (listed.status != 0)
    throw std::runtime_error("`tproc space ls --format json` failed: " + listed.err);
  std::vector<SpaceInfo> out;
  const Json document = Json::parse(listed.out);
  for (const Json& row : document.items()) {
    SpaceInfo space;
    space.name = row.at("name").str();
    // A socket whose daemon died is listed with null pid and tprocs.
    const Json& pid = row.at("pid");
    space.pid = pid.kind() == Json::Kind::Null ? 0 : json_pid(pid);
    const Json& tprocs = row.at("tprocs");
    space.tprocs = tprocs.kind() == Json::Kind::Null ? 0 : std::stol(json_text(tprocs));
    space.state = member_text(row, "state");
    out.push_back(space);
  }
  return out;
}

std::vector<TprocInfo> Sandbox::ps(const std::string& space, bool all) {
  std::vector<std::string> args = {"ps"};
  if (!space.empty()) args.push_back(space);
  if (all) args.push_back("-a");
  args.insert(args.end(), {"--format", "json"});
  Outcome listed = tproc(args, {}, 10s);
  if (listed.status != 0) throw std::runtime_error("`tproc ps` failed: " + listed.err);
  std::vector<TprocInfo> out;
  const Json document = Json::parse(listed.out);
  for (const Json& row : document.items()) {
    TprocInfo tproc;
    tproc.space = member_text(row, "space");
    tproc.id = json_text(row.at("id"));
    tproc.name = member_text(row, "name");
    tproc.pid = json_pid(row.at("pid"));
    tproc.state = row.at("state").str();
    tproc.started = member_text(row, "started");
    tproc.command = member_text(row, "command");
    if (const Json* labels = row.find("labels"))
      for (const auto& [key, value] : labels->members()) tproc.labels[key] = value.str();
    out.push_back(tproc);
  }
  return out;
}

std::optional<TprocInfo> Sandbox::find_tproc(const std::string& space,
                                             const std::string& id_or_name, bool all) {
  for (const TprocInfo& tproc : ps(space, all))
    if (tproc.id == id_or_name || tproc.name == id_or_name) return tproc;
  return std::nullopt;
}

TprocInfo Sandbox::tproc_info(const std::string& space, const std::string& id_or_name,
                              bool all) {
  if (auto found = find_tproc(space, id_or_name, all)) return *found;
  std::vector<std::string> args = {"ps", space, "--format", "json"};
  if (all) args.push_back("-a");
  throw std::runtime_error("`tproc ps " + space + "` does not list the tproc " + id_or_name +
                           "; it prints: " + tproc(args).out);
}

pid_t Sandbox::daemon_pid(const std::string& space) {
  for (const SpaceInfo& info : spaces())
    if (info.name == space) return info.pid;
  throw std::runtime_error("`tproc space ls` does not list the space " + space);
}

std::string Sandbox::write_file(const std::string& relative, std::string_view bytes, mode_t mode) {
  fs::path path = root_ / relative;
  fs::create_directories(path.parent_path());
  {
    std::ofstream stream(path, std::ios::binary | std::ios::trunc);
    stream.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!stream) throw std::runtime_error("cannot write " + path.native());
  }
  if (::chmod(path.c_str(), mode) != 0)
    throw std::runtime_error("chmod " + path.native() + ": " + std::strerror(errno));
  return path.native();
}

bool eventually(const std::function<bool()>& condition, Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

char process_state(pid_t pid) {
  std::string stat = read_proc(pid, "stat");
  size_t end_of_comm = stat.rfind(')');
  if (end_of_comm == std::string::npos || end_of_comm + 2 >= stat.size()) return 0;
  return stat[end_of_comm + 2];
}

bool process_alive(pid_t pid) {
  const char state = process_state(pid);
  return state != 0 && state != 'Z' && state != 'X';
}

size_t open_fd_count(pid_t pid) {
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  if (::access(dir.c_str(), R_OK) != 0)
    throw std::runtime_error("cannot read " + dir + ": " + std::strerror(errno));
  return numeric_entries(dir).size();
}

size_t mapping_count(pid_t pid) {
  const std::string maps = read_proc(pid, "maps");
  if (maps.empty()) throw std::runtime_error("cannot read /proc/" + std::to_string(pid) + "/maps");
  return lines(maps).size();
}

long rss_kib(pid_t pid) {
  std::istringstream status(read_proc(pid, "status"));
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  throw std::runtime_error("no VmRSS in /proc/" + std::to_string(pid) + "/status");
}

int free_tcp_port() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("no free TCP port on 127.0.0.1");
  return ntohs(address.sin_port);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw std::runtime_error("cannot read " + path.native());
  std::ostringstream text;
  text << stream.rdbuf();
  return text.str();
}

std::vector<std::string> lines(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t end = text.find('\n');
    out.emplace_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

}  // namespace tproc::e2e
