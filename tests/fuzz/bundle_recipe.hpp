#pragma once
// Bundle recipes: how bundle_unpack_fuzz turns its input into a bundle file.
//
// A bundle checks every blob against a SHA-256 digest, so mutated bundle bytes almost never get
// past the first blob, and the layer checker and extractor (the code that writes to disk) would go
// unfuzzed. A recipe lets mutations reach them: it holds the documents and the layer, and the
// digests and sizes that bind them are filled in when the bundle is written. An input is either
//   - a bundle file, verbatim (any first byte but kRecipeMarker), or
//   - kRecipeMarker, then parts separated by kPartSeparator, in this order:
//       index.json, image manifest, config, layer (a tar, or a tar.gz), oci-layout (optional)
//     where @CONFIG@ / @LAYER@ / @MANIFEST@ become that part's 64 hex digits, and @CONFIG_SIZE@ /
//     @LAYER_SIZE@ / @MANIFEST_SIZE@ its size in bytes (config and layer anywhere, manifest only in
//     index.json, which names it). Every 512-byte header of the layer tar gets its checksum
//     recomputed, so a mutated header is judged by tproc rather than refused by libarchive.
// write_bundle_recipe() writes the outer tar in the order a bundle has: oci-layout, index.json,
// then the manifest, config and layer blobs (a blob whose digest repeats is written once).

#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace tproc::fuzz {

/// The first byte of a recipe input.
inline constexpr char kRecipeMarker = 'R';
/// Separates the parts of a recipe.
inline constexpr std::string_view kPartSeparator = "\n@@\n";

/// Writes the bundle that `input` (a recipe or a bundle verbatim) describes to `path`.
Result<void> write_bundle_recipe(std::span<const char> input, const std::string& path);

/// Recomputes the checksum of each header of the tar archive in `tar`, walking the headers by
/// their size fields; stops at the end-of-archive block or at a header it cannot size.
void fix_tar_checksums(std::string& tar);

}  // namespace tproc::fuzz
