#include "json.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace tproc::e2e {
namespace {

// The parse callback sees each member name before its value: a name seen twice in one object is
// refused, since the CLI's output must not depend on which duplicate a reader keeps.
class DuplicateKeyCheck {
 public:
  bool operator()(int depth, nlohmann::ordered_json::parse_event_t event, nlohmann::ordered_json& parsed) {
    using Event = nlohmann::ordered_json::parse_event_t;
    auto level = static_cast<size_t>(depth);
    if (event == Event::object_start) {
      if (names_.size() <= level) names_.resize(level + 1);
      names_[level].clear();
    } else if (event == Event::key) {
      std::vector<std::string>& seen = names_.at(level - 1);
      const std::string& name = parsed.get_ref<const std::string&>();
      for (const std::string& previous : seen)
        if (previous == name) throw std::runtime_error("duplicate key \"" + name + "\"");
      seen.push_back(name);
    }
    return true;
  }

 private:
  std::vector<std::vector<std::string>> names_;  // per open object depth, its member names so far
};

}  // namespace

/// Copies nlohmann's tree into Json's, keeping member order and each value's own text.
class JsonBuilder {
 public:
  static Json from(const nlohmann::ordered_json& value) {
    Json out;
    out.source_ = value.dump();
    switch (value.type()) {
      case nlohmann::ordered_json::value_t::null:
        out.kind_ = Json::Kind::Null;
        break;
      case nlohmann::ordered_json::value_t::boolean:
        out.kind_ = Json::Kind::Bool;
        out.boolean_ = value.get<bool>();
        break;
      case nlohmann::ordered_json::value_t::number_integer:
      case nlohmann::ordered_json::value_t::number_unsigned:
      case nlohmann::ordered_json::value_t::number_float:
        out.kind_ = Json::Kind::Number;
        out.number_ = value.get<double>();
        out.string_ = out.source_;
        break;
      case nlohmann::ordered_json::value_t::string:
        out.kind_ = Json::Kind::String;
        out.string_ = value.get<std::string>();
        break;
      case nlohmann::ordered_json::value_t::array:
        out.kind_ = Json::Kind::Array;
        for (const auto& item : value) out.items_.push_back(from(item));
        break;
      case nlohmann::ordered_json::value_t::object:
        out.kind_ = Json::Kind::Object;
        for (const auto& [name, member] : value.items()) out.members_.emplace_back(name, from(member));
        break;
      default:
        throw std::runtime_error("JSON value of an unexpected type: " + out.source_);
    }
    return out;
  }
};

Json Json::parse(std::string_view text) {
  nlohmann::ordered_json document;
  try {
    document = nlohmann::ordered_json::parse(text, DuplicateKeyCheck{});
  } catch (const std::exception& error) {
    throw std::runtime_error("invalid JSON (" + std::string(error.what()) + "): " + std::string(text));
  }
  Json value = JsonBuilder::from(document);
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
