#pragma once
// TprocFilter: `ps --filter KEY=VALUE`, as docker's: the values of one key are alternatives (any
// may match), different keys must all match.

#include <map>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "protocol/messages.hpp"

namespace tproc::cli {

/// The conditions of every --filter given.
class TprocFilter {
 public:
  /// Reads `--filter` values: name=TEXT (the name contains TEXT), id=ID, status=running|paused|exited,
  /// label=KEY or label=KEY=VALUE. An unknown key or status is an error naming it.
  static Result<TprocFilter> parse(const std::vector<std::string>& filters);

  /// Whether `tproc` passes every key's condition.
  bool matches(const protocol::TprocInfo& tproc) const;

  bool empty() const { return values_.empty(); }

 private:
  std::map<std::string, std::vector<std::string>> values_;  ///< by key
};

}  // namespace tproc::cli
