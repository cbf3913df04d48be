// tproc pause | unpause: freeze and thaw every thread of programs, as docker pause does.

#include <cstdio>

#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/space_client.hpp"
#include "space/space_name.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kPauseUsage =
    "Usage: tproc pause SPACE [ID|NAME...]\n\n"
    "Freeze every thread of the named tprocs of SPACE, or of all its running tprocs: they stop where\n"
    "they are, with no signal they could see (a cgroup freezer, as docker pause uses); ps and stats\n"
    "show them paused. A sleep or read they were in goes on when unpaused, without EINTR. Other\n"
    "signals wait until then; SIGKILL (tproc kill -s KILL, space rm -f) ends a paused tproc at once,\n"
    "and tproc stop thaws it after its SIGTERM. A named tproc that is already paused is refused;\n"
    "with no ID|NAME, the running tprocs not yet paused are paused.\n";

constexpr const char* kUnpauseUsage =
    "Usage: tproc unpause SPACE [ID|NAME...]\n\n"
    "Thaw the named paused tprocs of SPACE, or all of them. A named tproc that is not paused is refused.\n";

Result<int> change(std::span<char* const> args, bool pause) {
  const char* verb = pause ? "pause" : "unpause";
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {}));
  if (arguments.wants_help()) {
    std::fputs(pause ? kPauseUsage : kUnpauseUsage, stdout);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands(verb, 1, SIZE_MAX, "SPACE and optionally IDs or NAMEs"));
  const std::string& name = arguments.positional()[0];
  TPROC_TRY(space::validate_space_name(name));
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  protocol::PauseRequest request;
  request.targets.assign(arguments.positional().begin() + 1, arguments.positional().end());
  request.pause = pause;
  protocol::Received reply = TPROC_TRY(ask_space(paths, name, request));
  TPROC_TRY(expect<protocol::Done>(reply));
  for (const std::string& target : request.targets) std::printf("%s\n", target.c_str());
  return 0;
}

Result<int> pause(std::span<char* const> args) { return change(args, true); }
Result<int> unpause(std::span<char* const> args) { return change(args, false); }

}  // namespace

const Command kPauseCommand{"pause", "Freeze the programs of a space", kPauseUsage, pause};
const Command kUnpauseCommand{"unpause", "Thaw paused programs", kUnpauseUsage, unpause};

}  // namespace tproc::cli
