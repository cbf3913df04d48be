#pragma once
// The options push, pull and login share: --tls-verify=BOOL and its podman spelling --insecure.

#include <vector>

#include "cli/arguments.hpp"
#include "common/result.hpp"
#include "distribution/transfer_options.hpp"

namespace tproc::cli {

/// The option specs to add to a command's own.
std::vector<OptionSpec> transfer_option_specs(std::vector<OptionSpec> own);

/// The options parsed from `arguments`; progress when stderr is a terminal. --tls-verify takes
/// true or false; anything else is an error naming it.
Result<distribution::TransferOptions> transfer_options(const Arguments& arguments);

/// The usage lines for those options.
inline constexpr const char* kTransferUsage =
    "  --tls-verify BOOL  verify the registry's TLS certificate (true or false; default true, except\n"
    "                     for a registry on this machine: localhost, 127.0.0.0/8, [::1], which may\n"
    "                     speak plain HTTP)\n"
    "  --insecure         the same as --tls-verify false\n";

}  // namespace tproc::cli
