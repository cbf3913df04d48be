#pragma once
// Json: what the tests read of the CLI's JSON output (`ps`, `space ls`, `info`, ... `--format json`).
// Debian's nlohmann-json parses it, a checker independent of the CLI's own writer; duplicate keys are
// refused, and a malformed document throws std::runtime_error quoting it.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tproc::e2e {

/// One parsed JSON value.
class Json {
 public:
  enum class Kind { Null, Bool, Number, String, Array, Object };

  /// Parses a whole document (surrounding whitespace allowed).
  static Json parse(std::string_view text);

  Kind kind() const { return kind_; }
  bool is_array() const { return kind_ == Kind::Array; }
  bool is_object() const { return kind_ == Kind::Object; }
  bool is_number() const { return kind_ == Kind::Number; }
  bool is_string() const { return kind_ == Kind::String; }

  /// The elements of an array (throws for other kinds).
  const std::vector<Json>& items() const;

  /// The member `key` of an object, or nullptr when absent (throws if this is not an object).
  const Json* find(std::string_view key) const;

  /// The members of an object, in document order (throws for other kinds).
  const std::vector<std::pair<std::string, Json>>& members() const;

  /// The member `key` of an object; throws when absent.
  const Json& at(std::string_view key) const;

  /// A string's value (throws for other kinds).
  const std::string& str() const;

  /// A number's value (throws for other kinds).
  double number() const;

  /// A string as is, a number as written in the document (12, not 12.000000), else throws.
  std::string text() const;

  /// The value's text: the whole document for the value parse() returns, re-serialised for members.
  const std::string& source() const { return source_; }

 private:
  friend class JsonBuilder;

  Kind kind_ = Kind::Null;
  bool boolean_ = false;
  double number_ = 0;
  std::string string_;  // a string's value, or a number's literal text
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
  std::string source_;
};

}  // namespace tproc::e2e
