#include "loader/root_paths.hpp"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iterator>
#include <utility>

namespace tproc::loader {
namespace {

// As the kernel's limit: more links than this in one path is a loop.
constexpr int kMaxSymlinks = 40;

std::string current_directory() {
  char buffer[PATH_MAX];
  if (::getcwd(buffer, sizeof buffer) == nullptr) return "/";
  return buffer;
}

Result<std::string> read_link(const std::string& host_path) {
  std::string target(PATH_MAX, '\0');
  const ssize_t length = ::readlink(host_path.c_str(), target.data(), target.size());
  if (length < 0) return Error::from_errno("readlink " + host_path);
  target.resize(static_cast<size_t>(length));
  return target;
}

}  // namespace

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t begin = 0;
  while (true) {
    const size_t end = text.find(separator, begin);
    parts.emplace_back(text.substr(begin, end - begin));
    if (end == std::string_view::npos) return parts;
    begin = end + 1;
  }
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t index = 0; index < parts.size(); ++index) {
    if (index != 0) out += separator;
    out += parts[index];
  }
  return out;
}

std::string join_path(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (out.empty() || out.back() != '/') out += '/';
  out += name;
  return out;
}

std::string dirname_of(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string absolute_in(const std::string& root, std::string_view path) {
  if (!path.empty() && path.front() == '/') return std::string(path);
  return join_path(root.empty() ? current_directory() : "/", path);
}

Result<std::string> real_path_in(const std::string& root, std::string_view path) {
  std::vector<std::string> done;
  std::vector<std::string> todo;  // components still to walk, the next one last
  const auto push = [&todo](std::string_view text) {
    std::vector<std::string> parts = split(text, '/');
    todo.insert(todo.end(), std::make_move_iterator(parts.rbegin()),
                std::make_move_iterator(parts.rend()));
  };
  push(path);
  int links = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.back());
    todo.pop_back();
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(std::move(part));
    const std::string host = root + "/" + join(done, "/");
    struct stat st {};
    if (::lstat(host.c_str(), &st) < 0) return Error::from_errno("lstat " + host);
    if (S_ISLNK(st.st_mode)) {
      if (++links > kMaxSymlinks) {
        return Error("too many levels of symbolic links in " + std::string(path), ELOOP);
      }
      const std::string target = TPROC_TRY(read_link(host));
      done.pop_back();
      if (!target.empty() && target.front() == '/') done.clear();
      push(target);
    } else if (!S_ISDIR(st.st_mode) && !todo.empty()) {
      return Error(host + " is not a directory", ENOTDIR);
    }
  }
  return "/" + join(done, "/");
}

std::string lexically_normal(std::string_view path) {
  std::vector<std::string> parts;
  for (std::string& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(std::move(part));
  }
  return "/" + join(parts, "/");
}

std::string host_path_of(const std::string& root, std::string_view path) {
  return root + std::string(path);
}

bool is_absent(const Error& error) {
  return error.code() == ENOENT || error.code() == ENOTDIR;
}

Result<std::string> canonical_root(const std::string& root) {
  if (root.empty()) return std::string();
  char buffer[PATH_MAX];
  if (::realpath(root.c_str(), buffer) == nullptr) return Error::from_errno("root " + root);
  struct stat st {};
  if (::stat(buffer, &st) < 0) return Error::from_errno("root " + root);
  if (!S_ISDIR(st.st_mode)) return Error("root " + root + " is not a directory", ENOTDIR);
  const std::string canonical = buffer;
  return canonical == "/" ? std::string() : canonical;
}

}  // namespace tproc::loader
