// The one piece of process-wide state in libtproc: where this process's space is.
//
// Why global: the C API has no handle to carry it and every call needs it; the value is a fact of
// the process (the daemon put it in our initial auxiliary vector), found once, never changed except
// by a fork() child detaching.
//
// How it is found: getauxval(TPROC_AT_REGISTRY). glibc's getauxval walks the whole initial auxv
// (GLRO(dl_auxv)), unknown types included, and so does musl's; this was measured in a tproc (a
// probe printed the region address). /proc/self/auxv would NOT work: it shows mm->saved_auxv,
// recorded at the mm's execve — in a tproc that is the daemon's auxv, since every tproc shares the
// daemon's mm (tests/registry/multiprocess_test.cpp shows a CLONE_VM child reading its parent's).
// Walking past environ's end is also wrong: setenv() can move environ.

#include "libtproc/attachment.hpp"

#include <pthread.h>
#include <sys/auxv.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

#include "registry/endpoint_table.hpp"
#include "tproc/auxv.h"

namespace tproc::lib {
namespace {

// 0: not looked up yet; kNotInSpace / kForeign: looked up, no usable registry; else the header.
constexpr uintptr_t kUnknown = 0;
constexpr uintptr_t kNotInSpace = 1;
constexpr uintptr_t kForeign = 2;

std::atomic<uintptr_t> attached{kUnknown};
std::atomic<bool> fork_handler_installed{false};

/// In a fork() child the space's memory is a private copy: nothing published from here would mean
/// anything to the space, and its futex words would wake no one there. So the child is not in it.
void detach_in_child() {
  attached.store(kNotInSpace, std::memory_order_relaxed);
  attachment_epoch.fetch_add(1, std::memory_order_release);
}

uintptr_t classify(void* region) {
  const int valid = registry::EndpointTable::validate(region);
  if (valid == -ENXIO) return kNotInSpace;
  if (valid < 0) return kForeign;
  const auto* header = static_cast<const registry::RegistryHeader*>(region);
  if (header->heap_address != 0 &&
      registry::SpaceHeap::validate(reinterpret_cast<const void*>(header->heap_address)) < 0)
    return kForeign;
  return reinterpret_cast<uintptr_t>(region);
}

void remember(uintptr_t value) {
  if (value > kForeign && !fork_handler_installed.exchange(true)) pthread_atfork(nullptr, nullptr, detach_in_child);
  // Racing first calls store the same value: only a change moves the epoch.
  if (attached.exchange(value, std::memory_order_acq_rel) != value) attachment_epoch.fetch_add(1, std::memory_order_release);
}

}  // namespace

std::atomic<uint64_t> attachment_epoch{1};

registry::RegistryHeader* attached_registry(int* error) {
  uintptr_t value = attached.load(std::memory_order_acquire);
  if (value == kUnknown) {
    // Racing first calls compute the same answer; storing it twice is harmless.
    value = classify(reinterpret_cast<void*>(getauxval(TPROC_AT_REGISTRY)));
    remember(value);
  }
  if (value > kForeign) return reinterpret_cast<registry::RegistryHeader*>(value);
  *error = value == kForeign ? -EPROTO : -ENOTCONN;
  return nullptr;
}

void* attached_heap(int* error) {
  registry::RegistryHeader* header = attached_registry(error);
  if (header == nullptr) return nullptr;
  if (header->heap_address == 0) {
    *error = -ENOMEM;
    return nullptr;
  }
  return reinterpret_cast<void*>(header->heap_address);
}

}  // namespace tproc::lib

extern "C" int tproc_attach_region(void* region) {
  using namespace tproc::lib;
  if (region == nullptr) {
    attached.store(kUnknown, std::memory_order_release);
    attachment_epoch.fetch_add(1, std::memory_order_release);
    return 0;
  }
  const uintptr_t value = classify(region);
  if (value == kNotInSpace) return -ENXIO;
  if (value == kForeign) return -EPROTO;
  remember(value);
  return 0;
}
