#include "common/error.hpp"

#include <cerrno>
#include <cstring>

namespace tproc {

Error Error::from_errno(std::string what) { return Error(std::move(what), errno); }

Error Error::context(std::string_view outer) && {
  message_.insert(0, std::string(outer) + ": ");
  return std::move(*this);
}

std::string Error::describe() const {
  if (code_ == 0) return message_;
  return message_ + ": " + std::strerror(code_);
}

}  // namespace tproc
