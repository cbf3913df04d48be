// tproc login / logout: credentials for a registry, kept where docker and podman keep them.

#include <cstdio>

#include "cli/arguments.hpp"
#include "cli/bundle_tool.hpp"
#include "cli/command.hpp"
#include "cli/transfer_arguments.hpp"
#include "distribution/image_reference.hpp"
#include "distribution/skopeo.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kLoginUsage =
    "Usage: tproc login [-u USER] [--password-stdin] [--tls-verify BOOL|--insecure] REGISTRY\n\n"
    "Log in to an OCI registry (HOST[:PORT]) for push and pull: asks for what is not given (the\n"
    "password never on the command line). Credentials are stored as podman stores them, in\n"
    "${XDG_RUNTIME_DIR}/containers/auth.json; push and pull read that file, then\n"
    "~/.docker/config.json (docker login's).\n\n"
    "Options:\n"
    "  -u, --username USER  the user name\n"
    "  --password-stdin     read the password from stdin\n";

constexpr const char* kLogoutUsage =
    "Usage: tproc logout [--all] REGISTRY\n\n"
    "Forget the credentials 'tproc login' stored for REGISTRY (every registry with --all).\n\n"
    "Options:\n"
    "  --all  every registry's\n";

/// `text` as a registry host[:port], checked with the reference grammar.
Result<distribution::ImageReference> registry_host(const std::string& text) {
  auto parsed = distribution::ImageReference::parse(text + "/x");
  if (!parsed || parsed->registry() != text)
    return Error::explained("'" + text + "' is not a registry HOST[:PORT]", EINVAL);
  return parsed;
}

Result<int> login(std::span<char* const> args) {
  Arguments arguments =
      TPROC_TRY(Arguments::parse(args, transfer_option_specs({{"username", 'u', true}, {"password-stdin", 0, false}})));
  if (arguments.wants_help()) {
    std::printf("%s%s", kLoginUsage, kTransferUsage);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("login", 1, 1, "one REGISTRY"));
  const std::string& host = arguments.positional()[0];
  const std::string context = "login " + host;
  distribution::ImageReference registry = TPROC_TRY_CTX(context, registry_host(host));
  const distribution::TransferOptions options = TPROC_TRY(transfer_options(arguments));
  std::vector<std::string> call{"login",
                                std::string("--tls-verify=") + (verifies_tls(registry, options) ? "true" : "false")};
  if (arguments.has("username")) call.insert(call.end(), {"--username", arguments.value("username")});
  if (arguments.has("password-stdin")) call.push_back("--password-stdin");
  call.push_back(host);
  TPROC_TRY_CTX(context, distribution::run_skopeo({.args = call, .registry = host, .pass_stdin = true, .pass_stdout = true}));
  return 0;
}

Result<int> logout(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"all", 0, false}}));
  if (arguments.wants_help()) {
    std::fputs(kLogoutUsage, stdout);
    return 0;
  }
  const bool all = arguments.has("all");
  TPROC_TRY(arguments.expect_operands("logout", all ? 0 : 1, all ? 0 : 1, all ? "no REGISTRY with --all" : "one REGISTRY"));
  std::vector<std::string> call{"logout"};
  std::string context = "logout";
  if (all) {
    call.push_back("--all");
  } else {
    const std::string& host = arguments.positional()[0];
    context += " " + host;
    TPROC_TRY_CTX(context, registry_host(host));
    call.push_back(host);
  }
  TPROC_TRY_CTX(context, distribution::run_skopeo({.args = call, .pass_stdout = true}));
  return 0;
}

}  // namespace

const Command kLoginCommand{"login", bundle_tool_summary("login"), kLoginUsage, login};
const Command kLogoutCommand{"logout", bundle_tool_summary("logout"), kLogoutUsage, logout};

}  // namespace tproc::cli
