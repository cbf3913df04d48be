#include "registry_support.hpp"

#include <time.h>

#include <sstream>
#include <stdexcept>

#include <tproc/tproc.hpp>

#include "common/hex.hpp"
#include "json.hpp"

namespace tproc::e2e {

std::vector<EndpointRow> registry_ls(Sandbox& sandbox, const std::string& space) {
  Outcome listed = sandbox.tproc({"registry", "ls", space, "--format", "json"});
  if (listed.status != 0) {
    std::ostringstream message;
    message << "`tproc registry ls " << space << " --format json` failed: " << listed;
    throw std::runtime_error(message.str());
  }
  std::vector<EndpointRow> rows;
  const Json document = Json::parse(listed.out);
  for (const Json& item : document.items()) {
    EndpointRow row;
    row.name = item.at("name").str();
    // The schema: owner {id, name, pid}, numbers as JSON numbers, id and name null when unknown.
    const Json& owner = item.at("owner");
    if (owner.at("id").kind() != Json::Kind::Null) row.owner_id = static_cast<uint64_t>(std::stoull(owner.at("id").text()));
    if (owner.at("name").kind() != Json::Kind::Null) row.owner_name = owner.at("name").str();
    if (!owner.at("pid").is_number() || (row.owner_id.has_value() != row.owner_name.has_value()))
      throw std::runtime_error("registry ls: owner does not follow the schema: " + owner.source());
    row.owner_pid = static_cast<pid_t>(owner.at("pid").number());
    row.address = item.at("address").str();
    row.kind = item.at("kind").str();
    row.state = item.at("state").str();
    rows.push_back(row);
  }
  return rows;
}

std::optional<EndpointRow> find_endpoint(const std::vector<EndpointRow>& rows, std::string_view name) {
  for (const EndpointRow& row : rows)
    if (row.name == name) return row;
  return std::nullopt;
}

std::string kind_text(std::string_view type_name) { return hex(tproc::kind(type_name)); }

long long monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1'000'000'000LL + now.tv_nsec;
}

std::string word_after(std::string_view text, std::string_view marker) {
  const size_t at = text.find(marker);
  if (at == std::string_view::npos) return "";
  const size_t begin = at + marker.size();
  const size_t end = text.find_first_of(" \t\n", begin);
  return std::string(text.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin));
}

std::vector<std::string> lines_starting(std::string_view text, std::string_view prefix) {
  std::vector<std::string> out;
  for (const std::string& line : lines(text))
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  return out;
}

unsigned long long heap_counter(Sandbox& sandbox, const std::string& space, const std::string& key) {
  Outcome usage = sandbox.tproc({"run", space, program("heap_usage")});
  const std::string value = word_after(usage.out, key + "=");
  if (usage.status != 0 || value.empty()) {
    std::ostringstream message;
    message << "heap_usage in " << space << " failed: " << usage;
    throw std::runtime_error(message.str());
  }
  return std::stoull(value);
}

}  // namespace tproc::e2e
