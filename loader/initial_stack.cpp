#include "loader/initial_stack.hpp"

#include <elf.h>
#include <sys/mman.h>
#include <sys/random.h>

#include <cstring>

namespace tproc::loader {
namespace {

// As large as the kernel's default stack_guard_gap, so a big frame cannot jump over it.
constexpr size_t kGuardSize = 1 << 20;

/// Places bytes downward from the top of the stack.
class StackWriter {
 public:
  StackWriter(uint64_t top, uint64_t limit) : cursor_(top), limit_(limit) {}

  Result<uint64_t> push_bytes(const void* data, size_t length) {
    if (cursor_ - limit_ < length) return Error("arguments and environment do not fit on the stack", E2BIG);
    cursor_ -= length;
    std::memcpy(reinterpret_cast<void*>(cursor_), data, length);
    return cursor_;
  }
  Result<uint64_t> push_string(const std::string& text) { return push_bytes(text.c_str(), text.size() + 1); }
  uint64_t cursor() const { return cursor_; }

 private:
  uint64_t cursor_;
  uint64_t limit_;
};

}  // namespace

Result<ProgramStack> ProgramStack::create(size_t size, bool executable) {
  const int prot = PROT_READ | PROT_WRITE | (executable ? PROT_EXEC : 0);
  void* area = ::mmap(nullptr, size + kGuardSize, prot,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (area == MAP_FAILED) return Error::from_errno("map a " + std::to_string(size >> 10) + " KiB stack");
  Mapping mapping(area, size + kGuardSize);
  if (::mprotect(area, kGuardSize, PROT_NONE) < 0) return Error::from_errno("protect the stack guard");
  const uint64_t usable_base = mapping.begin() + kGuardSize;
  return ProgramStack(std::move(mapping), usable_base);
}

Result<uint64_t> ProgramStack::write(const StackContents& contents) {
  // Strings first, at the top; keep at most a quarter of the stack for them, like the kernel.
  StackWriter strings(end(), end() - (end() - usable_base_) / 4);
  std::vector<std::pair<uint64_t, uint64_t>> auxv = contents.auxv;

  unsigned char random[16];
  if (getrandom(random, sizeof(random), 0) != sizeof(random)) return Error::from_errno("getrandom");
  auxv.emplace_back(AT_RANDOM, TPROC_TRY(strings.push_bytes(random, sizeof(random))));
  if (!contents.platform.empty()) auxv.emplace_back(AT_PLATFORM, TPROC_TRY(strings.push_string(contents.platform)));
  if (!contents.base_platform.empty())
    auxv.emplace_back(AT_BASE_PLATFORM, TPROC_TRY(strings.push_string(contents.base_platform)));
  auxv.emplace_back(AT_EXECFN, TPROC_TRY(strings.push_string(contents.execfn)));
  auxv.emplace_back(AT_NULL, 0);

  std::vector<uint64_t> argv_addresses, envp_addresses;
  for (const std::string& arg : contents.argv) argv_addresses.push_back(TPROC_TRY(strings.push_string(arg)));
  for (const std::string& var : contents.envp) envp_addresses.push_back(TPROC_TRY(strings.push_string(var)));

  // Then the vectors, sized so the stack pointer lands 16-byte aligned on argc.
  const size_t words = 1 + argv_addresses.size() + 1 + envp_addresses.size() + 1 + 2 * auxv.size();
  const uint64_t sp = (strings.cursor() - words * sizeof(uint64_t)) & ~uint64_t{15};
  if (sp < usable_base_ + (end() - usable_base_) / 2) return Error("arguments and environment do not fit on the stack", E2BIG);

  uint64_t* word = reinterpret_cast<uint64_t*>(sp);
  *word++ = contents.argv.size();
  for (uint64_t address : argv_addresses) *word++ = address;
  *word++ = 0;
  for (uint64_t address : envp_addresses) *word++ = address;
  *word++ = 0;
  for (const auto& [type, value] : auxv) {
    *word++ = type;
    *word++ = value;
  }
  return sp;
}

}  // namespace tproc::loader
