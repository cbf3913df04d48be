#pragma once
// How push and pull speak to a registry: TLS, and whether skopeo shows its progress.

#include <optional>
#include <string>

#include "common/progress.hpp"
#include "distribution/image_reference.hpp"

namespace tproc::distribution {

/// What the user asked of one transfer.
struct TransferOptions {
  /// --tls-verify=true/false (--insecure is false); unset: podman's and docker's rule, below.
  std::optional<bool> tls_verify;
  /// Show skopeo's progress (on our stderr): when stderr is a terminal.
  bool progress = false;
  /// Told how a pull's own verification and its unpack into the cache go, after skopeo's copy.
  Progress* unpack_progress = nullptr;
};

/// Whether TLS must be verified for `reference`: as asked, else yes unless the registry is this
/// machine (localhost, 127.0.0.0/8, [::1]), which docker too speaks to over plain HTTP. A registry
/// that registries.conf marks `insecure = true` is also spoken to without verification: skopeo
/// reads that file itself.
inline bool verifies_tls(const ImageReference& reference, const TransferOptions& options) {
  return options.tls_verify.value_or(!reference.registry_is_local());
}

}  // namespace tproc::distribution
