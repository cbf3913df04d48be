// Registry (registry/registry.cpp): what the daemon calls — format, publish_declared,
// withdraw_owner, list — and how it repairs after a tproc that died holding the writer lock.

#include "registry/registry.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>

#include "registry/space_heap.hpp"
#include "test_space.hpp"
#include "tproc/tproc.h"

using namespace tproc::registry;
using tproc::registry::testing::kOtherPid;
using tproc::registry::testing::TestSpace;

TEST_CASE("format records the space name and its heap, and libtproc sees both") {
  TestSpace space(uint64_t{1} << 30, "kv-space");
  CHECK(space.registry().space() == "kv-space");
  CHECK(tproc_in_space() == 1);
  CHECK(std::string(tproc_space_name()) == "kv-space");
  CHECK(space.header()->heap_address == reinterpret_cast<uint64_t>(space.heap_base()));
  CHECK(SpaceHeap::validate(space.heap_base()) == 0);
}

TEST_CASE("format refuses a space name longer than 63 bytes") {
  auto region = RegistryRegion::create();
  REQUIRE(region);
  auto formatted = Registry::format(*region, std::string(64, 's'), nullptr);
  REQUIRE_FALSE(formatted);
  CHECK(formatted.error().code() == ENAMETOOLONG);
}

TEST_CASE("open accepts a formatted region and refuses other memory or another layout version") {
  TestSpace space;
  CHECK(Registry::open(space.header()));
  auto region = RegistryRegion::create();
  REQUIRE(region);
  auto opened = Registry::open(region->get());
  REQUIRE_FALSE(opened);
  CHECK(opened.error().code() == ENXIO);
  space.header()->region.version = kRegionVersion + 1;
  auto foreign = Registry::open(space.header());
  REQUIRE_FALSE(foreign);
  CHECK(foreign.error().code() == EPROTO);
  // And libtproc reports the mismatch rather than pretending to be outside a space.
  tproc_attach_region(nullptr);
  CHECK(tproc_attach_region(space.header()) == -EPROTO);
  space.header()->region.version = kRegionVersion;
}

TEST_CASE("publish_declared publishes for the owner, errors name the endpoint") {
  TestSpace space;
  auto generation = space.registry().publish_declared("kv/requests", 0x1234, 9, kOtherPid);
  REQUIRE(generation);
  tproc_endpoint endpoint{};
  REQUIRE(tproc_query("kv/requests", &endpoint) == 0);
  CHECK(endpoint.owner_pid == kOtherPid);
  CHECK(endpoint.state == TPROC_ENDPOINT_DECLARED);
  CHECK(endpoint.generation == *generation);
  CHECK(tproc_lookup("kv/requests", nullptr, nullptr) == -EAGAIN);

  auto again = space.registry().publish_declared("kv/requests", 0x1234, 9, kOtherPid);
  REQUIRE_FALSE(again);
  CHECK(again.error().code() == EEXIST);
  CHECK(again.error().describe().find("kv/requests") != std::string::npos);

  auto too_long = space.registry().publish_declared(std::string(64, 'x'), 1, 1, kOtherPid);
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().code() == ENAMETOOLONG);
  auto embedded_nul = space.registry().publish_declared(std::string("a\0b", 3), 1, 1, kOtherPid);
  REQUIRE_FALSE(embedded_nul);
  CHECK(embedded_nul.error().code() == EINVAL);

  REQUIRE(space.registry().publish_declared("kv/stats", 0x99, 1, kOtherPid, EntryState::ready));
  CHECK(tproc_lookup("kv/stats", nullptr, nullptr) == 0);
}

TEST_CASE("list shows each live endpoint with its owner, address, kind and state") {
  TestSpace space;
  REQUIRE(space.registry().publish_declared("a", 0x10, 1, kOtherPid));
  REQUIRE(tproc_publish("b", reinterpret_cast<void*>(0x20), 2) == 0);
  REQUIRE(tproc_publish("gone", reinterpret_cast<void*>(0x30), 3) == 0);
  REQUIRE(tproc_withdraw("gone") == 0);
  auto endpoints = space.registry().list();
  REQUIRE(endpoints.size() == 2);
  std::sort(endpoints.begin(), endpoints.end(), [](auto& x, auto& y) { return x.name < y.name; });
  CHECK(endpoints[0].name == "a");
  CHECK(endpoints[0].owner == kOtherPid);
  CHECK(endpoints[0].address == 0x10);
  CHECK(endpoints[0].kind == 1);
  CHECK(std::string(state_name(endpoints[0].state)) == "declared");
  CHECK(endpoints[1].name == "b");
  CHECK(endpoints[1].owner == ::getpid());
  CHECK(std::string(state_name(endpoints[1].state)) == "ready");
}

