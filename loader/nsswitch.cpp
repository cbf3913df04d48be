#include "loader/nsswitch.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace tproc::loader {

std::vector<std::string> nsswitch_services(const std::string& host_path) {
  std::ifstream in(host_path);
  std::vector<std::string> services;
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string rest = line.substr(colon + 1);
    // Actions may hold spaces ("[ NOTFOUND = return ]"): drop every bracketed run first.
    for (size_t open = rest.find('['); open != std::string::npos; open = rest.find('[')) {
      const size_t close = rest.find(']', open);
      rest.erase(open, close == std::string::npos ? std::string::npos : close - open + 1);
    }
    std::istringstream words(rest);
    std::string word;
    while (words >> word) {
      if (std::find(services.begin(), services.end(), word) == services.end()) {
        services.push_back(word);
      }
    }
  }
  return services;
}

bool is_service_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!plain) return false;
  }
  return true;
}

}  // namespace tproc::loader
