#include "cli/tproc_filter.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "cli/tproc_state.hpp"
#include "common/nearest_word.hpp"

namespace tproc::cli {
namespace {

constexpr std::array<std::string_view, 5> kKeys = {"name", "id", "status", "label", "service"};

/// Whether `tproc` has the label `wanted`: KEY (any value) or KEY=VALUE.
bool has_label(const protocol::TprocInfo& tproc, const std::string& wanted) {
  const bool with_value = wanted.find('=') != std::string::npos;
  return std::any_of(tproc.labels.begin(), tproc.labels.end(), [&](const std::string& label) {
    return with_value ? label == wanted : label.substr(0, label.find('=')) == wanted;
  });
}

bool one_matches(const std::string& key, const std::string& value, const protocol::TprocInfo& tproc, std::string_view service) {
  if (key == "name") return tproc.name.find(value) != std::string::npos;
  if (key == "service") return value == service;
  if (key == "id") return value == std::to_string(tproc.id);
  if (key == "status") return value == state_name(tproc);
  return has_label(tproc, value);
}

}  // namespace

Result<TprocFilter> TprocFilter::parse(const std::vector<std::string>& filters) {
  TprocFilter filter;
  for (const std::string& given : filters) {
    const size_t equals = given.find('=');
    const std::string key = given.substr(0, equals);
    if (equals == std::string::npos || equals + 1 == given.size())
      return Error::explained("--filter '" + given + "': a filter is KEY=VALUE (keys: name, id, status, label, service)", EINVAL);
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      const auto nearest = nearest_word(key, kKeys);
      return Error::explained("--filter '" + given + "': unknown key '" + key + "'" +
                                  (nearest ? " (did you mean '" + std::string(*nearest) + "'?)" : " (keys: name, id, status, label, service)"),
                              EINVAL);
    }
    const std::string value = given.substr(equals + 1);
    if (key == "status" && value != "running" && value != "paused" && value != "exited")
      return Error::explained("--filter '" + given + "': a status is running, paused or exited", EINVAL);
    filter.values_[key].push_back(value);
  }
  return filter;
}

bool TprocFilter::matches(const protocol::TprocInfo& tproc, std::string_view service) const {
  for (const auto& [key, values] : values_)
    if (std::none_of(values.begin(), values.end(), [&](const std::string& value) { return one_matches(key, value, tproc, service); }))
      return false;
  return true;
}

}  // namespace tproc::cli
