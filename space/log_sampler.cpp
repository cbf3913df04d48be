#include "space/log_sampler.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

namespace tproc::space {
namespace {

/// Made by the daemon in its checked log dir (SpacePaths::prepare); never through a symlink all
/// the same, so one planted there cannot make the daemon truncate its target.
Result<UniqueFd> create_file(const std::string& path, int access, bool append) {
  UniqueFd file(::open(path.c_str(), access | O_CREAT | (append ? 0 : O_TRUNC) | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!file) return Error::from_errno("create log " + path);
  return file;
}

int64_t unix_now_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

}  // namespace

Result<LogSampler> LogSampler::create(const LogFiles& files, std::array<UniqueFd, 2>& writers, bool append) {
  LogSampler sampler;
  writers[0] = TPROC_TRY(create_file(files.out, O_WRONLY, append));
  writers[1] = TPROC_TRY(create_file(files.err, O_WRONLY, append));
  sampler.index_ = TPROC_TRY(create_file(files.index, O_WRONLY, append));
  for (size_t stream = 0; stream < 2; ++stream) {
    sampler.streams_[stream].reset(::fcntl(writers[stream].get(), F_DUPFD_CLOEXEC, 0));
    if (!sampler.streams_[stream]) return Error::from_errno("dup log");
    // What earlier runs wrote was sampled by their samplers: only growth from here is new.
    struct stat status {};
    if (append && ::fstat(writers[stream].get(), &status) == 0) sampler.sizes_[stream] = static_cast<uint64_t>(status.st_size);
  }
  return sampler;
}

void LogSampler::sample() {
  std::string lines;
  int64_t now = 0;
  for (size_t stream = 0; stream < 2; ++stream) {
    struct stat status {};
    if (::fstat(streams_[stream].get(), &status) < 0 || static_cast<uint64_t>(status.st_size) <= sizes_[stream]) continue;
    sizes_[stream] = static_cast<uint64_t>(status.st_size);
    if (now == 0) now = unix_now_ns();
    lines += LogSample{now, static_cast<LogStream>(stream), sizes_[stream]}.text();
  }
  // A full disk loses the times, not the output: the reader stamps what has none with the mtime.
  if (!lines.empty()) (void)!::write(index_.get(), lines.data(), lines.size());
}

}  // namespace tproc::space
