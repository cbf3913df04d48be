// tproc supervise: the supervisor of one space's app (compose/supervisor.hpp). `tproc up` starts
// it in the background; not for users.

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/executables.hpp"
#include "compose/supervisor.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc-bundles supervise SPACE [--ready-fd FD]\n\n"
    "Supervise the app of SPACE until 'tproc down'. 'tproc up' starts it; with --ready-fd it writes\n"
    "\"ok\" (or the error) to FD once it accepts 'up' and 'down'.\n";

void report_ready(int fd, const std::string& text) {
  if (fd < 0) return;
  (void)!::write(fd, text.data(), text.size());
  ::close(fd);
}

Result<int> supervise(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"ready-fd", 0, true}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (arguments.positional().size() != 1) return Error::explained("supervise needs SPACE", EINVAL);
  const int ready_fd = arguments.has("ready-fd") ? std::atoi(arguments.value("ready-fd").c_str()) : -1;
  if (ready_fd >= 0) ::fcntl(ready_fd, F_SETFD, FD_CLOEXEC);

  auto created = [&]() -> Result<std::unique_ptr<compose::Supervisor>> {
    const space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
    // The readiness helper sits beside the bundle tool, in libexec/tproc/.
    std::string helper = TPROC_TRY(bundle_tool_executable());
    helper = helper.substr(0, helper.find_last_of('/')) + "/tproc-ready-wait";
    return compose::Supervisor::create(paths, arguments.positional()[0], helper);
  }();
  if (!created) {
    report_ready(ready_fd, created.error().describe() + "\n");
    return std::move(created).error();
  }
  report_ready(ready_fd, "ok\n");
  TPROC_TRY((*created)->serve());
  return 0;
}

}  // namespace

const Command kSuperviseCommand{"supervise", "", kUsage, supervise};

}  // namespace tproc::cli
