#include "cli/app_ps.hpp"

#include <cstdio>
#include <set>

#include "cli/output.hpp"
#include "cli/space_client.hpp"
#include "cli/tproc_json.hpp"
#include "compose/app_paths.hpp"

namespace tproc::cli {
namespace {

std::string tproc_state(const protocol::TprocInfo& tproc) {
  return tproc.running ? "running" : "exited (" + std::to_string(tproc.exit_status) + ")";
}

std::string service_state(const compose::ServiceState& service) {
  return service.reason.empty() ? service.state : service.state + " (" + service.reason + ")";
}

}  // namespace

Result<int> print_app_ps(const space::SpacePaths& paths, const compose::AppState& app, bool all, bool json) {
  std::vector<protocol::TprocInfo> tprocs;
  if (auto reply = ask_space(paths, app.space, protocol::ListRequest{true})) {
    tprocs = TPROC_TRY(expect<protocol::TprocList>(*reply)).tprocs;
  } else if (reply.error().code() != ESRCH) {
    return std::move(reply).error();
  }
  if (!space::process_running(app.supervisor))
    std::fprintf(stderr, "tproc ps: the supervisor of app '%s' is not running: its services are not watched ('tproc down %s', then 'tproc up')\n",
                 app.name.c_str(), app.space.c_str());
  auto find = [&](uint64_t id) -> const protocol::TprocInfo* {
    for (const protocol::TprocInfo& tproc : tprocs)
      if (tproc.id == id) return &tproc;
    return nullptr;
  };

  std::set<uint64_t> shown;
  std::vector<std::vector<std::string>> table;
  std::string rows;
  // One schema for every row (the service's fields null for a tproc of no service, the tproc's
  // for a replica that has none), and a tproc's fields as plain `ps` prints them.
  auto json_row = [&](const compose::ServiceState* service, const protocol::TprocInfo* tproc, const std::string& name) {
    rows += rows.empty() ? "\n  {" : ",\n  {";
    rows += "\"space\": " + json_string(app.space) + ", ";
    if (service) {
      rows += "\"service\": " + json_string(service->name) + ", \"service_state\": " + json_string(service->state) +
              ", \"restarts\": " + std::to_string(service->restarts) + ", \"last_exit\": " +
              (service->last_exit ? std::to_string(*service->last_exit) : "null") + ", \"reason\": " + json_string(service->reason) + ", ";
    } else {
      rows += "\"service\": null, \"service_state\": null, \"restarts\": null, \"last_exit\": null, \"reason\": null, ";
    }
    rows += (tproc ? tproc_json_fields(*tproc) : no_tproc_json_fields(name)) + "}";
  };

  for (const compose::ServiceState& service : app.services) {
    const std::string restarts = std::to_string(service.restarts);
    const std::string last_exit = service.last_exit ? std::to_string(*service.last_exit) : "-";
    bool any = false;
    for (const compose::TprocState& replica : service.tprocs) {
      const protocol::TprocInfo* tproc = find(replica.id);
      if (tproc) shown.insert(tproc->id);
      any = true;
      if (json) {
        if (tproc) json_row(&service, tproc, replica.name);
        else json_row(&service, nullptr, replica.name);
        continue;
      }
      table.push_back({service.name, service_state(service), restarts, last_exit, std::to_string(replica.id), replica.name,
                       tproc && tproc->running ? std::to_string(tproc->pid) : "-", tproc ? time_ago(tproc->started) : "-",
                       tproc ? tproc->command : "(gone from the space's records)"});
    }
    if (any) continue;
    if (json) json_row(&service, nullptr, service.name);
    else table.push_back({service.name, service_state(service), restarts, last_exit, "-", "-", "-", "-", "-"});
  }
  for (const protocol::TprocInfo& tproc : tprocs) {
    if (shown.count(tproc.id) || (!all && !tproc.running)) continue;
    if (json) json_row(nullptr, &tproc, tproc.name);
    else
      table.push_back({"-", tproc_state(tproc), "-", "-", std::to_string(tproc.id), tproc.name,
                       tproc.running ? std::to_string(tproc.pid) : "-", time_ago(tproc.started), tproc.command});
  }
  if (json) {
    std::printf("[%s%s]\n", rows.c_str(), rows.empty() ? "" : "\n");
    return 0;
  }
  print_table({"SERVICE", "STATE", "RESTARTS", "LAST EXIT", "ID", "NAME", "PID", "STARTED", "COMMAND"}, table);
  return 0;
}

std::string service_target(const space::SpacePaths& paths, const std::string& space, const std::string& target) {
  auto app = compose::AppState::load(compose::AppPaths(paths.runtime_dir(), paths.home(), space).state());
  if (!app) return target;
  for (const compose::ServiceState& service : app->services)
    for (const compose::TprocState& tproc : service.tprocs)
      if (tproc.name == target || (service.name == target && &tproc == &service.tprocs.front())) return std::to_string(tproc.id);
  return target;
}

}  // namespace tproc::cli
