// tproc info: what this tproc is and what it finds around it, as `docker info` does: its version,
// where its executables and state are, the kernel and the facilities tproc uses, and the spaces.

#include <sys/utsname.h>

#include <cstdio>
#include <utility>

#include <tproc_version.h>

#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/executables.hpp"
#include "cli/kernel_features.hpp"
#include "cli/output.hpp"
#include "cli/space_client.hpp"
#include "common/printable.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc info [--format table|json]\n\n"
    "Show tproc's version and git commit, where its executables, sockets and state are, the\n"
    "kernel and which of the facilities tproc uses it has, and the spaces (up or dead).\n";

Result<int> info(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"format", 0, true}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const bool json = TPROC_TRY(arguments.json_format());
  TPROC_TRY(arguments.expect_operands("info", 0, 0, "no arguments"));
  const space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  const std::string full_cli = TPROC_TRY(full_cli_executable());
  const std::string bundle_tool = TPROC_TRY(bundle_tool_executable());
  utsname kernel{};
  ::uname(&kernel);
  const std::string kernel_text = std::string(kernel.sysname) + " " + kernel.release + " " + kernel.machine;

  // A space whose socket answers is up; one whose daemon died still has its socket (space ls).
  std::vector<std::string> up, dead;
  for (const std::string& name : paths.list_spaces())
    (ask_space(paths, name, protocol::InfoRequest{}) ? up : dead).push_back(name);
  const std::vector<KernelFeature> features = probe_kernel_features();

  if (json) {
    const auto names = [](const std::vector<std::string>& list) {
      std::string text = "[";
      for (const std::string& name : list) text += (text.size() > 1 ? ", " : "") + json_string(name);
      return text + "]";
    };
    std::printf("{\n  \"version\": %s,\n  \"commit\": %s,\n  \"full_cli\": %s,\n  \"bundle_tool\": %s,\n"
                "  \"runtime_dir\": %s,\n  \"home\": %s,\n  \"kernel\": %s,\n  \"features\": [",
                json_string(TPROC_VERSION).c_str(), json_string(TPROC_GIT_COMMIT).c_str(), json_string(full_cli).c_str(),
                json_string(bundle_tool).c_str(), json_string(paths.runtime_dir()).c_str(), json_string(paths.home()).c_str(),
                json_string(kernel_text).c_str());
    for (size_t i = 0; i < features.size(); ++i)
      std::printf("%s\n    {\"name\": %s, \"present\": %s, \"detail\": %s}", i ? "," : "", json_string(features[i].name).c_str(),
                  features[i].present ? "true" : "false", json_string(features[i].detail).c_str());
    std::printf("\n  ],\n  \"spaces\": {\"up\": %s, \"dead\": %s}\n}\n", names(up).c_str(), names(dead).c_str());
    return 0;
  }
  std::fputs(TPROC_VERSION_LINE, stdout);
  const std::pair<const char*, std::string> facts[] = {
      {"full CLI:", full_cli},    {"bundle tool:", bundle_tool}, {"runtime dir:", paths.runtime_dir()},
      {"home:", paths.home()},    {"kernel:", kernel_text},
      {"spaces:", std::to_string(up.size()) + " up, " + std::to_string(dead.size()) + " dead"}};
  for (const auto& [label, value] : facts) std::printf("%-13s %s\n", label, printable(value).c_str());
  std::printf("\nKernel features:\n");
  std::vector<std::vector<std::string>> rows;
  for (const KernelFeature& feature : features) rows.push_back({feature.name, feature.present ? "yes" : "no", feature.detail});
  print_table({"FEATURE", "PRESENT", "FOR / WHY NOT"}, rows);
  return 0;
}

}  // namespace

const Command kInfoCommand{"info", "Show versions, paths, kernel features and spaces", kUsage, info};

}  // namespace tproc::cli
