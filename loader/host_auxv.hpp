#pragma once
// HostAuxv: the daemon's own auxiliary vector, the template for every tproc's.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace tproc::loader {

/// The (type, value) pairs the kernel gave the daemon, with the strings they point at copied out.
class HostAuxv {
 public:
  /// Reads /proc/self/auxv.
  static Result<HostAuxv> read_self();

  const std::vector<std::pair<uint64_t, uint64_t>>& entries() const { return entries_; }
  const std::string& platform() const { return platform_; }
  const std::string& base_platform() const { return base_platform_; }

 private:
  HostAuxv() = default;
  std::vector<std::pair<uint64_t, uint64_t>> entries_;
  std::string platform_;
  std::string base_platform_;
};

}  // namespace tproc::loader
