// The endpoint half of libtproc's C API (libtproc/endpoints.cpp), in a TestSpace.

#include <catch2/catch.hpp>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "test_space.hpp"
#include "tproc/tproc.h"
#include "tproc/tproc.hpp"

using tproc::registry::testing::kOtherPid;
using tproc::registry::testing::TestSpace;

namespace {

void* address_of(uintptr_t value) { return reinterpret_cast<void*>(value); }

/// Waits until `count` threads sleep in the registry (so a test wakes a real sleeper).
void await_sleepers(TestSpace& space, uint32_t count) {
  while (space.header()->waiters.load() < count) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

}  // namespace

TEST_CASE("outside a space, tproc_in_space is 0 and every call fails with ENOTCONN") {
  // The test process has no TPROC_AT_REGISTRY in its auxiliary vector: exactly a non-space program.
  REQUIRE(tproc_attach_region(nullptr) == 0);
  CHECK(tproc_in_space() == 0);
  CHECK(tproc_space_name() == nullptr);
  void* address = nullptr;
  tproc_endpoint endpoint{};
  CHECK(tproc_publish("x", nullptr, 0) == -ENOTCONN);
  CHECK(tproc_lookup("x", &address, nullptr) == -ENOTCONN);
  CHECK(tproc_query("x", &endpoint) == -ENOTCONN);
  CHECK(tproc_wait("x", 0, &address) == -ENOTCONN);
  CHECK(tproc_ready(nullptr) == -ENOTCONN);
  CHECK(tproc_withdraw("x") == -ENOTCONN);
  CHECK(tproc_list(nullptr, 0) == -ENOTCONN);
  errno = 0;
  CHECK(tproc_heap_alloc(16) == nullptr);
  CHECK(errno == ENOTCONN);
  tproc_channel* channel = nullptr;
  CHECK(tproc_channel_create(4, 0, &channel) == -ENOTCONN);
}

TEST_CASE("a published endpoint is found by name with its address and kind") {
  TestSpace space;
  int object = 0;
  REQUIRE(tproc_publish("kv/requests", &object, tproc_kind("kv.channel")) == 0);
  void* address = nullptr;
  uint64_t kind = 0;
  REQUIRE(tproc_lookup("kv/requests", &address, &kind) == 0);
  CHECK(address == &object);
  CHECK(kind == tproc_kind("kv.channel"));
  CHECK(tproc_lookup("kv/requests", nullptr, nullptr) == 0);  // outputs are optional
  tproc_endpoint endpoint{};
  REQUIRE(tproc_query("kv/requests", &endpoint) == 0);
  CHECK(std::string(endpoint.name) == "kv/requests");
  CHECK(endpoint.owner_pid == ::getpid());
  CHECK(endpoint.state == TPROC_ENDPOINT_READY);
}

TEST_CASE("looking up an unknown name fails with ENOENT") {
  TestSpace space;
  void* address = address_of(1);
  CHECK(tproc_lookup("nobody", &address, nullptr) == -ENOENT);
  CHECK(address == address_of(1));  // untouched on failure
}

TEST_CASE("a live name cannot be published twice, once withdrawn it can, with a new generation") {
  TestSpace space;
  REQUIRE(tproc_publish("service", address_of(1), 0) == 0);
  tproc_endpoint first{}, second{};
  REQUIRE(tproc_query("service", &first) == 0);
  CHECK(tproc_publish("service", address_of(2), 0) == -EEXIST);
  REQUIRE(tproc_withdraw("service") == 0);
  CHECK(tproc_withdraw("service") == -ENOENT);
  CHECK(tproc_lookup("service", nullptr, nullptr) == -ENOENT);
  REQUIRE(tproc_publish("service", address_of(2), 0) == 0);
  REQUIRE(tproc_query("service", &second) == 0);
  CHECK(second.address == address_of(2));
  CHECK(second.generation != first.generation);
}

TEST_CASE("names must be 1 to 63 printable bytes") {
  TestSpace space;
  CHECK(tproc_publish(std::string(63, 'n').c_str(), nullptr, 0) == 0);
  CHECK(tproc_publish(std::string(64, 'n').c_str(), nullptr, 0) == -ENAMETOOLONG);
  CHECK(tproc_lookup(std::string(64, 'n').c_str(), nullptr, nullptr) == -ENAMETOOLONG);
  CHECK(tproc_publish("", nullptr, 0) == -EINVAL);
  CHECK(tproc_publish(nullptr, nullptr, 0) == -EINVAL);
  CHECK(tproc_publish("tab\there", nullptr, 0) == -EINVAL);
}

TEST_CASE("the registry holds 3072 endpoints, one more fails with ENOSPC until one is withdrawn") {
  TestSpace space;
  for (int i = 0; i < TPROC_MAX_ENDPOINTS; ++i)
    REQUIRE(tproc_publish(("endpoint-" + std::to_string(i)).c_str(), address_of(i + 1), 0) == 0);
  CHECK(tproc_publish("one-too-many", nullptr, 0) == -ENOSPC);
  CHECK(tproc_list(nullptr, 0) == TPROC_MAX_ENDPOINTS);
  REQUIRE(tproc_withdraw("endpoint-7") == 0);
  CHECK(tproc_publish("one-too-many", nullptr, 0) == 0);
  void* address = nullptr;
  REQUIRE(tproc_lookup("endpoint-3071", &address, nullptr) == 0);
  CHECK(address == address_of(3072));
}

TEST_CASE("only the owner may withdraw an endpoint or make it ready") {
  TestSpace space;
  REQUIRE(space.registry().publish_declared("theirs", 1, 0, kOtherPid));
  CHECK(tproc_withdraw("theirs") == -EPERM);
  CHECK(tproc_ready("theirs") == -EPERM);
  CHECK(tproc_ready("nobody") == -ENOENT);
  CHECK(tproc_lookup("theirs", nullptr, nullptr) == -EAGAIN);
}

TEST_CASE("a declared endpoint is visible to tproc_query and becomes usable when made ready") {
  TestSpace space;
  REQUIRE(space.registry().publish_declared("mine/a", 0xa, 0, ::getpid()));
  REQUIRE(space.registry().publish_declared("mine/b", 0xb, 0, ::getpid()));
  REQUIRE(space.registry().publish_declared("theirs", 0xc, 0, kOtherPid));
  tproc_endpoint endpoint{};
  REQUIRE(tproc_query("mine/a", &endpoint) == 0);
  CHECK(endpoint.state == TPROC_ENDPOINT_DECLARED);
  CHECK(tproc_lookup("mine/a", nullptr, nullptr) == -EAGAIN);
  CHECK(tproc_ready("mine/a") == 1);
  CHECK(tproc_ready("mine/a") == 0);  // already ready
  CHECK(tproc_lookup("mine/a", nullptr, nullptr) == 0);
  CHECK(tproc_ready(nullptr) == 1);   // mine/b; not "theirs"
  CHECK(tproc_lookup("mine/b", nullptr, nullptr) == 0);
  CHECK(tproc_lookup("theirs", nullptr, nullptr) == -EAGAIN);
}

TEST_CASE("tproc_wait returns at once for a ready endpoint and times out for a missing one") {
  TestSpace space;
  REQUIRE(tproc_publish("here", address_of(5), 0) == 0);
  void* address = nullptr;
  CHECK(tproc_wait("here", 0, &address) == 0);
  CHECK(address == address_of(5));
  CHECK(tproc_wait("absent", 0, &address) == -ETIMEDOUT);
  const auto start = std::chrono::steady_clock::now();
  CHECK(tproc_wait("absent", 50, &address) == -ETIMEDOUT);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(50));
}

