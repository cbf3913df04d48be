// tproc run: start a program in a space and behave as if it ran here — same stdio, argv,
// environment, cwd, signals and exit status. This half starts executables; a bundle goes to the
// bundle tool (cli/bundle_tool.hpp), which runs the same session (cli/run_session.hpp).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "bundle/bundle_probe.hpp"
#include "cli/bundle_tool.hpp"
#include "cli/command.hpp"
#include "cli/exec_target.hpp"
#include "cli/root_target.hpp"
#include "cli/run_session.hpp"
#include "common/regular_file.hpp"
#include "distribution/image_reference.hpp"

namespace tproc::cli {
namespace {

/// What execvp would run (cli/exec_target.hpp): the ELF program, and argv with a script's
/// interpreters in front.
Result<PreparedRun> prepare_executable(const RunInvocation& invocation) {
  auto target = std::make_unique<ExecTarget>();
  if (!resolve_exec_target(invocation.target.c_str(), std::getenv("PATH"), *target)) {
    char what[PATH_MAX + 128];
    describe_exec_failure(*target, what, sizeof(what));
    // A script whose interpreter cannot run was found: 126 whatever the errno, as bash exits.
    if (target->interpreter_count > 0)
      return Error::explained(std::string(what) + ": " + std::strerror(target->error), ENOEXEC);
    return Error(what, target->error);
  }
  // A script started in another directory gets its path from ours, as the interpreter opens it there.
  if (!invocation.cwd.empty() && target->interpreter_count > 0 && !make_path_absolute(*target))
    return Error("the script's absolute path is too long", ENAMETOOLONG);
  PreparedRun prepared;
  protocol::RunRequest& request = prepared.request;
  std::vector<const char*> prefix(target->argv_prefix_size());
  target->argv_prefix(invocation.target.c_str(), prefix.data());
  request.argv.assign(prefix.begin(), prefix.end());
  request.argv.insert(request.argv.end(), invocation.args.begin(), invocation.args.end());
  request.execfn = target->path;
  prepared.executable = std::move(target->executable);
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
  auto prepared_run = invocation.rootfs.empty() ? prepare_executable(invocation) : prepare_in_root(invocation);
  // No such file, but an image reference ("localhost:5000/kv:1.0"): pulled and run like docker
  // run, by the bundle tool. An existing path always wins, as with podman.
  if (!prepared_run && prepared_run.error().code() == ENOENT && invocation.rootfs.empty() &&
      distribution::looks_like_image_reference(invocation.target))
    return exec_bundle_tool("run", args);
  PreparedRun prepared = TPROC_TRY_CTX("run " + invocation.target, std::move(prepared_run));
  return run_in_space(paths, invocation, std::move(prepared));
}

}  // namespace

const Command kRunCommand{"run", "Run a program in a space", kRunUsage, run, run_exit_code};

}  // namespace tproc::cli
