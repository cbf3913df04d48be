// Channels (libtproc/channel.cpp): a bounded queue of pointers in the space heap.

#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "libtproc/channel.hpp"
#include "test_space.hpp"
#include "tproc/tproc.h"
#include "tproc/tproc.hpp"

using tproc::registry::testing::TestSpace;

namespace {

void* message_of(uintptr_t value) { return reinterpret_cast<void*>(value); }

tproc_channel* make_channel(size_t capacity, unsigned flags = 0) {
  tproc_channel* channel = nullptr;
  REQUIRE(tproc_channel_create(capacity, flags, &channel) == 0);
  REQUIRE(channel != nullptr);
  return channel;
}

/// Waits until a thread sleeps on the channel's `waiting` counter.
void await_sleeper(const std::atomic<uint32_t>& waiting) {
  while (waiting.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

}  // namespace

TEST_CASE("a channel's capacity is rounded up to a power of two, bad arguments are refused") {
  TestSpace space;
  tproc_channel* channel = make_channel(5);
  CHECK(tproc_channel_capacity(channel) == 8);
  CHECK(reinterpret_cast<uintptr_t>(channel) % 64 == 0);  // its cache-line-aligned members need it
  CHECK(tproc_channel_capacity(make_channel(1)) == 2);
  tproc_channel* other = nullptr;
  CHECK(tproc_channel_create(0, 0, &other) == -EINVAL);
  CHECK(tproc_channel_create(TPROC_CHANNEL_MAX_CAPACITY + 1ul, 0, &other) == -EINVAL);
  CHECK(tproc_channel_create(4, 0x80, &other) == -EINVAL);
  CHECK(tproc_channel_create(4, 0, nullptr) == -EINVAL);
  alignas(64) unsigned char not_a_channel[512] = {};
  CHECK(tproc_channel_try_send(reinterpret_cast<tproc_channel*>(not_a_channel), nullptr) == -EINVAL);
  REQUIRE(tproc_channel_destroy(channel) == 0);
}

TEST_CASE("messages come out in the order they went in, empty and full are EAGAIN") {
  TestSpace space;
  tproc_channel* channel = make_channel(4);
  void* message = nullptr;
  CHECK(tproc_channel_try_recv(channel, &message) == -EAGAIN);
  for (uintptr_t i = 1; i <= 4; ++i) REQUIRE(tproc_channel_try_send(channel, message_of(i)) == 0);
  CHECK(tproc_channel_try_send(channel, message_of(5)) == -EAGAIN);
  for (uintptr_t i = 1; i <= 4; ++i) {
    REQUIRE(tproc_channel_try_recv(channel, &message) == 0);
    CHECK(message == message_of(i));
  }
  CHECK(tproc_channel_try_recv(channel, &message) == -EAGAIN);
  REQUIRE(tproc_channel_destroy(channel) == 0);
}

TEST_CASE("blocking calls time out with ETIMEDOUT") {
  TestSpace space;
  tproc_channel* channel = make_channel(2);
  void* message = nullptr;
  CHECK(tproc_channel_recv(channel, &message, 0) == -ETIMEDOUT);
  CHECK(tproc_channel_recv(channel, &message, 20) == -ETIMEDOUT);
  REQUIRE(tproc_channel_send(channel, message_of(1), 0) == 0);
  REQUIRE(tproc_channel_send(channel, message_of(2), 0) == 0);
  CHECK(tproc_channel_send(channel, message_of(3), 20) == -ETIMEDOUT);
  REQUIRE(tproc_channel_destroy(channel) == 0);
}

TEST_CASE("a sleeping receiver wakes when a message is sent, a sleeping sender when room is made") {
  TestSpace space;
  tproc_channel* channel = make_channel(2);
  std::atomic<int> result{1};
  void* received = nullptr;
  std::thread receiver([&] { result = tproc_channel_recv(channel, &received, 10'000); });
  await_sleeper(channel->receivers_waiting);
  REQUIRE(tproc_channel_send(channel, message_of(42), 0) == 0);
  receiver.join();
  CHECK(result == 0);
  CHECK(received == message_of(42));

  REQUIRE(tproc_channel_try_send(channel, message_of(1)) == 0);
  REQUIRE(tproc_channel_try_send(channel, message_of(2)) == 0);
  std::thread sender([&] { result = tproc_channel_send(channel, message_of(3), 10'000); });
  await_sleeper(channel->senders_waiting);
  void* message = nullptr;
  REQUIRE(tproc_channel_recv(channel, &message, 0) == 0);
  sender.join();
  CHECK(result == 0);
  REQUIRE(tproc_channel_destroy(channel) == 0);
}

TEST_CASE("close wakes every sleeper, receivers drain what is left, then get EPIPE") {
  TestSpace space;
  tproc_channel* channel = make_channel(4);
  std::atomic<int> results[2] = {1, 1};
  std::vector<std::thread> receivers;
  for (auto& result : results)
    receivers.emplace_back([&] {
      void* message = nullptr;
      result = tproc_channel_recv(channel, &message, 10'000);
    });
  while (channel->receivers_waiting.load() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  REQUIRE(tproc_channel_close(channel) == 0);
  for (auto& receiver : receivers) receiver.join();
  CHECK(results[0] == -EPIPE);
  CHECK(results[1] == -EPIPE);
  CHECK(tproc_channel_send(channel, message_of(1), 0) == -EPIPE);

  tproc_channel* draining = make_channel(4);
  REQUIRE(tproc_channel_try_send(draining, message_of(9)) == 0);
  REQUIRE(tproc_channel_close(draining) == 0);
  void* message = nullptr;
  CHECK(tproc_channel_try_recv(draining, &message) == 0);
  CHECK(message == message_of(9));
  CHECK(tproc_channel_recv(draining, &message, 1000) == -EPIPE);
  REQUIRE(tproc_channel_destroy(channel) == 0);
  REQUIRE(tproc_channel_destroy(draining) == 0);
}

namespace {

/// Sends `per_producer` distinct messages from each producer, receives them on `consumers` threads
/// with blocking calls, and checks that every message arrived exactly once.
void exchange(tproc_channel* channel, int producers, int consumers, int per_producer) {
  const int total = producers * per_producer;
  std::unique_ptr<std::atomic<int>[]> seen(new std::atomic<int>[total]());
  std::atomic<int> received{0}, failures{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p)
    threads.emplace_back([&, p] {
      for (int i = 0; i < per_producer; ++i)
        if (tproc_channel_send(channel, message_of(uintptr_t(p) * per_producer + i + 1), 10'000) != 0) failures++;
    });
  for (int c = 0; c < consumers; ++c)
    threads.emplace_back([&] {
      for (;;) {
        void* message = nullptr;
        const int result = tproc_channel_recv(channel, &message, 10'000);
        if (result == -EPIPE) return;
        if (result != 0) {
          failures++;
          return;
        }
        seen[reinterpret_cast<uintptr_t>(message) - 1]++;
        if (received.fetch_add(1) + 1 == total) tproc_channel_close(channel);  // tells the others
      }
    });
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  CHECK(received == total);
  int wrong = 0;
  for (int i = 0; i < total; ++i) wrong += seen[i].load() != 1;
  CHECK(wrong == 0);
}

}  // namespace

TEST_CASE("many producers and consumers exchange every message exactly once") {
  TestSpace space;
  tproc_channel* channel = make_channel(64);
  exchange(channel, 4, 4, 50'000);
  REQUIRE(tproc_channel_destroy(channel) == 0);
}

TEST_CASE("a tiny channel under contention still loses and duplicates nothing") {
  TestSpace space;
  tproc_channel* channel = make_channel(2);
  exchange(channel, 3, 3, 20'000);
  REQUIRE(tproc_channel_destroy(channel) == 0);
}

TEST_CASE("a single-producer single-consumer channel delivers a million messages in order") {
  TestSpace space;
  tproc_channel* channel = make_channel(256, TPROC_CHANNEL_SINGLE_PRODUCER | TPROC_CHANNEL_SINGLE_CONSUMER);
  constexpr uintptr_t kMessages = 1'000'000;
  std::atomic<long> out_of_order{0};
  std::thread consumer([&] {
    for (uintptr_t expected = 1; expected <= kMessages; ++expected) {
      void* message = nullptr;
      if (tproc_channel_recv(channel, &message, 10'000) != 0 || message != message_of(expected)) out_of_order++;
    }
  });
  for (uintptr_t i = 1; i <= kMessages; ++i) REQUIRE(tproc_channel_send(channel, message_of(i), 10'000) == 0);
  consumer.join();
  CHECK(out_of_order == 0);
  REQUIRE(tproc_channel_destroy(channel) == 0);
}

TEST_CASE("heap blocks sent over a channel are freed by the receiver: nothing leaks") {
  TestSpace space;
  tproc_heap_stats before{};
  REQUIRE(tproc_heap_usage(&before) == 0);
  tproc::Channel<std::vector<int, tproc::SpaceAllocator<int>>> channel;
  REQUIRE(decltype(channel)::create(16, 0, &channel) == 0);
  std::thread receiver([&] {
    for (int i = 0; i < 1000; ++i) {
      tproc::space_vector<int>* vector = nullptr;
      if (channel.recv(&vector, 10'000) != 0) return;
      tproc::space_delete(vector);  // built by the sender, destroyed here
    }
  });
  for (int i = 0; i < 1000; ++i) {
    auto* vector = tproc::space_new<tproc::space_vector<int>>(static_cast<size_t>(i % 50), i);
    REQUIRE(channel.send(vector) == 0);
  }
  receiver.join();
  REQUIRE(channel.destroy() == 0);
  tproc_heap_stats after{};
  REQUIRE(tproc_heap_usage(&after) == 0);
  CHECK(after.blocks_in_use == before.blocks_in_use);
  CHECK(after.bytes_in_use == before.bytes_in_use);
}
