#include "common/detached_start.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/unique_fd.hpp"

namespace tproc {

Result<std::string> start_detached(const std::string& executable, const std::vector<std::string>& argv, int stderr_fd) {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) < 0) return Error::from_errno("pipe");
  UniqueFd ready_read(ready[0]), ready_write(ready[1]);
  std::vector<char*> arguments;
  for (const std::string& argument : argv) arguments.push_back(const_cast<char*>(argument.c_str()));
  arguments.push_back(nullptr);

  const pid_t first = ::fork();
  if (first < 0) return Error::from_errno("fork");
  if (first == 0) {
    // Only async-signal-safe calls from here on.
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    // Lift the sources above 0-3 first: one of them may sit where another must go (and dup2 onto
    // itself would keep O_CLOEXEC).
    const int null = ::fcntl(::open("/dev/null", O_RDWR | O_CLOEXEC), F_DUPFD_CLOEXEC, 4);
    const int report = ::fcntl(ready[1], F_DUPFD_CLOEXEC, 4);
    const int error = stderr_fd >= 0 ? ::fcntl(stderr_fd, F_DUPFD_CLOEXEC, 4) : null;
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(error, 2);
    ::dup2(report, 3);
    ::close_range(4, ~0U, 0);  // whatever our caller let us inherit stays with the caller
    ::execv(executable.c_str(), arguments.data());
    ::_exit(127);
  }
  ready_write.reset();
  int status = 0;
  while (::waitpid(first, &status, 0) < 0 && errno == EINTR) {
  }

  std::string answer;
  char buffer[512];
  for (ssize_t got; (got = ::read(ready_read.get(), buffer, sizeof(buffer))) != 0;) {
    if (got < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("read the status of " + executable);
    }
    answer.append(buffer, static_cast<size_t>(got));
  }
  return answer;
}

}  // namespace tproc
