#pragma once
// CraftedImage: an OCI image written blob by blob (tar, sha256 and JSON by hand), so a test can put
// on a registry what no `tproc build` would make: a hostile layer, a size bomb, a manifest that
// declares sizes its blobs do not have.
//
// The layout it writes is what `skopeo copy oci:DIR:TAG ...` reads; the same image as a bundle file
// is `skopeo copy oci:DIR:TAG oci-archive:FILE`, so the network and the local file can be compared.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/bundle/bundle_test_support.hpp"

namespace tproc::e2e {

/// The pieces of one image.
struct CraftedImage {
  std::string layer;        ///< the layer blob: a gzip'd tar
  std::string tproc_config; ///< the member "tproc" of the OCI config (a JSON object)

  /// A gzip'd tar of `entries`, in order.
  static std::string layer_of(const std::vector<bundle::test::TarEntry>& entries);
  /// A gzip'd tar holding one file `name` of `bytes` zero bytes, written as one gzip member of
  /// its header and then copies of one member of 64 MiB of zeros (gzip readers join members):
  /// ~1 KiB per 64 MiB, made in milliseconds.
  static std::string zeros_layer(const std::string& name, uint64_t bytes);
  /// The tproc config a real bundle file carries (its OCI config's member "tproc").
  static std::string tproc_config_of(const std::filesystem::path& bundle);

  /// Writes the image as an OCI image layout in `dir` (created), under the tag `tag`; the image
  /// manifest's bytes.
  std::string write_layout(const std::filesystem::path& dir, const std::string& tag) const;
};

/// "sha256:" + the hex SHA-256 of `bytes`.
std::string digest_of(const std::string& bytes);

}  // namespace tproc::e2e
