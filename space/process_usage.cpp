#include "space/process_usage.hpp"

#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace tproc::space {

Result<ProcessUsage> ProcessUsage::read(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid);
  FILE* stat = std::fopen((dir + "/stat").c_str(), "re");
  if (!stat) return Error::from_errno("read " + dir + "/stat");
  char text[1024] = {};
  const size_t length = std::fread(text, 1, sizeof(text) - 1, stat);
  std::fclose(stat);
  // "PID (COMM) STATE ...": comm may hold spaces and parentheses, so fields start after the last ')'.
  const char* fields = length ? std::strrchr(text, ')') : nullptr;
  unsigned long long utime = 0, stime = 0;
  long threads = 0;
  if (!fields ||
      std::sscanf(fields + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %ld", &utime, &stime,
                  &threads) != 3)
    return Error("unreadable " + dir + "/stat", EPROTO);
  ProcessUsage usage;
  const uint64_t tick_ns = 1'000'000'000 / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
  usage.cpu_ns = (utime + stime) * tick_ns;
  usage.threads = static_cast<uint32_t>(threads);
  if (DIR* fds = ::opendir((dir + "/fd").c_str())) {
    while (const dirent* entry = ::readdir(fds))
      if (entry->d_name[0] != '.') ++usage.fds;
    ::closedir(fds);
  }
  return usage;
}


}  // namespace tproc::space
