#include "libtproc/child_fd_table.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

namespace tproc::lib {

ChildFdTable::~ChildFdTable() {
  for (size_t i = 0; i < opened_count_; ++i) ::close(opened_[i]);
  free(opened_);
  free(entries_);
}

ChildFdTable::Entry* ChildFdTable::find(int target) {
  for (size_t i = 0; i < count_; ++i)
    if (entries_[i].target == target) return &entries_[i];
  return nullptr;
}

int ChildFdTable::set(int target, int source, bool cloexec) {
  if (Entry* entry = find(target)) {
    *entry = {target, source, cloexec};
    return 0;
  }
  if (count_ == capacity_) {
    const size_t capacity = capacity_ ? capacity_ * 2 : 64;
    auto* grown = static_cast<Entry*>(realloc(entries_, capacity * sizeof(Entry)));
    if (grown == nullptr) return -ENOMEM;
    entries_ = grown;
    capacity_ = capacity;
  }
  size_t at = count_++;
  while (at > 0 && entries_[at - 1].target > target) {
    entries_[at] = entries_[at - 1];
    --at;
  }
  entries_[at] = {target, source, cloexec};
  return 0;
}

void ChildFdTable::remove(int target) {
  Entry* entry = find(target);
  if (entry == nullptr) return;
  memmove(entry, entry + 1, (count_ - static_cast<size_t>(entry - entries_) - 1) * sizeof(Entry));
  --count_;
}

int ChildFdTable::keep_opened(int fd) {
  auto* grown = static_cast<int*>(realloc(opened_, (opened_count_ + 1) * sizeof(int)));
  if (grown == nullptr) {
    ::close(fd);
    return -ENOMEM;
  }
  opened_ = grown;
  opened_[opened_count_++] = fd;
  return 0;
}

int ChildFdTable::build(const tproc_spawn_file_actions_t* actions) {
  // Every descriptor we have, close-on-exec or not: a dup2 action may still name one of the first.
  DIR* directory = ::opendir("/proc/self/fd");
  if (directory == nullptr) return -errno;
  const int own = ::dirfd(directory);
  int failed = 0;
  while (const dirent* entry = ::readdir(directory)) {
    char* end = nullptr;
    const long number = strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || number == own) continue;
    const int flags = ::fcntl(static_cast<int>(number), F_GETFD);
    if (flags < 0) continue;
    if ((failed = set(static_cast<int>(number), static_cast<int>(number), flags & FD_CLOEXEC)) < 0) break;
  }
  ::closedir(directory);
  if (failed < 0 || actions == nullptr) return failed;

  for (int i = 0; i < actions->_count; ++i) {
    const tproc_spawn_file_action& action = actions->_actions[i];
    switch (action.kind) {
      case tproc_spawn_file_action::kClose:
        remove(action.fd);  // posix_spawn ignores a close of a descriptor that is not open
        break;
      case tproc_spawn_file_action::kDup2: {
        const Entry* from = find(action.fd);
        if (from == nullptr) return -EBADF;
        const int source = from->source;  // set() may move the entries
        if (const int set_failed = set(action.newfd, source, false); set_failed < 0) return set_failed;
        break;
      }
      case tproc_spawn_file_action::kOpen: {
        const int fd = ::open(action.path, action.oflag | O_CLOEXEC, action.mode);
        if (fd < 0) return -errno;
        if (const int kept = keep_opened(fd); kept < 0) return kept;
        if (const int set_failed = set(action.fd, fd, action.oflag & O_CLOEXEC); set_failed < 0) return set_failed;
        break;
      }
    }
  }
  return 0;
}

int ChildFdTable::stdio_source(int target) {
  if (const Entry* entry = find(target); entry != nullptr && !entry->cloexec) return entry->source;
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return -errno;
  if (const int kept = keep_opened(null); kept < 0) return kept;
  return null;
}

size_t ChildFdTable::inherited(int* targets, int* sources, size_t capacity) const {
  size_t count = 0;
  for (size_t i = 0; i < count_; ++i) {
    if (entries_[i].target < 3 || entries_[i].cloexec) continue;
    if (count < capacity) {
      targets[count] = entries_[i].target;
      sources[count] = entries_[i].source;
    }
    ++count;
  }
  return count;
}

}  // namespace tproc::lib
