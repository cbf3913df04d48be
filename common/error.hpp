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

  /// An error whose message already says everything: describe() does not append strerror(code).
  /// The code still travels, for callers that branch on it (e.g. to pick an exit status).
  static Error explained(std::string message, int code);

  /// Prepends "outer: " so the message reads from the outermost operation inward (an empty
  /// message becomes `outer`, so Error("", ENOENT).context("run x") reads "run x: No such file...").
  [[nodiscard]] Error context(std::string_view outer) &&;

  const std::string& message() const { return message_; }
  int code() const { return code_; }

  /// The full one-line text: "message: strerror(code)".
  std::string describe() const;

 private:
  std::string message_;
  int code_;
  bool code_in_message_ = false;
};

}  // namespace tproc
