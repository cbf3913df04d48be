#include "oci/seccomp_profile.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/unique_fd.hpp"

namespace tproc::oci {
namespace {

using nlohmann::json;

Error refused(const std::string& path, const std::string& why) {
  return Error::explained("config.json linux.seccomp" + path + ": " + why, ENOTSUP);
}
Error invalid(const std::string& path, const std::string& why) {
  return Error::explained("config.json linux.seccomp" + path + ": " + why, EINVAL);
}

Result<void> only_known(const json& object, const std::string& where, const std::set<std::string>& known) {
  if (!object.is_object()) return invalid(where, "not an object");
  for (const auto& [key, value] : object.items())
    if (!known.count(key) && !value.is_null()) return refused(where + "." + key, "not supported by tproc-oci yet");
  return ok();
}

/// errnoRet (or defaultErrnoRet): a number from 0 to 65535, EPERM when absent (as runc).
Result<uint32_t> errno_return(const json& object, const std::string& key, const std::string& where) {
  if (!object.contains(key) || object[key].is_null()) return uint32_t{EPERM};
  if (!object[key].is_number_unsigned() || object[key].get<uint64_t>() > 0xffff)
    return invalid(where + "." + key, "not an errno (0-65535)");
  return object[key].get<uint32_t>();
}

/// An action's libseccomp value; `errno_value` serves ERRNO and TRACE.
Result<uint32_t> action(const json& name, uint32_t errno_value, const std::string& where) {
  if (!name.is_string()) return invalid(where, "not an action name");
  const std::string text = name.get<std::string>();
  if (text == "SCMP_ACT_ALLOW") return uint32_t{SCMP_ACT_ALLOW};
  if (text == "SCMP_ACT_ERRNO") return uint32_t{SCMP_ACT_ERRNO(errno_value)};
  if (text == "SCMP_ACT_KILL" || text == "SCMP_ACT_KILL_THREAD") return uint32_t{SCMP_ACT_KILL_THREAD};
  if (text == "SCMP_ACT_KILL_PROCESS") return uint32_t{SCMP_ACT_KILL_PROCESS};
  if (text == "SCMP_ACT_TRAP") return uint32_t{SCMP_ACT_TRAP};
  if (text == "SCMP_ACT_TRACE") return uint32_t{SCMP_ACT_TRACE(errno_value)};
  if (text == "SCMP_ACT_LOG") return uint32_t{SCMP_ACT_LOG};
  if (text == "SCMP_ACT_NOTIFY")
    return refused(where, "SCMP_ACT_NOTIFY needs the one seccomp listener a task may have, which tproc's own filter holds");
  return invalid(where, "unknown action '" + text + "'");
}

Result<scmp_compare> comparison(const json& name, const std::string& where) {
  static const std::map<std::string, scmp_compare> kOps = {
      {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  const auto found = name.is_string() ? kOps.find(name.get<std::string>()) : kOps.end();
  if (found == kOps.end()) return invalid(where, "not a comparison (SCMP_CMP_EQ, _NE, _LT, _LE, _GE, _GT, _MASKED_EQ)");
  return found->second;
}

/// An architecture as the spec names it (SCMP_ARCH_X86_64) to libseccomp's token.
Result<uint32_t> architecture(const json& name, const std::string& where) {
  const std::string text = name.is_string() ? name.get<std::string>() : "";
  if (text.rfind("SCMP_ARCH_", 0) != 0) return invalid(where, "not an architecture name (SCMP_ARCH_...)");
  std::string lower = text.substr(10);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const uint32_t token = ::seccomp_arch_resolve_name(lower.c_str());
  if (token == 0) return invalid(where, "unknown architecture '" + text + "'");
  return token;
}

Result<uint32_t> filter_flags(const json& flags) {
  static const std::map<std::string, uint32_t> kFlags = {
      {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
      {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
      {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW}};
  if (!flags.is_array()) return invalid(".flags", "not a list of flag names");
  uint32_t all = 0;
  for (const json& flag : flags) {
    const std::string name = flag.is_string() ? flag.get<std::string>() : "";
    if (name == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")
      return refused(".flags " + name, "it applies to a seccomp listener, and tproc-oci refuses SCMP_ACT_NOTIFY");
    const auto found = kFlags.find(name);
    if (found == kFlags.end()) return invalid(".flags", "unknown flag '" + name + "'");
    all |= found->second;
  }
  return all;
}

/// The rules of one linux.seccomp.syscalls entry, added as runc adds them: its conditions all
/// in one rule (AND), unless two name the same argument, then one rule per condition (OR).
Result<void> add_rules(scmp_filter_ctx context, const json& entry, uint32_t default_action, const std::string& where) {
  TPROC_TRY(only_known(entry, where, {"names", "action", "errnoRet", "args"}));
  const uint32_t errno_value = TPROC_TRY(errno_return(entry, "errnoRet", where));
  const uint32_t verdict = TPROC_TRY(action(entry.value("action", json()), errno_value, where + ".action"));
  std::vector<scmp_arg_cmp> conditions;
  bool repeats_an_argument = false;
  if (entry.contains("args") && !entry["args"].is_null()) {
    if (!entry["args"].is_array()) return invalid(where + ".args", "not a list");
    unsigned per_argument[6] = {};
    for (size_t i = 0; i < entry["args"].size(); ++i) {
      const json& arg = entry["args"][i];
      const std::string at = where + ".args[" + std::to_string(i) + "]";
      TPROC_TRY(only_known(arg, at, {"index", "value", "valueTwo", "op"}));
      if (!arg.contains("index") || !arg["index"].is_number_unsigned() || arg["index"].get<uint64_t>() >= 6)
        return invalid(at + ".index", "not a system call argument index (0-5)");
      for (const char* key : {"value", "valueTwo"})
        if (arg.contains(key) && !arg[key].is_number_unsigned()) return invalid(at + "." + key, "not an unsigned number");
      const auto index = arg["index"].get<unsigned>();
      repeats_an_argument |= ++per_argument[index] > 1;
      conditions.push_back(scmp_arg_cmp{index, TPROC_TRY(comparison(arg.value("op", json()), at + ".op")),
                                        arg.value("value", uint64_t{0}), arg.value("valueTwo", uint64_t{0})});
    }
  }
  // libseccomp refuses a rule that repeats the default action; runc drops it, as here.
  if (verdict == default_action) return ok();
  if (!entry.contains("names") || !entry["names"].is_array()) return invalid(where + ".names", "not a list of system call names");
  for (const json& name : entry["names"]) {
    if (!name.is_string()) return invalid(where + ".names", "not a list of system call names");
    const int number = ::seccomp_syscall_resolve_name(name.get<std::string>().c_str());
    if (number == __NR_SCMP_ERROR) continue;  // unknown to libseccomp: skipped, as runc does
    auto add = [&](unsigned count, const scmp_arg_cmp* first) -> Result<void> {
      if (int rc = ::seccomp_rule_add_array(context, verdict, number, count, first); rc < 0)
        return invalid(where + " " + name.get<std::string>(), std::string("libseccomp cannot add the rule: ") + std::strerror(-rc));
      return ok();
    };
    if (!repeats_an_argument) {
      TPROC_TRY(add(static_cast<unsigned>(conditions.size()), conditions.data()));
    } else {
      for (const scmp_arg_cmp& condition : conditions) TPROC_TRY(add(1, &condition));
    }
  }
  return ok();
}

}  // namespace

Result<SeccompProfile> SeccompProfile::compile(const json& profile) {
  TPROC_TRY(only_known(profile, "", {"defaultAction", "defaultErrnoRet", "architectures", "flags", "syscalls"}));
  const uint32_t default_errno = TPROC_TRY(errno_return(profile, "defaultErrnoRet", ""));
  const uint32_t default_action = TPROC_TRY(action(profile.value("defaultAction", json()), default_errno, ".defaultAction"));
  SeccompProfile compiled;
  if (profile.contains("flags")) compiled.flags = TPROC_TRY(filter_flags(profile["flags"]));

  const std::unique_ptr<void, void (*)(scmp_filter_ctx)> context(::seccomp_init(default_action), ::seccomp_release);
  if (!context) return Error::explained("config.json linux.seccomp: libseccomp cannot make a filter", ENOMEM);
  if (profile.contains("architectures")) {
    if (!profile["architectures"].is_array()) return invalid(".architectures", "not a list of architecture names");
    for (const json& name : profile["architectures"]) {
      const uint32_t token = TPROC_TRY(architecture(name, ".architectures"));
      if (int rc = ::seccomp_arch_add(context.get(), token); rc < 0 && rc != -EEXIST)
        return invalid(".architectures " + name.get<std::string>(), std::string("libseccomp: ") + std::strerror(-rc));
    }
  }
  if (profile.contains("syscalls")) {
    if (!profile["syscalls"].is_array()) return invalid(".syscalls", "not a list");
    for (size_t i = 0; i < profile["syscalls"].size(); ++i)
      TPROC_TRY(add_rules(context.get(), profile["syscalls"][i], default_action, ".syscalls[" + std::to_string(i) + "]"));
  }

  // libseccomp 2.5 exports to a descriptor only.
  UniqueFd exported(::memfd_create("tproc-oci-seccomp", MFD_CLOEXEC));
  if (!exported) return Error::from_errno("config.json linux.seccomp: memfd_create");
  if (int rc = ::seccomp_export_bpf(context.get(), exported.get()); rc < 0)
    return Error::explained(std::string("config.json linux.seccomp: libseccomp cannot compile it: ") + std::strerror(-rc), EINVAL);
  const off_t size = ::lseek(exported.get(), 0, SEEK_END);
  if (size < 0) return Error::from_errno("config.json linux.seccomp: the compiled filter");
  compiled.program.resize(static_cast<size_t>(size));
  if (::pread(exported.get(), compiled.program.data(), compiled.program.size(), 0) != size)
    return Error::from_errno("config.json linux.seccomp: read the compiled filter");
  // The kernel takes at most BPF_MAXINSNS (4096) instructions per filter.
  if (compiled.program.size() / 8 > 4096)
    return refused("", "compiled into " + std::to_string(compiled.program.size() / 8) +
                           " BPF instructions, more than the kernel's 4096 for one filter");
  return compiled;
}

}  // namespace tproc::oci
