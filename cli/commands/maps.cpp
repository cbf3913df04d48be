// tproc maps: the ranges one tproc owns in its space, as /proc/PID/maps would show them if the
// program had an address space of its own.

#include <cstdio>

#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/process_maps.hpp"
#include "cli/space_client.hpp"
#include "common/printable.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc maps SPACE ID|NAME\n\n"
    "Print the ranges a running tproc owns in SPACE's shared address space, as /proc/PID/maps lines:\n"
    "what it mapped itself (its ld.so's libraries, its heap, its thread stacks) and what the daemon's\n"
    "loader mapped for it (its executable, ld.so, initial stack). /proc/PID/maps of any tproc shows\n"
    "the whole space: every tproc's mappings and the daemon's.\n";

Result<int> maps(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("maps", 2, 2, "SPACE and ID|NAME"));
  const std::string& space = arguments.positional()[0];
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  protocol::Received reply = TPROC_TRY(ask_space(paths, space, protocol::RangesRequest{arguments.positional()[1]}));
  protocol::OwnedRanges owned = TPROC_TRY(expect<protocol::OwnedRanges>(reply));
  const std::string who = "tproc " + std::to_string(owned.tproc.id) + " (" + terminal_text(owned.tproc.name) + ")";
  if (!owned.tproc.running) return Error::explained(who + " in space '" + space + "' has exited: it owns nothing", ESRCH);
  std::vector<MapsEntry> entries = TPROC_TRY_CTX(who, read_maps(owned.tproc.pid));
  for (const MapsEntry& part : owned_parts(entries, owned.ranges)) std::printf("%s\n", terminal_text(maps_line(part)).c_str());
  if (!owned.ledger)
    std::fprintf(stderr, "tproc maps: space '%s' runs without reclaim: what %s mapped itself is not recorded\n",
                 space.c_str(), who.c_str());
  return 0;
}

}  // namespace

const Command kMapsCommand{"maps", "Show the ranges a program owns in its space", kUsage, maps};

}  // namespace tproc::cli
