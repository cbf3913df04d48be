#include "cli/command.hpp"

#include <cstdio>

#include "common/printable.hpp"

namespace tproc::cli {

int run_command(const Command& command, std::span<char* const> args) {
  auto status = command.run(args);
  if (status) return *status;
  std::fprintf(stderr, "tproc: %s\n", terminal_text(status.error().describe(), false).c_str());
  return command.exit_code_for ? command.exit_code_for(status.error()) : 1;
}

}  // namespace tproc::cli
