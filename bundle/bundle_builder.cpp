#include "bundle/bundle_builder.hpp"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <set>

#include "arch_traits.hpp"
#include "common/mapping.hpp"
#include "common/printable.hpp"
#include "common/unique_fd.hpp"
#include "loader/dependency_resolver.hpp"
#include "loader/elf_file.hpp"

namespace tproc::bundle {
namespace {

std::string file_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string directory_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

/// What a file that is not a regular one is, for errors.
const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

/// Checks that `path` is an executable ELF for this machine, as a run of it would. Opened
/// O_NONBLOCK: a FIFO named as the entrypoint is refused, never waited on.
Result<void> check_executable(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return Error::from_errno("");
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return Error::from_errno("fstat");
  if (!S_ISREG(st.st_mode)) return Error::explained(std::string(kind_of(st.st_mode)) + ", not a regular file", EACCES);
  if (!(st.st_mode & 0111)) return Error("not executable (no x permission)", EACCES);
  if (st.st_size == 0) return Error::explained("empty file (not an ELF file)", ENOEXEC);
  void* view = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (view == MAP_FAILED) return Error::from_errno("mmap");
  Mapping bytes(view, static_cast<size_t>(st.st_size));
  auto elf = loader::ElfFile::parse({bytes.bytes(), bytes.size()}, arch::kElfMachine);
  if (!elf) return Error::explained(elf.error().message(), ENOEXEC);
  return ok();
}

/// Whether the file starts with the ELF magic.
bool is_elf(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  char magic[4] = {};
  return fd && ::read(fd.get(), magic, 4) == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

/// Adds the libraries of `closure` (and glibc's run-time family) under lib/, each once.
/// `object_path` is where the closure's root object (resolved from `resolved_as`) goes in the
/// bundle ("bin/app").
Result<void> add_closure(const loader::ResolvedClosure& closure, const std::string& resolved_as,
                         const std::string& object_path, std::set<std::string>& taken,
                         std::vector<PlannedFile>& files) {
  // Reasons name objects by where they are in the bundle, not where they were on this machine.
  std::map<std::string, std::string> in_bundle{{resolved_as, object_path}, {closure.executable, object_path}};
  for (const loader::ResolvedLibrary& library : closure.libraries)
    in_bundle[library.path] = std::string(kBundleLibDir) + "/" + library.soname;
  auto needed_by = [&](const loader::ResolvedLibrary& library) {
    auto found = in_bundle.find(library.needed_by);
    const std::string& who = found == in_bundle.end() ? library.needed_by : found->second;
    return (who.empty() ? "" : "needed by " + who + ", ") + "found via " + library.search_reason;
  };
  auto add = [&](const std::string& name, const std::string& host_path, const std::string& reason) {
    const std::string path = std::string(kBundleLibDir) + "/" + name;
    if (taken.insert(path).second) files.push_back({BundleFile::from_host(path, host_path, 0755), reason});
  };
  if (closure.interpreter) {
    const std::string name = file_name(closure.interpreter->path);
    add(name, closure.interpreter->host_path, "interpreter (PT_INTERP)");
    // The executable names its interpreter by absolute path (PT_INTERP); a link there inside the
    // bundle lets the bundle be resolved like a root filesystem.
    std::string link = closure.interpreter->path.substr(1);
    if (link != std::string(kBundleLibDir) + "/" + name && taken.insert(link).second) {
      std::string up;
      for (char c : link.substr(0, link.find_last_of('/') + 1)) up += c == '/' ? "../" : "";
      files.push_back({BundleFile::symlink(link, up + kBundleLibDir + "/" + name), "interpreter path " + closure.interpreter->path});
    }
  }
  for (const loader::ResolvedLibrary& library : closure.libraries) add(library.soname, library.host_path, needed_by(library));
  std::vector<loader::ResolvedLibrary> family = TPROC_TRY(loader::libc_family(closure));
  for (const loader::ResolvedLibrary& library : family) in_bundle[library.path] = std::string(kBundleLibDir) + "/" + library.soname;
  for (const loader::ResolvedLibrary& library : family) add(library.soname, library.host_path, needed_by(library));
  return ok();
}

}  // namespace

std::string bundled_executable(const Manifest& manifest) {
  return std::string(kBundleBinDir) + "/" + file_name(manifest.entrypoint());
}

Result<BundlePlan> plan_bundle(const std::string& manifest_path) {
  Manifest manifest = TPROC_TRY(Manifest::load(manifest_path));
  const std::string base = directory_of(manifest_path);
  auto on_host = [&](const std::string& path) { return path.starts_with("/") ? path : base + "/" + path; };

  BundlePlan plan{manifest, {}};
  std::set<std::string> taken;
  const std::string entrypoint = on_host(manifest.entrypoint());
  TPROC_TRY_CTX(manifest_path + ": entrypoint " + manifest.entrypoint(), check_executable(entrypoint));
  plan.files.push_back({BundleFile::from_host(bundled_executable(manifest), entrypoint, 0755), "entrypoint"});
  taken.insert(bundled_executable(manifest));

  const bool bundled = manifest.libraries() == LibraryPolicy::bundled;
  if (bundled) {
    loader::ResolvedClosure closure =
        TPROC_TRY_CTX(manifest_path + ": entrypoint " + manifest.entrypoint(), loader::resolve_dependencies(entrypoint));
    TPROC_TRY(add_closure(closure, entrypoint, bundled_executable(manifest), taken, plan.files));
  }

  // What files: matches stays inside the project: a link that a wildcard matched and that leads
  // out (data/* finding data/notes.txt -> /etc/shadow) is an error naming it, never a copy of
  // what it points to. A link the pattern names literally (the components before its first
  // wildcard) is the manifest's explicit choice: data/notes.txt, or lib/python3.11 ->
  // /usr/lib/python3.11, whose tree is then taken as it is (its own links included).
  char* resolved_base = ::realpath(base.c_str(), nullptr);
  if (!resolved_base) return Error::from_errno(manifest_path + ": " + base);
  const std::string project = resolved_base;
  std::free(resolved_base);
  const auto inside = [](const std::string& path, const std::string& directory) {
    return path == directory || path.starts_with(directory + "/");
  };
  for (const std::string& pattern : manifest.files()) {
    if (pattern.starts_with("/") || pattern == ".." || pattern.starts_with("../") || pattern.find("/../") != std::string::npos)
      return Error::explained(manifest_path + ": files: '" + pattern + "' must be a relative path inside " + base, EINVAL);
    glob_t matches{};
    const int found = ::glob(on_host(pattern).c_str(), GLOB_ERR, nullptr, &matches);
    std::vector<std::string> paths(matches.gl_pathv, matches.gl_pathv + matches.gl_pathc);
    ::globfree(&matches);
    if (found == GLOB_NOMATCH || paths.empty())
      return Error::explained(manifest_path + ": files: '" + pattern + "' matches nothing", ENOENT);
    if (found != 0) return Error::explained(manifest_path + ": files: '" + pattern + "': cannot read the directory", EIO);
    std::string literal;
    for (size_t start = 0; start < pattern.size();) {
      size_t slash = pattern.find('/', start);
      if (slash == std::string::npos) slash = pattern.size();
      const std::string part = pattern.substr(start, slash - start);
      if (part.find_first_of("*?[") != std::string::npos) break;
      literal += (literal.empty() ? "" : "/") + part;
      start = slash + 1;
    }
    char* resolved_literal = ::realpath(literal.empty() ? base.c_str() : on_host(literal).c_str(), nullptr);
    if (!resolved_literal) return Error::from_errno(manifest_path + ": files: " + printable(literal));
    const std::string within = resolved_literal;
    std::free(resolved_literal);
    for (const std::string& host_path : paths) {
      const std::string path = host_path.substr(base.size() + 1);
      struct stat st {};
      if (::stat(host_path.c_str(), &st) < 0) return Error::from_errno(manifest_path + ": files: " + printable(path));
      if (S_ISDIR(st.st_mode)) continue;  // directories come in through their files
      char* real = ::realpath(host_path.c_str(), nullptr);
      if (!real) return Error::from_errno(manifest_path + ": files: " + printable(path));
      const std::string target = real;
      std::free(real);
      if (inside(within, project) && !inside(target, within))
        return Error::explained(manifest_path + ": files: " + printable(path) + " leads out of the project (to " +
                                    printable(target) + "): a link that a wildcard of '" + printable(pattern) +
                                    "' matched must stay inside " + printable(within),
                                EACCES);
      if (!S_ISREG(st.st_mode))
        return Error::explained(manifest_path + ": files: " + printable(path) + " is " + kind_of(st.st_mode) +
                                    ": only regular files are bundled",
                                EACCES);
      if (taken.insert(path).second)
        plan.files.push_back({BundleFile::from_host(path, host_path, st.st_mode & 0777), "files: " + pattern});
      // A plugin (an ELF object the app dlopens) brings its own dependencies along.
      if (bundled && is_elf(host_path)) {
        loader::ResolvedClosure closure =
            TPROC_TRY_CTX(manifest_path + ": files: " + path, loader::resolve_dependencies(host_path));
        TPROC_TRY(add_closure(closure, host_path, path, taken, plan.files));
      }
    }
  }
  return plan;
}

Result<WrittenBundle> write_planned_bundle(const BundlePlan& plan, const std::string& out_path) {
  BundleContents contents;
  contents.name = plan.manifest.name();
  contents.version = plan.manifest.version();
  contents.config_json = plan.manifest.to_json();
  for (const PlannedFile& planned : plan.files) contents.files.push_back(planned.file);
  return write_bundle(contents, out_path);
}

}  // namespace tproc::bundle
