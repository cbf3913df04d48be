#pragma once
// What the three stages of the pipeline sample share: the registry names of the stages' inboxes,
// the layout of a buffer, and the content rules that let the consumer check every byte.
//
// A buffer is one block of the space heap (8 MiB by default): a small header, then the payload.
// It is allocated by the producer, changed in place by the transformer and freed by the consumer;
// only its address travels, through channels each stage publishes for its upstream.

#include <cstddef>
#include <cstdint>

#include <tproc/tproc.hpp>

namespace pipeline {

/// Each downstream stage publishes its inbox (a tproc_channel carrying Buffer*) under these names.
inline constexpr const char* kTransformerInbox = "pipeline.transformer";
inline constexpr const char* kConsumerInbox = "pipeline.consumer";
inline constexpr uint64_t kInboxKind = tproc::kind("pipeline.BufferChannel/1");
/// Buffers in flight per channel: two stages of double buffering.
inline constexpr size_t kInboxCapacity = 2;

/// The header at the start of each buffer; the payload follows it.
struct Buffer {
  uint64_t sequence;              ///< 0, 1, 2... in the order the producer sent them
  uint64_t payload_words;         ///< 64-bit words of payload
  uint64_t produced_checksum;     ///< of the payload as the producer wrote it
  uint64_t transformed_checksum;  ///< of the payload after the transformer changed it

  uint64_t* payload() { return reinterpret_cast<uint64_t*>(reinterpret_cast<char*>(this) + kHeaderBytes); }
  static constexpr size_t kHeaderBytes = 64;
};

/// The producer's word `index` of buffer `sequence` (splitmix64 of both: every word differs).
inline uint64_t produced_word(uint64_t sequence, uint64_t index) {
  uint64_t z = (sequence << 40) + index + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// What the transformer makes of a word of buffer `sequence`.
inline uint64_t transformed_word(uint64_t word, uint64_t sequence) {
  return ((word << 13) | (word >> 51)) ^ (0xa5a5a5a5a5a5a5a5ULL + sequence);
}

/// A 64-bit checksum of `count` words (order-sensitive).
inline uint64_t checksum(const uint64_t* words, uint64_t count) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (uint64_t i = 0; i < count; ++i) hash = (hash ^ words[i]) * 0x100000001b3ULL;
  return hash;
}

}  // namespace pipeline
