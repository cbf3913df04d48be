#include "runtime/brk_guard.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <climits>
#include <sstream>

namespace tproc::runtime {

Result<BrkGuard> BrkGuard::place() {
  // Without trimming the daemon's heap never gives pages back below the guard.
  mallopt(M_TRIM_THRESHOLD, INT_MAX);

  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t current = reinterpret_cast<uintptr_t>(sbrk(0));
  const uintptr_t at = (current + page - 1) & ~(page - 1);
  void* guard = mmap(reinterpret_cast<void*>(at), page, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
  if (guard == MAP_FAILED) {
    std::ostringstream where;
    where << "place brk guard at 0x" << std::hex << at;
    return Error::from_errno(where.str());
  }
  return BrkGuard(Mapping(guard, page));
}

}  // namespace tproc::runtime
