// tproc ps: what runs in a space (or in every space).

#include <cstdio>

#include "cli/app_ps.hpp"
#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/space_client.hpp"
#include "compose/app_paths.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc ps [OPTIONS] [SPACE]\n\n"
    "List the tprocs of SPACE, or of every space. For a space that runs an app ('tproc up'), first\n"
    "its services: state, restarts, last exit status and their tprocs.\n\n"
    "Options:\n"
    "  -a, --all            include detached tprocs that have exited\n"
    "      --format FORMAT  table (default) or json\n";

std::string state_of(const protocol::TprocInfo& tproc) {
  return tproc.running ? "running" : "exited (" + std::to_string(tproc.exit_status) + ")";
}

Result<int> ps(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"all", 'a', false}, {"format", 0, true}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const bool json = TPROC_TRY(arguments.json_format());
  TPROC_TRY(arguments.expect_operands("ps", 0, 1, "at most one SPACE"));
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());

  // A space that runs an app (`tproc up`) lists its services first (cli/app_ps.hpp).
  if (!arguments.positional().empty()) {
    const compose::AppPaths app(paths.runtime_dir(), paths.home(), arguments.positional()[0]);
    if (auto state = compose::AppState::load(app.state())) return print_app_ps(paths, *state, arguments.has("all"), json);
  }

  // One named space must answer; when listing all, a dead one is simply skipped.
  std::vector<std::pair<std::string, protocol::TprocInfo>> rows;
  const bool one_space = !arguments.positional().empty();
  std::vector<std::string> spaces = one_space ? std::vector<std::string>{arguments.positional()[0]} : paths.list_spaces();
  for (const std::string& space_name : spaces) {
    auto reply = ask_space(paths, space_name, protocol::ListRequest{arguments.has("all")});
    if (!reply) {
      if (one_space) return std::move(reply).error();
      continue;
    }
    protocol::TprocList list = TPROC_TRY(expect<protocol::TprocList>(*reply));
    for (protocol::TprocInfo& tproc : list.tprocs) rows.emplace_back(space_name, std::move(tproc));
  }

  if (json) {
    std::printf("[");
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& [space_name, tproc] = rows[i];
      std::printf("%s\n  {\"space\": %s, \"id\": %llu, \"name\": %s, \"pid\": %d, \"state\": \"%s\", ", i ? "," : "",
                  json_string(space_name).c_str(), static_cast<unsigned long long>(tproc.id), json_string(tproc.name).c_str(),
                  tproc.pid, tproc.running ? "running" : "exited");
      if (!tproc.running) std::printf("\"exit_status\": %d, ", tproc.exit_status);
      std::printf("\"detached\": %s, \"started\": %s, \"command\": %s, \"labels\": {", tproc.detached ? "true" : "false",
                  json_string(rfc3339(tproc.started)).c_str(), json_string(tproc.command).c_str());
      for (size_t l = 0; l < tproc.labels.size(); ++l) {
        const std::string& label = tproc.labels[l];
        const size_t equals = label.find('=');
        std::printf("%s%s: %s", l ? ", " : "", json_string(label.substr(0, equals)).c_str(),
                    json_string(equals == std::string::npos ? "" : label.substr(equals + 1)).c_str());
      }
      std::printf("}}");
    }
    std::printf("%s]\n", rows.empty() ? "" : "\n");
    return 0;
  }
  std::vector<std::string> headers{"ID", "NAME", "PID", "STATE", "STARTED", "COMMAND"};
  if (!one_space) headers.insert(headers.begin(), "SPACE");
  std::vector<std::vector<std::string>> table;
  for (const auto& [space_name, tproc] : rows) {
    std::vector<std::string> row{std::to_string(tproc.id), tproc.name, std::to_string(tproc.pid), state_of(tproc),
                                 time_ago(tproc.started), tproc.command};
    if (!one_space) row.insert(row.begin(), space_name);
    table.push_back(std::move(row));
  }
  print_table(headers, table);
  return 0;
}

}  // namespace

const Command kPsCommand{"ps", "List the programs running in a space", kUsage, ps};

}  // namespace tproc::cli
