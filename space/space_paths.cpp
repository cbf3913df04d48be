#include "space/space_paths.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <signal.h>
#include <cstdlib>

#include "common/printable.hpp"
#include "space/space_name.hpp"
#include "common/open_trusted.hpp"

namespace tproc::space {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : fallback;
}

}  // namespace

Result<SpacePaths> SpacePaths::from_environment() {
  const bool root = ::geteuid() == 0;
  std::string runtime_default, home_default;
  if (root) {
    runtime_default = "/run/tproc";
    home_default = "/var/lib/tproc";
  } else {
    runtime_default = env_or("XDG_RUNTIME_DIR", "/tmp/tproc-" + std::to_string(::geteuid())) + "/tproc";
    const char* home = std::getenv("HOME");
    if (!home || !*home) return Error("HOME is not set and TPROC_HOME is not set either");
    home_default = std::string(home) + "/.local/share/tproc";
  }
  return SpacePaths(env_or("TPROC_RUNTIME_DIR", runtime_default), env_or("TPROC_HOME", home_default));
}

Result<UniqueFd> SpacePaths::open_runtime_dir(bool create) const {
  return TPROC_TRY_CTX("runtime dir", open_trusted(runtime_dir_, create));
}

Result<UniqueFd> SpacePaths::prepare(const std::string& space) const {
  UniqueFd runtime = TPROC_TRY(open_runtime_dir(true));
  // Ours, and no one else may write to it; readable by others it would only list the spaces.
  // Changed through the checked fd, never by path: a path could name another directory by now.
  struct stat st {};
  if (::fstat(runtime.get(), &st) < 0) return Error::from_errno("stat " + runtime_dir_);
  if ((st.st_mode & 0077) != 0) {
    UniqueFd readable(::openat(runtime.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!readable || ::fchmod(readable.get(), 0700) < 0) return Error::from_errno("chmod 0700 " + runtime_dir_);
  }
  TPROC_TRY_CTX("TPROC_HOME", open_trusted(log_dir(space), true));
  return runtime;
}

std::vector<std::string> SpacePaths::list_spaces() const {
  std::vector<std::string> names;
  DIR* dir = ::opendir(runtime_dir_.c_str());
  if (!dir) return names;
  while (dirent* entry = ::readdir(dir)) {
    std::string file = entry->d_name;
    if (file.size() > 5 && file.ends_with(".sock")) names.push_back(file.substr(0, file.size() - 5));
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

LockHolders read_lock_holders(int lock) {
  char text[128] = {};
  const ssize_t got = ::pread(lock, text, sizeof(text) - 1, 0);
  LockHolders holders;
  if (got > 0) std::sscanf(text, "daemon %d\nkeeper %d", &holders.daemon, &holders.keeper);
  return holders;
}

bool process_running(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) < 0) return false;
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  FILE* stat = std::fopen(path, "r");
  if (!stat) return false;
  char state = '?';
  // "pid (comm) state ...": comm may hold spaces and parentheses, so find the last ')'.
  char line[512] = {};
  const bool read = std::fgets(line, sizeof(line), stat) != nullptr;
  std::fclose(stat);
  if (const char* close = read ? std::strrchr(line, ')') : nullptr; close && close[1] == ' ') state = close[2];
  return state != 'Z' && state != 'X' && state != '?';
}

Result<void> validate_space_name(const std::string& name) {
  if (!is_valid_space_name(name.data(), name.size()))
    return Error::explained("invalid space name \"" + printable(name, 80) + "\" (" + kSpaceNameRule + ")", EINVAL);
  return ok();
}

}  // namespace tproc::space
