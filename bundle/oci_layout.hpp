#pragma once
// The on-disk form of a bundle, and write_bundle() that produces it.
//
// A bundle is ONE uncompressed tar archive holding an OCI image layout:
//   oci-layout                 {"imageLayoutVersion":"1.0.0"}
//   index.json                 one image manifest descriptor, ref name "NAME:VERSION"
//   blobs/sha256/<manifest>    schemaVersion 2: the config and the one layer
//   blobs/sha256/<config>      an OCI image config whose member "tproc" is the tproc config, verbatim
//   blobs/sha256/<layer>       the files, as a gzip'd tar
// in that order: every document comes before the blobs it names, so a reader can check each blob
// against a digest it already trusts as it streams, and the layer (the one large blob) comes last.
//
// Why the outer tar is not compressed: the layer inside is already gzip'd, so compressing again
// saves nothing, and an uncompressed tar lets a reader skip a blob with one lseek — finding the
// manifest digest of a bundle (what the cache needs) never reads the layer.
//
// Why the config is an OCI image config and not a blob of our own media type: `skopeo inspect`
// refuses any other config media type ("unsupported image-specific operation on artifact"), and so
// does `umoci unpack`. The tproc config travels as the member "tproc" of that config, byte for byte.
//
// Reproducible: the same contents give the same bytes. Entries are sorted by path, every mtime is
// one fixed value, uid/gid are 0 with no user or group names, the tar format is fixed (pax
// restricted: ustar unless a name or size needs a pax header), gzip has no timestamp or file name
// and a fixed level.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/progress.hpp"
#include "common/result.hpp"

namespace tproc::bundle {

inline constexpr std::string_view kMediaTypeImageIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kMediaTypeImageManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kMediaTypeImageConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kMediaTypeLayerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kMediaTypeLayerTar = "application/vnd.oci.image.layer.v1.tar";
/// A config blob that is the tproc config itself (accepted when reading; write_bundle embeds it).
inline constexpr std::string_view kMediaTypeTprocConfig = "application/vnd.tproc.config.v1+json";
/// The member of the OCI image config that holds the tproc config.
inline constexpr std::string_view kTprocConfigMember = "tproc";
inline constexpr std::string_view kAnnotationRefName = "org.opencontainers.image.ref.name";
inline constexpr std::string_view kAnnotationTitle = "org.opencontainers.image.title";
inline constexpr std::string_view kAnnotationVersion = "org.opencontainers.image.version";

/// One entry of a bundle's layer. Build it with the named constructors.
struct BundleFile {
  enum class Kind { host_file, bytes, symlink, directory };

  std::string path;  ///< relative to the bundle root ("bin/app", "lib/libc.so.6")
  Kind kind = Kind::bytes;
  std::string source;  ///< host_file: the host path to copy; bytes: the content; symlink: the target
  uint32_t mode = 0644;  ///< permission bits only (0755, 0644); ignored for symlinks

  /// A copy of the regular file at `host_path` (symlinks on the host are followed).
  static BundleFile from_host(std::string path, std::string host_path, uint32_t mode);
  /// A regular file holding `content`.
  static BundleFile from_bytes(std::string path, std::string content, uint32_t mode);
  /// A symlink to `target` (relative; see bundle_path.hpp for what is allowed).
  static BundleFile symlink(std::string path, std::string target);
  /// A directory (parents of other entries are added as 0755 directories without asking).
  static BundleFile directory(std::string path, uint32_t mode = 0755);
};

/// Everything a bundle holds.
struct BundleContents {
  std::string name;         ///< the app's name: ref name "NAME:VERSION", title annotation
  std::string version;      ///< the app's version: ref name, version annotation
  std::string config_json;  ///< the tproc config (Manifest::to_json()): a JSON object, kept verbatim
  std::vector<BundleFile> files;  ///< in any order: they are written sorted by path
  std::string architecture;       ///< OCI spelling ("amd64", "arm64"); empty: this machine's
  std::optional<int64_t> mtime;   ///< every entry's mtime; unset: $SOURCE_DATE_EPOCH if set, else 0
};

/// The digests of a bundle write_bundle produced.
struct WrittenBundle {
  std::string manifest_digest;  ///< "sha256:…": the bundle's identity (and its cache key)
  std::string layer_digest;     ///< "sha256:…" of the gzip'd layer
  uint64_t layer_size = 0;      ///< bytes of the gzip'd layer
};

/// Writes `contents` to `out_path` as a bundle. The file appears whole or not at all (a temporary
/// file in the same directory is renamed into place). Errors name the entry and the reason, e.g.
/// `bundle entry "lib/../x": path escapes the bundle`. Reports "compressing" (the bytes of the
/// files read into the layer, of all of them) to `progress`.
Result<WrittenBundle> write_bundle(const BundleContents& contents, const std::string& out_path,
                                   Progress* progress = nullptr);

/// The OCI ref name for `name` and `version`: "NAME:VERSION", or NAME alone when VERSION does not
/// fit the OCI ref grammar (the version annotation still carries it).
std::string oci_ref_name(std::string_view name, std::string_view version);

}  // namespace tproc::bundle
