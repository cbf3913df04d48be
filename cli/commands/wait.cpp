// tproc wait: block until tprocs exit and print their exit statuses, as docker wait does.

#include <climits>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/space_client.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc wait SPACE ID|NAME...\n\n"
    "Wait until each tproc has exited, then print its exit status, one line per ID|NAME in the order\n"
    "given: the exit code, or 128+N for a tproc killed by signal N (137 for SIGKILL). Exits 0 once\n"
    "every status was printed, 1 if a tproc is unknown.\n";

Result<int> wait(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  TPROC_TRY(arguments.expect_operands("wait", 2, SIZE_MAX, "SPACE and ID|NAME..."));
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  const std::string& space_name = arguments.positional()[0];
  const std::span<const std::string> targets(arguments.positional().begin() + 1, arguments.positional().end());
  TPROC_TRY(expect_space_runs(paths, space_name));
  // Every question is asked before the first answer is awaited: the daemon holds each until its
  // tproc exits, and one unknown target does not delay the others' answers.
  std::vector<std::optional<protocol::Connection>> asked(targets.size());
  int status = for_each_target(targets, [&](const std::string& target) -> Result<void> {
    protocol::Connection connection = TPROC_TRY(connect_space(paths, space_name));
    TPROC_TRY(connection.send(protocol::WaitRequest{target}));
    asked[static_cast<size_t>(&target - targets.data())].emplace(std::move(connection));
    return ok();
  });
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!asked[i]) continue;
    auto answered = [&]() -> Result<void> {
      protocol::Received reply = TPROC_TRY(receive_reply(*asked[i]));
      protocol::Exited exited = TPROC_TRY(expect<protocol::Exited>(reply));
      std::printf("%d\n", exited.killed ? 128 + exited.value : exited.value);
      std::fflush(stdout);
      return ok();
    }();
    if (!answered) {
      print_error(std::move(answered).error().context("wait " + targets[i]));
      status = 1;
    }
  }
  return status;
}

}  // namespace

const Command kWaitCommand{"wait", "Wait for programs to exit and print their exit statuses", kUsage, wait};

}  // namespace tproc::cli
