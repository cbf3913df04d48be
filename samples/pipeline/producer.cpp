// producer: the first stage. Allocates each buffer in the space heap, fills it, and sends its
// address to the transformer's inbox (found in the registry). It never frees a buffer: ownership
// travels with the pointer, and the consumer frees it.
//
//   producer [--count N] [--mib MIB] [--wait-ms MS]
//
// Prints one line per buffer: "producer: #SEQ ADDRESS sent".

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "pipeline.hpp"

int main(int argc, char** argv) {
  int count = 16;
  size_t mib = 8;
  int wait_ms = 30000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--count" && i + 1 < argc) count = std::atoi(argv[++i]);
    else if (arg == "--mib" && i + 1 < argc) mib = std::strtoul(argv[++i], nullptr, 10);
    else if (arg == "--wait-ms" && i + 1 < argc) wait_ms = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--count N] [--mib MIB] [--wait-ms MS]\n", argv[0]);
      return 2;
    }
  }
  if (count < 1 || mib < 1) {
    std::fprintf(stderr, "producer: --count and --mib must be at least 1\n");
    return 2;
  }
  if (tproc_in_space() != 1) {
    std::fprintf(stderr, "producer: not in a tproc space (run it with `tproc run SPACE %s`)\n", argv[0]);
    return 2;
  }

  tproc_channel* out = nullptr;
  if (int error = tproc::wait(pipeline::kTransformerInbox, pipeline::kInboxKind, wait_ms, &out); error < 0) {
    std::fprintf(stderr, "producer: no %s inbox: %s\n", pipeline::kTransformerInbox, std::strerror(-error));
    return 3;
  }

  const size_t bytes = mib << 20;
  const uint64_t words = (bytes - pipeline::Buffer::kHeaderBytes) / sizeof(uint64_t);
  for (int sequence = 0; sequence < count; ++sequence) {
    auto* buffer = static_cast<pipeline::Buffer*>(tproc_heap_alloc(bytes));
    if (buffer == nullptr) {
      std::fprintf(stderr, "producer: tproc_heap_alloc(%zu): %s\n", bytes, std::strerror(errno));
      return 1;
    }
    buffer->sequence = static_cast<uint64_t>(sequence);
    buffer->payload_words = words;
    uint64_t* payload = buffer->payload();
    for (uint64_t i = 0; i < words; ++i) payload[i] = pipeline::produced_word(buffer->sequence, i);
    buffer->produced_checksum = pipeline::checksum(payload, words);
    buffer->transformed_checksum = 0;
    // The handover: 8 bytes through the channel, whatever the buffer's size.
    if (int error = tproc_channel_send(out, buffer, -1); error < 0) {
      std::fprintf(stderr, "producer: send #%d: %s\n", sequence, std::strerror(-error));
      tproc_heap_free(buffer);
      return 1;
    }
    std::printf("producer: #%d %p sent\n", sequence, static_cast<void*>(buffer));
    std::fflush(stdout);
  }
  tproc_channel_close(out);  // end of stream: the transformer drains, then sees -EPIPE
  std::printf("producer: %d buffers of %zu MiB handed over by pointer, 0 bytes copied\n", count, mib);
  return 0;
}
