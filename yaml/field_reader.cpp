#include "yaml/field_reader.hpp"

#include <yaml-cpp/depthguard.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <unordered_map>

#include "common/nearest_word.hpp"
#include "common/printable.hpp"
#include "yaml/utf8.hpp"

namespace tproc::yaml {

namespace {

// Values quoted in error messages are cut here so an error stays one readable line.
constexpr size_t kMaxQuotedLength = 60;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string quoted(std::string_view text) { return "\"" + printable(text, kMaxQuotedLength) + "\""; }

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: return quoted(node.Scalar());
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Undefined: break;
  }
  return "nothing";
}

std::string join_path(std::string_view path, std::string_view key) {
  std::string component = printable(key);
  return path.empty() ? component : std::string(path) + "." + component;
}

std::optional<uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || text[0] == '+' || text[0] == '-') return std::nullopt;
  uint64_t value = 0;
  auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (status != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Position FieldReader::position(const YAML::Mark& mark) {
  // yaml-cpp counts from 0 and uses -1 for "no position"; users count from 1.
  return Position{mark.line >= 0 ? mark.line + 1 : 1, mark.column >= 0 ? mark.column + 1 : 1};
}

YAML::Mark FieldReader::mark_or(const YAML::Node& node, const YAML::Mark& fallback) {
  YAML::Mark mark = node.Mark();
  return mark.is_null() ? fallback : mark;
}

Field FieldReader::root(const YAML::Node& document) { return Field{document, document.Mark(), ""}; }

Field FieldReader::element(const Field& list, const YAML::Node& item, size_t index) {
  return Field{item, mark_or(item, list.mark), list.path + "[" + std::to_string(index) + "]"};
}

Error FieldReader::fail(const YAML::Mark& mark, std::string_view path, std::string_view what) const {
  const Position where = position(mark);
  std::string message = file_name_ + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) + ": ";
  if (!path.empty()) message += std::string(path) + ": ";
  message += what;
  return Error::explained(std::move(message), EINVAL);
}

Error FieldReader::fail(const Field& field, std::string_view what) const {
  return fail(field.mark, field.path, what);
}

Error FieldReader::type_error(const Field& field, std::string_view expected) const {
  return fail(field, "expected " + std::string(expected) + ", got " + describe(field.node));
}

Error FieldReader::bad_yaml(const std::exception& error) const {
  // yaml-cpp's DepthGuard stops a parse that would exhaust the stack; its message is generic.
  if (const auto* deep = dynamic_cast<const YAML::DeepRecursion*>(&error)) {
    return fail(deep->mark, "", "bad YAML: nested too deeply");
  }
  // Its messages may quote the input: printable() keeps the error on one line.
  if (const auto* yaml = dynamic_cast<const YAML::Exception*>(&error)) {
    return fail(yaml->mark, "", "bad YAML: " + printable(yaml->msg));
  }
  return fail(YAML::Mark(), "", "bad YAML: " + printable(error.what()));
}

Result<std::vector<Entry>> FieldReader::entries_of(const Field& map,
                                                   std::span<const std::string_view> known) const {
  if (!map.node.IsMap()) return type_error(map, "a map");
  std::vector<Entry> entries;
  std::unordered_map<std::string, int> first_line;
  for (const auto& pair : map.node) {
    YAML::Mark key_mark = mark_or(pair.first, map.mark);
    if (!pair.first.IsScalar()) {
      return fail(key_mark, map.path, "expected a string key, got " + describe(pair.first));
    }
    std::string key = pair.first.Scalar();
    if (first_invalid_utf8(key)) return fail(key_mark, map.path, "a key whose escapes decode to invalid UTF-8");
    std::string path = join_path(map.path, key);
    if (!known.empty() && std::find(known.begin(), known.end(), key) == known.end()) {
      std::optional<std::string_view> suggestion = nearest_word(key, known);
      std::string what = suggestion ? "unknown key (did you mean '" + std::string(*suggestion) + "'?)"
                                    : "unknown key (expected " + one_of(known) + ")";
      return fail(key_mark, path, what);
    }
    auto [previous, inserted] = first_line.emplace(key, key_mark.line + 1);
    if (!inserted) {
      return fail(key_mark, path, "duplicate key (first given on line " + std::to_string(previous->second) + ")");
    }
    // An empty value's mark is wherever the next token starts, often the next line: point at its
    // key instead.
    YAML::Mark value_mark = pair.second.IsNull() ? key_mark : mark_or(pair.second, key_mark);
    entries.push_back(Entry{key, key_mark, Field{pair.second, value_mark, path}});
  }
  return entries;
}

Result<std::string> FieldReader::string_of(const Field& field) const {
  if (!field.node.IsScalar()) return type_error(field, "a string");
  const std::string& text = field.node.Scalar();
  if (text.find('\0') != std::string::npos) return fail(field, "contains a NUL byte");
  // The file was UTF-8, but escapes such as \N and \_ decode to bytes that are not.
  if (first_invalid_utf8(text)) return fail(field, "its escapes decode to invalid UTF-8");
  return text;
}

Result<std::string> FieldReader::nonempty_string_of(const Field& field) const {
  std::string text = TPROC_TRY(string_of(field));
  if (text.empty()) return fail(field, "must not be empty");
  return text;
}

Result<std::vector<std::string>> FieldReader::strings_of(const Field& list, EmptyStrings empty) const {
  if (!list.node.IsSequence()) return type_error(list, "a list of strings");
  std::vector<std::string> items;
  size_t index = 0;
  for (const YAML::Node& item : list.node) {
    const Field field = element(list, item, index++);
    if (empty == EmptyStrings::allowed) {
      items.push_back(TPROC_TRY(string_of(field)));
    } else {
      items.push_back(TPROC_TRY(nonempty_string_of(field)));
    }
  }
  return items;
}

Result<uint64_t> FieldReader::integer_of(const Field& field) const {
  if (!field.node.IsScalar()) return type_error(field, "an integer");
  const std::string& text = field.node.Scalar();
  if (std::optional<uint64_t> value = parse_decimal(text)) return *value;
  if (!text.empty() && text[0] == '-' && parse_decimal(std::string_view(text).substr(1))) {
    return type_error(field, "a non-negative integer");
  }
  if (!text.empty() && std::all_of(text.begin(), text.end(), is_digit)) {
    return type_error(field, "an integer below 2^64");
  }
  return type_error(field, "an integer");
}

Result<bool> FieldReader::bool_of(const Field& field) const {
  bool value = false;
  if (!field.node.IsScalar() || !YAML::convert<bool>::decode(field.node, value)) {
    return type_error(field, "true or false");
  }
  return value;
}

Result<size_t> FieldReader::choice_of(const Field& field, std::span<const std::string_view> words) const {
  std::string text = TPROC_TRY(string_of(field));
  auto found = std::find(words.begin(), words.end(), text);
  if (found != words.end()) return static_cast<size_t>(found - words.begin());
  std::string what = "expected " + one_of(words) + ", got " + quoted(text);
  if (std::optional<std::string_view> suggestion = nearest_word(text, words)) {
    what += " (did you mean '" + std::string(*suggestion) + "'?)";
  }
  return fail(field, what);
}

}  // namespace tproc::yaml
