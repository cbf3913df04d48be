#pragma once
// Sha256: incremental SHA-256 over OpenSSL's libcrypto (libssl-dev), and the OCI digest spelling.
//
// We link libcrypto rather than carry our own SHA-256: it is already on every Debian machine that
// builds tproc, it uses the CPU's SHA extensions, and it has been checked far more than a copy would.

#include <openssl/evp.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.hpp"

namespace tproc::bundle {

/// An incremental SHA-256. Move-only; owns an EVP_MD_CTX.
///
/// update() cannot report failure without making every caller's loop noisy, so a failure is
/// sticky: it is remembered and returned by finish().
class Sha256 {
 public:
  Sha256();
  Sha256(Sha256&& other) noexcept
      : context_(std::exchange(other.context_, nullptr)), failed_(other.failed_) {}
  Sha256& operator=(Sha256&& other) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  ~Sha256();

  /// Hashes `bytes` after everything hashed so far.
  void update(std::span<const std::byte> bytes);
  /// Hashes the characters of `text` after everything hashed so far.
  void update(std::string_view text);

  /// The digest of everything hashed, as 64 lowercase hex digits. Ends the hash.
  Result<std::string> finish_hex();

 private:
  EVP_MD_CTX* context_ = nullptr;
  bool failed_ = false;
};

/// The SHA-256 of `bytes` as 64 lowercase hex digits.
Result<std::string> sha256_hex(std::string_view bytes);

/// "sha256:" + hex: how OCI spells a digest.
std::string oci_digest(std::string_view hex);

/// The hex part of an OCI digest "sha256:<64 lowercase hex>", or EINVAL naming what is wrong
/// (another algorithm, a wrong length, an upper-case or non-hex digit).
Result<std::string> digest_hex(std::string_view digest);

/// Whether `text` is 64 lowercase hex digits.
bool is_sha256_hex(std::string_view text);

}  // namespace tproc::bundle
