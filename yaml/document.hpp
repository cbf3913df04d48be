#pragma once
// Loading the one YAML document a manifest file holds, hardened against what yaml-cpp lets through
// or cannot survive: bytes that are not UTF-8, further documents after the first (which
// YAML::Load would silently drop), and nesting deep enough to exhaust the stack.

#include <yaml-cpp/yaml.h>

#include <string_view>

#include "common/result.hpp"
#include "yaml/field_reader.hpp"

namespace tproc::yaml {

/// The document `text` holds (a null node for an empty file or one of comments only), or the
/// first reason it is not one well-formed document, as an error from `reader`:
///   "invalid UTF-8 (a manifest is UTF-8 text)" at the first bad byte;
///   "bad YAML: …" at yaml-cpp's position ("bad YAML: nested too deeply" for deep nesting);
///   "expected one YAML document, found N" at the second document.
Result<YAML::Node> load_document(std::string_view text, const FieldReader& reader);

}  // namespace tproc::yaml
