#include "cli/run_user.hpp"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace tproc::cli {
namespace {

/// A uid or gid written as a number: all digits, below (uid_t)-1, which setresuid and setresgid
/// read as "leave it unchanged".
std::optional<uint32_t> id_number(const std::string& text) {
  if (text.empty() || text.size() > 10 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);
  if (value >= UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(value);
}

/// Whether `text` is all digits (then it is meant as a number, whatever its size).
bool numeric(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

/// A passwd entry's fields that -u needs.
struct UserEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string home;
};

/// The first entry of /etc/passwd that `matches`. Read as a file (fgetpwent_r), not through NSS:
/// tproc-cli is a static PIE, and a static glibc crashes loading any NSS module but files.
template <class Matches>
std::optional<UserEntry> find_user(Matches matches) {
  FILE* file = std::fopen("/etc/passwd", "re");
  if (!file) return std::nullopt;
  std::optional<UserEntry> found;
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* result = nullptr;
  while (::fgetpwent_r(file, &entry, buffer.data(), buffer.size(), &result) == 0 && result)
    if (matches(entry)) {
      found = UserEntry{entry.pw_name, entry.pw_uid, entry.pw_gid, entry.pw_dir ? entry.pw_dir : ""};
      break;
    }
  std::fclose(file);
  return found;
}

/// Calls `each` for every entry of /etc/group (read as a file, as above) until it returns true.
template <class Each>
void for_each_group(Each each) {
  FILE* file = std::fopen("/etc/group", "re");
  if (!file) return;
  std::vector<char> buffer(65536);
  group entry{};
  group* result = nullptr;
  while (::fgetgrent_r(file, &entry, buffer.data(), buffer.size(), &result) == 0 && result)
    if (each(entry)) break;
  std::fclose(file);
}

/// The groups login gives `user` (getgrouplist's answer): its primary group, then every group
/// that lists it as a member, each once.
std::vector<uint32_t> groups_of(const UserEntry& user) {
  std::vector<uint32_t> groups{user.gid};
  for_each_group([&](const group& entry) {
    for (char** member = entry.gr_mem; member && *member; ++member)
      if (user.name == *member && std::find(groups.begin(), groups.end(), entry.gr_gid) == groups.end())
        groups.push_back(entry.gr_gid);
    return false;
  });
  return groups;
}

}  // namespace

Result<RunUserChoice> resolve_run_user(const std::string& spec) {
  const std::string context = "-u " + spec;
  const size_t colon = spec.find(':');
  const std::string user_text = spec.substr(0, colon);
  if (user_text.empty()) return Error::explained(context + ": no user (USER or USER:GROUP)", EINVAL);
  RunUserChoice choice;
  choice.spec = spec;
  protocol::RunUser& user = choice.user;
  user.given = true;

  std::optional<UserEntry> entry;
  if (numeric(user_text)) {
    const std::optional<uint32_t> uid = id_number(user_text);
    if (!uid) return Error::explained(context + ": uid " + user_text + " is out of range", EINVAL);
    user.uid = *uid;
    entry = find_user([&](const passwd& e) { return e.pw_uid == *uid; });
  } else {
    entry = find_user([&](const passwd& e) { return user_text == e.pw_name; });
    if (!entry) return Error::explained(context + ": no such user", ENOENT);
    user.uid = entry->uid;
  }
  // docker's default for a uid without an entry: gid 0.
  user.gid = entry ? entry->gid : 0;

  if (colon != std::string::npos) {
    const std::string group_text = spec.substr(colon + 1);
    if (group_text.empty()) return Error::explained(context + ": no group after ':' (USER:GROUP)", EINVAL);
    if (numeric(group_text)) {
      const std::optional<uint32_t> gid = id_number(group_text);
      if (!gid) return Error::explained(context + ": gid " + group_text + " is out of range", EINVAL);
      user.gid = *gid;
    } else {
      std::optional<uint32_t> gid;
      for_each_group([&](const group& entry) {
        if (group_text != entry.gr_name) return false;
        gid = entry.gr_gid;
        return true;
      });
      if (!gid) return Error::explained(context + ": no such group", ENOENT);
      user.gid = *gid;
    }
  } else if (entry) {
    // The user's groups, as login and docker give them.
    user.groups = groups_of(*entry);
  }

  if (user.uid == 0) {
    // Root stays root, as `docker run -u root` is: it keeps the daemon's capabilities.
    user.bounding = user.effective = user.permitted = ~uint64_t{0};
    user.no_new_privs = false;
  }
  choice.env.push_back("HOME=" + (entry && !entry->home.empty() ? entry->home : std::string("/")));
  if (entry) {
    choice.env.push_back("USER=" + entry->name);
    choice.env.push_back("LOGNAME=" + entry->name);
  } else {
    choice.unset = {"USER", "LOGNAME"};
  }
  return choice;
}

}  // namespace tproc::cli
