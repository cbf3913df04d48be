#include "oci/container_state.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace tproc::oci {

using nlohmann::json;

Result<void> check_container_id(const std::string& id) {
  if (id.empty() || id.size() > 1024 || id == "." || id == ".." ||
      id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.") != std::string::npos)
    return Error::explained("container ID '" + id + "': not a container ID (letters, digits, '_', '+', '-', '.')", EINVAL);
  return ok();
}

std::string container_dir(const std::string& root, const std::string& id) { return root + "/" + id; }
std::string exec_fifo(const std::string& root, const std::string& id) { return container_dir(root, id) + "/exec.fifo"; }

Result<void> remove_container_dir(const std::string& root, const std::string& id) {
  const std::string directory = container_dir(root, id);
  for (const char* name : {"/exec.fifo", "/state.json", "/state.json.new"}) ::unlink((directory + name).c_str());
  if (::rmdir(directory.c_str()) < 0 && errno != ENOENT)
    return Error::from_errno("container " + id + ": rmdir " + directory);
  return ok();
}

unsigned long long process_start_time(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  char state = 0;
  fields >> state;
  if (state == 'Z' || state == 'X') return 0;  // ended, not yet reaped by its monitor
  for (int number = 4; number <= 22 && fields >> field; ++number)
    if (number == 22) return std::stoull(field);
  return 0;
}

std::string ContainerState::status(const std::string& root) const {
  if (pid <= 0 || process_start_time(pid) != start_time) return "stopped";
  return ::access(exec_fifo(root, id).c_str(), F_OK) == 0 ? "created" : "running";
}

std::string ContainerState::to_json(const std::string& root) const {
  const std::string now = status(root);
  json state = {{"ociVersion", "1.0.2"}, {"id", id}, {"status", now}, {"bundle", bundle},
                {"created", created},    {"owner", ""}};
  state["pid"] = now == "stopped" ? 0 : pid;
  state["annotations"] = annotations;
  return state.dump(2);
}

Result<void> ContainerState::save(const std::string& root) const {
  json state = {{"id", id}, {"pid", pid}, {"start_time", start_time}, {"bundle", bundle}, {"created", created}};
  state["annotations"] = annotations;
  state["cgroups"] = cgroups;
  // Written aside, then renamed: a concurrent `state` never reads half a file.
  const std::string path = container_dir(root, id) + "/state.json";
  const std::string temporary = path + ".new";
  {
    std::ofstream file(temporary, std::ios::trunc);
    file << state.dump();
    if (!file) return Error::from_errno("write " + temporary);
  }
  if (::rename(temporary.c_str(), path.c_str()) < 0) return Error::from_errno("rename " + temporary);
  return ok();
}

Result<ContainerState> ContainerState::load(const std::string& root, const std::string& id) {
  TPROC_TRY(check_container_id(id));
  std::ifstream file(container_dir(root, id) + "/state.json");
  if (!file) return Error::explained("container " + id + " does not exist", ENOENT);
  const json state = json::parse(file, nullptr, false);
  if (state.is_discarded() || !state.is_object())
    return Error::explained("container " + id + ": its state file is damaged", EIO);
  ContainerState loaded;
  loaded.id = id;
  loaded.pid = state.value("pid", 0);
  loaded.start_time = state.value("start_time", 0ULL);
  loaded.bundle = state.value("bundle", "");
  loaded.created = state.value("created", "");
  if (state.contains("annotations") && state["annotations"].is_object())
    for (const auto& [key, value] : state["annotations"].items())
      if (value.is_string()) loaded.annotations[key] = value.get<std::string>();
  if (state.contains("cgroups") && state["cgroups"].is_array())
    for (const json& directory : state["cgroups"])
      if (directory.is_string()) loaded.cgroups.push_back(directory.get<std::string>());
  return loaded;
}

}  // namespace tproc::oci
