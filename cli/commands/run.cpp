// tproc run: start a program in a space and behave as if it ran here — same stdio, argv,
// environment, cwd, signals and exit status. This half starts executables; a bundle goes to the
// bundle tool (cli/bundle_tool.hpp), which runs the same session (cli/run_session.hpp).

#include <cstdio>

#include "bundle/bundle_probe.hpp"
#include "cli/bundle_tool.hpp"
#include "cli/command.hpp"
#include "cli/run_session.hpp"

namespace tproc::cli {
namespace {

Result<PreparedRun> prepare_executable(const RunInvocation& invocation) {
  PreparedRun prepared;
  protocol::RunRequest& request = prepared.request;
  request.argv.push_back(invocation.target);
  request.argv.insert(request.argv.end(), invocation.args.begin(), invocation.args.end());
  request.execfn = invocation.target;
  prepared.executable = TPROC_TRY(open_executable(invocation.target));
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
