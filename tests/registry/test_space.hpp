#pragma once
// TestSpace: a registry region and a space heap, formatted as the daemon would and attached to
// libtproc (tproc_attach_region) for the test's lifetime, so the C API works in one process.

#include <catch2/catch.hpp>

#include <optional>

#include "libtproc/attachment.hpp"
#include "registry/heap_region.hpp"
#include "registry/registry.hpp"
#include "registry/registry_region.hpp"

namespace tproc::registry::testing {

/// A pid no tproc of the test has: owners that "are other programs".
inline constexpr pid_t kOtherPid = 0x3ffffff0;

/// A formatted space attached to libtproc; detaches when destroyed.
class TestSpace {
 public:
  explicit TestSpace(uint64_t heap_bytes = uint64_t{1} << 30, const char* name = "test-space") {
    auto region = RegistryRegion::create();
    REQUIRE(region);
    region_.emplace(std::move(*region));
    auto heap = HeapRegion::reserve(heap_bytes);
    REQUIRE(heap);
    heap_.emplace(std::move(*heap));
    auto registry = Registry::format(*region_, name, &*heap_);
    REQUIRE(registry);
    registry_.emplace(std::move(*registry));
    REQUIRE(tproc_attach_region(region_->get()) == 0);
  }
  ~TestSpace() { tproc_attach_region(nullptr); }
  TestSpace(const TestSpace&) = delete;
  TestSpace& operator=(const TestSpace&) = delete;

  Registry& registry() { return *registry_; }
  RegistryHeader* header() { return static_cast<RegistryHeader*>(region_->get()); }
  void* heap_base() { return heap_->get(); }

 private:
  std::optional<RegistryRegion> region_;
  std::optional<HeapRegion> heap_;
  std::optional<Registry> registry_;
};

}  // namespace tproc::registry::testing
