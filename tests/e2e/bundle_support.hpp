#pragma once
// Helpers the bundle end-to-end tests share: writing a manifest, building a bundle with the real
// `tproc build`, looking into the cache ($TPROC_HOME/bundles) and at what a command left behind.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox.hpp"

namespace tproc::e2e {

/// The tproc source tree (where samples/*/tproc.yaml live).
std::string source_dir();

/// `text` as a YAML (and JSON) double-quoted scalar, escapes included.
std::string yaml_quote(std::string_view text);

/// `items` as a YAML flow list of quoted strings: ["a", "b c"].
std::string yaml_list(const std::vector<std::string>& items);

/// Copies the file `from` to `to`, creating the directories above `to` and keeping the mode bits.
void place_file(const std::filesystem::path& from, const std::filesystem::path& to);

/// Writes root()/DIR/tproc.yaml and returns its full path.
std::string write_manifest(Sandbox& sandbox, const std::string& dir, std::string_view yaml);

/// Runs `tproc build -f MANIFEST -o root()/OUT` and returns the bundle's full path; throws
/// (quoting the outcome) unless the build succeeds.
std::string build_bundle(Sandbox& sandbox, const std::string& manifest, const std::string& out);

/// Writes root()/NAME/tproc.yaml (name NAME, version 1.0.0, entrypoint the absolute path
/// `executable`, then the lines `more_yaml`), builds root()/NAME.bundle and returns its full path.
std::string bundle_of(Sandbox& sandbox, const std::string& name, const std::string& executable,
                      std::string_view more_yaml = "");

/// The bundle cache: $TPROC_HOME/bundles.
std::filesystem::path cache_root(const Sandbox& sandbox);

/// The digests' hex of every directory in the cache, complete (with its marker) or not.
std::vector<std::string> cache_entries(const Sandbox& sandbox);

/// One row of `tproc images --format json`.
struct ImageInfo {
  std::string name;
  std::string version;
  std::string digest;  ///< "sha256:…"
};

/// `tproc images --format json`, parsed; throws if the command fails.
std::vector<ImageInfo> images(Sandbox& sandbox);

/// The "digest" of `tproc inspect --format json BUNDLE` ("sha256:…"); throws if inspect fails.
std::string bundle_digest(Sandbox& sandbox, const std::string& bundle);

/// Every path under `dir` (recursively, relative to it), sorted; `except` (relative to `dir`)
/// and what is under it left out.
std::vector<std::string> tree(const std::filesystem::path& dir, const std::string& except = "");

/// The lines of /proc/PID/maps whose path ends with `suffix`.
std::vector<std::string> mappings_ending_with(pid_t pid, const std::string& suffix);

/// The value of `/proc/PID/status` field `Threads:` (0 if unreadable).
long thread_count(pid_t pid);

}  // namespace tproc::e2e
