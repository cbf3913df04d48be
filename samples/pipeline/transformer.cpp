// transformer: the middle stage. Publishes its inbox, waits for the consumer's, then changes each
// buffer in place and passes the same address on. At the end of the stream (the producer closed
// the inbox) it withdraws and frees its inbox and closes the consumer's.
//
//   transformer [--wait-ms MS]
//
// Prints one line per buffer: "transformer: #SEQ ADDRESS transformed in place".

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "pipeline.hpp"

int main(int argc, char** argv) {
  int wait_ms = 30000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--wait-ms" && i + 1 < argc) wait_ms = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--wait-ms MS]\n", argv[0]);
      return 2;
    }
  }
  if (tproc_in_space() != 1) {
    std::fprintf(stderr, "transformer: not in a tproc space (run it with `tproc run SPACE %s`)\n", argv[0]);
    return 2;
  }

  tproc_channel* in = nullptr;
  if (int error = tproc_channel_create(pipeline::kInboxCapacity,
                                       TPROC_CHANNEL_SINGLE_PRODUCER | TPROC_CHANNEL_SINGLE_CONSUMER, &in);
      error < 0) {
    std::fprintf(stderr, "transformer: create the inbox: %s\n", std::strerror(-error));
    return 1;
  }
  if (int error = tproc_publish(pipeline::kTransformerInbox, in, pipeline::kInboxKind); error < 0) {
    std::fprintf(stderr, "transformer: publish %s: %s\n", pipeline::kTransformerInbox, std::strerror(-error));
    tproc_channel_destroy(in);
    return 1;
  }
  tproc_channel* out = nullptr;
  if (int error = tproc::wait(pipeline::kConsumerInbox, pipeline::kInboxKind, wait_ms, &out); error < 0) {
    std::fprintf(stderr, "transformer: no %s inbox: %s\n", pipeline::kConsumerInbox, std::strerror(-error));
    return 3;
  }

  int handled = 0, failures = 0;
  for (;;) {
    void* message = nullptr;
    const int received = tproc_channel_recv(in, &message, -1);
    if (received == -EPIPE) break;  // the producer closed the stream and we drained it
    if (received < 0) {
      std::fprintf(stderr, "transformer: receive: %s\n", std::strerror(-received));
      return 1;
    }
    auto* buffer = static_cast<pipeline::Buffer*>(message);
    uint64_t* payload = buffer->payload();
    if (pipeline::checksum(payload, buffer->payload_words) != buffer->produced_checksum) {
      std::fprintf(stderr, "transformer: #%llu %p: checksum does not match the producer's\n",
                   static_cast<unsigned long long>(buffer->sequence), message);
      ++failures;
    }
    for (uint64_t i = 0; i < buffer->payload_words; ++i)
      payload[i] = pipeline::transformed_word(payload[i], buffer->sequence);
    buffer->transformed_checksum = pipeline::checksum(payload, buffer->payload_words);
    std::printf("transformer: #%llu %p transformed in place\n", static_cast<unsigned long long>(buffer->sequence),
                message);
    std::fflush(stdout);
    if (int error = tproc_channel_send(out, buffer, -1); error < 0) {
      std::fprintf(stderr, "transformer: send: %s\n", std::strerror(-error));
      return 1;
    }
    ++handled;
  }
  // Our inbox is ours to free: the producer closed it and touches it no more. Free it before the
  // consumer hears the end, so the heap is empty once the consumer has freed the last buffer.
  tproc_withdraw(pipeline::kTransformerInbox);
  tproc_channel_destroy(in);
  tproc_channel_close(out);
  std::printf("transformer: %d buffers transformed in place%s\n", handled,
              failures ? ", SOME CHECKSUMS WRONG" : "");
  return failures ? 1 : 0;
}
