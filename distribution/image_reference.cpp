#include "distribution/image_reference.hpp"

#include <algorithm>
#include <cerrno>

namespace tproc::distribution {

namespace {

// The distribution project's limits (reference/regexp.go, reference.go).
constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxTagLength = 128;
constexpr std::string_view kDefaultRegistry = "docker.io";
constexpr std::string_view kLegacyDefaultRegistry = "index.docker.io";  // docker's old name for it

Error invalid(std::string message) { return Error::explained(std::move(message), EINVAL); }

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// path-component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*
bool is_path_component(std::string_view part) {
  if (part.empty() || !is_lower_alnum(part.front()) || !is_lower_alnum(part.back())) return false;
  for (size_t i = 0; i < part.size();) {
    if (is_lower_alnum(part[i])) {
      ++i;
      continue;
    }
    size_t run = i;
    while (run < part.size() && !is_lower_alnum(part[run])) ++run;
    std::string_view separator = part.substr(i, run - i);
    bool dashes = separator.find_first_not_of('-') == std::string_view::npos;
    if (!(separator == "." || separator == "_" || separator == "__" || dashes)) return false;
    i = run;
  }
  return true;
}

/// domain-component: [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool is_domain_component(std::string_view part) {
  if (part.empty() || !is_alnum(part.front()) || !is_alnum(part.back())) return false;
  for (char c : part)
    if (!is_alnum(c) && c != '-') return false;
  return true;
}

/// A host (dotted components or a bracketed IPv6 address) with an optional :port.
bool is_domain(std::string_view domain) {
  std::string_view host = domain;
  size_t colon = std::string_view::npos;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos || close < 3) return false;
    for (char c : host.substr(1, close - 1))
      if (!(is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':')) return false;
    if (close + 1 < host.size() && host[close + 1] != ':') return false;
    colon = close + 1 < host.size() ? close + 1 : std::string_view::npos;
    host = host.substr(0, close + 1);
  } else {
    colon = host.find(':');
    std::string_view name = host.substr(0, colon);
    for (size_t start = 0;;) {
      size_t dot = name.find('.', start);
      if (!is_domain_component(name.substr(start, dot == std::string_view::npos ? dot : dot - start))) return false;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  if (colon != std::string_view::npos) {
    std::string_view port = domain.substr(colon + 1);
    if (port.empty() || port.size() > 5) return false;
    for (char c : port)
      if (!is_digit(c)) return false;
  }
  return true;
}

bool is_tag(std::string_view tag) {
  auto word = [](char c) { return is_alnum(c) || c == '_'; };
  if (tag.empty() || tag.size() > kMaxTagLength || !word(tag.front())) return false;
  for (char c : tag)
    if (!word(c) && c != '.' && c != '-') return false;
  return true;
}

bool is_hex64(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text)
    if (!(is_digit(c) || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

/// Docker's rule: the first component names a registry when it has a '.' or a ':', is
/// "localhost", or has an upper-case letter (which no repository path may).
bool names_registry(std::string_view first) {
  if (first == "localhost" || first.find_first_of(".:[") != std::string_view::npos) return true;
  for (char c : first)
    if (c >= 'A' && c <= 'Z') return true;
  return false;
}

}  // namespace

Result<ImageReference> ImageReference::parse(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (text.empty()) return invalid("an image reference cannot be empty");
  if (is_hex64(text))  // docker's rule: such a name is an image's digest, never a repository
    return invalid("image reference " + quoted + ": a name of 64 hex digits is a digest: write sha256:" + std::string(text));
  ImageReference reference;
  std::string_view rest = text;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    std::string_view digest = rest.substr(at + 1);
    if (!digest.starts_with("sha256:") || !is_hex64(digest.substr(7)))
      return invalid("image reference " + quoted + ": the digest must be sha256: and 64 lowercase hex digits");
    reference.digest_ = std::string(digest);
    rest = rest.substr(0, at);
  }
  size_t last_slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    std::string_view tag = rest.substr(colon + 1);
    if (!is_tag(tag))
      return invalid("image reference " + quoted + ": tag \"" + std::string(tag) +
                     "\" is not 1-128 letters, digits, '_', '.' or '-' starting with a letter, digit or '_'");
    reference.tag_ = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.size() > kMaxNameLength)
    return invalid("image reference " + quoted + ": the name is longer than " + std::to_string(kMaxNameLength) + " characters");
  std::string_view path = rest;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos && names_registry(rest.substr(0, slash))) {
    std::string_view domain = rest.substr(0, slash);
    if (!is_domain(domain))
      return invalid("image reference " + quoted + ": \"" + std::string(domain) + "\" is not a registry host[:port]");
    reference.registry_ = domain == kLegacyDefaultRegistry ? std::string(kDefaultRegistry) : std::string(domain);
    path = rest.substr(slash + 1);
  } else {
    reference.registry_ = std::string(kDefaultRegistry);
  }
  for (size_t start = 0;;) {
    size_t slash = path.find('/', start);
    std::string_view part = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (!is_path_component(part))
      return invalid("image reference " + quoted + ": \"" + std::string(part) +
                     "\" is not a repository name (lowercase letters and digits, separated by '.', '_', '__' or '-')");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  reference.path_ = std::string(path);
  if (reference.registry_ == kDefaultRegistry && reference.path_.find('/') == std::string::npos)
    reference.path_ = "library/" + reference.path_;
  if (reference.tag_.empty() && reference.digest_.empty()) reference.tag_ = "latest";
  return reference;
}

std::string ImageReference::full() const {
  std::string text = repository();
  if (!tag_.empty()) text += ":" + tag_;
  if (!digest_.empty()) text += "@" + digest_;
  return text;
}

bool ImageReference::registry_is_local() const {
  std::string_view host = registry_;
  if (host.starts_with("[")) return host.starts_with("[::1]");
  host = host.substr(0, host.find(':'));
  if (host == "localhost") return true;
  // 127.0.0.0/8 written as a dotted quad: "127.attacker.example" is a name DNS puts anywhere.
  if (!host.starts_with("127.")) return false;
  int parts = 0;
  for (size_t start = 0;; ++parts) {
    size_t dot = host.find('.', start);
    std::string_view part = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty() || part.size() > 3 || !std::all_of(part.begin(), part.end(), is_digit) || std::stoi(std::string(part)) > 255)
      return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts == 3;
}

bool looks_like_image_reference(std::string_view target) {
  if (target.empty() || target.front() == '/' || target.front() == '.') return false;
  if (!ImageReference::parse(target)) return false;
  size_t slash = target.find('/');
  std::string_view last = target.substr(target.rfind('/') == std::string_view::npos ? 0 : target.rfind('/') + 1);
  bool tag_or_digest = last.find(':') != std::string_view::npos || target.find('@') != std::string_view::npos;
  return tag_or_digest || (slash != std::string_view::npos && names_registry(target.substr(0, slash)));
}

}  // namespace tproc::distribution
