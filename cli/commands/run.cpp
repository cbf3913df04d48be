// tproc run: start a program in a space and behave as if it ran here — same stdio, argv,
// environment, cwd, signals and exit status. This half starts executables; a bundle goes to the
// bundle tool (cli/bundle_tool.hpp), which runs the same session (cli/run_session.hpp).

#include <cstdio>

#include "bundle/bundle_probe.hpp"
#include "cli/bundle_tool.hpp"
#include "cli/command.hpp"
#include "cli/run_session.hpp"
#include "loader/dependency_resolver.hpp"
#include "loader/origin_paths.hpp"

namespace tproc::cli {
namespace {

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<PreparedRun> prepare_executable(const RunInvocation& invocation) {
  const std::string& target = invocation.target;
  PreparedRun prepared;
  protocol::RunRequest& request = prepared.request;
  request.argv.push_back(target);
  request.argv.insert(request.argv.end(), invocation.args.begin(), invocation.args.end());
  request.execfn = target;
  prepared.executable = TPROC_TRY(open_executable(target));
  if (TPROC_TRY(loader::searches_relative_to_origin(target))) {
    // Its ld.so would take $ORIGIN from /proc/self/exe, the daemon: start it through its
    // interpreter, which takes $ORIGIN from the path it is given (loader/origin_paths.hpp).
    auto closure = TPROC_TRY(loader::resolve_dependencies(target));
    if (closure.interpreter) {
      const std::string& interpreter = closure.interpreter->host_path;
      prepared.executable_image = std::move(prepared.executable);
      prepared.executable = TPROC_TRY(open_executable(interpreter));
      request.execfn = interpreter;
      std::vector<std::string> argv{closure.interpreter->path, "--argv0", target, target};
      argv.insert(argv.end(), invocation.args.begin(), invocation.args.end());
      request.argv = std::move(argv);
      request.name = base_name(target);
      request.passes_executable = true;
    }
  }
  return prepared;
}

Result<int> run(std::span<char* const> args) {
  RunInvocation invocation = TPROC_TRY(RunInvocation::parse(args));
  if (invocation.wants_help) {
    std::fputs(kRunUsage, stdout);
    return 0;
  }
  if (bundle::looks_like_bundle(invocation.target)) return exec_bundle_tool("run", args);
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  PreparedRun prepared = TPROC_TRY_CTX("run " + invocation.target, prepare_executable(invocation));
  return run_in_space(paths, invocation, std::move(prepared));
}

}  // namespace

const Command kRunCommand{"run", "Run a program in a space", kRunUsage, run, run_exit_code};

}  // namespace tproc::cli
