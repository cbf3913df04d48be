#include "cli/space_stats.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "cli/output.hpp"
#include "cli/space_client.hpp"

namespace tproc::cli {
namespace {

std::string percent(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f%%", value);
  return text;
}

double share(uint64_t before_ns, uint64_t now_ns, uint64_t interval_ns) {
  if (interval_ns == 0 || now_ns < before_ns) return 0;
  return 100.0 * static_cast<double>(now_ns - before_ns) / static_cast<double>(interval_ns);
}

}  // namespace

Result<protocol::SpaceStats> sample_space(const space::SpacePaths& paths, const std::string& space) {
  protocol::Received reply = TPROC_TRY(ask_space(paths, space, protocol::StatsRequest{}));
  return expect<protocol::SpaceStats>(reply);
}

StatsReading make_reading(const protocol::SpaceStats& before, protocol::SpaceStats now) {
  std::map<uint64_t, uint64_t> earlier;  // cpu_ns by tproc id
  for (const protocol::TprocStats& tproc : before.tprocs) earlier[tproc.id] = tproc.cpu_ns;
  const uint64_t interval = now.sampled_ns > before.sampled_ns ? now.sampled_ns - before.sampled_ns : 0;
  StatsReading reading;
  reading.daemon_cpu_percent = share(before.daemon_cpu_ns, now.daemon_cpu_ns, interval);
  for (protocol::TprocStats& tproc : now.tprocs) {
    const auto found = earlier.find(tproc.id);
    const double cpu = share(found == earlier.end() ? 0 : found->second, tproc.cpu_ns, interval);
    reading.rows.push_back({std::move(tproc), found == earlier.end() ? 0 : cpu});
  }
  now.tprocs.clear();
  reading.space = std::move(now);
  return reading;
}

Result<void> sort_rows(std::vector<StatsRow>& rows, const std::string& key) {
  using Less = bool (*)(const StatsRow&, const StatsRow&);
  static const std::map<std::string, Less> kKeys = {
      {"cpu", [](const StatsRow& a, const StatsRow& b) { return a.cpu_percent > b.cpu_percent; }},
      {"mem", [](const StatsRow& a, const StatsRow& b) { return a.tproc.rss > b.tproc.rss; }},
      {"mapped", [](const StatsRow& a, const StatsRow& b) { return a.tproc.mapped > b.tproc.mapped; }},
      {"threads", [](const StatsRow& a, const StatsRow& b) { return a.tproc.threads > b.tproc.threads; }},
      {"fds", [](const StatsRow& a, const StatsRow& b) { return a.tproc.fds > b.tproc.fds; }},
      {"id", [](const StatsRow& a, const StatsRow& b) { return a.tproc.id < b.tproc.id; }},
      {"name", [](const StatsRow& a, const StatsRow& b) { return a.tproc.name < b.tproc.name; }},
  };
  const auto found = kKeys.find(key);
  if (found == kKeys.end())
    return Error::explained("unknown sort key '" + key + "' (cpu, mem, mapped, threads, fds, id or name)", EINVAL);
  std::stable_sort(rows.begin(), rows.end(), found->second);
  return ok();
}

std::string stats_table(const StatsReading& reading) {
  const auto memory = [](uint64_t bytes) { return human_size(bytes, SizeUnits::binary); };  // as docker stats
  std::string out;
  std::vector<std::vector<std::string>> rows;
  for (const StatsRow& row : reading.rows)
    rows.push_back({std::to_string(row.tproc.id), row.tproc.name, std::to_string(row.tproc.pid),
                    row.tproc.paused ? "paused" : "running", percent(row.cpu_percent), memory(row.tproc.rss),
                    memory(row.tproc.mapped), std::to_string(row.tproc.threads), std::to_string(row.tproc.fds)});
  out += table_text({"ID", "NAME", "PID", "STATE", "CPU %", "RSS", "MAPPED", "THREADS", "FDS"}, rows);
  const protocol::SpaceStats& space = reading.space;
  out += "SPACE RSS " + memory(space.rss) + ": registry " + memory(space.registry_rss) + ", space heap " +
         memory(space.heap_rss) + ", daemon " + memory(space.daemon_rss) + " (pid " +
         std::to_string(space.daemon_pid) + ", CPU " + percent(reading.daemon_cpu_percent) + ")\n";
  return out;
}

std::string stats_json(const StatsReading& reading) {
  const protocol::SpaceStats& space = reading.space;
  char number[64];
  std::string out = "{\"tprocs\": [";
  for (size_t i = 0; i < reading.rows.size(); ++i) {
    const protocol::TprocStats& tproc = reading.rows[i].tproc;
    std::snprintf(number, sizeof(number), "%.2f", reading.rows[i].cpu_percent);
    out += std::string(i ? "," : "") + "\n  {\"id\": " + std::to_string(tproc.id) + ", \"name\": " + json_string(tproc.name) +
           ", \"pid\": " + std::to_string(tproc.pid) + ", \"state\": \"" + (tproc.paused ? "paused" : "running") +
           "\", \"cpu_percent\": " + number + ", \"cpu_ns\": " + std::to_string(tproc.cpu_ns) +
           ", \"rss_bytes\": " + std::to_string(tproc.rss) + ", \"mapped_bytes\": " + std::to_string(tproc.mapped) +
           ", \"threads\": " + std::to_string(tproc.threads) + ", \"fds\": " + std::to_string(tproc.fds) + "}";
  }
  std::snprintf(number, sizeof(number), "%.2f", reading.daemon_cpu_percent);
  out += std::string(reading.rows.empty() ? "" : "\n") + "],\n \"space\": {\"rss_bytes\": " + std::to_string(space.rss) +
         ", \"registry_rss_bytes\": " + std::to_string(space.registry_rss) + ", \"heap_rss_bytes\": " +
         std::to_string(space.heap_rss) + ", \"daemon_rss_bytes\": " + std::to_string(space.daemon_rss) +
         ", \"daemon_pid\": " + std::to_string(space.daemon_pid) + ", \"daemon_cpu_percent\": " + number +
         ", \"notified_calls\": " + std::to_string(space.notified_calls) + ", \"daemon_context_switches\": " +
         std::to_string(space.daemon_context_switches) + ", \"ended_tprocs_context_switches\": " +
         std::to_string(space.ended_tprocs_context_switches) + "}}\n";
  return out;
}

}  // namespace tproc::cli
