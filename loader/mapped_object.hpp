#pragma once
// MappedObject: one ELF object mapped into the space, inside a reservation of its own.
//
// Invariant: every segment mapping of the object lies inside `reservation`, so destroying the
// object unmaps all of it and nothing else. ET_DYN objects go wherever the kernel finds room;
// ET_EXEC objects only at their fixed addresses, and only if that range is free.

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/mapping.hpp"
#include "common/result.hpp"
#include "common/unique_fd.hpp"
#include "loader/elf_file.hpp"

namespace tproc::loader {

/// Names whoever holds [begin, end) in the space (e.g. "tproc 12 (python3)"), if it is known.
using RangeHolder = std::function<std::optional<std::string>(uint64_t begin, uint64_t end)>;

/// An ELF object mapped into the address space.
class MappedObject {
 public:
  /// Maps the executable or shared object open at `fd`. `holder` explains a taken fixed range.
  static Result<MappedObject> map(const UniqueFd& fd, const RangeHolder& holder = {});

  uint64_t bias() const { return bias_; }                 ///< load address minus link address
  uint64_t entry() const { return entry_; }               ///< relocated entry point
  uint64_t phdr() const { return phdr_; }                 ///< relocated program header table
  uint16_t phnum() const { return phnum_; }
  bool position_independent() const { return position_independent_; }
  bool executable_stack() const { return executable_stack_; }
  const std::optional<std::string>& interpreter() const { return interpreter_; }
  /// Whether its DT_RPATH or DT_RUNPATH mentions $ORIGIN: where it lives decides what it loads.
  bool searches_relative_to_origin() const { return searches_relative_to_origin_; }
  uint64_t begin() const { return reservation_.begin(); }
  uint64_t end() const { return reservation_.end(); }

 private:
  MappedObject() = default;
  Result<void> map_segments(const ElfFile& elf, int fd);

  Mapping reservation_;
  uint64_t bias_ = 0;
  uint64_t entry_ = 0;
  uint64_t phdr_ = 0;
  uint16_t phnum_ = 0;
  bool position_independent_ = true;
  bool executable_stack_ = false;
  bool searches_relative_to_origin_ = false;
  std::optional<std::string> interpreter_;
};

/// Reserves (PROT_NONE) the fixed range a non-PIE executable needs, so nothing else lands there
/// before ld.so maps it; fails naming the holder when the range is taken. An ET_DYN file needs no
/// reservation: the result is then an empty Mapping.
Result<Mapping> reserve_fixed_image(const UniqueFd& fd, const RangeHolder& holder = {});

}  // namespace tproc::loader
