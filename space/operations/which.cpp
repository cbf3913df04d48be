// which: what the daemon knows of one address of its space (for `tproc which`): whose range it
// lies in -- a tproc's (space/operations/ranges.cpp), or one of the space's own regions -- and,
// in the space heap, the block around it and which tproc allocated that block. What is mapped
// there is the client's to read (/proc/DAEMON_PID/maps, the file): the daemon parses no file on a
// client's behalf.

#include <unistd.h>

#include "registry/space_heap.hpp"
#include "space/daemon.hpp"

namespace tproc::space {
namespace {

bool holds(uint64_t begin, uint64_t end, uint64_t address) { return begin <= address && address < end; }

}  // namespace

void Daemon::handle(std::unique_ptr<Client> client, protocol::WhichRequest request) {
  const uint64_t address = request.address;
  protocol::AddressHolder answer;
  answer.daemon_pid = ::getpid();
  answer.ledger = mappings_ != nullptr;
  answer.holder = "daemon";
  const auto claim = [&](const char* holder, uint64_t begin, uint64_t end) {
    answer.holder = holder;
    answer.begin = begin;
    answer.end = end;
  };

  bool found = false;
  for (const auto& [id, record] : tprocs_.records()) {
    if (!record->running()) continue;
    for (const protocol::OwnedRange& range : owned_ranges(*record)) {
      if (!holds(range.begin, range.end, address)) continue;
      claim("tproc", range.begin, range.end);
      answer.tproc = record->info();
      answer.origin = range.origin;
      found = true;
      break;
    }
    // What is left of the range held for a non-PIE executable where ld.so has not mapped it.
    if (!found && record->fixed_image.valid() && holds(record->fixed_image.begin(), record->fixed_image.end(), address)) {
      claim("tproc", record->fixed_image.begin(), record->fixed_image.end());
      answer.tproc = record->info();
      answer.origin = "image hold";
      found = true;
    }
    if (found) break;
  }
  if (!found && registry_ && holds(registry_->address(), registry_->address() + registry_->size(), address))
    claim("registry", registry_->address(), registry_->address() + registry_->size());
  if (!found && heap_ && holds(heap_->address(), heap_->address() + heap_->size(), address)) {
    claim("heap", heap_->address(), heap_->address() + heap_->size());
    const registry::SpaceHeap heap(heap_->get());
    registry::HeapBlock block{};
    if (heap.find_block(reinterpret_cast<const void*>(address), &block)) {
      answer.in_block = true;
      answer.block_begin = block.begin;
      answer.block_size = block.size;
      answer.block_large = block.large;
      answer.allocator_pid = block.allocator;
      // A pid names the tproc that has it now, else the latest that had it (its record kept).
      const TprocRecord* allocator = nullptr;
      for (const auto& [id, record] : tprocs_.records())
        if (block.allocator != 0 && record->pid == block.allocator && (!allocator || record->running() || !allocator->running()))
          allocator = record.get();
      if (allocator) answer.allocator = allocator->info();
    }
  }
  if (!found && answer.holder == "daemon") {
    if (const loader::MappedObject* stocked = interpreters_.stocked(); stocked && holds(stocked->begin(), stocked->end(), address))
      claim("loader", stocked->begin(), stocked->end());
  }
  reply(std::move(client), answer);
}

}  // namespace tproc::space
