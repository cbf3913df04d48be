#include "cli/signal_names.hpp"

#include <signal.h>
#include <string.h>

#include <cctype>

namespace tproc::cli {

Result<int> parse_signal(const std::string& text) {
  if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0]))) {
    int number = 0;
    for (char c : text) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || number > NSIG) return Error::explained("invalid signal '" + text + "'", EINVAL);
      number = number * 10 + (c - '0');
    }
    if (number < 1 || number >= NSIG) return Error::explained("invalid signal '" + text + "'", EINVAL);
    return number;
  }
  std::string name;
  for (char c : text) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (name.starts_with("SIG")) name = name.substr(3);
  for (int number = 1; number < NSIG; ++number) {
    const char* abbreviation = sigabbrev_np(number);
    if (abbreviation && name == abbreviation) return number;
  }
  return Error::explained("unknown signal '" + text + "'", EINVAL);
}

}  // namespace tproc::cli
