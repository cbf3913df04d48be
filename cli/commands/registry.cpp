// tproc registry ls: the endpoints a space's programs have published for each other.

#include <cstdio>

#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/space_client.hpp"
#include "common/hex.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc registry ls [--format table|json] SPACE\n\n"
    "List the endpoints in SPACE's registry: name, owner (tproc and pid), address, kind, state.\n\n"
    "Options:\n"
    "  --format FORMAT  table (the default) or json: an array of {\"name\", \"owner\": {\"id\", \"name\",\n"
    "                   \"pid\"}, \"address\", \"kind\", \"state\"}; id and pid are numbers, id and name\n"
    "                   null when no tproc of the space owns it any more\n";

Result<int> registry_command(std::span<char* const> args) {
  if (args.empty() || std::string(args[0]) == "--help" || std::string(args[0]) == "-h") {
    std::fputs(kUsage, stdout);
    return args.empty() ? 2 : 0;
  }
  if (std::string(args[0]) != "ls") return Error::explained("unknown registry command '" + std::string(args[0]) + "' (ls)", EINVAL);
  Arguments arguments = TPROC_TRY(Arguments::parse(args.subspan(1), {{"format", 0, true}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const bool json = TPROC_TRY(arguments.json_format());
  TPROC_TRY(arguments.expect_operands("registry ls", 1, 1, "SPACE"));
  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  protocol::Received reply = TPROC_TRY(ask_space(paths, arguments.positional()[0], protocol::EndpointsRequest{}));
  protocol::EndpointList list = TPROC_TRY(expect<protocol::EndpointList>(reply));
  if (json) {
    std::printf("[");
    for (size_t i = 0; i < list.endpoints.size(); ++i) {
      const protocol::EndpointInfo& entry = list.endpoints[i];
      // Address and kind stay hex strings: pointers as programs print them, and a 64-bit kind
      // that a JSON number (a double to most readers) could not hold exactly.
      const bool known = entry.owner_id != 0;
      std::printf("%s\n  {\"name\": %s, \"owner\": {\"id\": %s, \"name\": %s, \"pid\": %d}, \"address\": \"%s\", "
                  "\"kind\": \"%s\", \"state\": %s}",
                  i ? "," : "", json_string(entry.name).c_str(), known ? std::to_string(entry.owner_id).c_str() : "null",
                  known ? json_string(entry.owner_name).c_str() : "null", entry.owner_pid, hex(entry.address).c_str(),
                  hex(entry.kind).c_str(), json_string(entry.state).c_str());
    }
    std::printf("%s]\n", list.endpoints.empty() ? "" : "\n");
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const protocol::EndpointInfo& entry : list.endpoints)
    rows.push_back({entry.name,
                    (entry.owner_id ? std::to_string(entry.owner_id) + " (" + entry.owner_name + ")" : "?") + " pid " +
                        std::to_string(entry.owner_pid),
                    hex(entry.address), hex(entry.kind), entry.state});
  print_table({"NAME", "OWNER", "ADDRESS", "KIND", "STATE"}, rows);
  return 0;
}

}  // namespace

const Command kRegistryCommand{"registry", "List the endpoints published in a space", kUsage, registry_command};

}  // namespace tproc::cli
