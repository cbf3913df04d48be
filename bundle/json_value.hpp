#pragma once
// JsonValue: a strict, read-only JSON document model for the OCI files a bundle carries
// (oci-layout, index.json, image manifests and configs), and json_quote() for writing them.
//
// Strict on purpose: duplicate object keys are refused, because two readers that pick different
// duplicates would verify one digest and use another. Every value remembers where it lies in the
// text, so a member can be handed on byte for byte (the tproc config inside an image config).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace tproc::bundle {

/// One parsed JSON value and, for arrays and objects, its children.
class JsonValue {
 public:
  enum class Kind { null, boolean, number, string, array, object };

  /// Parses a whole document (surrounding whitespace allowed). Errors (EINVAL) read
  /// "offset N: what is wrong".
  static Result<JsonValue> parse(std::string_view text);

  /// What this value is.
  Kind kind() const { return kind_; }
  /// Whether this is an object.
  bool is_object() const { return kind_ == Kind::object; }
  /// Whether this is an array.
  bool is_array() const { return kind_ == Kind::array; }
  /// Whether this is a string.
  bool is_string() const { return kind_ == Kind::string; }
  /// Whether this is a number.
  bool is_number() const { return kind_ == Kind::number; }

  /// The member `key` of an object; nullptr when absent or when this is not an object.
  const JsonValue* find(std::string_view key) const;
  /// The members of an object, in document order (empty for other kinds).
  const std::vector<std::pair<std::string, JsonValue>>& members() const { return members_; }
  /// The elements of an array (empty for other kinds).
  const std::vector<JsonValue>& items() const { return items_; }
  /// A string's decoded value; a number's text as written; "true"/"false"/"null" otherwise.
  const std::string& text() const { return text_; }
  /// A number that is a whole number in the range of int64_t, else nullopt.
  std::optional<int64_t> integer() const;

  /// The bytes of this value in `document` (the text parse() was given).
  std::string_view source_in(std::string_view document) const {
    return document.substr(begin_, end_ - begin_);
  }

 private:
  friend class JsonParser;
  JsonValue() = default;

  Kind kind_ = Kind::null;
  std::string text_;
  std::vector<JsonValue> items_;
  std::vector<std::pair<std::string, JsonValue>> members_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

/// `text` as a JSON string literal, quotes included; bytes >= 0x80 pass through unchanged.
std::string json_quote(std::string_view text);

}  // namespace tproc::bundle
