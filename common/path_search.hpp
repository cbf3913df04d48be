#pragma once
// Finding a program on PATH as execvp(3) would, for the tools tproc runs (skopeo, gdb).

#include <string>

namespace tproc {

/// The first regular, executable file `name` in the directories of `search_path` (the caller's
/// PATH; an empty entry is the working directory, as for execvp; null: "/usr/bin:/bin"), or ""
/// when there is none.
std::string find_on_path(const std::string& name, const char* search_path);

}  // namespace tproc
