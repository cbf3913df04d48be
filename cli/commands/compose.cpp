// tproc compose: docker compose's spelling of the app commands, for one compose file —
// `config` (the file as tproc resolved it), and `up`, `down`, `ps`, `logs` as the verbs of their
// own name run them on the file's space.

#include <unistd.h>

#include <climits>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "cli/arguments.hpp"
#include "cli/bundle_tool.hpp"
#include "cli/command.hpp"
#include "cli/executables.hpp"
#include "common/nearest_word.hpp"
#include "compose/app_paths.hpp"
#include "compose/compose_config.hpp"
#include "compose/compose_manifest.hpp"
#include "compose/supervisor_link.hpp"
#include "space/space_paths.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc compose [-f FILE] COMMAND [ARGS...]\n\n"
    "Run an app command on the app a compose file describes, as docker compose does.\n\n"
    "Commands:\n"
    "  config           print the file as tproc resolved it: every default filled in, paths made\n"
    "                   absolute, dependencies in their long form, 'version:' dropped (YAML)\n"
    "  up [-d]          as 'tproc up -f FILE'\n"
    "  down             as 'tproc down -f FILE'\n"
    "  ps [OPTIONS]     as 'tproc ps [OPTIONS] SPACE', SPACE the file's\n"
    "  logs [OPTIONS] [SERVICE]  as 'tproc logs [OPTIONS] SPACE [SERVICE]'\n"
    "  restart [SERVICE...]  stop each service (all: none named) as 'down' would, then start it\n"
    "                   again once its dependencies hold; its dependents keep running. Exits once\n"
    "                   they have started, 1 if one could not\n\n"
    "Options:\n"
    "  -f, --file FILE  the compose file (default: ./app.yaml)\n";

constexpr std::string_view kSubcommands[] = {"config", "up", "down", "ps", "logs", "restart"};

std::string directory_of(const std::string& file) {
  char resolved[PATH_MAX];
  if (!::realpath(file.c_str(), resolved)) return ".";
  std::string path = resolved;
  const size_t slash = path.find_last_of('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

/// Replaces this process with the full CLI running `args`.
Result<int> exec_full_cli(const std::vector<std::string>& args) {
  const std::string cli = TPROC_TRY(full_cli_executable());
  std::vector<char*> argv{const_cast<char*>("tproc")};
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::fflush(stdout);
  ::execv(cli.c_str(), argv.data());
  return Error::from_errno("exec " + cli);
}

/// `logs [OPTIONS] [SERVICE]` as `logs [OPTIONS] SPACE [SERVICE]`: SPACE goes before the first operand.
std::vector<std::string> logs_arguments(std::span<char* const> rest, const std::string& space) {
  std::vector<std::string> args{"logs"};
  bool placed = false;
  for (size_t i = 0; i < rest.size(); ++i) {
    const std::string word = rest[i];
    const bool takes_value = word == "-n" || word == "--tail" || word == "--since" || word == "--until";
    if (!placed && (word.empty() || word[0] != '-')) {
      args.push_back(space);
      placed = true;
    }
    args.push_back(word);
    if (takes_value && i + 1 < rest.size()) args.push_back(rest[++i]);
  }
  if (!placed) args.push_back(space);
  return args;
}

Result<int> compose(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"file", 'f', true}}, true));
  if (arguments.wants_help() || arguments.positional().empty()) {
    std::fputs(kUsage, stdout);
    return arguments.wants_help() ? 0 : 2;
  }
  const std::string file = arguments.value("file", "app.yaml");
  const std::string& subcommand = arguments.positional()[0];
  std::vector<char*> rest;
  for (size_t i = 1; i < arguments.positional().size(); ++i) rest.push_back(const_cast<char*>(arguments.positional()[i].c_str()));
  if (std::find(std::begin(kSubcommands), std::end(kSubcommands), subcommand) == std::end(kSubcommands)) {
    std::string hint;
    if (auto near = nearest_word(subcommand, kSubcommands)) hint = ": did you mean '" + std::string(*near) + "'?";
    return Error::explained("unknown compose command '" + subcommand + "'" + (hint.empty() ? " (config, up, down, ps, logs, restart)" : hint), EINVAL);
  }
  if (subcommand == "up" || subcommand == "down") {
    std::vector<std::string> owned{"-f", file};
    std::vector<char*> forwarded{owned[0].data(), owned[1].data()};
    forwarded.insert(forwarded.end(), rest.begin(), rest.end());
    return (subcommand == "up" ? kUpCommand : kDownCommand).run(forwarded);
  }
  if (subcommand == "config" && !rest.empty())
    return Error::explained("too many arguments for compose config, from '" + std::string(rest[0]) + "' on", EINVAL);
  const compose::ComposeManifest manifest = TPROC_TRY(compose::ComposeManifest::load(file));
  if (subcommand == "config") {
    std::fputs(compose::resolved_config(manifest, directory_of(file)).c_str(), stdout);
    return 0;
  }
  if (subcommand == "restart") {
    for (char* service : rest)
      if (!manifest.find(service)) return Error::explained("compose restart: " + file + " has no service '" + std::string(service) + "'", ENOENT);
    const space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
    const compose::AppPaths app(paths.runtime_dir(), paths.home(), manifest.space());
    auto link = compose::SupervisorLink::connect(app);
    if (!link) return Error::explained("no app runs in space '" + manifest.space() + "' (nothing started by 'tproc up')", ESRCH);
    compose::Record command{"restart"};
    command.insert(command.end(), rest.begin(), rest.end());
    TPROC_TRY(link->send(command));
    for (;;) {
      auto record = TPROC_TRY(link->receive());
      if (!record) return Error::explained("the supervisor of space '" + manifest.space() + "' went away (see " + app.supervisor_log() + ")", ECONNRESET);
      if ((*record)[0] == "say" && record->size() >= 2) std::fprintf(stderr, "tproc compose restart: %s\n", (*record)[1].c_str());
      if ((*record)[0] == "settled") return record->size() >= 2 ? std::atoi((*record)[1].c_str()) : 1;
    }
  }
  if (subcommand == "ps") {
    std::vector<std::string> forwarded{"ps"};
    forwarded.insert(forwarded.end(), rest.begin(), rest.end());
    forwarded.push_back(manifest.space());
    return exec_full_cli(forwarded);
  }
  return exec_full_cli(logs_arguments(rest, manifest.space()));
}

}  // namespace

const Command kComposeCommand{"compose", bundle_tool_summary("compose"), kUsage, compose};

}  // namespace tproc::cli
