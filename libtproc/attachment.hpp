#pragma once
// The space this process runs in, as every libtproc function needs it.

#include <atomic>
#include <cstdint>

#include "registry/registry_layout.hpp"
#include "registry/space_heap.hpp"

namespace tproc::lib {

/// This process's registry, or null with `*error` set: -ENOTCONN (not in a space) or -EPROTO (a
/// registry of another layout version). Found on first use, then one atomic load.
registry::RegistryHeader* attached_registry(int* error);

/// The space heap's base, or null with `*error` set (-ENOMEM: the space has no heap).
void* attached_heap(int* error);

/// Moves on whenever this process's attachment changes (found, attached, forgotten, a fork child
/// leaving the space); never 0. What a thread caches about its space (libtproc/heap.cpp) is
/// current while the epoch it saw is: one load instead of finding the space again.
extern std::atomic<uint64_t> attachment_epoch;

}  // namespace tproc::lib

/// For tests: makes `region` (a formatted registry) this process's space, as if it had arrived in
/// the auxiliary vector; null forgets it (the next call looks at the auxiliary vector again).
/// 0, -ENXIO or -EPROTO (not a registry this library understands).
extern "C" int tproc_attach_region(void* region);
