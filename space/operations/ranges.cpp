// ranges: which ranges of the shared address space a tproc owns, for `tproc maps`, `which`,
// `debug` and `stats`: what it mapped itself (the mapping server's ledger) and what the loader
// mapped for it before it ran (executable, ld.so, initial stack).

#include <algorithm>

#include "space/daemon.hpp"

namespace tproc::space {
namespace {

/// Adds the parts of [begin, end) that no "mapped" range in `ranges` covers: a tproc that mapped
/// over part of what the loader gave it owns that part by its own call (the ledger's word).
void add_loader_range(std::vector<protocol::OwnedRange>& ranges, uint64_t begin, uint64_t end, const char* origin) {
  std::vector<protocol::OwnedRange> pieces{{begin, end, origin}};
  for (const protocol::OwnedRange& mapped : ranges) {
    if (mapped.origin != "mapped") continue;
    std::vector<protocol::OwnedRange> rest;
    for (const protocol::OwnedRange& piece : pieces) {
      if (mapped.end <= piece.begin || piece.end <= mapped.begin) {
        rest.push_back(piece);
        continue;
      }
      if (piece.begin < mapped.begin) rest.push_back({piece.begin, mapped.begin, origin});
      if (mapped.end < piece.end) rest.push_back({mapped.end, piece.end, origin});
    }
    pieces = std::move(rest);
  }
  ranges.insert(ranges.end(), pieces.begin(), pieces.end());
}

}  // namespace

std::vector<protocol::OwnedRange> Daemon::owned_ranges(const TprocRecord& record) const {
  std::vector<protocol::OwnedRange> ranges;
  if (!record.running()) return ranges;
  if (mappings_)
    for (const auto& [begin, end] : mappings_->ranges_of(record.id)) ranges.push_back({begin, end, "mapped"});
  if (const auto& program = record.program) {
    add_loader_range(ranges, program->executable.begin(), program->executable.end(), "executable");
    if (program->interpreter) add_loader_range(ranges, program->interpreter->begin(), program->interpreter->end(), "interpreter");
    add_loader_range(ranges, program->stack.base(), program->stack.end(), "stack");
  }
  std::sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) { return a.begin < b.begin; });
  return ranges;
}

void Daemon::handle(std::unique_ptr<Client> client, protocol::RangesRequest request) {
  auto found = tprocs_.find(request.target, space_);
  if (!found) return reply_error(std::move(client), found.error());
  const TprocRecord& record = **found;

  protocol::OwnedRanges reply_message{record.info(), owned_ranges(record), 0, 0, mappings_ != nullptr};
  if (record.running() && record.program) {
    reply_message.executable_bias = record.program->executable.bias();
    if (record.program->interpreter) reply_message.interpreter_bias = record.program->interpreter->bias();
  }
  reply(std::move(client), reply_message);
}

}  // namespace tproc::space
