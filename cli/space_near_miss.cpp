#include "cli/space_near_miss.hpp"

#include <algorithm>
#include <cctype>

namespace tproc::cli {
namespace {

constexpr size_t kShortestTypoTarget = 4;  // one edit from "ab" is half the two-letter names

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

/// Whether `a` and `b` (lower-cased, different) are one digit-free edit apart.
bool one_letter_edit(const std::string& a, const std::string& b) {
  const std::string& longer = a.size() >= b.size() ? a : b;
  const std::string& shorter = a.size() >= b.size() ? b : a;
  if (longer.size() - shorter.size() > 1) return false;
  size_t front = 0;
  while (front < shorter.size() && shorter[front] == longer[front]) ++front;
  if (longer.size() != shorter.size())  // one inserted: the rest must match past it
    return !digit(longer[front]) && shorter.compare(front, std::string::npos, longer, front + 1) == 0;
  if (shorter.compare(front + 1, std::string::npos, longer, front + 1) == 0)  // one replaced
    return !digit(shorter[front]) && !digit(longer[front]);
  // two neighbours swapped
  return front + 1 < shorter.size() && shorter[front] == longer[front + 1] && shorter[front + 1] == longer[front] &&
         shorter.compare(front + 2, std::string::npos, longer, front + 2) == 0 && !digit(shorter[front]) &&
         !digit(shorter[front + 1]);
}

std::string lowered(const std::string& text) {
  std::string result = text;
  std::transform(result.begin(), result.end(), result.begin(), lower);
  return result;
}

}  // namespace

std::optional<std::string> space_near_miss(const std::string& typed, const std::vector<std::string>& existing) {
  if (std::find(existing.begin(), existing.end(), typed) != existing.end()) return std::nullopt;
  const std::string key = lowered(typed);
  std::optional<std::string> edited;
  for (const std::string& name : existing) {
    const std::string other = lowered(name);
    if (other == key) return name;  // a case slip beats any edit
    if (!edited && std::min(key.size(), other.size()) >= kShortestTypoTarget && one_letter_edit(key, other)) edited = name;
  }
  return edited;
}

}  // namespace tproc::cli
