#pragma once
// An error as a value: a message that gains context as it rises, and the errno that caused it.

#include <string>
#include <string_view>

namespace tproc {

/// What went wrong, with the errno behind it (0 when there is none).
class Error {
 public:
  explicit Error(std::string message, int code = 0) : message_(std::move(message)), code_(code) {}

  /// An error for a failed system call: `what` plus the current errno.
  static Error from_errno(std::string what);

  /// Prepends "outer: " so the message reads from the outermost operation inward.
  [[nodiscard]] Error context(std::string_view outer) &&;

  const std::string& message() const { return message_; }
  int code() const { return code_; }

  /// The full one-line text: "message: strerror(code)".
  std::string describe() const;

 private:
  std::string message_;
  int code_;
};

}  // namespace tproc
