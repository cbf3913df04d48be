#pragma once
// TprocFilter: `ps --filter KEY=VALUE`, as docker's: the values of one key are alternatives (any
// may match), different keys must all match.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "protocol/messages.hpp"

namespace tproc::cli {

/// The conditions of every --filter given.
class TprocFilter {
 public:
  /// Reads `--filter` values: name=TEXT (the name contains TEXT), id=ID, status=running|paused|exited,
  /// label=KEY or label=KEY=VALUE, service=SERVICE (a replica of that service of the space's app,
  /// started by 'tproc up'). An unknown key or status is an error naming it.
  static Result<TprocFilter> parse(const std::vector<std::string>& filters);

  /// Whether `tproc` passes every key's condition; `service`: the app's service it is a replica
  /// of ("" for none).
  bool matches(const protocol::TprocInfo& tproc, std::string_view service = {}) const;
  /// Whether a service= condition was given (ps then reads the app's state).
  bool about_services() const { return values_.count("service") > 0; }

  bool empty() const { return values_.empty(); }

 private:
  std::map<std::string, std::vector<std::string>> values_;  ///< by key
};

}  // namespace tproc::cli
