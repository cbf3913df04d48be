#include "cli/root_target.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "common/regular_file.hpp"

namespace tproc::cli {

Result<PreparedRun> prepare_in_root(const RunInvocation& invocation) {
  UniqueFd root(::open(invocation.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return Error::from_errno("--rootfs " + invocation.rootfs);
  std::vector<std::string> candidates;
  if (invocation.target.find('/') != std::string::npos)
    candidates.push_back(invocation.target[0] == '/' ? invocation.target : "/" + invocation.target);
  else
    for (const char* directory : {"/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"})
      candidates.push_back(std::string(directory) + "/" + invocation.target);
  Error last("not found in " + invocation.rootfs, ENOENT);
  for (const std::string& path : candidates) {
    auto opened = open_regular_file_in_root(root.get(), path);
    if (!opened) {
      if (opened.error().code() != ENOENT || candidates.size() == 1)
        last = Error(path + " in " + invocation.rootfs + (opened.error().message().empty() ? "" : ": " + opened.error().message()),
                     opened.error().code());
      continue;
    }
    struct stat st {};
    if (::fstat(opened->get(), &st) < 0) return Error::from_errno("fstat " + path);
    if ((st.st_mode & 0111) == 0) return Error(path + " in " + invocation.rootfs, EACCES);
    char magic[4] = {};
    if (::pread(opened->get(), magic, sizeof(magic), 0) != sizeof(magic) || std::memcmp(magic, "\x7f" "ELF", 4) != 0)
      return Error::explained(path + " in " + invocation.rootfs + ": not an ELF executable (scripts are not run from a "
                                  "--rootfs yet)", ENOEXEC);
    PreparedRun prepared;
    prepared.request.argv.push_back(invocation.target);
    prepared.request.argv.insert(prepared.request.argv.end(), invocation.args.begin(), invocation.args.end());
    prepared.request.execfn = path;
    prepared.executable = std::move(*opened);
    return prepared;
  }
  return last;
}

}  // namespace tproc::cli
