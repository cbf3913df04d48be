#include "bundle/sha256.hpp"
#include "common/printable.hpp"

#include <cerrno>

namespace tproc::bundle {

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  failed_ = context_ == nullptr || EVP_DigestInit_ex(context_, EVP_sha256(), nullptr) != 1;
}

Sha256& Sha256::operator=(Sha256&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(context_);
    context_ = std::exchange(other.context_, nullptr);
    failed_ = other.failed_;
  }
  return *this;
}

Sha256::~Sha256() { EVP_MD_CTX_free(context_); }

void Sha256::update(std::span<const std::byte> bytes) {
  if (failed_ || bytes.empty()) return;
  failed_ = EVP_DigestUpdate(context_, bytes.data(), bytes.size()) != 1;
}

void Sha256::update(std::string_view text) { update(std::as_bytes(std::span(text))); }

Result<std::string> Sha256::finish_hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (failed_ || context_ == nullptr || EVP_DigestFinal_ex(context_, digest, &length) != 1 ||
      length != 32) {
    failed_ = true;
    return Error("sha256: libcrypto failed", EIO);
  }
  failed_ = true;  // the context is spent; a second finish must not return a digest
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(64, '0');
  for (unsigned i = 0; i < 32; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return hex;
}

Result<std::string> sha256_hex(std::string_view bytes) {
  Sha256 hash;
  hash.update(bytes);
  return hash.finish_hex();
}

std::string oci_digest(std::string_view hex) { return "sha256:" + std::string(hex); }

bool is_sha256_hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Result<std::string> digest_hex(std::string_view digest) {
  auto colon = digest.find(':');
  if (colon == std::string_view::npos)
    return Error::explained("digest \"" + printable(digest) + "\" has no algorithm prefix", EINVAL);
  if (digest.substr(0, colon) != "sha256")
    return Error::explained("digest \"" + printable(digest) + "\": algorithm \"" +
                                std::string(digest.substr(0, colon)) + "\" is not supported (only sha256)",
                            EINVAL);
  auto hex = digest.substr(colon + 1);
  if (!is_sha256_hex(hex))
    return Error::explained("digest \"" + printable(digest) + "\" is not 64 lowercase hex digits", EINVAL);
  return std::string(hex);
}

}  // namespace tproc::bundle
