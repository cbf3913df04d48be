#pragma once
// Helpers the registry and samples end-to-end tests share: `tproc registry ls --format json`
// parsed, kind tags as the CLI prints them, and the facts test programs print as "key=value" or
// "word VALUE".

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox.hpp"

namespace tproc::e2e {

/// One row of `tproc registry ls SPACE --format json`.
struct EndpointRow {
  std::string name;
  std::optional<uint64_t> owner_id;  ///< the owning tproc's, none (null) when the daemon does not know it
  std::optional<std::string> owner_name;
  pid_t owner_pid = 0;
  std::string address;  ///< "0x…"
  std::string kind;     ///< "0x…"
  std::string state;    ///< "declared" or "ready"
};

/// `tproc registry ls SPACE --format json`, parsed; throws (quoting the outcome) if it fails.
std::vector<EndpointRow> registry_ls(Sandbox& sandbox, const std::string& space);

/// The row called `name`, if listed.
std::optional<EndpointRow> find_endpoint(const std::vector<EndpointRow>& rows, std::string_view name);

/// The kind tag of `type_name` as `registry ls` prints it ("0x…"): tproc::kind() in hex.
std::string kind_text(std::string_view type_name);

/// CLOCK_MONOTONIC now, in nanoseconds: the clock the test programs print as t=NS.
long long monotonic_ns();

/// The whitespace-delimited word that follows the first `marker` in `text` ("" when absent):
/// word_after("holding pid 42\n", "pid ") is "42".
std::string word_after(std::string_view text, std::string_view marker);

/// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(std::string_view text, std::string_view prefix);

/// The value of the space heap counter `key` ("bytes_in_use", "blocks_in_use"...) as the
/// heap_usage test program prints it, run in `space`; throws if the program fails.
unsigned long long heap_counter(Sandbox& sandbox, const std::string& space, const std::string& key);

}  // namespace tproc::e2e
