// A space inside the benchmark process: a registry region and a heap formatted as the daemon does,
// attached to libtproc. A tproc reaches the same memory the same way (one mm), so the costs
// measured here are the costs a tproc pays; only the launch differs.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "libtproc/attachment.hpp"
#include "registry/heap_region.hpp"
#include "registry/registry.hpp"
#include "registry/registry_region.hpp"

namespace tproc::bench {

/// A formatted, attached space; exits the program with a message when it cannot be made.
class InProcessSpace {
 public:
  InProcessSpace() {
    auto region = registry::RegistryRegion::create();
    auto heap = registry::HeapRegion::reserve();
    if (!region || !heap) fail(region ? heap.error() : region.error());
    region_.emplace(std::move(*region));
    heap_.emplace(std::move(*heap));
    auto formatted = registry::Registry::format(*region_, "bench", &*heap_);
    if (!formatted) fail(formatted.error());
    registry_.emplace(std::move(*formatted));
    if (tproc_attach_region(region_->get()) != 0) fail(Error("attach the registry region"));
  }
  ~InProcessSpace() { tproc_attach_region(nullptr); }

  registry::Registry& registry() { return *registry_; }

 private:
  [[noreturn]] static void fail(const Error& error) {
    std::fprintf(stderr, "bench: %s\n", error.describe().c_str());
    std::exit(1);
  }
  std::optional<registry::RegistryRegion> region_;
  std::optional<registry::HeapRegion> heap_;
  std::optional<registry::Registry> registry_;
};

}  // namespace tproc::bench
