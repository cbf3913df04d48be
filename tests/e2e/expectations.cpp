#include "expectations.hpp"

#include <algorithm>
#include <cctype>

namespace tproc::e2e {

namespace {

std::string lowered(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) out += (out.empty() ? "\"" : " or \"") + word + "\"";
  return out;
}

}  // namespace

bool ExitsWith::match(const Outcome& outcome) const {
  return !outcome.timed_out && outcome.status == status_;
}

std::string ExitsWith::describe() const { return "exits with status " + std::to_string(status_); }

IsOneLineError& IsOneLineError::naming(std::string text) {
  names_.push_back(std::move(text));
  return *this;
}

IsOneLineError& IsOneLineError::because_of(std::vector<std::string> words) {
  reasons_.push_back(std::move(words));
  return *this;
}

bool IsOneLineError::match(const Outcome& outcome) const {
  if (outcome.timed_out || outcome.signal != 0 || outcome.status == 0) return false;
  const std::string& err = outcome.err;
  if (err.rfind(program_ + ": ", 0) != 0) return false;
  if (err.back() != '\n' || err.find('\n') != err.size() - 1) return false;
  for (const std::string& name : names_)
    if (err.find(name) == std::string::npos) return false;
  // The reason must be in the message itself, not in a path it quotes ("/tmp/not-elf").
  std::string reason_text = err;
  for (const std::string& name : names_)
    for (size_t at; (at = reason_text.find(name)) != std::string::npos;)
      reason_text.erase(at, name.size());
  const std::string err_lowered = lowered(reason_text);
  for (const std::vector<std::string>& words : reasons_) {
    bool any = std::any_of(words.begin(), words.end(), [&](const std::string& word) {
      return err_lowered.find(lowered(word)) != std::string::npos;
    });
    if (!any) return false;
  }
  return true;
}

std::string IsOneLineError::describe() const {
  std::string out = "fails with exactly one stderr line \"" + program_ + ": ...\"";
  for (const std::string& name : names_) out += ", naming \"" + name + "\"";
  for (const auto& words : reasons_) out += ", giving the reason " + joined(words);
  return out;
}

}  // namespace tproc::e2e
