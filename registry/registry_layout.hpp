#pragma once
// The registry region's bytes: the fixed layout that the daemon formats and every tproc reads and
// writes in place.
//
// Invariants:
// - The layout is shared by programs built at different times (libtproc is linked into apps, the
//   daemon formats the region), so any change to a struct here bumps kRegionVersion; a libtproc that
//   finds another version treats the region as foreign (tproc_in_space() returns -EPROTO).
// - Every word that another tproc may change concurrently is a lock-free std::atomic: the region is
//   ordinary memory to the compiler, and the code is well-defined under the C++ memory model (and
//   checkable by ThreadSanitizer). Words that never change after format() are plain.
// - One writer at a time (RegistryHeader::writer, a lock word holding the writer's pid); readers
//   never lock: each Entry is a seqlock (odd `seq` while its writer changes it).
// - A pid in `writer` or in an Entry's `owner` is a tgid, because that is what the daemon learns
//   when a tproc exits; the daemon then repairs whatever that tproc left half-written.

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace tproc::registry {

/// The first bytes of the region: written last by Registry::format(), so a region that carries the
/// magic is fully formatted.
struct RegionHeader {
  uint64_t magic;    ///< kRegionMagic
  uint32_t version;  ///< kRegionVersion
  uint32_t size;     ///< bytes in the region
};

inline constexpr uint64_t kRegionMagic = 0x7470726f63726567ULL;  // "tprocreg"
inline constexpr uint32_t kRegionVersion = 2;

/// Bytes of an endpoint name including its NUL: names are 1 to 63 bytes.
inline constexpr uint32_t kNameBytes = 64;
inline constexpr uint32_t kMaxNameLength = kNameBytes - 1;
/// Slots of the open-addressed table (a power of two).
inline constexpr uint32_t kSlotCount = 4096;
/// Live endpoints at most: 75% of the slots, so probe chains stay short.
inline constexpr uint32_t kMaxEndpoints = kSlotCount / 4 * 3;
/// Tprocs that may call tproc_ready(NULL) before the daemon has declared their endpoints.
inline constexpr uint32_t kReadyLatchSlots = 1024;
/// RegistryHeader::writing_slot when no slot is being changed.
inline constexpr uint32_t kNoSlot = UINT32_MAX;

/// The life of a slot. `free` was never used and ends every probe chain; `withdrawn` is a tombstone
/// that a later publication may reuse.
enum class EntryState : uint32_t { free = 0, declared = 1, ready = 2, withdrawn = 3 };

/// Whether an entry in `state` names a live endpoint.
inline constexpr bool is_live(EntryState state) { return state == EntryState::declared || state == EntryState::ready; }

/// One endpoint slot: two cache lines, the fields a lookup needs first.
struct alignas(64) Entry {
  std::atomic<uint32_t> seq;         ///< seqlock: odd while the writer changes this entry
  std::atomic<uint32_t> state;       ///< EntryState
  std::atomic<int32_t> owner;        ///< pid of the tproc whose exit withdraws the entry
  uint32_t reserved0;
  std::atomic<uint64_t> hash;        ///< EndpointName::hash of the name
  std::atomic<uint64_t> kind;        ///< the publisher's type tag
  std::atomic<uint64_t> address;     ///< the published address
  std::atomic<uint64_t> generation;  ///< unique per publication (RegistryHeader::serial)
  std::atomic<uint64_t> name[kNameBytes / 8];  ///< the name, NUL-padded
  uint64_t reserved1[2];
};
static_assert(sizeof(Entry) == 128);

/// The start of the region, followed (at kEntriesOffset) by kSlotCount entries.
struct RegistryHeader {
  RegionHeader region;
  char space_name[kNameBytes];  ///< NUL-terminated
  uint32_t slot_count;          ///< kSlotCount
  uint32_t max_endpoints;       ///< kMaxEndpoints
  uint64_t heap_address;        ///< the space heap (SpaceHeap), 0 when the space has none
  uint64_t heap_size;

  // The writer's words, changed only under the writer lock (except the lock itself).
  alignas(64) std::atomic<int32_t> writer;  ///< pid holding the writer lock; 0: free
  std::atomic<uint32_t> writing_slot;       ///< the slot the writer is changing, or kNoSlot
  std::atomic<uint32_t> live;               ///< declared + ready entries
  std::atomic<uint32_t> max_probe;          ///< longest probe distance ever used: lookups stop there
  std::atomic<uint64_t> serial;             ///< publications so far

  // What waiters sleep on: bumped after every change (publish, ready, withdraw).
  alignas(64) std::atomic<uint32_t> changes;  ///< futex word
  std::atomic<uint32_t> waiters;              ///< threads inside a wait: wakes are skipped when 0

  /// Pids that called tproc_ready(NULL): endpoints the daemon declares for them later are ready
  /// at once (the daemon may declare after the program has started running).
  alignas(64) std::atomic<int32_t> ready_latch[kReadyLatchSlots];
};

/// Where the entries start: the header padded to a page.
inline constexpr size_t kEntriesOffset = (sizeof(RegistryHeader) + 4095) / 4096 * 4096;
/// Bytes a registry region needs.
inline constexpr size_t kRegionBytes = kEntriesOffset + size_t{kSlotCount} * sizeof(Entry);
static_assert(kRegionBytes <= (1u << 20), "the daemon maps 1 MiB");

static_assert(std::atomic<uint64_t>::is_always_lock_free && std::atomic<uint32_t>::is_always_lock_free &&
                  std::atomic<int32_t>::is_always_lock_free,
              "region words must be lock-free to be shared between processes");

/// The entries that follow `header`.
inline Entry* entries_of(RegistryHeader* header) {
  return reinterpret_cast<Entry*>(reinterpret_cast<std::byte*>(header) + kEntriesOffset);
}
inline const Entry* entries_of(const RegistryHeader* header) {
  return reinterpret_cast<const Entry*>(reinterpret_cast<const std::byte*>(header) + kEntriesOffset);
}

}  // namespace tproc::registry
