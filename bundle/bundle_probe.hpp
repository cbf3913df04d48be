#pragma once
// Telling a bundle file from an executable without the bundle libraries: `tproc` itself links
// none of them (cli/bundle_tool.hpp) and asks this before handing a bundle to the bundle tool.

#include <string>

namespace tproc::bundle {

/// True when `path` is a bundle file rather than an executable (judged by content, not name).
bool looks_like_bundle(const std::string& path);

}  // namespace tproc::bundle
