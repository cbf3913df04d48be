#pragma once
// InterpreterStock: an interpreter (ld.so) mapped ahead of the launch that needs it.
//
// Mapping the interpreter is the same work for nearly every program in a space — the same file,
// mapped the same way — and about a third of what the loader does per launch. The stock keeps one
// copy of the interpreter last asked for, mapped while the daemon is idle (refill()), and hands it
// to the next launch that needs that file. A copy is of a file as it was: one whose device, inode,
// size or modification time has changed since (ld.so reinstalled) is mapped afresh.
//
// A stocked copy is an ordinary MappedObject in the space, held by the daemon until a launch
// takes it; from then on it is that program's, like everything else the loader maps.

#include <sys/stat.h>

#include <optional>
#include <string>

#include "common/result.hpp"
#include "loader/mapped_object.hpp"

namespace tproc::loader {

class InterpreterStock {
 public:
  /// The interpreter at `path`, mapped: the stocked copy if it is of the same file, else a new one.
  Result<MappedObject> take(const std::string& path);

  /// Maps a copy of the interpreter last taken, unless one is in stock. Best effort: a failure
  /// leaves the stock empty, and the next take() maps the file itself and reports what is wrong.
  void refill();

  /// The copy in stock, if any.
  const MappedObject* stocked() const { return copy_ ? &copy_->object : nullptr; }

 private:
  /// What tells two states of a file apart.
  struct FileIdentity {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    timespec modified{};
    static FileIdentity of(const struct stat& st) { return {st.st_dev, st.st_ino, st.st_size, st.st_mtim}; }
    bool operator==(const FileIdentity& other) const {
      return device == other.device && inode == other.inode && size == other.size &&
             modified.tv_sec == other.modified.tv_sec && modified.tv_nsec == other.modified.tv_nsec;
    }
  };
  struct Copy {
    std::string path;
    FileIdentity identity;
    MappedObject object;
  };

  /// Opens and maps the interpreter at `path`.
  static Result<Copy> map(const std::string& path);

  std::string last_path_;
  std::optional<Copy> copy_;
};

}  // namespace tproc::loader
