#pragma once
// Result<T>: a value or an Error. Shaped like C++23 std::expected so a later switch is a rename.

#include <utility>
#include <variant>

#include "common/error.hpp"

namespace tproc {

/// The value of a fallible operation, or the Error that stopped it.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

/// A fallible operation with nothing to return.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}

  bool has_value() const { return !failed_; }
  explicit operator bool() const { return has_value(); }
  void value() const {}

  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_{""};
  bool failed_ = false;
};

/// The success value of Result<void>.
inline Result<void> ok() { return {}; }

}  // namespace tproc

/// Evaluates a Result; on error returns it from the enclosing function, else yields the value.
#define TPROC_TRY(...)                                          \
  ({                                                            \
    auto tproc_try_result_ = (__VA_ARGS__);                     \
    if (!tproc_try_result_) return std::move(tproc_try_result_).error(); \
    std::move(tproc_try_result_).value();                       \
  })

/// Like TPROC_TRY, adding context to the error on its way up.
#define TPROC_TRY_CTX(context_text, ...)                        \
  ({                                                            \
    auto tproc_try_result_ = (__VA_ARGS__);                     \
    if (!tproc_try_result_) return std::move(tproc_try_result_).error().context(context_text); \
    std::move(tproc_try_result_).value();                       \
  })
