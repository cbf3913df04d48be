#pragma once
// The stack a new program finds at its entry point, as the kernel would have built it.
//
// Layout from the stack pointer up (System V ABI, x86_64 and aarch64 alike):
//   argc | argv[0..argc) | NULL | envp[..] | NULL | auxv (type, value)... AT_NULL | padding |
//   AT_RANDOM bytes, platform string, execfn, argument and environment strings | top of stack
// The stack pointer is 16-byte aligned at argc.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/mapping.hpp"
#include "common/result.hpp"

namespace tproc::loader {

/// What goes on a new program's initial stack.
struct StackContents {
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  std::string execfn;
  std::string platform;       ///< AT_PLATFORM string, omitted when empty
  std::string base_platform;  ///< AT_BASE_PLATFORM string, omitted when empty
  /// auxv entries whose values are plain numbers. AT_RANDOM, AT_EXECFN, AT_PLATFORM and
  /// AT_BASE_PLATFORM are added here, pointing at the strings written on the stack.
  std::vector<std::pair<uint64_t, uint64_t>> auxv;
};

/// A program stack with its guard: [guard | usable stack], grows down from end().
class ProgramStack {
 public:
  /// Maps `size` usable bytes with a PROT_NONE guard below them.
  static Result<ProgramStack> create(size_t size, bool executable);

  /// Writes `contents` at the top; returns the initial stack pointer (the address of argc).
  Result<uint64_t> write(const StackContents& contents);

  uint64_t base() const { return usable_base_; }
  uint64_t end() const { return mapping_.end(); }

 private:
  ProgramStack(Mapping mapping, uint64_t usable_base) : mapping_(std::move(mapping)), usable_base_(usable_base) {}
  Mapping mapping_;
  uint64_t usable_base_;
};

}  // namespace tproc::loader
