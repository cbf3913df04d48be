#include "cli/tproc_inspection.hpp"

#include <cstdio>
#include <vector>

#include "cli/output.hpp"
#include "cli/space_client.hpp"
#include "cli/space_stats.hpp"
#include "cli/tproc_state.hpp"
#include "common/hex.hpp"

namespace tproc::cli {
namespace {

std::string json_strings(const std::vector<std::string>& texts) {
  std::string out = "[";
  for (size_t i = 0; i < texts.size(); ++i) out += (i ? ", " : "") + json_string(texts[i]);
  return out + "]";
}

}  // namespace

Result<void> print_tproc_inspection(const std::string& space, const std::string& target) {
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  protocol::Received reply = TPROC_TRY(ask_space(paths, space, protocol::InspectRequest{target}));
  const protocol::TprocDetail detail = TPROC_TRY(expect<protocol::TprocDetail>(reply));
  const protocol::TprocInfo& tproc = detail.tproc;

  // Memory and endpoints are what the space holds now: only for a program that still runs.
  std::string memory = "null";
  std::string endpoints = "[";
  if (tproc.running) {
    const protocol::SpaceStats stats = TPROC_TRY(sample_space(paths, space));
    for (const protocol::TprocStats& row : stats.tprocs)
      if (row.id == tproc.id)
        memory = "{\"rss_bytes\": " + std::to_string(row.rss) + ", \"mapped_bytes\": " + std::to_string(row.mapped) +
                 ", \"threads\": " + std::to_string(row.threads) + ", \"fds\": " + std::to_string(row.fds) + "}";
    protocol::Received listed = TPROC_TRY(ask_space(paths, space, protocol::EndpointsRequest{}));
    const protocol::EndpointList list = TPROC_TRY(expect<protocol::EndpointList>(listed));
    bool first = true;
    for (const protocol::EndpointInfo& entry : list.endpoints) {
      if (entry.owner_id != tproc.id) continue;
      endpoints += std::string(first ? "" : ", ") + "{\"name\": " + json_string(entry.name) + ", \"address\": \"" +
                   hex(entry.address) + "\", \"state\": " + json_string(entry.state) + "}";
      first = false;
    }
  }
  endpoints += "]";

  std::string labels = "{";
  for (size_t l = 0; l < tproc.labels.size(); ++l) {
    const size_t equals = tproc.labels[l].find('=');
    labels += (l ? ", " : "") + json_string(tproc.labels[l].substr(0, equals)) + ": " +
              json_string(equals == std::string::npos ? "" : tproc.labels[l].substr(equals + 1));
  }
  labels += "}";
  const std::string bundle = tproc.bundle.empty() ? "null"
                                                  : "{\"name\": " + json_string(tproc.bundle_name) +
                                                        ", \"digest\": " + json_string(tproc.bundle) + "}";
  std::printf("{\"space\": %s, \"id\": %llu, \"name\": %s, \"pid\": %d, \"state\": \"%s\", \"exit_status\": %s,\n"
              " \"started\": %s, \"detached\": %s, \"command\": %s,\n \"args\": %s,\n \"command_line\": %s,\n \"env\": %s,\n"
              " \"cwd\": %s,\n"
              " \"memory\": %s,\n \"endpoints\": %s,\n \"bundle\": %s,\n \"labels\": %s, \"restarts\": %u}\n",
              json_string(space).c_str(), static_cast<unsigned long long>(tproc.id), json_string(tproc.name).c_str(), tproc.pid,
              state_name(tproc), tproc.running ? "null" : std::to_string(tproc.exit_status).c_str(),
              json_string(rfc3339(tproc.started)).c_str(), tproc.detached ? "true" : "false", json_string(tproc.command).c_str(),
              json_strings(detail.app_argv.empty() ? detail.argv : detail.app_argv).c_str(),
              json_strings(detail.argv).c_str(), json_strings(detail.env).c_str(), json_string(detail.cwd).c_str(), memory.c_str(),
              endpoints.c_str(), bundle.c_str(), labels.c_str(), detail.restarts);
  return ok();
}

}  // namespace tproc::cli
