#include "cli/command.hpp"

#include <cstdio>

#include "common/printable.hpp"

namespace tproc::cli {

int run_command(const Command& command, std::span<char* const> args) {
  auto status = command.run(args);
  if (status) return *status;
  print_error(status.error());
  return command.exit_code_for ? command.exit_code_for(status.error()) : 1;
}

void print_error(const Error& error) {
  std::fprintf(stderr, "tproc: %s\n", terminal_text(error.describe(), false).c_str());
}

int for_each_target(std::span<const std::string> targets, const std::function<Result<void>(const std::string&)>& act) {
  int status = 0;
  for (const std::string& target : targets) {
    auto done = act(target);
    if (done) continue;
    print_error(done.error());
    status = 1;
  }
  return status;
}

}  // namespace tproc::cli
