#include "bundle/runtime_recipe.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <regex>

#include "common/printable.hpp"

namespace tproc::bundle {
namespace {

constexpr const char* kPython = "runtime: python3: ";

/// "python3.11" when `interpreter` (links resolved) is a file named python3.N, else "".
std::string python_version(const std::string& interpreter) {
  char* resolved = ::realpath(interpreter.c_str(), nullptr);
  if (!resolved) return "";
  const std::string real = resolved;
  std::free(resolved);
  const std::string name = real.substr(real.find_last_of('/') + 1);
  return std::regex_match(name, std::regex("python3\\.[0-9]+")) ? name : "";
}

/// PREFIX for PREFIX/bin/python3.X (links resolved), "" when there is no such layout.
std::string prefix_of(const std::string& interpreter) {
  char* resolved = ::realpath(interpreter.c_str(), nullptr);
  if (!resolved) return "";
  std::string real = resolved;
  std::free(resolved);
  const size_t name = real.find_last_of('/');
  if (name == std::string::npos || name == 0) return "";
  const std::string bin = real.substr(0, name);
  const size_t up = bin.find_last_of('/');
  if (bin.substr(up + 1) != "bin") return "";
  return up == 0 ? "" : bin.substr(0, up);  // a python in /bin has the prefix "/" (lib/ is /lib)
}

bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

Result<RuntimeHome> python_home(const std::string& interpreter) {
  const std::string version = python_version(interpreter);
  if (version.empty())
    return Error::explained(std::string(kPython) + "the entrypoint " + printable(interpreter) +
                                " is not a python3.N interpreter (its file, links resolved, must be named so)",
                            EINVAL);
  const std::string prefix = prefix_of(interpreter);
  const std::string lib = prefix + "/lib";
  RuntimeHome home{lib + "/" + version, "lib/" + version, {}};
  // os.py is the landmark python itself looks for to find its home.
  if (!is_file(home.host_home + "/os.py"))
    return Error::explained(std::string(kPython) + "no standard library for " + printable(interpreter) + " at " +
                                printable(home.host_home) + " (no os.py there)",
                            ENOENT);
  // The home is the interpreter's installation, taken as it is (its links included, like a link
  // files: names literally); what it holds for building C extensions and the host's own
  // configuration stay out.
  CollectRequest request{lib, {version}, {version + "/config-*", version + "/sitecustomize.py", "**/__pycache__"}, "", true};
  home.files = TPROC_TRY_CTX(std::string(kPython) + printable(home.host_home), collect_files(request));
  for (CollectedFile& file : home.files) {
    file.path = "lib/" + file.path;
    file.pattern = "runtime: python3";
  }
  return home;
}

std::optional<std::string> missing_home_warning(const std::string& interpreter, const std::set<std::string>& bundled) {
  const std::string version = python_version(interpreter);
  if (version.empty() || bundled.contains("lib/" + version + "/os.py")) return std::nullopt;
  const std::string prefix = prefix_of(interpreter);
  return printable(interpreter) + " is a python whose standard library (" + printable(prefix + "/lib/" + version) +
         ") is not in the bundle: it will run only where the host has one; add `runtime: python3` to the manifest";
}

std::vector<std::string> python_environment(const std::string& root) {
  return {"PYTHONHOME=" + root, "PYTHONDONTWRITEBYTECODE=1"};
}

}  // namespace tproc::bundle
