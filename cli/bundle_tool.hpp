#pragma once
// The bundle tool: the commands that work with bundles need yaml-cpp, libarchive and libcrypto
// (and what they pull in: libxml2, ICU, libstdc++...), whose loading costs every process that
// links them ~3 ms. `tproc` starts once per `tproc run`, so it links none of them and runs these
// commands in a second executable, libexec/tproc/tproc-bundles (cli/bundle_tool_main.cpp), the
// way git runs its helpers. Users only ever type `tproc`.

#include <span>
#include <string_view>

#include "common/result.hpp"

namespace tproc::cli {

struct BundleToolVerb {
  const char* name;
  const char* summary;  ///< one line for `tproc --help`
};

inline constexpr BundleToolVerb kBundleToolVerbs[] = {
    {"build", "Package an app and what it needs as a bundle"},
    {"inspect", "Show what a bundle holds"},
    {"images", "List the bundles in the cache"},
    {"prune", "Remove cached bundles no tproc uses"},
    {"push", "Push a bundle to an OCI registry"},
    {"pull", "Pull a bundle from an OCI registry into the cache"},
    {"rmi", "Remove an image: a reference, or a digest and its references"},
    {"login", "Log in to an OCI registry"},
    {"logout", "Forget a registry's credentials"},
    {"up", "Start an app of several services (a compose file)"},
    {"down", "Stop an app started by 'tproc up'"},
    {"compose", "Run config, up, down, ps, logs or restart on a compose file's app"},
};

/// The summary of a bundle tool verb (the one place it is written).
constexpr const char* bundle_tool_summary(std::string_view verb) {
  for (const BundleToolVerb& known : kBundleToolVerbs)
    if (verb == known.name) return known.summary;
  return "";
}

/// Replaces this process with `tproc-bundles VERB ARGS...`; returns only on failure.
Result<int> exec_bundle_tool(const char* verb, std::span<char* const> args);

}  // namespace tproc::cli
