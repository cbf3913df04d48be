// consumer: the last stage. Publishes its inbox, checks every buffer it receives word by word
// against what the producer and the transformer must have written, and frees it: a block the
// producer allocated, freed by another program (the space heap allows it). At the end of the
// stream it frees its inbox and reports what the space heap still holds.
//
//   consumer
//
// Prints one line per buffer: "consumer: #SEQ ADDRESS ok" (or "CORRUPT"), then a summary.
// Exits 0 when every buffer arrived in order, intact, and was freed.

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "pipeline.hpp"

int main(int argc, char** argv) {
  if (argc != 1) {
    std::fprintf(stderr, "usage: %s\n", argv[0]);
    return 2;
  }
  if (tproc_in_space() != 1) {
    std::fprintf(stderr, "consumer: not in a tproc space (run it with `tproc run SPACE %s`)\n", argv[0]);
    return 2;
  }
  tproc_channel* in = nullptr;
  if (int error = tproc_channel_create(pipeline::kInboxCapacity,
                                       TPROC_CHANNEL_SINGLE_PRODUCER | TPROC_CHANNEL_SINGLE_CONSUMER, &in);
      error < 0) {
    std::fprintf(stderr, "consumer: create the inbox: %s\n", std::strerror(-error));
    return 1;
  }
  if (int error = tproc_publish(pipeline::kConsumerInbox, in, pipeline::kInboxKind); error < 0) {
    std::fprintf(stderr, "consumer: publish %s: %s\n", pipeline::kConsumerInbox, std::strerror(-error));
    tproc_channel_destroy(in);
    return 1;
  }

  unsigned long received_count = 0, bad = 0, bytes = 0;
  for (;;) {
    void* message = nullptr;
    const int received = tproc_channel_recv(in, &message, -1);
    if (received == -EPIPE) break;  // the transformer closed the stream and we drained it
    if (received < 0) {
      std::fprintf(stderr, "consumer: receive: %s\n", std::strerror(-received));
      return 1;
    }
    auto* buffer = static_cast<pipeline::Buffer*>(message);
    const uint64_t sequence = buffer->sequence;
    const uint64_t* payload = buffer->payload();
    bool intact = sequence == received_count;
    if (!intact) std::fprintf(stderr, "consumer: expected #%lu, got #%llu\n", received_count, (unsigned long long)sequence);
    // Regenerate what the producer wrote and the transformer made of it; compare every word.
    uint64_t produced = 0xcbf29ce484222325ULL;
    for (uint64_t i = 0; i < buffer->payload_words; ++i) {
      const uint64_t original = pipeline::produced_word(sequence, i);
      produced = (produced ^ original) * 0x100000001b3ULL;
      if (payload[i] != pipeline::transformed_word(original, sequence)) {
        if (intact) std::fprintf(stderr, "consumer: #%llu: word %llu differs\n", (unsigned long long)sequence, (unsigned long long)i);
        intact = false;
      }
    }
    intact = intact && produced == buffer->produced_checksum &&
             pipeline::checksum(payload, buffer->payload_words) == buffer->transformed_checksum;
    const size_t size = tproc_heap_block_size(buffer);
    std::printf("consumer: #%llu %p %s\n", (unsigned long long)sequence, message, intact ? "ok" : "CORRUPT");
    std::fflush(stdout);
    bytes += size;
    if (int error = tproc_heap_free(buffer); error < 0) {  // allocated by the producer
      std::fprintf(stderr, "consumer: free #%llu: %s\n", (unsigned long long)sequence, std::strerror(-error));
      intact = false;
    }
    bad += !intact;
    ++received_count;
  }
  tproc_withdraw(pipeline::kConsumerInbox);
  tproc_channel_destroy(in);

  tproc_heap_stats heap{};
  tproc_heap_usage(&heap);
  std::printf("consumer: %lu buffers (%lu MiB) received by pointer, %s, all freed; heap in use now: %llu bytes in %llu blocks\n",
              received_count, bytes >> 20, bad ? "SOME CORRUPT" : "checksums ok",
              (unsigned long long)heap.bytes_in_use, (unsigned long long)heap.blocks_in_use);
  return bad || received_count == 0 ? 1 : 0;
}
