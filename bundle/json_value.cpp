#include "bundle/json_value.hpp"
#include "common/printable.hpp"

#include <cerrno>
#include <charconv>

namespace tproc::bundle {

namespace {
// Deeper documents are not OCI files; the limit keeps recursion off the end of the stack.
constexpr int kMaxDepth = 64;
}  // namespace

/// A recursive-descent parser over one document.
class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  Result<JsonValue> parse_document() {
    skip_space();
    JsonValue value = TPROC_TRY(parse_value(0));
    skip_space();
    if (position_ != text_.size()) return fail("unexpected text after the document");
    return value;
  }

 private:
  Error fail(std::string_view what) const {
    return Error::explained("offset " + std::to_string(position_) + ": " + std::string(what), EINVAL);
  }

  void skip_space() {
    while (position_ < text_.size() && (text_[position_] == ' ' || text_[position_] == '\t' ||
                                        text_[position_] == '\n' || text_[position_] == '\r'))
      ++position_;
  }

  bool consume(std::string_view word) {
    if (text_.substr(position_, word.size()) != word) return false;
    position_ += word.size();
    return true;
  }

  Result<JsonValue> parse_value(int depth) {
    if (depth > kMaxDepth) return fail("nested deeper than 64 levels");
    if (position_ >= text_.size()) return fail("unexpected end of text");
    JsonValue value;
    value.begin_ = position_;
    char c = text_[position_];
    if (c == '{') {
      value.kind_ = JsonValue::Kind::object;
      TPROC_TRY(parse_object(value, depth));
    } else if (c == '[') {
      value.kind_ = JsonValue::Kind::array;
      TPROC_TRY(parse_array(value, depth));
    } else if (c == '"') {
      value.kind_ = JsonValue::Kind::string;
      value.text_ = TPROC_TRY(parse_string());
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      value.kind_ = JsonValue::Kind::number;
      value.text_ = TPROC_TRY(parse_number());
    } else if (consume("true") || consume("false")) {
      value.kind_ = JsonValue::Kind::boolean;
      value.text_ = std::string(text_.substr(value.begin_, position_ - value.begin_));
    } else if (consume("null")) {
      value.kind_ = JsonValue::Kind::null;
      value.text_ = "null";
    } else {
      return fail("unexpected character '" + printable(std::string_view(&c, 1)) + "'");
    }
    value.end_ = position_;
    return value;
  }

  Result<void> parse_object(JsonValue& object, int depth) {
    ++position_;  // '{'
    skip_space();
    if (consume("}")) return ok();
    for (;;) {
      skip_space();
      if (position_ >= text_.size() || text_[position_] != '"') return fail("expected a member name");
      std::string key = TPROC_TRY(parse_string());
      if (object.find(key) != nullptr) return fail("duplicate member \"" + printable(key) + "\"");
      skip_space();
      if (!consume(":")) return fail("expected ':'");
      skip_space();
      JsonValue member = TPROC_TRY(parse_value(depth + 1));
      object.members_.emplace_back(std::move(key), std::move(member));
      skip_space();
      if (consume("}")) return ok();
      if (!consume(",")) return fail("expected ',' or '}'");
    }
  }

  Result<void> parse_array(JsonValue& array, int depth) {
    ++position_;  // '['
    skip_space();
    if (consume("]")) return ok();
    for (;;) {
      skip_space();
      array.items_.push_back(TPROC_TRY(parse_value(depth + 1)));
      skip_space();
      if (consume("]")) return ok();
      if (!consume(",")) return fail("expected ',' or ']'");
    }
  }

  Result<std::string> parse_number() {
    size_t start = position_;
    auto digit = [&] { return position_ < text_.size() && text_[position_] >= '0' && text_[position_] <= '9'; };
    if (text_[position_] == '-') ++position_;
    if (!digit()) return fail("malformed number");
    if (text_[position_] == '0') {
      ++position_;
    } else {
      while (digit()) ++position_;
    }
    if (position_ < text_.size() && text_[position_] == '.') {
      ++position_;
      if (!digit()) return fail("malformed number");
      while (digit()) ++position_;
    }
    if (position_ < text_.size() && (text_[position_] == 'e' || text_[position_] == 'E')) {
      ++position_;
      if (position_ < text_.size() && (text_[position_] == '+' || text_[position_] == '-')) ++position_;
      if (!digit()) return fail("malformed number");
      while (digit()) ++position_;
    }
    return std::string(text_.substr(start, position_ - start));
  }

  Result<unsigned> parse_hex4() {
    if (position_ + 4 > text_.size()) return fail("truncated \\u escape");
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[position_++];
      value <<= 4;
      if (c >= '0' && c <= '9') value |= c - '0';
      else if (c >= 'a' && c <= 'f') value |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') value |= c - 'A' + 10;
      else return fail("malformed \\u escape");
    }
    return value;
  }

  static void append_utf8(std::string& out, unsigned code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xc0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xe0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    }
  }

  Result<std::string> parse_string() {
    ++position_;  // '"'
    std::string out;
    for (;;) {
      if (position_ >= text_.size()) return fail("unterminated string");
      char c = text_[position_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (position_ >= text_.size()) return fail("unterminated string");
      char escape = text_[position_++];
      switch (escape) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned code = TPROC_TRY(parse_hex4());
          if (code >= 0xd800 && code <= 0xdbff) {
            if (!consume("\\u")) return fail("unpaired surrogate in \\u escape");
            unsigned low = TPROC_TRY(parse_hex4());
            if (low < 0xdc00 || low > 0xdfff) return fail("unpaired surrogate in \\u escape");
            code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
          } else if (code >= 0xdc00 && code <= 0xdfff) {
            return fail("unpaired surrogate in \\u escape");
          }
          append_utf8(out, code);
          break;
        }
        default: return fail("unknown escape '\\" + printable(std::string_view(&escape, 1)) + "'");
      }
    }
  }

  std::string_view text_;
  size_t position_ = 0;
};

Result<JsonValue> JsonValue::parse(std::string_view text) { return JsonParser(text).parse_document(); }

const JsonValue* JsonValue::find(std::string_view key) const {
  for (const auto& [name, value] : members_)
    if (name == key) return &value;
  return nullptr;
}

std::optional<int64_t> JsonValue::integer() const {
  if (kind_ != Kind::number) return std::nullopt;
  int64_t value = 0;
  auto [end, error] = std::from_chars(text_.data(), text_.data() + text_.size(), value);
  if (error != std::errc() || end != text_.data() + text_.size()) return std::nullopt;
  return value;
}

std::string json_quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20) {
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace tproc::bundle
