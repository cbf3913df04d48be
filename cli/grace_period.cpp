#include "cli/grace_period.hpp"

#include <cerrno>
#include <cstdlib>
#include <string>

namespace tproc::cli {

Result<double> grace_seconds(const Arguments& arguments) {
  const std::string text = arguments.value("time", "10");
  char* end = nullptr;
  const double grace = std::strtod(text.c_str(), &end);
  // !(grace >= 0) also refuses "nan", which no comparison would.
  if (text.empty() || *end != '\0' || !(grace >= 0) || grace > 365.0 * 86400)
    return Error::explained("invalid --time '" + text + "'", EINVAL);
  return grace;
}

}  // namespace tproc::cli
