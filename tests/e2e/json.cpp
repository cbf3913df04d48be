#include "json.hpp"

#include <cstdlib>
#include <stdexcept>

namespace tproc::e2e {

/// A recursive-descent parser over one document.
class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  Json document() {
    Json value = parse_value();
    skip_space();
    if (position_ != text_.size()) fail("trailing characters");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("invalid JSON (" + what + " at offset " + std::to_string(position_) +
                             "): " + std::string(text_));
  }

  void skip_space() {
    while (position_ < text_.size() && (text_[position_] == ' ' || text_[position_] == '\n' ||
                                        text_[position_] == '\t' || text_[position_] == '\r'))
      ++position_;
  }

  char peek() {
    skip_space();
    if (position_ >= text_.size()) fail("unexpected end");
    return text_[position_];
  }

  void expect(char wanted) {
    if (peek() != wanted) fail(std::string("expected '") + wanted + "'");
    ++position_;
  }

  bool consume_word(std::string_view word) {
    if (text_.substr(position_, word.size()) != word) return false;
    position_ += word.size();
    return true;
  }

  Json parse_value() {
    Json value;
    char next = peek();
    if (next == '{') {
      value.kind_ = Json::Kind::Object;
      ++position_;
      if (peek() == '}') {
        ++position_;
        return value;
      }
      for (;;) {
        if (peek() != '"') fail("expected a member name");
        std::string key = parse_string();
        expect(':');
        value.members_.emplace_back(std::move(key), parse_value());
        if (peek() == ',') {
          ++position_;
          continue;
        }
        expect('}');
        return value;
      }
    }
    if (next == '[') {
      value.kind_ = Json::Kind::Array;
      ++position_;
      if (peek() == ']') {
        ++position_;
        return value;
      }
      for (;;) {
        value.items_.push_back(parse_value());
        if (peek() == ',') {
          ++position_;
          continue;
        }
        expect(']');
        return value;
      }
    }
    if (next == '"') {
      value.kind_ = Json::Kind::String;
      value.string_ = parse_string();
      return value;
    }
    if (consume_word("true") || consume_word("false")) {
      value.kind_ = Json::Kind::Bool;
      value.boolean_ = text_.substr(position_ - 4, 4) == "true";
      return value;
    }
    if (consume_word("null")) return value;
    if (next == '-' || (next >= '0' && next <= '9')) {
      size_t start = position_;
      while (position_ < text_.size() &&
             std::string_view("+-0123456789.eE").find(text_[position_]) != std::string_view::npos)
        ++position_;
      value.kind_ = Json::Kind::Number;
      value.string_ = std::string(text_.substr(start, position_ - start));
      char* end = nullptr;
      value.number_ = std::strtod(value.string_.c_str(), &end);
      if (*end != '\0') fail("bad number");
      return value;
    }
    fail("unexpected character");
  }

  std::string parse_string() {
    expect('"');
    std::string out;
    for (;;) {
      if (position_ >= text_.size()) fail("unterminated string");
      char c = text_[position_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (position_ >= text_.size()) fail("unterminated escape");
      char escaped = text_[position_++];
      switch (escaped) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (position_ + 4 > text_.size()) fail("short \\u escape");
          unsigned code = std::stoul(std::string(text_.substr(position_, 4)), nullptr, 16);
          position_ += 4;
          // UTF-8 for the basic plane; surrogate pairs are not expected in tproc's output.
          if (code < 0x80) {
            out += static_cast<char>(code);
          } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
          }
          break;
        }
        default: fail("bad escape");
      }
    }
  }

  std::string_view text_;
  size_t position_ = 0;
};

Json Json::parse(std::string_view text) {
  Json value = JsonParser(text).document();
  value.source_ = std::string(text);
  return value;
}

const std::vector<Json>& Json::items() const {
  if (kind_ != Kind::Array) throw std::runtime_error("JSON value is not an array");
  return items_;
}

const Json* Json::find(std::string_view key) const {
  if (kind_ != Kind::Object) throw std::runtime_error("JSON value is not an object");
  for (const auto& [name, value] : members_)
    if (name == key) return &value;
  return nullptr;
}

const std::vector<std::pair<std::string, Json>>& Json::members() const {
  if (kind_ != Kind::Object) throw std::runtime_error("JSON value is not an object");
  return members_;
}

const Json& Json::at(std::string_view key) const {
  const Json* value = find(key);
  if (value == nullptr) throw std::runtime_error("JSON object has no key \"" + std::string(key) + "\"");
  return *value;
}

const std::string& Json::str() const {
  if (kind_ != Kind::String) throw std::runtime_error("JSON value is not a string");
  return string_;
}

double Json::number() const {
  if (kind_ != Kind::Number) throw std::runtime_error("JSON value is not a number");
  return number_;
}

std::string Json::text() const {
  if (kind_ != Kind::String && kind_ != Kind::Number)
    throw std::runtime_error("JSON value is neither a string nor a number");
  return string_;
}

}  // namespace tproc::e2e
