// tproc ps: what runs in a space (or in every space).

#include <array>
#include <cstdio>
#include <map>
#include <string_view>

#include "cli/app_ps.hpp"
#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/row_template.hpp"
#include "cli/space_client.hpp"
#include "cli/tproc_filter.hpp"
#include "cli/tproc_json.hpp"
#include "cli/tproc_state.hpp"
#include "compose/app_paths.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc ps [OPTIONS] [SPACE]\n\n"
    "List the tprocs of SPACE, or of every space. For a space that runs an app ('tproc up'), first\n"
    "its services: state, restarts, last exit status and their tprocs.\n\n"
    "Options:\n"
    "  -a, --all            include detached tprocs that have exited\n"
    "  -q, --quiet          print only the IDs, one per line\n"
    "  -f, --filter KEY=VALUE  only the tprocs that match (repeatable: one key's values are\n"
    "                       alternatives, different keys must all match): name=TEXT (the name\n"
    "                       contains TEXT), id=ID, status=running|paused|exited, label=KEY[=VALUE],\n"
    "                       service=SERVICE (its replicas and their earlier runs, for an app)\n"
    "      --format FORMAT  table (default), json, or a template of {{.Field}} placeholders,\n"
    "                       'table ' in front for aligned columns under a header; fields: ID, Name,\n"
    "                       Pid, State, Status, Started, RunningFor, Command, Bundle, Labels, Space\n"
    "      --no-trunc       do not cut the COMMAND column to the terminal's width\n";

constexpr std::array<std::string_view, 11> kFields = {"ID",      "Name",       "Pid",     "State",  "Status", "Started",
                                                      "RunningFor", "Command", "Bundle", "Labels", "Space"};

using Row = std::pair<std::string, protocol::TprocInfo>;  // space, tproc

std::string status_of(const protocol::TprocInfo& tproc) {
  return tproc.running ? state_name(tproc) : "exited (" + std::to_string(tproc.exit_status) + ")";
}

std::string labels_of(const protocol::TprocInfo& tproc) {
  std::string joined;
  for (const std::string& label : tproc.labels) joined += (joined.empty() ? "" : ",") + label;
  return joined;
}

std::string field_of(const Row& row, std::string_view field) {
  const auto& [space_name, tproc] = row;
  if (field == "ID") return std::to_string(tproc.id);
  if (field == "Name") return tproc.name;
  if (field == "Pid") return std::to_string(tproc.pid);
  if (field == "State") return state_name(tproc);
  if (field == "Status") return status_of(tproc);
  if (field == "Started") return rfc3339(tproc.started);
  if (field == "RunningFor") return time_ago(tproc.started);
  if (field == "Command") return tproc.command;
  if (field == "Bundle") return tproc.bundle_name;
  if (field == "Labels") return labels_of(tproc);
  return space_name;
}

/// One schema, whatever the arguments: every field present, numbers as numbers, null for what
/// does not apply (a running tproc's exit status, a bundle for a plain executable).
void print_json(const std::vector<Row>& rows) {
  std::printf("[");
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& [space_name, tproc] = rows[i];
    std::printf("%s\n  {\"space\": %s, %s}", i ? "," : "", json_string(space_name).c_str(), tproc_json_fields(tproc).c_str());
  }
  std::printf("%s]\n", rows.empty() ? "" : "\n");
}

/// The service of each replica name of the app in `space` ("web.2" -> "web"): a replica's
/// earlier runs share its name. Empty when the space runs no app.
std::map<std::string, std::string> services_by_replica(const space::SpacePaths& paths, const std::string& space) {
  std::map<std::string, std::string> services;
  auto app = compose::AppState::load(compose::AppPaths(paths.runtime_dir(), paths.home(), space).state());
  if (!app) return services;
  for (const compose::ServiceState& service : app->services)
    for (const compose::TprocState& replica : service.tprocs) services[replica.name] = service.name;
  return services;
}

Result<int> ps(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(
      args, {{"all", 'a', false}, {"format", 0, true}, {"quiet", 'q', false}, {"filter", 'f', true}, {"no-trunc", 0, false}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const std::string format = arguments.value("format", "table");
  std::optional<RowTemplate> row_template;
  if (is_row_template(format)) row_template = TPROC_TRY(RowTemplate::parse(format, kFields));
  const bool json = !row_template && TPROC_TRY(arguments.json_format());
  const TprocFilter filter = TPROC_TRY(TprocFilter::parse(arguments.values("filter")));
  TPROC_TRY(arguments.expect_operands("ps", 0, 1, "at most one SPACE"));
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  const bool quiet = arguments.has("quiet");

  // A space that runs an app (`tproc up`) lists its services first (cli/app_ps.hpp); a selection
  // (-q, --filter, a template) lists tprocs alone, so every line is one.
  const bool plain = !quiet && filter.empty() && !row_template;
  if (!arguments.positional().empty() && plain) {
    const compose::AppPaths app(paths.runtime_dir(), paths.home(), arguments.positional()[0]);
    if (auto state = compose::AppState::load(app.state())) return print_app_ps(paths, *state, arguments.has("all"), json);
  }

  // One named space must answer; when listing all, a dead one is simply skipped.
  std::vector<Row> rows;
  const bool one_space = !arguments.positional().empty();
  std::vector<std::string> spaces = one_space ? std::vector<std::string>{arguments.positional()[0]} : paths.list_spaces();
  for (const std::string& space_name : spaces) {
    auto reply = ask_space(paths, space_name, protocol::ListRequest{arguments.has("all")});
    if (!reply) {
      if (one_space) return std::move(reply).error();
      continue;
    }
    protocol::TprocList list = TPROC_TRY(expect<protocol::TprocList>(*reply));
    const std::map<std::string, std::string> services = filter.about_services() ? services_by_replica(paths, space_name) : std::map<std::string, std::string>{};
    for (protocol::TprocInfo& tproc : list.tprocs) {
      auto service = services.find(tproc.name);
      if (filter.matches(tproc, service == services.end() ? "" : service->second)) rows.emplace_back(space_name, std::move(tproc));
    }
  }

  if (quiet) {
    for (const auto& [_, tproc] : rows) std::printf("%llu\n", static_cast<unsigned long long>(tproc.id));
    return 0;
  }
  if (json) {
    print_json(rows);
    return 0;
  }
  if (row_template) {
    row_template->print(rows.size(), [&](size_t row, std::string_view field) { return field_of(rows[row], field); });
    return 0;
  }
  bool bundles = false;
  for (const auto& [_, tproc] : rows) bundles |= !tproc.bundle.empty();
  std::vector<std::string> headers{"ID", "NAME", "PID", "STATE", "STARTED"};
  if (!one_space) headers.insert(headers.begin(), "SPACE");
  if (bundles) headers.push_back("BUNDLE");  // only when one is listed: a plain space's table stays narrow
  headers.push_back("COMMAND");
  std::vector<std::vector<std::string>> table;
  for (const auto& [space_name, tproc] : rows) {
    std::vector<std::string> row{std::to_string(tproc.id), tproc.name, std::to_string(tproc.pid), status_of(tproc),
                                 time_ago(tproc.started)};
    if (!one_space) row.insert(row.begin(), space_name);
    if (bundles) row.push_back(tproc.bundle_name.empty() ? "-" : tproc.bundle_name);
    row.push_back(tproc.command);
    table.push_back(std::move(row));
  }
  print_table(headers, table, arguments.has("no-trunc") ? 0 : terminal_width());
  return 0;
}

}  // namespace

const Command kPsCommand{"ps", "List the programs running in a space", kUsage, ps};

}  // namespace tproc::cli
