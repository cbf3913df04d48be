#include "space/tproc_table.hpp"

#include <unistd.h>

#include <charconv>
#include <iterator>
#include <vector>

#include "space/tproc_name.hpp"

namespace tproc::space {

protocol::TprocInfo TprocRecord::info() const {
  protocol::TprocInfo info;
  info.id = id;
  info.name = name;
  info.pid = pid;
  info.running = running();
  info.exit_status = status ? status->shell_status() : 0;
  info.started = started;
  info.command = command;
  info.detached = detached;
  info.bundle = bundle;
  info.labels = labels;
  info.bundle_name = bundle_name;
  info.paused = paused && running();
  return info;
}

void TprocRecord::remove_log() {
  if (!log) return;
  for (const std::string* path : {&log->out, &log->err, &log->index}) ::unlink(path->c_str());
}

TprocRecord& TprocTable::add(std::unique_ptr<TprocRecord> record) {
  record->id = next_id_++;
  TprocRecord& stored = *record;
  records_.emplace(stored.id, std::move(record));
  return stored;
}

TprocRecord* TprocTable::get(uint64_t id) {
  auto found = records_.find(id);
  return found == records_.end() ? nullptr : found->second.get();
}

Result<TprocRecord*> TprocTable::find(const std::string& target, const std::string& space) {
  uint64_t id = 0;
  auto [end, error] = std::from_chars(target.data(), target.data() + target.size(), id);
  if (error == std::errc() && end == target.data() + target.size()) {
    if (TprocRecord* record = get(id)) return record;
  }
  std::vector<TprocRecord*> running, exited;
  for (auto& [_, record] : records_)
    if (record->name == target) (record->running() ? running : exited).push_back(record.get());
  std::vector<TprocRecord*>& matches = running.empty() ? exited : running;
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) return Error::explained("no tproc '" + target + "' in space '" + space + "'", ESRCH);
  std::string ids;
  for (TprocRecord* record : matches) ids += (ids.empty() ? "" : ", ") + std::to_string(record->id);
  return Error::explained("name '" + target + "' is ambiguous in space '" + space + "' (ids " + ids + "): use an id", EINVAL);
}

bool TprocTable::name_in_use(const std::string& name) const {
  for (const auto& [_, record] : records_)
    if (record->running() && record->name == name) return true;
  return false;
}

const TprocRecord* TprocTable::name_holder(const std::string& name) const {
  const TprocRecord* holder = nullptr;
  for (const auto& [_, record] : records_)
    if (record->name == name && (!holder || record->running())) holder = record.get();
  return holder;
}

Result<void> TprocTable::check_new_name(const std::string& name, bool supervised, const std::string& space) const {
  if (name.empty()) return ok();
  if (supervised) {
    if (!name_in_use(name)) return ok();
    return Error::explained("name '" + name + "' is in use in space '" + space + "'", EEXIST);
  }
  TPROC_TRY(validate_tproc_name(name));
  const TprocRecord* holder = name_holder(name);
  if (!holder) return ok();
  // Docker's message, in our words: who holds it, and how to free it.
  const std::string id = std::to_string(holder->id);
  return Error::explained("name '" + name + "' is already in use by tproc " + id + " (" +
                              (holder->running() ? "running" : "exited") + ") in space '" + space + "': remove it ('tproc rm " +
                              (holder->running() ? "-f " : "") + space + " " + id + "') to reuse the name",
                          EEXIST);
}

void TprocTable::remove(uint64_t id) {
  auto found = records_.find(id);
  if (found == records_.end()) return;
  found->second->remove_log();
  records_.erase(found);
}

std::optional<std::string> TprocTable::holder_of(uint64_t begin, uint64_t end) const {
  for (const auto& [id, record] : records_) {
    if (!record->running()) continue;
    const bool holds_executable = record->program && record->program->executable.begin() < end &&
                                  begin < record->program->executable.end();
    const bool holds_fixed_image = record->fixed_image.valid() && record->fixed_image.begin() < end &&
                                   begin < record->fixed_image.end();
    if (holds_executable || holds_fixed_image) return "tproc " + std::to_string(id) + " (" + record->name + ")";
  }
  return std::nullopt;
}

size_t TprocTable::running_count() const {
  size_t count = 0;
  for (const auto& [_, record] : records_) count += record->running();
  return count;
}

void TprocTable::retire(uint64_t exited, const Retention& retention) {
  auto drop = [](std::map<uint64_t, std::unique_ptr<TprocRecord>>::iterator it, auto& records) {
    it->second->remove_log();
    return records.erase(it);
  };
  const TprocRecord* just = get(exited);
  if (just && just->supervised) {
    // The earlier runs of this replica: its supervisor has their status already.
    const std::string name = just->name;
    for (auto it = records_.begin(); it != records_.end() && it->first < exited;)
      it = !it->second->running() && it->second->supervised && it->second->name == name ? drop(it, records_) : std::next(it);
  }
  size_t plain = 0, supervised = 0;
  for (const auto& [_, record] : records_)
    if (!record->running() && record->detached) ++(record->supervised ? supervised : plain);
  // Oldest first (ids grow with time).
  for (auto it = records_.begin(); it != records_.end() && (plain > retention.plain || supervised > retention.supervised);) {
    TprocRecord& record = *it->second;
    if (record.running() || !record.detached) {
      ++it;
    } else if (record.supervised ? supervised > retention.supervised : plain > retention.plain) {
      --(record.supervised ? supervised : plain);
      it = drop(it, records_);
    } else {
      ++it;
    }
  }
}

}  // namespace tproc::space
