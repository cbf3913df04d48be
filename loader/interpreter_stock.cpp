#include "loader/interpreter_stock.hpp"

#include <fcntl.h>

#include "common/regular_file.hpp"
#include "common/unique_fd.hpp"

namespace tproc::loader {

Result<InterpreterStock::Copy> InterpreterStock::map(const std::string& path) {
  // Any path a program's PT_INTERP names: a FIFO there must fail, not block the daemon.
  UniqueFd fd = TPROC_TRY_CTX("interpreter " + path, open_regular_file(path));
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return Error::from_errno("interpreter " + path);
  MappedObject object = TPROC_TRY_CTX("interpreter " + path, MappedObject::map(fd));
  if (object.interpreter()) return Error("interpreter " + path + " itself needs an interpreter", ELIBBAD);
  return Copy{path, FileIdentity::of(st), std::move(object)};
}

Result<MappedObject> InterpreterStock::take(const std::string& path) {
  last_path_ = path;
  // Out of stock either way; a copy of another file, or of this one before it changed, is
  // unmapped on return (after the fresh one is mapped, so the two never share an address).
  std::optional<Copy> copy = std::move(copy_);
  copy_.reset();
  struct stat st {};
  if (copy && copy->path == path && ::stat(path.c_str(), &st) == 0 && FileIdentity::of(st) == copy->identity)
    return std::move(copy->object);
  return std::move(TPROC_TRY(map(path)).object);
}

void InterpreterStock::refill() {
  if (copy_ || last_path_.empty()) return;
  if (auto copy = map(last_path_)) copy_ = std::move(*copy);
}

}  // namespace tproc::loader
