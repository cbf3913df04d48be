#include "bundle/bundle_builder.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "arch_traits.hpp"
#include "bundle/file_collector.hpp"
#include "bundle/runtime_recipe.hpp"
#include "common/mapping.hpp"
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
  if (!(st.st_mode & 0111)) return Error::explained("not executable (no x permission)", EACCES);
  if (st.st_size == 0) return Error::explained("empty file (not an ELF file)", ENOEXEC);
  void* view = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (view == MAP_FAILED) return Error::from_errno("mmap");
  Mapping bytes(view, static_cast<size_t>(st.st_size));
  auto elf = loader::ElfFile::parse({bytes.bytes(), bytes.size()}, arch::kElfMachine);
  if (!elf) return Error::explained(elf.error().message(), ENOEXEC);
  return ok();
}

/// Whether the file is an ELF executable or shared object (e_type ET_EXEC or ET_DYN), whose
/// dependencies a run would load.
bool is_loadable_elf(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  Elf64_Ehdr header{};
  if (!fd || ::read(fd.get(), &header, sizeof(header)) != static_cast<ssize_t>(sizeof(header))) return false;
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) return false;
  return header.e_type == ET_EXEC || header.e_type == ET_DYN;
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

Result<BundlePlan> plan_bundle(const std::string& manifest_path, const std::string& output_path, Progress* progress) {
  Manifest manifest = TPROC_TRY(Manifest::load(manifest_path));
  const std::string base = directory_of(manifest_path);
  auto on_host = [&](const std::string& path) { return path.starts_with("/") ? path : base + "/" + path; };

  BundlePlan plan{manifest, {}, {}};
  std::set<std::string> taken;
  auto collected = [&] { report_progress(progress, "collecting files", plan.files.size(), 0, ProgressUnit::items); };
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
  collected();

  std::vector<CollectedFile> extra =
      TPROC_TRY_CTX(manifest_path, collect_files({.base = base,
                                                  .patterns = manifest.files(),
                                                  .excludes = manifest.excludes(),
                                                  .output = output_path,
                                                  .progress = progress,
                                                  .counted_before = plan.files.size()}));
  if (manifest.runtime() == Runtime::python3) {
    RuntimeHome home = TPROC_TRY_CTX(manifest_path, python_home(entrypoint));
    extra.insert(extra.end(), home.files.begin(), home.files.end());
  }
  for (const CollectedFile& file : extra) {
    if (taken.insert(file.path).second)
      plan.files.push_back({BundleFile::from_host(file.path, file.host_path, file.mode), "files: " + file.pattern});
    collected();
    // A plugin (an ELF object the app dlopens) brings its own dependencies along; an object
    // file (.o) or a core dump is data.
    if (bundled && is_loadable_elf(file.host_path)) {
      loader::ResolvedClosure closure =
          TPROC_TRY_CTX(manifest_path + ": files: " + file.path, loader::resolve_dependencies(file.host_path));
      TPROC_TRY(add_closure(closure, file.host_path, file.path, taken, plan.files));
    }
  }
  if (manifest.runtime() == Runtime::none)
    if (std::optional<std::string> warning = missing_home_warning(entrypoint, taken)) plan.warnings.push_back(*warning);
  return plan;
}

Result<WrittenBundle> write_planned_bundle(const BundlePlan& plan, const std::string& out_path, Progress* progress) {
  BundleContents contents;
  contents.name = plan.manifest.name();
  contents.version = plan.manifest.version();
  contents.config_json = plan.manifest.to_json();
  for (const PlannedFile& planned : plan.files) contents.files.push_back(planned.file);
  return write_bundle(contents, out_path, progress);
}

}  // namespace tproc::bundle
