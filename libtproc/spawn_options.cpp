// tproc_spawn_file_actions_* and tproc_spawnattr_*: what a tproc_spawn() caller asks for, recorded
// until the spawn reads it (libtproc/child_fd_table.cpp, libtproc/spawn.cpp).

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "libtproc/child_fd_table.hpp"
#include "tproc/tproc.h"

namespace {

int append(tproc_spawn_file_actions_t* actions, const tproc_spawn_file_action& action) {
  if (actions->_count == actions->_capacity) {
    const int capacity = actions->_capacity ? actions->_capacity * 2 : 8;
    auto* grown = static_cast<tproc_spawn_file_action*>(
        realloc(actions->_actions, static_cast<size_t>(capacity) * sizeof(tproc_spawn_file_action)));
    if (grown == nullptr) return -ENOMEM;
    actions->_actions = grown;
    actions->_capacity = capacity;
  }
  actions->_actions[actions->_count++] = action;
  return 0;
}

}  // namespace

extern "C" {

TPROC_API int tproc_spawn_file_actions_init(tproc_spawn_file_actions_t* actions) {
  if (actions == nullptr) return -EINVAL;
  memset(actions, 0, sizeof(*actions));
  return 0;
}

TPROC_API int tproc_spawn_file_actions_destroy(tproc_spawn_file_actions_t* actions) {
  if (actions == nullptr) return -EINVAL;
  for (int i = 0; i < actions->_count; ++i) free(actions->_actions[i].path);
  free(actions->_actions);
  memset(actions, 0, sizeof(*actions));
  return 0;
}

TPROC_API int tproc_spawn_file_actions_addclose(tproc_spawn_file_actions_t* actions, int fd) {
  if (actions == nullptr) return -EINVAL;
  if (fd < 0) return -EBADF;
  return append(actions, {tproc_spawn_file_action::kClose, fd, -1, nullptr, 0, 0});
}

TPROC_API int tproc_spawn_file_actions_adddup2(tproc_spawn_file_actions_t* actions, int fd, int newfd) {
  if (actions == nullptr) return -EINVAL;
  if (fd < 0 || newfd < 0) return -EBADF;
  return append(actions, {tproc_spawn_file_action::kDup2, fd, newfd, nullptr, 0, 0});
}

TPROC_API int tproc_spawn_file_actions_addopen(tproc_spawn_file_actions_t* actions, int fd, const char* path, int oflag,
                                               mode_t mode) {
  if (actions == nullptr || path == nullptr) return -EINVAL;
  if (fd < 0) return -EBADF;
  char* copy = strdup(path);
  if (copy == nullptr) return -ENOMEM;
  const int appended = append(actions, {tproc_spawn_file_action::kOpen, fd, -1, copy, oflag, mode});
  if (appended < 0) free(copy);
  return appended;
}

TPROC_API int tproc_spawnattr_init(tproc_spawnattr_t* attr) {
  if (attr == nullptr) return -EINVAL;
  memset(attr, 0, sizeof(*attr));
  sigemptyset(&attr->_sigmask);
  return 0;
}

TPROC_API int tproc_spawnattr_destroy(tproc_spawnattr_t* attr) {
  if (attr == nullptr) return -EINVAL;
  free(attr->_cwd);
  memset(attr, 0, sizeof(*attr));
  return 0;
}

TPROC_API int tproc_spawnattr_setsigmask(tproc_spawnattr_t* attr, const sigset_t* mask) {
  if (attr == nullptr || mask == nullptr) return -EINVAL;
  attr->_sigmask = *mask;
  attr->_flags |= TPROC_SPAWN_SETSIGMASK;
  return 0;
}

TPROC_API int tproc_spawnattr_setname(tproc_spawnattr_t* attr, const char* name) {
  if (attr == nullptr || name == nullptr || name[0] == '\0') return -EINVAL;
  const size_t length = strlen(name);
  if (length > TPROC_NAME_MAX) return -ENAMETOOLONG;
  memcpy(attr->_name, name, length + 1);
  return 0;
}

TPROC_API int tproc_spawnattr_setcwd(tproc_spawnattr_t* attr, const char* path) {
  if (attr == nullptr || path == nullptr || path[0] == '\0') return -EINVAL;
  char* copy = strdup(path);
  if (copy == nullptr) return -ENOMEM;
  free(attr->_cwd);
  attr->_cwd = copy;
  return 0;
}

}  // extern "C"
