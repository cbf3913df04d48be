#include "common/error.hpp"

#include <cerrno>
#include <cstring>

namespace tproc {

Error Error::from_errno(std::string what) { return Error(std::move(what), errno); }

Error Error::explained(std::string message, int code) {
  Error error(std::move(message), code);
  error.code_in_message_ = true;
  return error;
}

Error Error::context(std::string_view outer) && {
  message_.insert(0, message_.empty() ? std::string(outer) : std::string(outer) + ": ");
  return std::move(*this);
}

std::string Error::describe() const {
  if (code_ == 0 || code_in_message_) return message_;
  if (message_.empty()) return std::strerror(code_);
  return message_ + ": " + std::strerror(code_);
}

}  // namespace tproc
