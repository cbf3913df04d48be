#include "cli/transfer_arguments.hpp"

#include <unistd.h>

#include <cerrno>

namespace tproc::cli {

std::vector<OptionSpec> transfer_option_specs(std::vector<OptionSpec> own) {
  own.push_back({"tls-verify", 0, true});
  own.push_back({"insecure", 0, false});
  return own;
}

Result<distribution::TransferOptions> transfer_options(const Arguments& arguments) {
  distribution::TransferOptions options;
  if (arguments.has("tls-verify")) {
    const std::string value = arguments.value("tls-verify");
    if (value != "true" && value != "false")
      return Error::explained("--tls-verify takes true or false, not '" + value + "'", EINVAL);
    options.tls_verify = value == "true";
  }
  if (arguments.has("insecure")) {
    if (options.tls_verify.value_or(false)) return Error::explained("--insecure contradicts --tls-verify=true", EINVAL);
    options.tls_verify = false;
  }
  options.progress = ::isatty(STDERR_FILENO) == 1;
  return options;
}

}  // namespace tproc::cli