TEST_CASE("withdraw_owner removes every endpoint of the exited tproc and only those") {
  TestSpace space;
  REQUIRE(space.registry().publish_declared("dead/1", 1, 0, kOtherPid));
  REQUIRE(space.registry().publish_declared("dead/2", 2, 0, kOtherPid, EntryState::ready));
  REQUIRE(tproc_publish("alive", reinterpret_cast<void*>(3), 0) == 0);
  auto withdrawn = space.registry().withdraw_owner(kOtherPid);
  REQUIRE(withdrawn);
  CHECK(*withdrawn == 2);
  CHECK(tproc_lookup("dead/1", nullptr, nullptr) == -ENOENT);
  CHECK(tproc_lookup("dead/2", nullptr, nullptr) == -ENOENT);
  CHECK(tproc_lookup("alive", nullptr, nullptr) == 0);
  // The names are free again.
  CHECK(space.registry().publish_declared("dead/1", 1, 0, kOtherPid + 1));
}

TEST_CASE("withdraw_owner wakes the threads that wait on the owner's endpoints") {
  TestSpace space;
  REQUIRE(space.registry().publish_declared("service", 1, 0, kOtherPid, EntryState::ready));
  tproc_endpoint endpoint{};
  REQUIRE(tproc_query("service", &endpoint) == 0);
  std::atomic<int> gone_result{1}, wait_result{1};
  std::thread watcher([&] { gone_result = tproc_wait_gone("service", endpoint.generation, 10'000); });
  std::thread waiter([&] { wait_result = tproc_wait("never-published", 10'000, nullptr); });
  while (space.header()->waiters.load() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  REQUIRE(space.registry().withdraw_owner(kOtherPid));
  watcher.join();
  CHECK(gone_result == 0);
  // The other waiter woke too, found nothing and went back to sleep until its name appears.
  REQUIRE(tproc_publish("never-published", nullptr, 0) == 0);
  waiter.join();
  CHECK(wait_result == 0);
}

TEST_CASE("declared endpoints of a tproc that already called tproc_ready(NULL) are ready at once") {
  TestSpace space;
  // The program may reach tproc_ready() before the daemon has declared its endpoints.
  CHECK(tproc_ready(nullptr) == 0);
  REQUIRE(space.registry().publish_declared("late", 0x42, 0, ::getpid()));
  void* address = nullptr;
  CHECK(tproc_lookup("late", &address, nullptr) == 0);
  CHECK(address == reinterpret_cast<void*>(0x42));
  // The latch goes with the tproc.
  REQUIRE(space.registry().withdraw_owner(::getpid()));
  REQUIRE(space.registry().publish_declared("late", 0x42, 0, ::getpid()));
  CHECK(tproc_lookup("late", nullptr, nullptr) == -EAGAIN);
}

TEST_CASE("withdraw_owner repairs the entry a tproc was writing when it was killed") {
  TestSpace space;
  REQUIRE(space.registry().publish_declared("half-written", 0x1, 0, kOtherPid, EntryState::ready));
  // Freeze the state a kill -9 leaves mid-publication: the lock held by the dead pid, the slot
  // being written, its seqlock odd.
  RegistryHeader* header = space.header();
  uint32_t slot = 0;
  while (entries_of(header)[slot].owner.load() != kOtherPid) ++slot;
  Entry& entry = entries_of(header)[slot];
  header->writer.store(kOtherPid);
  header->writing_slot.store(slot);
  entry.seq.fetch_add(1);

  std::atomic<int> lookup_result{1};
  std::thread reader([&] { lookup_result = tproc_lookup("half-written", nullptr, nullptr); });  // waits on the seqlock
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto withdrawn = space.registry().withdraw_owner(kOtherPid);
  REQUIRE(withdrawn);
  reader.join();
  CHECK(lookup_result == -ENOENT);
  CHECK(header->writer.load() == 0);
  CHECK(entry.seq.load() % 2 == 0);
  CHECK(tproc_publish("after-repair", nullptr, 0) == 0);
}

TEST_CASE("withdraw_owner gives up with EBUSY while a live tproc holds the writer lock") {
  TestSpace space;
  REQUIRE(space.registry().publish_declared("dead/1", 1, 0, kOtherPid));
  space.header()->writer.store(kOtherPid + 1);  // e.g. a tproc stopped by SIGSTOP mid-publish
  auto withdrawn = space.registry().withdraw_owner(kOtherPid);
  REQUIRE_FALSE(withdrawn);
  CHECK(withdrawn.error().code() == EBUSY);
  space.header()->writer.store(0);
  withdrawn = space.registry().withdraw_owner(kOtherPid);
  REQUIRE(withdrawn);
  CHECK(*withdrawn == 1);
}

TEST_CASE("withdraw_owner of a tproc that published nothing needs neither the lock nor a walk") {
  TestSpace space;
  const uint32_t changes = space.header()->changes.load();
  space.header()->writer.store(kOtherPid + 1);  // held by a live tproc: not needed here
  auto withdrawn = space.registry().withdraw_owner(kOtherPid);
  REQUIRE(withdrawn);
  CHECK(*withdrawn == 0);
  CHECK(space.header()->changes.load() == changes);  // nobody was woken
  space.header()->writer.store(0);
}
