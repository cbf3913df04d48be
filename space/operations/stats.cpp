// stats: what each running tproc uses, and what the space itself holds (space/memory_attribution.hpp).

#include <sys/resource.h>
#include <unistd.h>
#include <algorithm>

#include "space/daemon.hpp"
#include "space/memory_attribution.hpp"
#include "space/process_usage.hpp"

namespace tproc::space {

void Daemon::handle(std::unique_ptr<Client> client, protocol::StatsRequest) {
  // Who owns what: the ranges the daemon mapped for each tproc (program, interpreter, stack, a
  // non-PIE image's hold), those it mapped itself (the ledger), and the space's own regions.
  std::vector<MemoryClaim> claims;
  claims.push_back({registry_->address(), registry_->address() + registry_->size(), kRegistryOwner});
  claims.push_back({heap_->address(), heap_->address() + heap_->size(), kHeapOwner});
  for (const auto& [id, record] : tprocs_.records()) {
    if (!record->running()) continue;
    if (record->program) {
      claims.push_back({record->program->executable.begin(), record->program->executable.end(), id});
      if (record->program->interpreter)
        claims.push_back({record->program->interpreter->begin(), record->program->interpreter->end(), id});
      claims.push_back({record->program->stack.base(), record->program->stack.end(), id});
    }
    if (record->fixed_image.valid()) claims.push_back({record->fixed_image.begin(), record->fixed_image.end(), id});
  }
  if (mappings_) {
    // A range the loader mapped can also be in the ledger (ld.so maps segments over the
    // reservation): the ledger's claim is the same owner's, so the loader's is trimmed around it.
    std::vector<MemoryClaim> ledger;
    for (const auto& [begin, end, owner] : mappings_->ledger_ranges()) ledger.push_back({begin, end, owner});
    std::vector<MemoryClaim> merged;
    std::sort(claims.begin(), claims.end(), [](const auto& a, const auto& b) { return a.begin < b.begin; });
    size_t next = 0;  // the first ledger range that may overlap the current claim
    for (const MemoryClaim& claim : claims) {
      uint64_t at = claim.begin;
      while (next < ledger.size() && ledger[next].end <= at) ++next;
      for (size_t i = next; i < ledger.size() && ledger[i].begin < claim.end; ++i) {
        if (ledger[i].begin > at) merged.push_back({at, ledger[i].begin, claim.owner});
        at = std::max(at, ledger[i].end);
      }
      if (at < claim.end) merged.push_back({at, claim.end, claim.owner});
    }
    merged.insert(merged.end(), ledger.begin(), ledger.end());
    claims = std::move(merged);
  }
  auto memory = attribute_memory(std::move(claims));
  if (!memory) return reply_error(std::move(client), memory.error());

  protocol::SpaceStats stats;
  stats.sampled_ns = monotonic_ns();
  stats.daemon_pid = ::getpid();
  stats.rss = memory->rss;
  stats.registry_rss = memory->owners[kRegistryOwner].rss;
  stats.heap_rss = memory->owners[kHeapOwner].rss;
  stats.daemon_rss = memory->owners[kDaemonOwner].rss;
  if (auto own = ProcessUsage::read(::getpid())) stats.daemon_cpu_ns = own->cpu_ns;
  if (mappings_) stats.notified_calls = mappings_->notified_calls();
  // getrusage, not /proc/PID/task/*: a tproc's listener thread ends with it, and only the
  // process's totals keep what ended threads (and reaped tprocs) counted.
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) == 0)
    stats.daemon_context_switches = static_cast<uint64_t>(usage.ru_nvcsw) + static_cast<uint64_t>(usage.ru_nivcsw);
  if (::getrusage(RUSAGE_CHILDREN, &usage) == 0)
    stats.ended_tprocs_context_switches = static_cast<uint64_t>(usage.ru_nvcsw) + static_cast<uint64_t>(usage.ru_nivcsw);
  for (const auto& [id, record] : tprocs_.records()) {
    if (!record->running()) continue;
    protocol::TprocStats row;
    row.id = id;
    row.name = record->name;
    row.pid = record->pid;
    row.paused = record->paused;
    if (auto usage = ProcessUsage::read(record->pid)) {
      row.cpu_ns = usage->cpu_ns;
      row.threads = usage->threads;
      row.fds = usage->fds;
    }
    const auto owned = memory->owners.find(id);
    if (owned != memory->owners.end()) {
      row.rss = owned->second.rss;
      row.mapped = owned->second.mapped;
      memory->owners.erase(owned);
    }
    stats.tprocs.push_back(std::move(row));
  }
  // Ranges of tprocs that ended but are not reclaimed yet count as the daemon's.
  for (const auto& [owner, held] : memory->owners)
    if (owner != kRegistryOwner && owner != kHeapOwner && owner != kDaemonOwner) stats.daemon_rss += held.rss;
  reply(std::move(client), stats);
}

}  // namespace tproc::space