TEST_CASE("tproc_wait wakes when another thread publishes the name") {
  TestSpace space;
  std::atomic<int> result{1};
  void* address = nullptr;
  std::thread waiter([&] { result = tproc_wait("late", 10'000, &address); });
  await_sleepers(space, 1);
  REQUIRE(tproc_publish("unrelated", nullptr, 0) == 0);  // wakes, re-checks, sleeps again
  REQUIRE(tproc_publish("late", address_of(7), 0) == 0);
  waiter.join();
  CHECK(result == 0);
  CHECK(address == address_of(7));
}

TEST_CASE("tproc_wait wakes when a declared endpoint becomes ready, not before") {
  TestSpace space;
  REQUIRE(space.registry().publish_declared("warming-up", 0x77, 0, ::getpid()));
  std::atomic<int> result{1};
  std::thread waiter([&] { result = tproc_wait("warming-up", 10'000, nullptr); });
  await_sleepers(space, 1);
  CHECK(result == 1);
  REQUIRE(tproc_ready(nullptr) == 1);
  waiter.join();
  CHECK(result == 0);
}

TEST_CASE("tproc_wait_gone returns when the endpoint is withdrawn or replaced") {
  TestSpace space;
  REQUIRE(tproc_publish("service", address_of(1), 0) == 0);
  tproc_endpoint endpoint{};
  REQUIRE(tproc_query("service", &endpoint) == 0);
  CHECK(tproc_wait_gone("service", endpoint.generation, 0) == -ETIMEDOUT);
  CHECK(tproc_wait_gone("service", endpoint.generation + 1000, 0) == 0);  // not that publication
  std::atomic<int> result{1};
  std::thread watcher([&] { result = tproc_wait_gone("service", endpoint.generation, 10'000); });
  await_sleepers(space, 1);
  REQUIRE(tproc_withdraw("service") == 0);
  watcher.join();
  CHECK(result == 0);
}

namespace {
void ignore_signal(int) {}
}  // namespace

TEST_CASE("a signal handler interrupts tproc_wait with EINTR") {
  TestSpace space;
  struct sigaction action {};
  action.sa_handler = ignore_signal;  // no SA_RESTART
  sigemptyset(&action.sa_mask);
  struct sigaction previous {};
  REQUIRE(sigaction(SIGUSR1, &action, &previous) == 0);
  std::atomic<int> result{1};
  std::thread waiter([&] { result = tproc_wait("never", 10'000, nullptr); });
  await_sleepers(space, 1);
  pthread_kill(waiter.native_handle(), SIGUSR1);
  waiter.join();
  sigaction(SIGUSR1, &previous, nullptr);
  CHECK(result == -EINTR);
}

TEST_CASE("tproc_list copies the live endpoints and reports the total when the buffer is short") {
  TestSpace space;
  for (const char* name : {"one", "two", "three"}) REQUIRE(tproc_publish(name, nullptr, 0) == 0);
  REQUIRE(tproc_withdraw("two") == 0);
  tproc_endpoint endpoints[4]{};
  REQUIRE(tproc_list(endpoints, 4) == 2);
  std::set<std::string> names{endpoints[0].name, endpoints[1].name};
  CHECK(names == std::set<std::string>{"one", "three"});
  CHECK(tproc_list(endpoints, 1) == 2);
  CHECK(tproc_list(nullptr, 1) == -EINVAL);
}

TEST_CASE("tproc::lookup checks the kind of what it finds") {
  TestSpace space;
  double value = 2.5;
  REQUIRE(tproc::publish("value", &value, tproc::kind("double")) == 0);
  double* found = nullptr;
  REQUIRE(tproc::lookup("value", tproc::kind("double"), &found) == 0);
  CHECK(found == &value);
  int* wrong = nullptr;
  CHECK(tproc::lookup("value", tproc::kind("int"), &wrong) == -EPROTOTYPE);
  CHECK(wrong == nullptr);
  CHECK(tproc::wait("value", tproc::kind("double"), 0, &found) == 0);
}

TEST_CASE("threads publishing, looking up, waiting and withdrawing at once keep the registry consistent") {
  TestSpace space;
  // Each name's address encodes the name's number, so a lookup can check what it found.
  constexpr int kThreads = 4, kNames = 200, kRounds = 30;
  std::atomic<long> wrong{0}, found{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        for (int i = 0; i < kNames; ++i) {
          const std::string name = "t" + std::to_string(t) + "/" + std::to_string(i);
          if (tproc_publish(name.c_str(), address_of(t * 100000 + i + 1), i) != 0) errors++;
        }
        // Look up the neighbours' names: absent or exactly right, never anything else.
        for (int i = 0; i < kNames; ++i) {
          const int other = (t + 1) % kThreads;
          const std::string name = "t" + std::to_string(other) + "/" + std::to_string(i);
          void* address = nullptr;
          uint64_t kind = 0;
          const int result = tproc_lookup(name.c_str(), &address, &kind);
          if (result == 0) {
            found++;
            if (address != address_of(other * 100000 + i + 1) || kind != static_cast<uint64_t>(i)) wrong++;
          } else if (result != -ENOENT) {
            wrong++;
          }
        }
        // Wait for one of our own names (present: returns at once) and one of the neighbour's.
        if (tproc_wait(("t" + std::to_string(t) + "/0").c_str(), 1000, nullptr) != 0) errors++;
        (void)tproc_wait(("t" + std::to_string((t + 1) % kThreads) + "/1").c_str(), 1, nullptr);
        for (int i = 0; i < kNames; ++i)
          if (tproc_withdraw(("t" + std::to_string(t) + "/" + std::to_string(i)).c_str()) != 0) errors++;
      }
    });
  for (auto& thread : threads) thread.join();
  CHECK(errors == 0);
  CHECK(wrong == 0);
  CHECK(tproc_list(nullptr, 0) == 0);
  CHECK(space.header()->live.load() == 0);
  SUCCEED("lookups that found a neighbour's endpoint: " << found.load());
}
