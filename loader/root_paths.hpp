#pragma once
// Paths inside a root directory, as the dependency resolver walks them.
//
// Two kinds never mix: an in-root path ("/lib/libfoo.so", what the program will see) and a host
// path (what we open: the root followed by the in-root path with its symlinks resolved inside
// the root). A root is canonical, "" for the host itself.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace tproc::loader {

/// `text` cut at every `separator` (an empty text is one empty part).
std::vector<std::string> split(std::string_view text, char separator);

/// `parts` with `separator` between them.
std::string join(const std::vector<std::string>& parts, std::string_view separator);

/// `dir` "/" `name`, with one slash between them.
std::string join_path(std::string_view dir, std::string_view name);

/// Everything before the last slash ("/" for a top-level name, "." without a slash).
std::string dirname_of(std::string_view path);

/// `path` made absolute: inside a root a relative path starts at the root, on the host at the cwd.
std::string absolute_in(const std::string& root, std::string_view path);

/// Resolves every symlink, "." and ".." of the absolute in-root `path` as the kernel would if
/// `root` were /: absolute link targets restart at the root and ".." stops there, so the result
/// never leaves it. Errors carry errno (ENOENT, ENOTDIR, ELOOP...).
Result<std::string> real_path_in(const std::string& root, std::string_view path);

/// `path` (absolute) without "." and ".." components and repeated slashes, by text alone.
std::string lexically_normal(std::string_view path);

/// The host path of an in-root path.
std::string host_path_of(const std::string& root, std::string_view path);

/// Whether a lookup error only means "nothing there", which ld.so passes over silently.
bool is_absent(const Error& error);

/// `root` made canonical ("" for the host, and for "/"); refused unless it is a directory.
Result<std::string> canonical_root(const std::string& root);

}  // namespace tproc::loader
