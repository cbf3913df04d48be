#pragma once
// FieldReader: reads the typed fields of a YAML document (a bundle's tproc.yaml, an app's compose
// file) one at a time, and says what is wrong with the first one that does not fit.
//
// Invariant: every error is one line, `FILE:LINE:COL: field.path: what is wrong`, with errno
// EINVAL: positions count from 1, values are quoted with control bytes escaped and cut short, and
// keys and values whose escapes decode to invalid UTF-8 are refused. The decoders built on it add
// only their own fields' rules. Nothing yaml-cpp throws leaves a reader (see guarded()).

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace tproc::yaml {

/// `"text"` with control bytes, quotes and backslashes escaped, cut after 60 bytes ("...").
std::string quoted(std::string_view text);

/// How an error names what it found: a scalar quoted, else "a list", "a map", "null" or "nothing".
std::string describe(const YAML::Node& node);

/// `path.key` with the key made printable; the key alone at the top level (empty `path`).
std::string join_path(std::string_view path, std::string_view key);

/// Digits only, below 2^64: YAML's 0x/0o/+ forms would make "what number is this" a puzzle.
std::optional<uint64_t> parse_decimal(std::string_view text);

/// A 1-based line and column, as errors print them.
struct Position {
  int line = 1;
  int column = 1;
  bool operator==(const Position&) const = default;
};

/// A node with where it sits (its own mark, or its key's when yaml-cpp gave it none) and its path
/// from the top of the document ("services.web.args[1]"; empty for the document itself).
struct Field {
  YAML::Node node;
  YAML::Mark mark;
  std::string path;
};

/// One key of a map, where the key was written, and its value.
struct Entry {
  std::string key;
  YAML::Mark key_mark;
  Field value;
};

/// Whether strings_of() accepts "" as an item.
enum class EmptyStrings { allowed, refused };

/// The typed readers and the error format shared by the YAML decoders; knows only the file name.
class FieldReader {
 public:
  /// `file_name` starts every error message.
  explicit FieldReader(std::string_view file_name) : file_name_(file_name) {}

  /// The file name errors start with.
  const std::string& file_name() const { return file_name_; }

  /// yaml-cpp's mark as users count (from 1); 1:1 for a mark that holds no position.
  static Position position(const YAML::Mark& mark);
  /// The node's own mark, or `fallback` when yaml-cpp gave it none.
  static YAML::Mark mark_or(const YAML::Node& node, const YAML::Mark& fallback);
  /// The whole document as a field with an empty path.
  static Field root(const YAML::Node& document);
  /// Item `index` of `list`, with the path `list.path[index]`.
  static Field element(const Field& list, const YAML::Node& item, size_t index);

  /// `FILE:LINE:COL: path: what` (without "path: " when `path` is empty), errno EINVAL.
  Error fail(const YAML::Mark& mark, std::string_view path, std::string_view what) const;
  /// The error `what` at `field`.
  Error fail(const Field& field, std::string_view what) const;
  /// "expected EXPECTED, got WHAT-WAS-THERE" at `field`.
  Error type_error(const Field& field, std::string_view expected) const;
  /// An exception from yaml-cpp (or the standard library) as "bad YAML: …" at its mark.
  Error bad_yaml(const std::exception& error) const;

  /// Runs `decode` (returning a Result), turning any exception into bad_yaml(): decoders read only
  /// nodes they have type-checked, so yaml-cpp should not throw, but if it does anyway the
  /// exception must still not leave the module.
  template <class Decode>
  auto guarded(Decode&& decode) const -> decltype(decode()) {
    try {
      return decode();
    } catch (const std::exception& error) {
      return bad_yaml(error);
    }
  }

  /// The entries of a map in file order. With `known` non-empty, any other key is an error that
  /// suggests the nearest valid one; a key given twice is always an error (yaml-cpp keeps both).
  Result<std::vector<Entry>> entries_of(const Field& map, std::span<const std::string_view> known) const;

  /// Any scalar, as written (YAML numbers and booleans become their text); no NUL byte, and
  /// UTF-8 after its escapes are decoded.
  Result<std::string> string_of(const Field& field) const;
  /// A string_of() that is not "".
  Result<std::string> nonempty_string_of(const Field& field) const;
  /// A list of string_of(), "" refused unless `empty` allows it.
  Result<std::vector<std::string>> strings_of(const Field& list, EmptyStrings empty) const;
  /// A decimal integer from 0 to 2^64-1 (parse_decimal()).
  Result<uint64_t> integer_of(const Field& field) const;
  /// A YAML boolean (true/false, yes/no, on/off in any of YAML's spellings).
  Result<bool> bool_of(const Field& field) const;
  /// One of `words`, as its index; otherwise an error listing them, with the nearest suggested.
  Result<size_t> choice_of(const Field& field, std::span<const std::string_view> words) const;

 private:
  std::string file_name_;
};

}  // namespace tproc::yaml
