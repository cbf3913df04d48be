#pragma once
// Pushing a bundle file to a registry: `skopeo copy oci-archive:BUNDLE docker://REF`.
//
// A bundle already is an OCI image layout in a tar (bundle/oci_layout.hpp), which is exactly what
// skopeo's oci-archive: transport reads, so it travels as it is: the manifest digest on the
// registry is the bundle's own digest (checked after the copy), and `skopeo inspect`, `skopeo
// copy` and `tproc pull` read it back.

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "distribution/image_reference.hpp"
#include "distribution/transfer_options.hpp"

namespace tproc::distribution {

/// What push_bundle() pushed.
struct PushedImage {
  std::string reference;  ///< normalised: "localhost:5000/team/kv:1.0"
  std::string digest;     ///< "sha256:…" of the image manifest, on the registry as in the bundle
};

/// The reference a push goes to: `target` as given; empty, the bundle's NAME:VERSION; ending
/// in '/' (a registry or a namespace: "localhost:5000/team/"), that with NAME:VERSION appended.
std::string push_target(std::string_view target, std::string_view name, std::string_view version);

/// Verifies the bundle at `bundle_path` and pushes it to `target` (see push_target()), skopeo's
/// scratch files in `scratch_dir`. Errors are one line; callers add the bundle and reference.
Result<PushedImage> push_bundle(const std::string& bundle_path, std::string_view target, const TransferOptions& options,
                                const std::string& scratch_dir);

}  // namespace tproc::distribution
