#include "compose/app_spec.hpp"

#include <cstdio>

#include "compose/record_file.hpp"

namespace tproc::compose {
namespace {

std::vector<Record> records_of(const ServiceSpec& spec) {
  const Service& service = spec.service;
  std::vector<Record> records;
  records.push_back({"service", service.name, std::to_string(service.where.line), std::to_string(service.where.column)});
  records.push_back({"bundle", spec.bundle_path, spec.bundle_digest, service.bundle});
  if (service.args) {
    Record args{"args"};
    args.insert(args.end(), service.args->begin(), service.args->end());
    records.push_back(std::move(args));
  }
  for (const auto& [key, value] : service.environment) records.push_back({"env", key, value});
  if (!service.working_dir.empty()) records.push_back({"workdir", service.working_dir});
  for (const Dependency& dependency : service.depends_on)
    records.push_back({"depends", dependency.service, std::string(to_string(dependency.condition)),
                       dependency.timeout ? std::to_string(dependency.timeout->count()) : "-", dependency.path,
                       std::to_string(dependency.where.line), std::to_string(dependency.where.column)});
  records.push_back({"restart", std::to_string(static_cast<int>(service.restart.mode)),
                     service.restart.max_retries ? std::to_string(*service.restart.max_retries) : "-"});
  records.push_back({"stop", std::to_string(service.stop_signal), std::to_string(service.stop_grace_period.count())});
  records.push_back({"replicas", std::to_string(service.replicas)});
  for (const std::string& endpoint : spec.endpoints) records.push_back({"endpoint", endpoint});
  return records;
}

// 64-bit FNV-1a: a change detector for definitions, not a security boundary (the bundle digest
// inside it is the SHA-256 one).
uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001b3ULL;
  return hash;
}

long long number(const Record& record, size_t index) {
  return index < record.size() ? std::strtoll(record[index].c_str(), nullptr, 10) : 0;
}

Error malformed(const std::string& path, const std::string& what) {
  return Error::explained(path + ": malformed app spec (" + what + "): run 'tproc up' again", EINVAL);
}

}  // namespace

std::string ServiceSpec::definition() const {
  std::string text;
  for (const Record& record : records_of(*this)) {
    // Where a service is written in the file is not part of what it is.
    if (record[0] == "service") continue;
    Record copy = record;
    if (copy[0] == "depends") copy.resize(4);
    text += encode_record(copy) + "\n";
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(fnv1a(text)));
  return hex;
}

const ServiceSpec* AppSpec::find(const std::string& name) const {
  for (const ServiceSpec& spec : services)
    if (spec.service.name == name) return &spec;
  return nullptr;
}

Result<void> AppSpec::save(const std::string& path) const {
  std::vector<Record> records{{"app", name, space, compose_file}};
  for (const ServiceSpec& spec : services)
    for (Record& record : records_of(spec)) records.push_back(std::move(record));
  return write_records(path, records);
}

Result<AppSpec> AppSpec::load(const std::string& path) {
  const std::vector<Record> records = TPROC_TRY(read_records(path));
  AppSpec spec;
  if (records.empty() || records[0].size() < 4 || records[0][0] != "app") return malformed(path, "no app line");
  spec.name = records[0][1];
  spec.space = records[0][2];
  spec.compose_file = records[0][3];
  for (size_t i = 1; i < records.size(); ++i) {
    const Record& record = records[i];
    if (record[0] == "service") {
      if (record.size() < 4) return malformed(path, "service");
      ServiceSpec service;
      service.service.name = record[1];
      service.service.where = {static_cast<int>(number(record, 2)), static_cast<int>(number(record, 3))};
      spec.services.push_back(std::move(service));
      continue;
    }
    if (spec.services.empty()) return malformed(path, record[0] + " before any service");
    ServiceSpec& current = spec.services.back();
    Service& service = current.service;
    if (record[0] == "bundle" && record.size() >= 4) {
      current.bundle_path = record[1];
      current.bundle_digest = record[2];
      service.bundle = record[3];
    } else if (record[0] == "args") {
      service.args = std::vector<std::string>(record.begin() + 1, record.end());
    } else if (record[0] == "env" && record.size() >= 3) {
      service.environment.emplace_back(record[1], record[2]);
    } else if (record[0] == "workdir" && record.size() >= 2) {
      service.working_dir = record[1];
    } else if (record[0] == "depends" && record.size() >= 7) {
      Dependency dependency;
      dependency.service = record[1];
      if (record[2] == "ready") dependency.condition = Condition::ready;
      else if (record[2] == "completed_successfully") dependency.condition = Condition::completed_successfully;
      if (record[3] != "-") dependency.timeout = std::chrono::milliseconds(number(record, 3));
      dependency.path = record[4];
      dependency.where = {static_cast<int>(number(record, 5)), static_cast<int>(number(record, 6))};
      service.depends_on.push_back(std::move(dependency));
    } else if (record[0] == "restart" && record.size() >= 3) {
      service.restart.mode = static_cast<RestartMode>(number(record, 1));
      if (record[2] != "-") service.restart.max_retries = static_cast<uint32_t>(number(record, 2));
    } else if (record[0] == "stop" && record.size() >= 3) {
      service.stop_signal = static_cast<int>(number(record, 1));
      service.stop_grace_period = std::chrono::milliseconds(number(record, 2));
    } else if (record[0] == "replicas" && record.size() >= 2) {
      service.replicas = static_cast<uint32_t>(number(record, 1));
    } else if (record[0] == "endpoint" && record.size() >= 2) {
      current.endpoints.push_back(record[1]);
    } else {
      return malformed(path, "unknown record " + record[0]);
    }
  }
  return spec;
}

}  // namespace tproc::compose
