#include "compose/app_state.hpp"

#include <cstdlib>

#include "compose/record_file.hpp"

namespace tproc::compose {

const ServiceState* AppState::find(const std::string& service) const {
  for (const ServiceState& state : services)
    if (state.name == service) return &state;
  return nullptr;
}

Result<void> AppState::save(const std::string& path) const {
  std::vector<Record> records{{"app", name, space, compose_file, std::to_string(supervisor)}};
  for (const ServiceState& service : services) {
    records.push_back({"service", service.name, service.state, std::to_string(service.restarts),
                       service.last_exit ? std::to_string(*service.last_exit) : "-", service.reason,
                       std::to_string(service.replicas)});
    for (const TprocState& tproc : service.tprocs)
      records.push_back({"tproc", std::to_string(tproc.id), tproc.name, tproc.running ? "running" : "exited"});
  }
  return write_records(path, records);
}

Result<AppState> AppState::load(const std::string& path) {
  const std::vector<Record> records = TPROC_TRY(read_records(path));
  if (records.empty() || records[0].size() < 5 || records[0][0] != "app")
    return Error::explained(path + ": malformed app state", EINVAL);
  AppState state;
  state.name = records[0][1];
  state.space = records[0][2];
  state.compose_file = records[0][3];
  state.supervisor = static_cast<pid_t>(std::atol(records[0][4].c_str()));
  for (size_t i = 1; i < records.size(); ++i) {
    const Record& record = records[i];
    if (record[0] == "service" && record.size() >= 6) {
      ServiceState service;
      service.name = record[1];
      service.state = record[2];
      service.restarts = static_cast<uint32_t>(std::strtoul(record[3].c_str(), nullptr, 10));
      if (record[4] != "-") service.last_exit = std::atoi(record[4].c_str());
      service.reason = record[5];
      if (record.size() >= 7) service.replicas = static_cast<uint32_t>(std::strtoul(record[6].c_str(), nullptr, 10));
      state.services.push_back(std::move(service));
    } else if (record[0] == "tproc" && record.size() >= 4 && !state.services.empty()) {
      state.services.back().tprocs.push_back(
          TprocState{std::strtoull(record[1].c_str(), nullptr, 10), record[2], record[3] == "running"});
    }
  }
  return state;
}

}  // namespace tproc::compose
