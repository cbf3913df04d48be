#pragma once
// tproc_channel: a bounded queue of pointers in the space heap, the layout every tproc shares.
//
// The algorithm is Dmitry Vyukov's bounded MPMC queue: each cell carries a sequence number that
// says whose turn it is (a sender's at position p when seq == p, a receiver's when seq == p + 1), so
// a sender or receiver claims a position with one CAS (a plain store when the channel has a single
// producer or consumer) and never takes a lock. The one window a kill -9 can hurt is the few
// instructions between a sender claiming a cell and publishing it: the channel then stops at that
// cell (messages are FIFO). Channels are between cooperating tprocs; a consumer that outlives its
// producer should watch the producer's endpoint (tproc_wait_gone) and close the channel.
//
// Blocking: receivers sleep on `readable`, senders on `writable` (futex words, private: every tproc
// shares one mm — registry/futex.hpp). A sleeper registers in `*_waiting` and re-checks before it
// sleeps; the other side, after its operation, issues a seq_cst fence and wakes only when someone
// is registered, so an uncontended send or receive makes no system call.

#include <atomic>
#include <cstdint>

/// The shared state of one channel, followed by its cells. Fixed layout: change kChannelMagic
/// when it changes.
struct tproc_channel {
  uint64_t magic;      ///< kChannelMagic while the channel exists
  uint32_t capacity;   ///< a power of two
  uint32_t flags;      ///< TPROC_CHANNEL_*
  uint64_t mask;       ///< capacity - 1

  alignas(64) std::atomic<uint64_t> tail;  ///< the next position to send into
  alignas(64) std::atomic<uint64_t> head;  ///< the next position to receive from

  alignas(64) std::atomic<uint32_t> readable;           ///< futex: bumped when receivers may go on
  std::atomic<uint32_t> receivers_waiting;
  alignas(64) std::atomic<uint32_t> writable;           ///< futex: bumped when senders may go on
  std::atomic<uint32_t> senders_waiting;
  alignas(64) std::atomic<uint32_t> closed;
};

namespace tproc::lib {

inline constexpr uint64_t kChannelMagic = 0x7470726f63636831ULL;  // "tprocch1"

/// One message slot.
struct ChannelCell {
  std::atomic<uint64_t> seq;
  std::atomic<uint64_t> message;
};

/// The cells that follow `channel`.
inline ChannelCell* cells_of(tproc_channel* channel) {
  return reinterpret_cast<ChannelCell*>(reinterpret_cast<char*>(channel) + ((sizeof(tproc_channel) + 63) / 64 * 64));
}

/// Bytes of a channel of `capacity` cells.
inline uint64_t channel_bytes(uint64_t capacity) {
  return (sizeof(tproc_channel) + 63) / 64 * 64 + capacity * sizeof(ChannelCell);
}

}  // namespace tproc::lib
