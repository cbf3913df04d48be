#include "registry/endpoint_table.hpp"

#include <sched.h>
#include <time.h>

#include <cerrno>
#include <cstring>

#include "cpu_relax.hpp"

namespace tproc::registry {
namespace {

constexpr auto relaxed = std::memory_order_relaxed;
constexpr auto acquire = std::memory_order_acquire;
constexpr auto release = std::memory_order_release;

/// Escalating patience for a spin-wait: pause, then yield the CPU, then sleep, so a waiter for a
/// writer that was preempted (or killed, until the daemon repairs) does not burn a core.
class Backoff {
 public:
  void wait() {
    ++rounds_;
    if (rounds_ < 64) {
      cpu_relax();
    } else if (rounds_ < 128) {
      sched_yield();
    } else {
      const timespec pause{0, 50'000};
      nanosleep(&pause, nullptr);
    }
  }

 private:
  unsigned rounds_ = 0;
};

/// Whether entry `e` holds exactly `name` (read inside the caller's seqlock window).
bool holds_name(const Entry& e, const EndpointName& name) {
  const uint32_t words = name.word_count();
  for (uint32_t i = 0; i < words; ++i)
    if (e.name[i].load(relaxed) != name.words[i]) return false;
  // A longer stored name shares our words but goes on in the next one.
  return words == kNameBytes / 8 || e.name[words].load(relaxed) == 0;
}

/// What read_entry() saw in one slot.
struct SlotView {
  EntryState state;
  bool matches;  ///< live and named like the wanted name
};

/// Reads slot `e` consistently; if it is live and called `want` (or `want` is null), copies it into
/// `out` (when not null).
SlotView read_entry(const Entry& e, const EndpointName* want, EndpointSnapshot* out) {
  Backoff backoff;
  for (;;) {
    const uint32_t before = e.seq.load(acquire);
    if (before & 1) {  // a writer is in the middle of this entry
      backoff.wait();
      continue;
    }
    SlotView view{static_cast<EntryState>(e.state.load(relaxed)), false};
    if (is_live(view.state)) {
      view.matches = want == nullptr || (e.hash.load(relaxed) == want->hash && holds_name(e, *want));
      if (view.matches && out != nullptr) {
        out->address = e.address.load(relaxed);
        out->kind = e.kind.load(relaxed);
        out->generation = e.generation.load(relaxed);
        out->owner = e.owner.load(relaxed);
        out->state = view.state;
        if (want == nullptr) {  // a lookup knows the name already (find() copies it)
          uint64_t words[kNameBytes / 8];
          for (uint32_t i = 0; i < kNameBytes / 8; ++i) words[i] = e.name[i].load(relaxed);
          std::memcpy(out->name, words, sizeof(words));
          out->name[kNameBytes - 1] = '\0';
        }
      }
    }
    std::atomic_thread_fence(acquire);
    if (e.seq.load(relaxed) == before) return view;
  }
}

}  // namespace

int EndpointTable::format(void* region, size_t size, const char* space_name, uint64_t heap_address, uint64_t heap_size) {
  if (region == nullptr || size < kRegionBytes || size > UINT32_MAX) return -EINVAL;
  const size_t name_length = space_name == nullptr ? 0 : ::strnlen(space_name, kNameBytes);
  if (name_length > kMaxNameLength) return -ENAMETOOLONG;

  std::memset(region, 0, kRegionBytes);
  auto* header = static_cast<RegistryHeader*>(region);
  if (name_length > 0) std::memcpy(header->space_name, space_name, name_length);
  header->slot_count = kSlotCount;
  header->max_endpoints = kMaxEndpoints;
  header->heap_address = heap_address;
  header->heap_size = heap_size;
  header->writing_slot.store(kNoSlot, relaxed);
  header->region.version = kRegionVersion;
  header->region.size = static_cast<uint32_t>(size);
  // Last: a reader that sees the magic sees everything above.
  __atomic_store_n(&header->region.magic, kRegionMagic, __ATOMIC_RELEASE);
  return 0;
}

int EndpointTable::validate(const void* region) {
  if (region == nullptr) return -ENXIO;
  const auto* header = static_cast<const RegistryHeader*>(region);
  if (__atomic_load_n(&header->region.magic, __ATOMIC_ACQUIRE) != kRegionMagic) return -ENXIO;
  if (header->region.version != kRegionVersion || header->slot_count != kSlotCount) return -EPROTO;
  return 0;
}

int EndpointTable::find(const EndpointName& name, EndpointSnapshot* out) const {
  const uint32_t mask = kSlotCount - 1;
  const uint32_t home = static_cast<uint32_t>(name.hash) & mask;
  const uint32_t max_probe = header_->max_probe.load(acquire);
  for (uint32_t distance = 0; distance <= max_probe; ++distance) {
    const SlotView view = read_entry(entries_[(home + distance) & mask], &name, out);
    if (view.matches) {
      if (out != nullptr) std::memcpy(out->name, name.words, sizeof(out->name));
      return 0;
    }
    if (view.state == EntryState::free) break;  // the end of the chain
  }
  return -ENOENT;
}

bool EndpointTable::read_slot(uint32_t slot, EndpointSnapshot* out) const {
  return read_entry(entries_[slot], nullptr, out).matches;
}

size_t EndpointTable::list(EndpointSnapshot* out, size_t capacity) const {
  size_t live = 0;
  for (uint32_t slot = 0; slot < kSlotCount; ++slot) {
    const SlotView view = read_entry(entries_[slot], nullptr, live < capacity ? out + live : nullptr);
    if (view.matches) ++live;
  }
  return live;
}

int EndpointTable::publish(const EndpointName& name, uint64_t address, uint64_t kind, int32_t owner, EntryState state,
                           uint64_t* generation, int patience_ms) {
  if (!is_live(state) || !is_displayable(name)) return -EINVAL;
  if (lock_writer(owner, 0, patience_ms) == Locked::busy) return -EBUSY;
  if (header_->live.load(relaxed) >= kMaxEndpoints) {
    unlock_writer();
    return -ENOSPC;
  }
  // One pass: the name must not be live anywhere it could be (within max_probe of its home), and
  // the first free slot or tombstone on the way is where it goes.
  const uint32_t mask = kSlotCount - 1;
  const uint32_t home = static_cast<uint32_t>(name.hash) & mask;
  const uint32_t max_probe = header_->max_probe.load(relaxed);
  uint32_t target = kNoSlot;
  uint32_t target_distance = 0;
  for (uint32_t distance = 0; distance < kSlotCount; ++distance) {
    const uint32_t slot = (home + distance) & mask;
    const Entry& e = entries_[slot];
    const auto slot_state = static_cast<EntryState>(e.state.load(relaxed));
    if (!is_live(slot_state)) {
      if (target == kNoSlot) {
        target = slot;
        target_distance = distance;
      }
      if (slot_state == EntryState::free) break;
    } else if (e.hash.load(relaxed) == name.hash && holds_name(e, name)) {
      unlock_writer();
      return -EEXIST;
    }
    if (target != kNoSlot && distance >= max_probe) break;
  }
  if (target == kNoSlot) {  // unreachable while live < kMaxEndpoints < kSlotCount
    unlock_writer();
    return -ENOSPC;
  }
  if (state == EntryState::declared && latched(owner)) state = EntryState::ready;

  // Lookups must reach the slot before it holds the name.
  if (target_distance > max_probe) header_->max_probe.store(target_distance, release);
  const uint64_t serial = header_->serial.load(relaxed) + 1;
  header_->serial.store(serial, relaxed);

  Entry& e = entries_[target];
  header_->writing_slot.store(target, relaxed);
  const uint32_t seq = e.seq.load(relaxed);
  e.seq.store(seq + 1, relaxed);
  std::atomic_thread_fence(release);
  e.owner.store(owner, relaxed);
  e.hash.store(name.hash, relaxed);
  e.kind.store(kind, relaxed);
  e.address.store(address, relaxed);
  e.generation.store(serial, relaxed);
  for (uint32_t i = 0; i < kNameBytes / 8; ++i) e.name[i].store(name.words[i], relaxed);
  e.state.store(static_cast<uint32_t>(state), relaxed);
  e.seq.store(seq + 2, release);
  header_->writing_slot.store(kNoSlot, relaxed);
  header_->live.store(header_->live.load(relaxed) + 1, relaxed);

  unlock_writer();
  announce();
  if (generation != nullptr) *generation = serial;
  return 0;
}

int EndpointTable::make_ready(const EndpointName* name, int32_t owner) {
  lock_writer(owner, 0, -1);
  int changed = 0;
  if (name != nullptr) {
    const uint32_t slot = slot_of(*name);
    if (slot == kNoSlot) {
      unlock_writer();
      return -ENOENT;
    }
    if (entries_[slot].owner.load(relaxed) != owner) {
      unlock_writer();
      return -EPERM;
    }
    if (entries_[slot].state.load(relaxed) == static_cast<uint32_t>(EntryState::declared)) {
      write_state(slot, EntryState::ready);
      changed = 1;
    }
  } else {
    for (uint32_t slot = 0; slot < kSlotCount; ++slot) {
      const Entry& e = entries_[slot];
      if (e.state.load(relaxed) == static_cast<uint32_t>(EntryState::declared) && e.owner.load(relaxed) == owner) {
        write_state(slot, EntryState::ready);
        ++changed;
      }
    }
    if (!latched(owner)) {
      uint32_t i = 0;
      while (i < kReadyLatchSlots && header_->ready_latch[i].load(relaxed) != 0) ++i;
      if (i < kReadyLatchSlots) {
        header_->ready_latch[i].store(owner, relaxed);
      } else if (changed == 0) {
        unlock_writer();
        return -ENOSPC;
      }
    }
  }
  unlock_writer();
  if (changed > 0) announce();
  return changed;
}

int EndpointTable::withdraw(const EndpointName& name, int32_t owner) {
  lock_writer(owner, 0, -1);
  const uint32_t slot = slot_of(name);
  int result = 0;
  if (slot == kNoSlot) {
    result = -ENOENT;
  } else if (entries_[slot].owner.load(relaxed) != owner) {
    result = -EPERM;
  } else {
    write_state(slot, EntryState::withdrawn);
    header_->live.store(header_->live.load(relaxed) - 1, relaxed);
  }
  unlock_writer();
  if (result == 0) announce();
  return result;
}

bool EndpointTable::may_hold_anything_of(int32_t owner) const {
  // `owner` has exited, so nothing of its can change under us. The live count is at most one
  // below the truth, and only while the entry of a writer that died mid-publish is uncounted; that
  // entry is counted in the truth too, so a count of 0 means `owner` holds no live entry.
  if (header_->writer.load(relaxed) == owner || header_->live.load(relaxed) != 0) return true;
  for (const auto& latch : header_->ready_latch)
    if (latch.load(relaxed) == owner) return true;
  return false;
}

int EndpointTable::withdraw_owner(int32_t owner, int32_t self, int patience_ms) {
  // Most tprocs publish nothing: spare their exits the writer lock, a walk over every slot and a
  // wake-up of every waiter.
  if (!may_hold_anything_of(owner)) return 0;
  const Locked locked = lock_writer(self, owner, patience_ms);
  if (locked == Locked::busy) return -EBUSY;
  if (locked == Locked::taken_from_dead) repair();

  int withdrawn = 0;
  uint32_t live = 0;
  for (uint32_t slot = 0; slot < kSlotCount; ++slot) {
    const Entry& e = entries_[slot];
    if (!is_live(static_cast<EntryState>(e.state.load(relaxed)))) continue;
    if (e.owner.load(relaxed) == owner) {
      write_state(slot, EntryState::withdrawn);
      ++withdrawn;
    } else {
      ++live;
    }
  }
  // Counted afresh: a writer that died may have left the count one off.
  header_->live.store(live, relaxed);
  for (auto& latch : header_->ready_latch)
    if (latch.load(relaxed) == owner) latch.store(0, relaxed);
  unlock_writer();
  announce();
  return withdrawn;
}

int EndpointTable::wait_for_change(uint32_t seen, const Deadline& deadline) const {
  // Registered before the last check, so announce() either sees us or we see its change
  // (both sides use seq_cst: the classic store-load pairing).
  header_->waiters.fetch_add(1, std::memory_order_seq_cst);
  int result = 0;
  if (header_->changes.load(std::memory_order_seq_cst) == seen) result = futex_wait(&header_->changes, seen, deadline);
  header_->waiters.fetch_sub(1, std::memory_order_seq_cst);
  return result;
}

EndpointTable::Locked EndpointTable::lock_writer(int32_t self, int32_t dead, int patience_ms) {
  Backoff backoff;
  const Deadline deadline = Deadline::after_ms(patience_ms);
  for (unsigned attempt = 0;; ++attempt) {
    int32_t holder = header_->writer.load(relaxed);
    if (holder == 0 && header_->writer.compare_exchange_weak(holder, self, acquire, relaxed)) return Locked::fresh;
    if (dead != 0 && holder == dead && header_->writer.compare_exchange_strong(holder, self, acquire, relaxed))
      return Locked::taken_from_dead;
    if (attempt % 64 == 63 && deadline.passed()) return Locked::busy;
    backoff.wait();
  }
}

void EndpointTable::unlock_writer() { header_->writer.store(0, release); }

void EndpointTable::announce() {
  header_->changes.fetch_add(1, std::memory_order_seq_cst);
  if (header_->waiters.load(std::memory_order_seq_cst) != 0) futex_wake(&header_->changes);
}

uint32_t EndpointTable::slot_of(const EndpointName& name) const {
  const uint32_t mask = kSlotCount - 1;
  const uint32_t home = static_cast<uint32_t>(name.hash) & mask;
  const uint32_t max_probe = header_->max_probe.load(relaxed);
  for (uint32_t distance = 0; distance <= max_probe; ++distance) {
    const uint32_t slot = (home + distance) & mask;
    const Entry& e = entries_[slot];
    const auto state = static_cast<EntryState>(e.state.load(relaxed));
    if (state == EntryState::free) break;
    if (is_live(state) && e.hash.load(relaxed) == name.hash && holds_name(e, name)) return slot;
  }
  return kNoSlot;
}

void EndpointTable::write_state(uint32_t slot, EntryState state) {
  Entry& e = entries_[slot];
  header_->writing_slot.store(slot, relaxed);
  const uint32_t seq = e.seq.load(relaxed);
  e.seq.store(seq + 1, relaxed);
  std::atomic_thread_fence(release);
  e.state.store(static_cast<uint32_t>(state), relaxed);
  e.seq.store(seq + 2, release);
  header_->writing_slot.store(kNoSlot, relaxed);
}

void EndpointTable::repair() {
  const uint32_t slot = header_->writing_slot.load(relaxed);
  if (slot < kSlotCount) {
    Entry& e = entries_[slot];
    const uint32_t seq = e.seq.load(relaxed);
    if (seq & 1) {
      // Every entry a tproc writes is (or was becoming) its own, so the dead writer's half-done
      // entry ends withdrawn, like the rest of its entries.
      e.state.store(static_cast<uint32_t>(EntryState::withdrawn), relaxed);
      e.seq.store(seq + 1, release);
    }
  }
  header_->writing_slot.store(kNoSlot, relaxed);
}

bool EndpointTable::latched(int32_t owner) const {
  for (const auto& latch : header_->ready_latch)
    if (latch.load(relaxed) == owner) return true;
  return false;
}

}  // namespace tproc::registry
