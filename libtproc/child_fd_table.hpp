#pragma once
// The descriptor table a spawned program gets, worked out in the caller: what posix_spawn's child
// would hold just before its exec. That is the caller's table, changed by the file actions in
// order, less every descriptor still close-on-exec. The daemon then installs it (protocol
// RunRequest: stdio and inherited_fds, sent with SCM_RIGHTS).

#include <stddef.h>

#include "tproc/tproc.h"

/// One file action, as tproc_spawn_file_actions_add*() record it.
struct tproc_spawn_file_action {
  enum Kind { kClose, kDup2, kOpen } kind;
  int fd;
  int newfd;    ///< kDup2
  char* path;   ///< kOpen (malloc'd)
  int oflag;    ///< kOpen
  mode_t mode;  ///< kOpen
};

namespace tproc::lib {

/// The program's descriptors: for each number it will have, which of ours it is.
class ChildFdTable {
 public:
  ChildFdTable() = default;
  ChildFdTable(const ChildFdTable&) = delete;
  ChildFdTable& operator=(const ChildFdTable&) = delete;
  /// Closes the files the open actions opened (the daemon holds its own copies by then).
  ~ChildFdTable();

  /// Reads our descriptor table and applies `actions` (may be null). 0, or -EBADF (a dup2 of a
  /// descriptor that is not open at that step), -ENOMEM, or the errno of an open action.
  int build(const tproc_spawn_file_actions_t* actions);

  /// Our descriptor that becomes the program's stdio `target` (0-2); /dev/null when it would have
  /// none. -errno if /dev/null cannot be opened.
  int stdio_source(int target);

  /// How many descriptors beyond stdio the program gets; the numbers it gets them at, ascending,
  /// and ours that they are, go to `targets` and `sources` (room for `capacity`).
  size_t inherited(int* targets, int* sources, size_t capacity) const;

 private:
  struct Entry {
    int target;
    int source;
    bool cloexec;
  };
  Entry* find(int target);
  int set(int target, int source, bool cloexec);
  void remove(int target);
  int keep_opened(int fd);

  Entry* entries_ = nullptr;  ///< sorted by target
  size_t count_ = 0;
  size_t capacity_ = 0;
  int* opened_ = nullptr;  ///< descriptors we opened for the program; closed with the table
  size_t opened_count_ = 0;
};

}  // namespace tproc::lib
