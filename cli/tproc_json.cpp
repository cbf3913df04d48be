#include "cli/tproc_json.hpp"

#include "cli/output.hpp"
#include "cli/tproc_state.hpp"

namespace tproc::cli {

std::string tproc_json_fields(const protocol::TprocInfo& tproc) {
  std::string out = "\"id\": " + std::to_string(tproc.id) + ", \"name\": " + json_string(tproc.name) +
                    ", \"pid\": " + std::to_string(tproc.pid) + ", \"state\": \"" + state_name(tproc) +
                    "\", \"exit_status\": " + (tproc.running ? "null" : std::to_string(tproc.exit_status)) +
                    ", \"detached\": " + (tproc.detached ? "true" : "false") + ", \"started\": " +
                    json_string(rfc3339(tproc.started)) + ", \"command\": " + json_string(tproc.command) + ", \"bundle\": ";
  out += tproc.bundle.empty() ? "null"
                              : "{\"name\": " + json_string(tproc.bundle_name) + ", \"digest\": " + json_string(tproc.bundle) + "}";
  out += ", \"labels\": {";
  for (size_t l = 0; l < tproc.labels.size(); ++l) {
    const std::string& label = tproc.labels[l];
    const size_t equals = label.find('=');
    out += (l ? ", " : "") + json_string(label.substr(0, equals)) + ": " +
           json_string(equals == std::string::npos ? "" : label.substr(equals + 1));
  }
  return out + "}";
}

std::string no_tproc_json_fields(const std::string& name) {
  return "\"id\": null, \"name\": " + json_string(name) +
         ", \"pid\": null, \"state\": \"none\", \"exit_status\": null, \"detached\": null, \"started\": null, "
         "\"command\": null, \"bundle\": null, \"labels\": {}";
}

}  // namespace tproc::cli
