#pragma once
// EndpointTable: the operations on a formatted registry region, shared by libtproc (in every tproc)
// and the daemon (registry/registry.hpp).
//
// Readers (find, list) take no lock: they probe the open-addressed table and copy each entry under
// its seqlock. Writers (publish, make_ready, withdraw, withdraw_owner) serialise on the region's
// writer lock. One lock rather than a CAS per slot because a publication must be sure its name is
// not live anywhere on its probe chain while it reuses a tombstone earlier on that chain; with
// writers one at a time that is a plain scan. Publishing is rare and costs about a microsecond;
// lookups, the hot path, never see the lock.
//
// Robustness: a tproc can be killed (kill -9) anywhere, also while it holds the writer lock with
// one entry half-written (odd seq). The lock word holds its pid, and the daemon's
// withdraw_owner(pid) takes the lock over, finishes that entry as withdrawn and withdraws the rest
// of the dead tproc's entries. Until then readers of that one slot and writers wait (backing off to
// sleeps); nothing else is blocked.
//
// This file and its .cpp are built without exceptions or RTTI and use nothing from libstdc++'s
// runtime, so libtproc stays a C library that needs only libc.

#include <cstddef>
#include <cstdint>

#include "registry/endpoint_name.hpp"
#include "registry/futex.hpp"
#include "registry/registry_layout.hpp"

namespace tproc::registry {

/// A consistent copy of one live entry.
struct EndpointSnapshot {
  char name[kNameBytes];
  uint64_t address;
  uint64_t kind;
  uint64_t generation;
  int32_t owner;
  EntryState state;
};

/// The endpoint table of one formatted region. A view: the region owns the memory.
class EndpointTable {
 public:
  /// Lays out an empty registry in the `size` bytes at `region`, recording the space's name and
  /// heap, and writes the magic last. 0, -EINVAL (region too small) or -ENAMETOOLONG (space name).
  static int format(void* region, size_t size, const char* space_name, uint64_t heap_address, uint64_t heap_size);

  /// Checks that `region` holds a registry this code understands: 0, -ENXIO (no registry there) or
  /// -EPROTO (another layout version).
  static int validate(const void* region);

  /// The table in a region that passed validate().
  explicit EndpointTable(RegistryHeader* header) : header_(header), entries_(entries_of(header)) {}

  RegistryHeader* header() const { return header_; }

  /// Copies the live entry called `name`: 0 or -ENOENT. Lock-free.
  int find(const EndpointName& name, EndpointSnapshot* out) const;

  /// Copies up to `capacity` live entries into `out`; returns how many entries are live (which may
  /// exceed `capacity`). Each entry is consistent; the list is not one atomic snapshot.
  size_t list(EndpointSnapshot* out, size_t capacity) const;

  /// Copies slot `slot` (below kSlotCount) into `out` if it is live: true, else false. Lock-free.
  bool read_slot(uint32_t slot, EndpointSnapshot* out) const;

  /// Publishes `name` for `owner` in `state` (declared or ready; declared becomes ready at once if
  /// the owner already called tproc_ready(NULL)). 0, -EEXIST (the name is live), -ENOSPC (the table
  /// holds kMaxEndpoints) or -EINVAL (a control character in the name, or a bad state). Stores the
  /// new entry's generation in `generation` when not null. Waits at most `patience_ms` for the
  /// writer lock (negative: forever), else returns -EBUSY (a live tproc holds it: call again later).
  int publish(const EndpointName& name, uint64_t address, uint64_t kind, int32_t owner, EntryState state,
              uint64_t* generation = nullptr, int patience_ms = -1);

  /// Marks `owner`'s declared entry `name` ready, or with `name` null every declared entry of
  /// `owner` (and remembers `owner` so entries declared for it later are ready at once). Returns
  /// how many entries changed, or -ENOENT, -EPERM (another owner's entry) or -ENOSPC (the latch
  /// table is full and nothing was declared yet).
  int make_ready(const EndpointName* name, int32_t owner);

  /// Withdraws `owner`'s live entry `name`: 0, -ENOENT or -EPERM (another owner's entry).
  int withdraw(const EndpointName& name, int32_t owner);

  /// Withdraws every entry of the exited tproc `owner` and repairs what it left half-done; `self`
  /// is the caller's pid (the lock holder while it works). Waits at most `patience_ms` for the
  /// writer lock (negative: forever). Returns how many entries it withdrew, or -EBUSY if a live
  /// tproc held the lock all that time (e.g. one stopped by SIGSTOP): call again later.
  int withdraw_owner(int32_t owner, int32_t self, int patience_ms);

  /// The change counter; read it before checking a condition, then wait_for_change(seen, ...).
  uint32_t changes() const { return header_->changes.load(std::memory_order_seq_cst); }

  /// Sleeps until the registry changes after `seen` was read, or `deadline`: 0 (changed, or a
  /// spurious wake-up), -ETIMEDOUT or -EINTR.
  int wait_for_change(uint32_t seen, const Deadline& deadline) const;

 private:
  /// False only when the exited tproc `owner` surely holds no entry, lock or ready latch.
  bool may_hold_anything_of(int32_t owner) const;
  /// What lock_writer() found.
  enum class Locked { fresh, taken_from_dead, busy };

  Locked lock_writer(int32_t self, int32_t dead, int patience_ms);
  void unlock_writer();
  /// Bumps the change counter and wakes every waiter (after the writer lock is released).
  void announce();
  /// The slot of live `name` (writer side), or kNoSlot.
  uint32_t slot_of(const EndpointName& name) const;
  /// Sets a slot's state under its seqlock.
  void write_state(uint32_t slot, EntryState state);
  /// Finishes a slot a dead writer left odd.
  void repair();
  bool latched(int32_t owner) const;

  RegistryHeader* header_;
  Entry* entries_;
};

}  // namespace tproc::registry
