#include "loader/dependency_resolver.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "arch_traits.hpp"
#include "common/mapping.hpp"
#include "common/unique_fd.hpp"
#include "loader/elf_dynamic.hpp"
#include "loader/elf_file.hpp"
#include "loader/ld_so_cache.hpp"
#include "loader/nsswitch.hpp"
#include "loader/root_paths.hpp"

// The pipeline: canonicalise the root, open the executable and its interpreter, then walk the
// queue of objects breadth-first (the object list is the queue: index i is processed after every
// index below it), looking up each DT_NEEDED name that no loaded object answers to yet.
//
// Paths come in two kinds and never mix: an in-root path ("/lib/libfoo.so", what the program will
// see) and a host path (what we open: inside a root, the root followed by the in-root path with
// its symlinks resolved inside the root; on the host, the path as found). Every object records
// the root it lives in, "" for the host: a library found on the host under `use_host` keeps
// searching the host for its own RPATH/RUNPATH.

namespace tproc::loader {
namespace {

// --- Objects ------------------------------------------------------------------------------------

// What the resolver needs from one ELF file; the file is unmapped once this is read.
struct Inspected {
  ElfDynamic dynamic;
  std::optional<std::string> interpreter;
  dev_t device = 0;
  ino_t inode = 0;
};

Result<Inspected> inspect(const std::string& host_path) {
  UniqueFd fd(::open(host_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno("open " + host_path);
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) return Error::from_errno("fstat " + host_path);
  if (!S_ISREG(st.st_mode)) return Error::explained(host_path + ": not a regular file", EACCES);
  if (st.st_size == 0) {
    return Error::explained(host_path + ": empty file (not an ELF file)", ENOEXEC);
  }
  const auto size = static_cast<size_t>(st.st_size);
  void* view = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (view == MAP_FAILED) return Error::from_errno("mmap " + host_path);
  const Mapping mapping(view, size);
  const ElfFile elf = TPROC_TRY_CTX(host_path, ElfFile::parse({mapping.bytes(), size},
                                                               arch::kElfMachine));
  ElfDynamic dynamic = TPROC_TRY_CTX(host_path, ElfDynamic::parse(elf));
  std::optional<std::string> interpreter;
  if (elf.interpreter()) interpreter = std::string(*elf.interpreter());
  return Inspected{std::move(dynamic), std::move(interpreter), st.st_dev, st.st_ino};
}

// One object of the link map: the executable, the interpreter or a library.
struct Object {
  std::string root;       // the root it lives in ("" = the host)
  std::string path;       // in-root path it was found at, as ld.so names it
  std::string host_path;  // what we opened
  std::string origin;     // in-root $ORIGIN (see dependency_resolver.hpp)
  std::string display;    // how messages name it
  Inspected file;
  int loader = -1;        // index of the first object that needed it; -1 for the roots of the walk
  std::string name;       // the name it was first looked up by
  std::string reason;     // how it was found
  bool interpreter = false;
};

// One place to look: a directory inside some root, or the ld.so.cache.
struct Source {
  std::string root;
  std::string dir;      // in-root directory; empty for the cache
  std::string reason;
};

/// The lookup of one name in progress: what was tried, for the error if nothing is found.
struct Attempt {
  std::vector<std::string> searched;  // host dirs (and the cache) as messages show them
  std::set<std::pair<std::string, std::string>> tried;  // (root, dir) already searched
  std::vector<std::string> skipped;   // candidates passed over, with why

  /// Records a place searched, tidied for reading ("/app/bin/../lib" shows as "/app/lib") and
  /// shown once even if two spellings of it were searched.
  void note_searched(const std::string& where) {
    const std::string shown = where.starts_with("/") ? lexically_normal(where) : where;
    if (std::find(searched.begin(), searched.end(), shown) == searched.end()) {
      searched.push_back(shown);
    }
  }
};

// The link map under construction.
class Resolver {
 public:
  Resolver(ResolveOptions options, std::string root)
      : options_(std::move(options)), root_(std::move(root)) {}

  /// Opens the executable (object 0) and its interpreter, ld.so's first link map entries.
  Result<void> add_executable(const std::string& executable);

  /// Re-opens the objects of a resolved closure, so that more can join its link map.
  Result<void> reopen(const ResolvedClosure& closure);

  /// Loads the dependencies of every object from index `first` on, breadth-first.
  Result<void> load_dependencies(size_t first);

  /// Loads `dir`/`name` (inside `root`) as `loader` would dlopen it by path: the index of the
  /// object, or nullopt if there is nothing usable there.
  std::optional<size_t> load_from(const std::string& root, const std::string& dir,
                                  const std::string& name, size_t loader,
                                  const std::string& reason);

  /// Forgets the objects from `size` on and restores `names` (a trial load that failed).
  void roll_back(size_t size, std::map<std::string, size_t> names) {
    objects_.erase(objects_.begin() + static_cast<std::ptrdiff_t>(size), objects_.end());
    names_ = std::move(names);
  }

  /// The libraries from object `first` on, in load order, the executable and interpreter left out.
  std::vector<ResolvedLibrary> libraries(size_t first) const;

  ResolvedClosure closure() const;

  bool has_name(const std::string& name) const { return names_.contains(name); }
  const std::map<std::string, size_t>& names() const { return names_; }
  std::optional<size_t> index_of_path(const std::string& path) const;
  const Object& object(size_t index) const { return objects_[index]; }
  size_t size() const { return objects_.size(); }

 private:
  Result<size_t> find_or_load(const std::string& name, size_t loader);
  std::vector<Source> search_sources(size_t loader) const;
  void add_path_list(std::vector<Source>& sources, const std::string& list, const Object& carrier,
                     const char* tag) const;
  std::string expand(std::string_view entry, const Object& carrier) const;
  std::optional<size_t> try_candidate(const std::string& root, const std::string& path,
                                      size_t loader, const std::string& name,
                                      const std::string& reason, Attempt& attempt);
  size_t add_object(Object object);
  std::string display_of(const std::string& root, const std::string& path) const;
  Error not_found(const std::string& name, size_t loader, const Attempt& attempt) const;
  const LdSoCache* cache();
  std::string cache_label();

  ResolveOptions options_;
  std::string root_;  // canonical; "" for the host
  std::vector<Object> objects_;
  // Every name ld.so would match a loaded object by: names looked up, DT_SONAMEs, paths.
  std::map<std::string, size_t> names_;
  std::optional<LdSoCache> cache_;
  std::optional<std::string> cache_problem_;
  bool cache_loaded_ = false;
};

// The directories ld.so searches last, in its order (Debian's multiarch layout).
std::array<std::string, 4> default_dirs() {
  const std::string multiarch = arch::kMultiarch;
  return {"/lib/" + multiarch, "/usr/lib/" + multiarch, "/lib", "/usr/lib"};
}

std::string Resolver::display_of(const std::string& root, const std::string& path) const {
  // Messages name an object by the path it was found at, without the "bin/../lib" that $ORIGIN
  // entries leave in it (for reading only: ".." is not resolved this way when opening); inside a
  // root, relative to it ("lib/libbar.so").
  const std::string tidy = lexically_normal(path);
  if (root_.empty() || root != root_) return tidy;
  return tidy.size() > 1 ? tidy.substr(1) : tidy;
}

size_t Resolver::add_object(Object object) {
  const size_t index = objects_.size();
  objects_.push_back(std::move(object));
  const Object& added = objects_.back();
  if (!added.name.empty()) names_.try_emplace(added.name, index);
  if (added.file.dynamic.soname()) names_.try_emplace(*added.file.dynamic.soname(), index);
  // A DT_NEEDED with a slash matches the path an object was loaded from.
  names_.try_emplace(added.path, index);
  return index;
}

Result<void> Resolver::add_executable(const std::string& executable) {
  const std::string path = absolute_in(root_, executable);
  const std::string real = TPROC_TRY_CTX(executable, real_path_in(root_, path));
  const std::string display = root_.empty() ? executable : display_of(root_, path);
  const std::string host = root_.empty() ? path : host_path_of(root_, real);
  Inspected file = TPROC_TRY_CTX(display, inspect(host));
  const std::optional<std::string> interpreter = file.interpreter;
  add_object(Object{root_, path, host, dirname_of(real), display, std::move(file), -1, "",
                    "executable", false});
  if (!interpreter) return ok();

  // The interpreter is in the link map before any library, so a DT_NEEDED of its soname
  // (libc.so.6 needs ld-linux-x86-64.so.2) is answered by it, never searched for.
  std::string root = root_;
  const std::string interpreter_path = absolute_in(root_, *interpreter);
  Result<std::string> interpreter_real = real_path_in(root, interpreter_path);
  if (!interpreter_real && is_absent(interpreter_real.error()) && !root_.empty() &&
      options_.use_host) {
    root = "";
    interpreter_real = real_path_in(root, interpreter_path);
  }
  const std::string context = "interpreter " + *interpreter + " of " + display;
  if (!interpreter_real) return std::move(interpreter_real).error().context(context);
  const std::string interpreter_host =
      root.empty() ? interpreter_path : host_path_of(root, *interpreter_real);
  Inspected interpreter_file = TPROC_TRY_CTX(context, inspect(interpreter_host));
  add_object(Object{root, interpreter_path, interpreter_host, dirname_of(*interpreter_real),
                    display_of(root, interpreter_path), std::move(interpreter_file), -1,
                    *interpreter, "PT_INTERP of " + display, true});
  return ok();
}

Result<void> Resolver::reopen(const ResolvedClosure& closure) {
  TPROC_TRY(add_executable(closure.executable));
  for (const ResolvedLibrary& library : closure.libraries) {
    const std::string root = library.from_host ? "" : root_;
    Inspected file = TPROC_TRY(inspect(library.host_path));
    // Its first loader is already open: libraries are listed in load order.
    size_t loader = 0;
    for (size_t index = 0; index < objects_.size(); ++index) {
      if (objects_[index].display == library.needed_by) loader = index;
    }
    add_object(Object{root, library.path, library.host_path, dirname_of(library.path),
                      display_of(root, library.path), std::move(file),
                      static_cast<int>(loader), library.soname, library.search_reason, false});
  }
  return ok();
}

Result<void> Resolver::load_dependencies(size_t first) {
  // objects_ grows while we walk it: that is the breadth-first queue.
  for (size_t index = first; index < objects_.size(); ++index) {
    const std::vector<std::string> needed = objects_[index].file.dynamic.needed();
    for (const std::string& name : needed) TPROC_TRY(find_or_load(name, index));
  }
  return ok();
}

std::optional<size_t> Resolver::load_from(const std::string& root, const std::string& dir,
                                          const std::string& name, size_t loader,
                                          const std::string& reason) {
  Attempt attempt;
  return try_candidate(root, join_path(dir, name), loader, name, reason, attempt);
}

Result<size_t> Resolver::find_or_load(const std::string& name, size_t loader) {
  if (const auto known = names_.find(name); known != names_.end()) return known->second;
  Attempt attempt;
  if (name.find('/') != std::string::npos) {
    // A path, not a name: opened as it is, after $ORIGIN and friends are expanded.
    const Object& needer = objects_[loader];
    const std::string path = absolute_in(needer.root, expand(name, needer));
    attempt.note_searched(host_path_of(needer.root, path));
    const std::string root = needer.root;
    if (auto found = try_candidate(root, path, loader, name, "DT_NEEDED path", attempt)) {
      return *found;
    }
    return not_found(name, loader, attempt);
  }
  for (const Source& source : search_sources(loader)) {
    if (source.dir.empty()) {
      const bool first_time = attempt.tried.insert({"", ""}).second;
      const LdSoCache* table = cache();
      if (first_time) attempt.note_searched(cache_label());
      const std::optional<std::string> path = table ? table->find(name) : std::nullopt;
      if (!path) continue;
      if (auto found = try_candidate("", *path, loader, name, source.reason, attempt)) {
        return *found;
      }
      continue;
    }
    if (!attempt.tried.insert({source.root, source.dir}).second) continue;
    attempt.note_searched(host_path_of(source.root, source.dir));
    if (auto found = try_candidate(source.root, join_path(source.dir, name), loader, name,
                                   source.reason, attempt)) {
      return *found;
    }
  }
  return not_found(name, loader, attempt);
}

void Resolver::add_path_list(std::vector<Source>& sources, const std::string& list,
                             const Object& carrier, const char* tag) const {
  for (const std::string& entry : split(list, ':')) {
    // ld.so reads an empty entry as the current directory, which names nothing we can know
    // before the program runs.
    if (entry.empty()) continue;
    sources.push_back({carrier.root, absolute_in(carrier.root, expand(entry, carrier)),
                       std::string(tag) + " " + entry + " of " + carrier.display});
  }
}

std::vector<Source> Resolver::search_sources(size_t loader) const {
  const Object& needer = objects_[loader];
  const ElfDynamic& dynamic = needer.file.dynamic;
  std::vector<Source> sources;

  if (!dynamic.runpath()) {
    bool saw_executable = false;
    for (int at = static_cast<int>(loader); at >= 0; at = objects_[at].loader) {
      const Object& carrier = objects_[at];
      saw_executable = saw_executable || at == 0;
      const ElfDynamic& carried = carrier.file.dynamic;
      // ld.so drops the DT_RPATH of an object that also has DT_RUNPATH.
      if (carried.rpath() && !carried.runpath()) {
        add_path_list(sources, *carried.rpath(), carrier, "RPATH");
      }
    }
    const ElfDynamic& executable = objects_[0].file.dynamic;
    if (!saw_executable && executable.rpath() && !executable.runpath()) {
      add_path_list(sources, *executable.rpath(), objects_[0], "RPATH");
    }
  }
  for (const std::string& dir : options_.extra_dirs) {
    sources.push_back({root_, absolute_in(root_, dir), "extra dir " + dir});
  }
  if (dynamic.runpath()) add_path_list(sources, *dynamic.runpath(), needer, "RUNPATH");
  if (dynamic.nodeflib()) return sources;

  if (root_.empty()) {
    if (options_.use_host) sources.push_back({"", "", "ld.so.cache"});
    for (const std::string& dir : default_dirs()) {
      sources.push_back({"", dir, "default dir " + dir});
    }
    return sources;
  }
  for (const std::string& dir : default_dirs()) {
    sources.push_back({root_, dir, "default dir " + dir});
  }
  if (options_.use_host) {
    sources.push_back({"", "", "host ld.so.cache"});
    for (const std::string& dir : default_dirs()) {
      sources.push_back({"", dir, "host default dir " + dir});
    }
  }
  return sources;
}

// $ORIGIN, $LIB and $PLATFORM, bare or in braces; a bare one must end the entry or precede '/',
// as in glibc's is_dst. Any other '$' stays as written.
std::string Resolver::expand(std::string_view entry, const Object& carrier) const {
  const std::string lib = std::string("lib/") + arch::kMultiarch;  // Debian's slibdir
  const std::array<std::pair<std::string_view, std::string_view>, 3> tokens = {{
      {"ORIGIN", carrier.origin},
      {"LIB", lib},
      {"PLATFORM", arch::kName},
  }};
  const auto token_length = [](std::string_view rest, std::string_view token) -> size_t {
    if (rest.size() >= token.size() + 2 && rest.front() == '{' &&
        rest.substr(1, token.size()) == token && rest[token.size() + 1] == '}') {
      return token.size() + 2;
    }
    if (rest.substr(0, token.size()) == token &&
        (rest.size() == token.size() || rest[token.size()] == '/')) {
      return token.size();
    }
    return 0;
  };
  std::string out;
  size_t at = 0;
  while (at < entry.size()) {
    if (entry[at] != '$') {
      out += entry[at++];
      continue;
    }
    size_t consumed = 0;
    for (const auto& [token, value] : tokens) {
      consumed = token_length(entry.substr(at + 1), token);
      if (consumed != 0) {
        out += value;
        break;
      }
    }
    if (consumed == 0) out += entry[at];
    at += 1 + consumed;
  }
  return out;
}

std::optional<size_t> Resolver::try_candidate(const std::string& root, const std::string& path,
                                              size_t loader, const std::string& name,
                                              const std::string& reason, Attempt& attempt) {
  Result<std::string> real = real_path_in(root, path);
  if (!real) {
    if (!is_absent(real.error())) attempt.skipped.push_back(real.error().describe());
    return std::nullopt;
  }
  // On the host the path is opened as found (as ld.so reports it); inside a root only its
  // resolved form is safe, since a symlink's target means something else outside the root.
  const std::string host = root.empty() ? path : host_path_of(root, *real);
  Result<Inspected> file = inspect(host);
  if (!file) {
    // Wrong class or architecture, not ELF, unreadable: ld.so passes over it and searches on.
    attempt.skipped.push_back(file.error().describe());
    return std::nullopt;
  }
  // The same file reached by another name is the same object, as ld.so compares dev and inode.
  for (size_t index = 0; index < objects_.size(); ++index) {
    if (objects_[index].file.device == file->device && objects_[index].file.inode == file->inode) {
      names_.try_emplace(name, index);
      return index;
    }
  }
  return add_object(Object{root, path, host, dirname_of(path), display_of(root, path),
                           std::move(*file), static_cast<int>(loader), name, reason, false});
}

Error Resolver::not_found(const std::string& name, size_t loader, const Attempt& attempt) const {
  std::vector<std::string> chain;
  for (int at = static_cast<int>(loader); at >= 0; at = objects_[at].loader) {
    chain.push_back("needed by " + objects_[at].display);
  }
  std::string message = name + " (" + join(chain, ", ") + ") not found in: " +
                        join(attempt.searched, ", ");
  if (!attempt.skipped.empty()) message += "; skipped " + join(attempt.skipped, "; ");
  return Error::explained(std::move(message), ENOENT);
}

const LdSoCache* Resolver::cache() {
  if (!cache_loaded_) {
    cache_loaded_ = true;
    Result<LdSoCache> loaded = LdSoCache::load(options_.ld_so_cache);
    if (loaded) {
      cache_.emplace(std::move(*loaded));
    } else if (loaded.error().code() != ENOENT) {
      cache_problem_ = loaded.error().describe();
    }
  }
  return cache_ ? &*cache_ : nullptr;
}

std::string Resolver::cache_label() {
  if (cache_problem_) return options_.ld_so_cache + " (unusable: " + *cache_problem_ + ")";
  return options_.ld_so_cache;
}

std::optional<size_t> Resolver::index_of_path(const std::string& path) const {
  for (size_t index = 0; index < objects_.size(); ++index) {
    if (objects_[index].path == path) return index;
  }
  return std::nullopt;
}

std::vector<ResolvedLibrary> Resolver::libraries(size_t first) const {
  std::vector<ResolvedLibrary> out;
  for (size_t index = std::max<size_t>(first, 1); index < objects_.size(); ++index) {
    const Object& object = objects_[index];
    if (object.interpreter) continue;
    out.push_back({object.name, object.path, object.host_path,
                   object.loader >= 0 ? objects_[object.loader].display : "", object.reason,
                   !root_.empty() && object.root.empty()});
  }
  return out;
}

ResolvedClosure Resolver::closure() const {
  ResolvedClosure closure;
  closure.options = options_;
  closure.executable = objects_[0].path;
  closure.executable_host_path = objects_[0].host_path;
  for (const Object& object : objects_) {
    if (!object.interpreter) continue;
    closure.interpreter = ResolvedInterpreter{object.name, object.host_path,
                                              !root_.empty() && object.root.empty()};
  }
  closure.libraries = libraries(1);
  return closure;
}

}  // namespace

Result<ResolvedClosure> resolve_dependencies(const std::string& executable,
                                             const ResolveOptions& options) {
  Resolver resolver(options, TPROC_TRY(canonical_root(options.root)));
  TPROC_TRY(resolver.add_executable(executable));
  TPROC_TRY(resolver.load_dependencies(0));
  return resolver.closure();
}

Result<std::vector<ResolvedLibrary>> libc_family(const ResolvedClosure& closure) {
  const auto libc = std::find_if(closure.libraries.begin(), closure.libraries.end(),
                                 [](const ResolvedLibrary& library) {
                                   return library.soname == "libc.so.6";
                                 });
  if (libc == closure.libraries.end()) return std::vector<ResolvedLibrary>();

  const std::string root = TPROC_TRY(canonical_root(closure.options.root));
  Resolver resolver(closure.options, root);
  TPROC_TRY_CTX("reopen the closure of " + closure.executable, resolver.reopen(closure));
  const std::optional<size_t> libc_index = resolver.index_of_path(libc->path);
  if (!libc_index) return Error("libc.so.6 at " + libc->path + " vanished from the closure");
  const std::string libc_root = resolver.object(*libc_index).root;
  const std::string dir = dirname_of(resolver.object(*libc_index).path);

  // libc dlopens these by name at run time; they live next to it in every glibc layout.
  std::vector<std::pair<std::string, std::string>> members;
  for (const char* sibling : {"libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
                              "libutil.so.1", "libanl.so.1"}) {
    members.emplace_back(sibling, "glibc runtime (libc sibling)");
  }
  members.emplace_back("libresolv.so.2", "glibc runtime (resolver)");
  members.emplace_back("libnss_files.so.2", "glibc runtime (NSS)");
  members.emplace_back("libnss_dns.so.2", "glibc runtime (NSS)");
  const std::string nsswitch = "/etc/nsswitch.conf";
  Result<std::string> nsswitch_real = real_path_in(root, nsswitch);
  if (nsswitch_real) {
    for (const std::string& service : nsswitch_services(host_path_of(root, *nsswitch_real))) {
      if (!is_service_name(service)) continue;
      members.emplace_back("libnss_" + service + ".so.2", "glibc runtime (NSS, " + nsswitch + ")");
    }
  }

  const size_t first_new = resolver.size();
  for (const auto& [name, reason] : members) {
    if (resolver.has_name(name)) continue;
    const size_t before = resolver.size();
    std::map<std::string, size_t> names = resolver.names();
    const std::optional<size_t> loaded =
        resolver.load_from(libc_root, dir, name, *libc_index, reason);
    if (!loaded) continue;
    if (!resolver.load_dependencies(before)) resolver.roll_back(before, std::move(names));
  }
  return resolver.libraries(first_new);
}

}  // namespace tproc::loader
