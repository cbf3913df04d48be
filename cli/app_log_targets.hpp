#pragma once
// Which logs `tproc logs SPACE [TARGET]` prints: one tproc, or the replicas of an app started by
// `tproc up` — every service's, one service's, or one replica's. With -f, an app's replica that
// restarts is a new tproc: AppLogTargets finds each new run from the app's state file, so that it
// is printed under the same prefix, and says when the app is down (nothing runs, nothing will).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "space/space_paths.hpp"

namespace tproc::cli {

/// One log to print.
struct LogTarget {
  std::string prefix;  ///< "web-1", or "" to print its lines as they are
  std::string tproc;   ///< what to ask the daemon for: an ID, or the ID or name the user gave
};

/// The logs of one `tproc logs` command, and for an app the runs that start while it follows.
class AppLogTargets {
 public:
  /// The logs `tproc logs SPACE [TARGET]` prints now: TARGET alone when it names no service or
  /// replica of an app; without TARGET, every replica of the space's app (an error naming SPACE
  /// when it runs no app).
  static Result<AppLogTargets> find(const space::SpacePaths& paths, const std::string& space,
                                    const std::optional<std::string>& target);

  const std::vector<LogTarget>& initial() const { return initial_; }
  /// Whether the targets are an app's replicas (whose restarts new_runs() finds).
  bool of_app() const { return of_app_; }
  /// The width of the longest prefix the followed services can ever print ("web-10"): every
  /// replica the compose file gives them, started yet or not, as `docker compose logs` pads to
  /// its project's longest name from the start (0: no prefixes).
  size_t prefix_width() const { return prefix_width_; }
  /// Whether one replica (or one tproc) is printed: `logs -f` then ends with its status.
  bool single() const { return initial_.size() == 1 && initial_[0].prefix.empty(); }

  /// The runs of the followed replicas started since the last look (a restart, a service that
  /// was waiting for its dependencies), each under its replica's prefix. Sets `up` to whether the
  /// app may still start one: its supervisor runs and a followed service is not finished.
  std::vector<LogTarget> new_runs(bool& up);

 private:
  /// A replica: its service and its index among the service's replicas.
  using Slot = std::pair<std::string, size_t>;

  AppLogTargets(const space::SpacePaths& paths, std::string space) : paths_(paths), space_(std::move(space)) {}
  bool follows(const std::string& service, const std::string& replica_name) const;
  std::string prefix_of(const std::string& service, size_t index) const;

  space::SpacePaths paths_;
  std::string space_;
  std::vector<LogTarget> initial_;
  bool of_app_ = false;
  std::optional<std::string> service_;  ///< only this service's replicas
  std::optional<std::string> replica_;  ///< only this replica ("web.2")
  bool prefixed_ = false;               ///< lines get "service-N | "
  size_t prefix_width_ = 0;
  std::map<Slot, uint64_t> latest_;     ///< the newest tproc printed of each replica
};

}  // namespace tproc::cli
