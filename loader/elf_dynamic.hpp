#pragma once
// ElfDynamic: what an object's dynamic section says about finding its dependencies.
//
// Invariant: an ElfDynamic that exists was read from a PT_DYNAMIC inside the file, terminated by
// DT_NULL, and every name it holds came from a string table that lies in the file bytes of one
// PT_LOAD segment, NUL-terminated inside DT_STRSZ. It owns its strings, so it outlives the bytes.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "loader/elf_file.hpp"

namespace tproc::loader {

/// The dependency-related entries of an object's dynamic section.
class ElfDynamic {
 public:
  /// Reads PT_DYNAMIC of `elf`. An object without one (a static executable) yields an empty
  /// ElfDynamic. Errors carry the offending values, e.g. "DT_STRTAB 0x1234 is not in a loadable
  /// segment", "DT_NEEDED offset 0x9999 outside the string table of 0x300 bytes".
  static Result<ElfDynamic> parse(const ElfFile& elf);

  /// Whether the object has a PT_DYNAMIC at all.
  bool present() const { return present_; }
  /// DT_NEEDED names, in the order the linker wrote them (the order ld.so loads them).
  const std::vector<std::string>& needed() const { return needed_; }
  /// DT_SONAME, if any.
  const std::optional<std::string>& soname() const { return soname_; }
  /// DT_RPATH as written: a colon-separated list that may hold $ORIGIN, $LIB, $PLATFORM.
  const std::optional<std::string>& rpath() const { return rpath_; }
  /// DT_RUNPATH as written: a colon-separated list that may hold $ORIGIN, $LIB, $PLATFORM.
  const std::optional<std::string>& runpath() const { return runpath_; }
  /// DT_FLAGS_1 (0 when absent).
  uint64_t flags_1() const { return flags_1_; }
  /// Whether DF_1_NODEFLIB keeps this object's dependencies out of ld.so.cache and default dirs.
  bool nodeflib() const;

 private:
  ElfDynamic() = default;

  bool present_ = false;
  std::vector<std::string> needed_;
  std::optional<std::string> soname_;
  std::optional<std::string> rpath_;
  std::optional<std::string> runpath_;
  uint64_t flags_1_ = 0;
};

}  // namespace tproc::loader
