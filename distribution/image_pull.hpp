#pragma once
// Pulling an image from a registry into the image store and the bundle cache.
//
// Nothing from the network is trusted until tproc's own reader has checked it:
//   1. the image manifest is fetched alone (`skopeo inspect --raw`, at most 4 MiB) and hashed: its
//      digest is the image's identity, and must be the pinned one for REF@sha256:…;
//   2. it must describe a bundle (an OCI image manifest, one config, one layer) whose declared
//      sizes are within the bundle limits: a size bomb is refused before a byte of it is fetched;
//   3. `skopeo copy` fetches exactly that manifest (by digest, so a tag moved meanwhile cannot
//      swap it) into a private scratch directory, as a bundle file;
//   4. bundle::BundleArchive::open() verifies every blob against its digest and size, and the
//      manifest digest again; the bundle cache then unpacks it with its layer checks (paths,
//      links, devices, setuid bits, entry and byte limits) before anything may run it;
//   5. only then is it in the store, and the reference names it.

#include <string>

#include "bundle/bundle_cache.hpp"
#include "common/result.hpp"
#include "distribution/image_reference.hpp"
#include "distribution/image_store.hpp"
#include "distribution/transfer_options.hpp"

namespace tproc::distribution {

/// What pull_image() did.
struct PulledImage {
  std::string digest;   ///< "sha256:…" of the image manifest
  std::string archive;  ///< its bundle file in the store
};

/// Pulls `reference` into `store` and `cache` (see above). Errors are one line naming the reason;
/// callers add the reference.
Result<PulledImage> pull_image(const ImageReference& reference, const TransferOptions& options, const ImageStore& store,
                               const bundle::BundleCache& cache, bundle::BundleLimits limits = {});

/// The bundle file for `reference`: from the store when it holds the pinned digest, or the digest
/// the tag was last pulled at; else pulled (like `docker run`). `pulled` says which.
Result<std::string> find_or_pull(const ImageReference& reference, const TransferOptions& options,
                                 const ImageStore& store, const bundle::BundleCache& cache, bool& pulled);

}  // namespace tproc::distribution
