#include "bundle_support.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "json.hpp"

namespace tproc::e2e {

namespace fs = std::filesystem;

std::string source_dir() { return TPROC_SOURCE_DIR; }

std::string yaml_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string yaml_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + yaml_quote(items[i]);
  return out + "]";
}

void place_file(const fs::path& from, const fs::path& to) {
  fs::create_directories(to.parent_path());
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  fs::permissions(to, fs::status(from).permissions(), fs::perm_options::replace);
}

std::string write_manifest(Sandbox& sandbox, const std::string& dir, std::string_view yaml) {
  return sandbox.write_file(dir + "/tproc.yaml", yaml, 0644);
}

std::string build_bundle(Sandbox& sandbox, const std::string& manifest, const std::string& out) {
  const std::string path = (sandbox.root() / out).native();
  Outcome built = sandbox.tproc({"build", "-f", manifest, "-o", path});
  if (built.status != 0 || built.timed_out) {
    std::ostringstream message;
    message << "`tproc build -f " << manifest << "` failed: " << built;
    throw std::runtime_error(message.str());
  }
  return path;
}

std::string bundle_of(Sandbox& sandbox, const std::string& name, const std::string& executable,
                      std::string_view more_yaml) {
  std::string yaml = "name: " + name + "\nversion: 1.0.0\nentrypoint: " + yaml_quote(executable) + "\n";
  yaml += more_yaml;
  return build_bundle(sandbox, write_manifest(sandbox, name, yaml), name + ".bundle");
}

fs::path cache_root(const Sandbox& sandbox) { return sandbox.home_dir() / "bundles"; }

std::vector<std::string> cache_entries(const Sandbox& sandbox) {
  std::vector<std::string> out;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(cache_root(sandbox), error)) {
    const std::string name = entry.path().filename().native();
    if (entry.is_directory() && name.size() == 64 &&
        name.find_first_not_of("0123456789abcdef") == std::string::npos)
      out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<ImageInfo> images(Sandbox& sandbox) {
  Outcome listed = sandbox.tproc({"images", "--format", "json"});
  if (listed.status != 0) throw std::runtime_error("`tproc images --format json` failed: " + listed.err);
  std::vector<ImageInfo> out;
  const Json document = Json::parse(listed.out);  // the loop must not outlive it
  for (const Json& row : document.items())
    out.push_back({row.at("name").is_string() ? row.at("name").str() : "", row.at("version").is_string() ? row.at("version").str() : "",
                   row.at("digest").str()});
  return out;
}

std::string bundle_digest(Sandbox& sandbox, const std::string& bundle) {
  Outcome inspected = sandbox.tproc({"inspect", "--format", "json", bundle});
  if (inspected.status != 0)
    throw std::runtime_error("`tproc inspect --format json " + bundle + "` failed: " + inspected.err);
  return Json::parse(inspected.out).at("digest").str();
}

std::vector<std::string> tree(const fs::path& dir, const std::string& except) {
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    const std::string relative = fs::relative(it->path(), dir).native();
    if (!except.empty() && (relative == except || relative.starts_with(except + "/"))) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    out.push_back(relative);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> mappings_ending_with(pid_t pid, const std::string& suffix) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::vector<std::string> out;
  for (std::string line; std::getline(maps, line);)
    if (line.size() >= suffix.size() && line.compare(line.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(line);
  return out;
}

long thread_count(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("Threads:")) return std::stol(line.substr(8));
  return 0;
}

}  // namespace tproc::e2e
