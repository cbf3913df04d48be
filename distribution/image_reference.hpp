#pragma once
// ImageReference: a name for an image in an OCI registry, as docker and podman write one:
//   [REGISTRY/]PATH[:TAG][@sha256:HEX]      localhost:5000/team/kv:1.0, ghcr.io/x/kv@sha256:…
// Parsed by the grammar of the distribution project's reference package (what skopeo, podman and
// docker accept), normalised as docker does: no registry means docker.io, a one-component path on
// docker.io gains "library/", no tag and no digest means ":latest".
//
// Lean on purpose (no regex, no libraries): `tproc` links it to tell a reference from a program.

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace tproc::distribution {

/// A parsed, normalised image reference. Build it with parse().
class ImageReference {
 public:
  /// Parses `text`; EINVAL names what is wrong ("tag \"a b\" has a character a tag cannot hold").
  static Result<ImageReference> parse(std::string_view text);

  /// The registry host, with its port: "localhost:5000", "docker.io".
  const std::string& registry() const { return registry_; }
  /// The repository path inside the registry: "team/kv", "library/alpine".
  const std::string& path() const { return path_; }
  /// The tag ("1.0"; "latest" when none was given and no digest either); empty with a digest alone.
  const std::string& tag() const { return tag_; }
  /// "sha256:<64 hex>" when the reference pins one, else empty.
  const std::string& digest() const { return digest_; }

  /// "REGISTRY/PATH".
  std::string repository() const { return registry_ + "/" + path_; }
  /// The normalised reference: "REGISTRY/PATH:TAG", "REGISTRY/PATH@DIGEST" or both.
  std::string full() const;
  /// The same repository pinned to `digest` ("REGISTRY/PATH@DIGEST"), whatever the tag.
  std::string pinned(std::string_view digest) const { return repository() + "@" + std::string(digest); }
  /// Whether the registry is this machine (localhost, 127.0.0.0/8, ::1): spoken to over plain
  /// HTTP or unverified TLS, as docker does, unless TLS verification is asked for.
  bool registry_is_local() const;

 private:
  ImageReference() = default;

  std::string registry_;
  std::string path_;
  std::string tag_;
  std::string digest_;
};

/// Whether `target`, which names no file, is meant as an image reference by `tproc run`: it parses
/// as one and says so by a tag, a digest or a registry host ("kv:1.0", "x@sha256:…",
/// "localhost:5000/kv"). A bare word ("kv", "team/kv") stays a program that was not found, so a
/// typo never reaches for the network.
bool looks_like_image_reference(std::string_view target);

}  // namespace tproc::distribution
