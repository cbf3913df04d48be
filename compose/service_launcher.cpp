#include "compose/service_launcher.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "bundle/bundle_cache.hpp"
#include "bundle/bundle_launch.hpp"
#include "space/space_socket.hpp"

namespace tproc::compose {
namespace {

void set_variable(std::vector<std::string>& env, const std::string& key, const std::string& value) {
  std::erase_if(env, [&](const std::string& entry) { return entry.substr(0, entry.find('=')) == key; });
  env.push_back(key + "=" + value);
}

Error daemon_error(const std::string& space, const Error& error) {
  if (error.code() == ENOENT || error.code() == ECONNREFUSED)
    return Error::explained("space '" + space + "' is gone (no daemon): 'tproc up' starts it again", ESRCH);
  return Error(error);
}

}  // namespace

std::vector<std::string> base_environment() {
  std::vector<std::string> env;
  for (const char* name : {"PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "TERM"})
    if (const char* value = std::getenv(name)) env.push_back(std::string(name) + "=" + value);
  return env;
}

Result<StartedTproc> start_in_space(const space::SpacePaths& paths, const std::string& space,
                                    const protocol::RunRequest& request, const std::vector<int>& fds) {
  auto connected = space::connect_space_socket(paths, space);
  if (!connected) return daemon_error(space, connected.error());
  protocol::Connection connection = std::move(*connected);
  // A daemon that refuses us answers and hangs up without reading: the answer is still queued.
  auto sent = connection.send(request, fds);
  auto received = connection.receive();
  if (!sent && (!received || !*received)) return daemon_error(space, sent.error());
  if (!received) return daemon_error(space, received.error());
  if (!*received) return Error::explained("space '" + space + "': the daemon closed the connection without an answer", ECONNRESET);
  if (auto* failure = std::get_if<protocol::Failure>(&(*received)->message))
    return Error::explained(failure->message, failure->code);
  auto* started = std::get_if<protocol::Started>(&(*received)->message);
  if (!started || (*received)->fds.empty())
    return Error(std::string("unexpected reply ") + protocol::type_name((*received)->message) + " from the space daemon", EPROTO);
  StartedTproc out;
  out.tproc.id = started->id;
  out.tproc.pid = started->pid;
  out.tproc.pidfd = std::move((*received)->fds[0]);
  out.connection = std::move(connection);
  return out;
}

Result<LaunchedTproc> launch_service(const space::SpacePaths& paths, const std::string& space, const ServiceSpec& spec,
                                     const std::string& tproc_name, const std::vector<std::string>& base_env,
                                     const std::string& app_directory) {
  const Service& service = spec.service;
  bundle::BundleCache cache(paths.home() + "/bundles");
  bundle::LaunchPlan plan = TPROC_TRY(bundle::plan_launch(cache, spec.bundle_path, service.args.value_or(std::vector<std::string>{})));

  protocol::RunRequest request;
  request.argv = plan.argv;
  request.app_argv = plan.app_argv;
  request.execfn = plan.program;
  request.name = tproc_name;
  for (const auto& [resource, value] : plan.limits) request.limits.push_back(protocol::RunLimit{resource, value});
  request.core_dumps = plan.core_dumps;
  request.bundle = plan.bundle.digest();
  request.bundle_name = plan.manifest.name();
  request.command = bundle::shown_command(plan);
  for (const bundle::Endpoint& endpoint : plan.manifest.endpoints())
    request.endpoints.push_back({endpoint.name, endpoint.symbol, endpoint.kind, endpoint.ready == bundle::Readiness::at_start});
  request.env = base_env;
  for (const std::string& assignment : plan.env) {
    const size_t equals = assignment.find('=');
    set_variable(request.env, assignment.substr(0, equals), equals == std::string::npos ? "" : assignment.substr(equals + 1));
  }
  for (const auto& [key, value] : service.environment) set_variable(request.env, key, value);
  request.cwd = !service.working_dir.empty() ? service.working_dir : !plan.workdir.empty() ? plan.workdir : app_directory;
  request.detach = true;
  request.supervised = true;  // its record and log stay until we have its status (space/tproc_table.hpp)
  request.holds_lock = true;
  request.passes_executable = true;

  UniqueFd program(::open(plan.program.c_str(), O_RDONLY | O_CLOEXEC));
  if (!program) return Error::from_errno(plan.program);
  UniqueFd executable(::open(plan.executable.c_str(), O_RDONLY | O_CLOEXEC));
  if (!executable) return Error::from_errno(plan.executable);
  StartedTproc started = TPROC_TRY(start_in_space(paths, space, request, {program.get(), plan.bundle.lock_fd(), executable.get()}));
  return std::move(started.tproc);
}

Result<int> exit_status_of(const space::SpacePaths& paths, const std::string& space, uint64_t id) {
  // The daemon reaps the tproc when the same pidfd wakes its event loop; a supervisor that asks at
  // once may be a loop iteration ahead of it, hence the short retry (there is no "wait" request).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    auto connected = space::connect_space_socket(paths, space);
    if (!connected) return daemon_error(space, connected.error());
    TPROC_TRY(connected->send(protocol::OpenRequest{std::to_string(id)}));
    auto received = TPROC_TRY(connected->receive());
    if (!received) return Error("space '" + space + "': the daemon closed the connection without an answer", ECONNRESET);
    if (auto* failure = std::get_if<protocol::Failure>(&received->message)) return Error::explained(failure->message, failure->code);
    auto* opened = std::get_if<protocol::Opened>(&received->message);
    if (!opened) return Error("unexpected reply from the space daemon", EPROTO);
    if (!opened->tproc.running) return opened->tproc.exit_status;
    if (std::chrono::steady_clock::now() > deadline) return Error::explained("tproc " + std::to_string(id) + " still runs after its exit", ETIMEDOUT);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace tproc::compose
