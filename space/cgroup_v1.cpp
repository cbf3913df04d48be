#include "space/cgroup_v1.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common/unique_fd.hpp"

namespace tproc::space {

std::string cgroup_v1_mount(std::string_view controller) {
  std::ifstream mounts("/proc/self/mounts");
  for (std::string line; std::getline(mounts, line);) {
    std::istringstream fields(line);
    std::string device, where, type, options;
    fields >> device >> where >> type >> options;
    if (type != "cgroup") continue;
    std::istringstream each(options);
    for (std::string option; std::getline(each, option, ',');)
      if (option == controller) return where;
  }
  return {};
}

std::string own_cgroup_v1(std::string_view controller) {
  std::ifstream cgroups("/proc/self/cgroup");
  for (std::string line; std::getline(cgroups, line);) {
    const size_t first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::istringstream controllers(line.substr(first + 1, second - first - 1));
    for (std::string each; std::getline(controllers, each, ',');)
      if (each == controller) return line.substr(second + 1);
  }
  return {};
}

Result<void> write_cgroup_file(const std::string& path, const std::string& text) {
  UniqueFd file(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!file) return Error::from_errno("open " + path);
  if (::write(file.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) return Error::from_errno("write " + path);
  return ok();
}

}  // namespace tproc::space
