#pragma once
// UniqueArchive / UniqueArchiveEntry: the one owner of a libarchive handle or entry.

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <string>
#include <utility>

#include "common/result.hpp"

namespace tproc::bundle {

/// Owns a `struct archive*` and frees it with `Free` when destroyed. Move-only.
template <struct archive* (*New)(), int (*Free)(struct archive*)>
class BasicUniqueArchive {
 public:
  /// A new handle, or ENOMEM.
  static Result<BasicUniqueArchive> create() {
    struct archive* handle = New();
    if (handle == nullptr) return Error("libarchive: out of memory", ENOMEM);
    return BasicUniqueArchive(handle);
  }

  BasicUniqueArchive(BasicUniqueArchive&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)) {}
  BasicUniqueArchive& operator=(BasicUniqueArchive&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  BasicUniqueArchive(const BasicUniqueArchive&) = delete;
  BasicUniqueArchive& operator=(const BasicUniqueArchive&) = delete;
  ~BasicUniqueArchive() { reset(); }

  /// The handle, still owned by this object.
  struct archive* get() const { return handle_; }

  /// libarchive's description of the last error on this handle.
  std::string error_string() const {
    const char* text = archive_error_string(handle_);
    return text != nullptr ? text : "unknown libarchive error";
  }

 private:
  explicit BasicUniqueArchive(struct archive* handle) : handle_(handle) {}
  void reset() {
    if (handle_ != nullptr) Free(handle_);
    handle_ = nullptr;
  }

  struct archive* handle_ = nullptr;
};

/// A libarchive reader.
using ArchiveReader = BasicUniqueArchive<archive_read_new, archive_read_free>;
/// A libarchive writer. Call archive_write_close() yourself to see its error: freeing closes too,
/// but silently.
using ArchiveWriter = BasicUniqueArchive<archive_write_new, archive_write_free>;

/// Owns a `struct archive_entry*`. Move-only.
class UniqueArchiveEntry {
 public:
  /// A new, empty entry, or ENOMEM.
  static Result<UniqueArchiveEntry> create() {
    struct archive_entry* entry = archive_entry_new();
    if (entry == nullptr) return Error("libarchive: out of memory", ENOMEM);
    return UniqueArchiveEntry(entry);
  }

  UniqueArchiveEntry(UniqueArchiveEntry&& other) noexcept
      : entry_(std::exchange(other.entry_, nullptr)) {}
  UniqueArchiveEntry& operator=(UniqueArchiveEntry&& other) noexcept {
    if (this != &other) {
      if (entry_ != nullptr) archive_entry_free(entry_);
      entry_ = std::exchange(other.entry_, nullptr);
    }
    return *this;
  }
  UniqueArchiveEntry(const UniqueArchiveEntry&) = delete;
  UniqueArchiveEntry& operator=(const UniqueArchiveEntry&) = delete;
  ~UniqueArchiveEntry() {
    if (entry_ != nullptr) archive_entry_free(entry_);
  }

  /// The entry, still owned by this object.
  struct archive_entry* get() const { return entry_; }

 private:
  explicit UniqueArchiveEntry(struct archive_entry* entry) : entry_(entry) {}
  struct archive_entry* entry_ = nullptr;
};

}  // namespace tproc::bundle
