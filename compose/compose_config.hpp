#pragma once
// `tproc compose config`: a compose file as tproc understood it — every default filled in, every
// shorthand in its long form, paths made absolute, `version:` dropped — as normalised YAML, as
// `docker compose config` prints it.

#include <string>

#include "compose/compose_manifest.hpp"

namespace tproc::compose {

/// The resolved file: `manifest`, read from a file in `directory`, as YAML that parses back to the
/// same manifest (with absolute paths).
std::string resolved_config(const ComposeManifest& manifest, const std::string& directory);

}  // namespace tproc::compose
