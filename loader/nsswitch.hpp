#pragma once
// What /etc/nsswitch.conf tells the resolver: the NSS services glibc will dlopen as
// libnss_SERVICE.so.2, which no DT_NEEDED lists.

#include <string>
#include <string_view>
#include <vector>

namespace tproc::loader {

/// The services the file at `host_path` names, in order of first mention ("files", "dns",
/// "systemd"), without the [STATUS=action] items between them; none if it cannot be read.
std::vector<std::string> nsswitch_services(const std::string& host_path);

/// Whether `name` can be part of a library name (letters, digits, '_' and '-'), so that a hostile
/// nsswitch.conf cannot name a path.
bool is_service_name(std::string_view name);

}  // namespace tproc::loader
