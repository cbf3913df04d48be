#pragma once
// The grace period of `stop` and `restart` (-t/--time SECONDS): how long a SIGTERM'd tproc has
// before SIGKILL, as docker stop -t.

#include "cli/arguments.hpp"
#include "common/result.hpp"

namespace tproc::cli {

/// The seconds -t/--time gives (default 10): a number from 0 to a year (beyond it nobody is
/// waiting, and its milliseconds must fit the request); anything else is refused, naming the text.
Result<double> grace_seconds(const Arguments& arguments);

}  // namespace tproc::cli
