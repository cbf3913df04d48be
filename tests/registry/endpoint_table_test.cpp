// EndpointTable (registry/endpoint_table.cpp): the table both libtproc and the daemon use.

#include "registry/endpoint_table.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "registry/registry_region.hpp"

using namespace tproc::registry;

namespace {

constexpr int32_t kOwner = 101;

/// A fresh formatted region and its table.
struct Fixture {
  Fixture() {
    auto created = RegistryRegion::create();
    REQUIRE(created);
    region.emplace(std::move(*created));
    REQUIRE(EndpointTable::format(region->get(), region->size(), "t", 0, 0) == 0);
    table.emplace(static_cast<RegistryHeader*>(region->get()));
  }
  std::optional<RegistryRegion> region;
  std::optional<EndpointTable> table;
};

EndpointName name_of(const std::string& text) {
  EndpointName name;
  REQUIRE(EndpointName::make(text.c_str(), &name) == 0);
  return name;
}

}  // namespace

TEST_CASE("a region is a registry only once formatted, and only of this layout version") {
  auto region = RegistryRegion::create();
  REQUIRE(region);
  CHECK(EndpointTable::validate(region->get()) == -ENXIO);
  CHECK(EndpointTable::validate(nullptr) == -ENXIO);
  REQUIRE(EndpointTable::format(region->get(), region->size(), "s", 0, 0) == 0);
  CHECK(EndpointTable::validate(region->get()) == 0);
  static_cast<RegistryHeader*>(region->get())->region.version = kRegionVersion + 1;
  CHECK(EndpointTable::validate(region->get()) == -EPROTO);
}

TEST_CASE("format refuses a region smaller than the layout and a space name over 63 bytes") {
  auto region = RegistryRegion::create();
  REQUIRE(region);
  CHECK(EndpointTable::format(region->get(), kRegionBytes - 1, "s", 0, 0) == -EINVAL);
  CHECK(EndpointTable::format(region->get(), region->size(), std::string(64, 's').c_str(), 0, 0) == -ENAMETOOLONG);
}

TEST_CASE("publish then find returns the address, kind, owner, state and a fresh generation") {
  Fixture f;
  uint64_t first = 0, second = 0;
  REQUIRE(f.table->publish(name_of("a"), 0x1000, 7, kOwner, EntryState::ready, &first) == 0);
  REQUIRE(f.table->publish(name_of("b"), 0x2000, 8, kOwner, EntryState::declared, &second) == 0);
  CHECK(second > first);
  EndpointSnapshot found;
  REQUIRE(f.table->find(name_of("a"), &found) == 0);
  CHECK(std::string(found.name) == "a");
  CHECK(found.address == 0x1000);
  CHECK(found.kind == 7);
  CHECK(found.owner == kOwner);
  CHECK(found.state == EntryState::ready);
  CHECK(found.generation == first);
  REQUIRE(f.table->find(name_of("b"), &found) == 0);
  CHECK(found.state == EntryState::declared);
  CHECK(f.table->find(name_of("c"), &found) == -ENOENT);
}

TEST_CASE("names that share a prefix or collide on a slot are told apart") {
  Fixture f;
  // Many names land on shared probe chains; every one must find its own entry.
  for (int i = 0; i < 2000; ++i)
    REQUIRE(f.table->publish(name_of("name" + std::to_string(i)), 0x10000 + i, i, kOwner, EntryState::ready) == 0);
  REQUIRE(f.table->publish(name_of("12345678"), 1, 1, kOwner, EntryState::ready) == 0);
  REQUIRE(f.table->publish(name_of("123456789"), 2, 2, kOwner, EntryState::ready) == 0);
  EndpointSnapshot found;
  for (int i = 0; i < 2000; ++i) {
    REQUIRE(f.table->find(name_of("name" + std::to_string(i)), &found) == 0);
    REQUIRE(found.address == 0x10000u + i);
  }
  REQUIRE(f.table->find(name_of("12345678"), &found) == 0);
  CHECK(found.address == 1);
  REQUIRE(f.table->find(name_of("123456789"), &found) == 0);
  CHECK(found.address == 2);
}

TEST_CASE("tombstones keep probe chains intact and are reused") {
  Fixture f;
  for (int i = 0; i < 3000; ++i)
    REQUIRE(f.table->publish(name_of("n" + std::to_string(i)), i + 1, 0, kOwner, EntryState::ready) == 0);
  for (int i = 0; i < 3000; i += 2) REQUIRE(f.table->withdraw(name_of("n" + std::to_string(i)), kOwner) == 0);
  EndpointSnapshot found;
  for (int i = 1; i < 3000; i += 2) REQUIRE(f.table->find(name_of("n" + std::to_string(i)), &found) == 0);
  // Churn far beyond the slot count: tombstones must be reused, or the table would fill up.
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 1000; ++i)
      REQUIRE(f.table->publish(name_of("churn" + std::to_string(i)), 1, 0, kOwner, EntryState::ready) == 0);
    for (int i = 0; i < 1000; ++i) REQUIRE(f.table->withdraw(name_of("churn" + std::to_string(i)), kOwner) == 0);
  }
  CHECK(f.table->list(nullptr, 0) == 1500);
  CHECK(f.table->header()->max_probe.load() < kSlotCount);
}

TEST_CASE("withdraw_owner withdraws only that owner's entries and counts them") {
  Fixture f;
  REQUIRE(f.table->publish(name_of("mine1"), 1, 0, kOwner, EntryState::ready) == 0);
  REQUIRE(f.table->publish(name_of("mine2"), 2, 0, kOwner, EntryState::declared) == 0);
  REQUIRE(f.table->publish(name_of("theirs"), 3, 0, kOwner + 1, EntryState::ready) == 0);
  CHECK(f.table->withdraw_owner(kOwner, 1, -1) == 2);
  EndpointSnapshot found;
  CHECK(f.table->find(name_of("mine1"), &found) == -ENOENT);
  CHECK(f.table->find(name_of("mine2"), &found) == -ENOENT);
  CHECK(f.table->find(name_of("theirs"), &found) == 0);
  CHECK(f.table->header()->live.load() == 1);
  CHECK(f.table->withdraw_owner(kOwner, 1, -1) == 0);
}

TEST_CASE("readers never see a half-written entry while a writer republishes it") {
  Fixture f;
  // Each publication pairs address and kind (kind == ~address); a torn read would break the pair.
  const EndpointName name = name_of("flapping");
  std::atomic<bool> stop{false};
  std::atomic<long> seen{0}, torn{0};
  std::vector<std::thread> readers;  // (Catch2 assertions are not thread-safe: count, check later)
  for (int r = 0; r < 2; ++r)
    readers.emplace_back([&] {
      EndpointSnapshot found;
      while (!stop.load()) {
        if (f.table->find(name, &found) == 0) {
          if (found.kind != ~found.address || std::string(found.name) != "flapping") torn.fetch_add(1);
          seen.fetch_add(1);
        }
      }
    });
  for (uint64_t i = 1; i <= 20000; ++i) {
    REQUIRE(f.table->publish(name, i, ~i, kOwner, EntryState::ready) == 0);
    REQUIRE(f.table->withdraw(name, kOwner) == 0);
  }
  stop = true;
  for (auto& reader : readers) reader.join();
  CHECK(torn.load() == 0);
  SUCCEED("readers saw " << seen.load() << " consistent entries");
}
