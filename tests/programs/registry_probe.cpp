// registry_probe COMMAND ARGS: one registry operation per run, for the end-to-end registry tests.
// Links libtproc. Every line it prints is one fact a test can parse; times are CLOCK_MONOTONIC
// nanoseconds (t=NS), one clock for every process of the machine.
//
//   publish TEXT NAME...     publishes each NAME -> the address of TEXT (kept in this program's
//                            image), kind "probe.text"; prints "published NAME at ADDR generation G
//                            t=NS" per name (t: when the call began), then "holding pid PID", and
//                            holds until SIGTERM/SIGINT or EOF on a stdin that is a pipe or terminal
//   publish-exit TEXT NAME...  publishes like publish, then exits 0 at once (the daemon withdraws)
//   publish-exec TEXT NAME PROGRAM ARGS...  publishes NAME -> a copy of TEXT in this program's own
//                            malloc heap, prints "published ...", then execs PROGRAM (out of the space)
//   lookup NAME [KIND]       "found NAME at ADDR kind K owner PID state S text=TEXT" (the text read
//                            through the pointer, from another program's memory), or
//                            "lookup NAME: ERRNAME" and exit 3; with KIND, checks the kind (tproc::lookup)
//   wait NAME TIMEOUT_MS     "waiting NAME t=NS", then "woke NAME at ADDR text=TEXT t=NS", or exit 4
//   wait-gone NAME TIMEOUT_MS  "watching NAME generation G owner PID t=NS", then "gone NAME t=NS",
//                            or exit 4 (timeout) / 3 (NAME was not there)
//   ready [NAME]             "ready = RESULT" (a count or an errno name)
//   withdraw NAME            "withdraw = RESULT"
//   errors OTHER             checks the error contract against OTHER, a name another tproc owns;
//                            prints "ok WHAT" or "FAIL WHAT: got X, expected Y"; exit 0 iff all ok
//   fill PREFIX              publishes PREFIX.N until the registry is full, checks -ENOSPC,
//                            withdraws them all and publishes once more: "full after N: ENOSPC"
//   declared NAME            for a manifest-declared endpoint: prints "state NAME S", reads a line
//                            from stdin, calls tproc_ready(NULL), prints "ready = N" and "state NAME S"
//                            again, then holds like publish
//   list                     "endpoint NAME owner PID state S" per live endpoint, then "live N"
//   stop-holding-lock        fault injection: takes the registry's writer lock the way
//                            tproc_publish does (its pid in the lock word), prints "holding the
//                            writer lock pid PID" and stops itself (SIGSTOP), as a tproc stopped
//                            by a debugger or Ctrl-Z in the middle of a publish would be. Once
//                            continued (SIGCONT) it releases the lock, prints "released" and exits 0.

#include <poll.h>
#include <sys/auxv.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <tproc/auxv.h>
#include <tproc/tproc.hpp>

#include "registry/registry_layout.hpp"  // stop-holding-lock pokes the lock word: fault injection

/// What `declared` endpoints of a manifest point at (exported: the manifest names it by symbol).
extern "C" {
__attribute__((visibility("default"))) char probe_endpoint[64] = "declared by the manifest";
}

namespace {

constexpr uint64_t kTextKind = tproc::kind("probe.text");
char published_text[256];

long long now_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1'000'000'000LL + now.tv_nsec;
}

std::string errname(int result) {
  switch (-result) {
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case EAGAIN: return "EAGAIN";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EPROTOTYPE: return "EPROTOTYPE";
    case ENOTCONN: return "ENOTCONN";
    case EINTR: return "EINTR";
    default: return result >= 0 ? std::to_string(result) : "errno " + std::to_string(-result);
  }
}

const char* state_name(uint32_t state) {
  return state == TPROC_ENDPOINT_READY ? "ready" : state == TPROC_ENDPOINT_DECLARED ? "declared" : "?";
}

volatile sig_atomic_t stop_requested = 0;
void request_stop(int) { stop_requested = 1; }

/// Holds until SIGTERM/SIGINT, or EOF on a stdin that is a pipe, socket or terminal.
void hold() {
  std::printf("holding pid %d\n", static_cast<int>(::getpid()));
  std::fflush(stdout);
  struct stat info;
  const bool stream = fstat(STDIN_FILENO, &info) == 0 &&
                      (isatty(STDIN_FILENO) || S_ISFIFO(info.st_mode) || S_ISSOCK(info.st_mode));
  pollfd input = {STDIN_FILENO, POLLIN, 0};
  char buffer[256];
  while (!stop_requested) {
    if (poll(&input, stream ? 1 : 0, 100) <= 0) continue;
    if (read(STDIN_FILENO, buffer, sizeof buffer) <= 0) break;
  }
}

int publish(const std::string& text, const std::vector<std::string>& names, bool then_hold = true) {
  std::snprintf(published_text, sizeof published_text, "%s", text.c_str());
  for (const std::string& name : names) {
    // Stamped before the call: a waiter may wake, and stamp its own time, before tproc_publish
    // returns here (a preempted publisher was seen 7 ms late on a loaded 2-vCPU aarch64 machine).
    const long long publishing_at = now_ns();
    const int result = tproc_publish(name.c_str(), published_text, kTextKind);
    if (result < 0) {
      std::printf("publish %s: %s\n", name.c_str(), errname(result).c_str());
      return 1;
    }
    tproc_endpoint endpoint{};
    tproc_query(name.c_str(), &endpoint);
    std::printf("published %s at %p generation %llu t=%lld\n", name.c_str(), static_cast<void*>(published_text),
                static_cast<unsigned long long>(endpoint.generation), publishing_at);
  }
  if (then_hold) hold();
  return 0;
}

int publish_exec(const char* text, const char* name, char** argv) {
  char* copy = strdup(text);  // in this program's malloc heap: memory the tproc mapped itself
  if (int result = tproc_publish(name, copy, kTextKind); result < 0) {
    std::printf("publish %s: %s\n", name, errname(result).c_str());
    return 1;
  }
  std::printf("published %s at %p pid %d\n", name, static_cast<void*>(copy), static_cast<int>(::getpid()));
  std::fflush(stdout);
  execv(argv[0], argv);
  std::printf("exec %s: %s\n", argv[0], std::strerror(errno));
  return 1;
}

int lookup(const char* name, const char* kind) {
  void* address = nullptr;
  uint64_t found_kind = 0;
  int result = tproc_lookup(name, &address, &found_kind);
  if (result == 0 && kind != nullptr) {
    char* typed = nullptr;
    result = tproc::lookup(name, tproc_kind(kind), &typed);
  }
  if (result < 0) {
    std::printf("lookup %s: %s\n", name, errname(result).c_str());
    return 3;
  }
  tproc_endpoint endpoint{};
  tproc_query(name, &endpoint);
  std::printf("found %s at %p kind 0x%llx owner %d state %s text=%s\n", name, address,
              static_cast<unsigned long long>(found_kind), endpoint.owner_pid, state_name(endpoint.state),
              found_kind == kTextKind ? static_cast<const char*>(address) : "");
  return 0;
}

int wait(const char* name, int timeout_ms) {
  std::printf("waiting %s t=%lld\n", name, now_ns());
  std::fflush(stdout);
  void* address = nullptr;
  const int result = tproc_wait(name, timeout_ms, &address);
  const long long woke = now_ns();
  if (result < 0) {
    std::printf("wait %s: %s\n", name, errname(result).c_str());
    return 4;
  }
  uint64_t kind = 0;
  tproc_lookup(name, nullptr, &kind);
  std::printf("woke %s at %p text=%s t=%lld\n", name, address, kind == kTextKind ? static_cast<const char*>(address) : "",
              woke);
  return 0;
}

int wait_gone(const char* name, int timeout_ms) {
  tproc_endpoint endpoint{};
  if (int result = tproc_query(name, &endpoint); result < 0) {
    std::printf("wait-gone %s: %s\n", name, errname(result).c_str());
    return 3;
  }
  std::printf("watching %s generation %llu owner %d t=%lld\n", name, static_cast<unsigned long long>(endpoint.generation),
              endpoint.owner_pid, now_ns());
  std::fflush(stdout);
  const int result = tproc_wait_gone(name, endpoint.generation, timeout_ms);
  const long long gone = now_ns();
  if (result < 0) {
    std::printf("wait-gone %s: %s\n", name, errname(result).c_str());
    return 4;
  }
  std::printf("gone %s t=%lld\n", name, gone);
  return 0;
}

/// Compares results with expectations, one line each.
struct Checker {
  int failures = 0;
  void expect(const std::string& what, int got, int expected) {
    if (got == expected) {
      std::printf("ok %s\n", what.c_str());
    } else {
      std::printf("FAIL %s: got %s, expected %s\n", what.c_str(), errname(got).c_str(), errname(expected).c_str());
      ++failures;
    }
  }
};

int errors(const char* other) {
  Checker check;
  const std::string mine = "probe.errors." + std::to_string(::getpid());
  check.expect("publish of an empty name is EINVAL", tproc_publish("", published_text, kTextKind), -EINVAL);
  check.expect("publish of a name with a newline is EINVAL", tproc_publish("bad\nname", published_text, kTextKind),
               -EINVAL);
  check.expect("publish of a 63-byte name works", tproc_publish(std::string(63, 'n').c_str(), published_text, kTextKind), 0);
  check.expect("publish of a 64-byte name is ENAMETOOLONG",
               tproc_publish(std::string(64, 'n').c_str(), published_text, kTextKind), -ENAMETOOLONG);
  check.expect("publish works", tproc_publish(mine.c_str(), published_text, kTextKind), 0);
  check.expect("publish of a live name is EEXIST", tproc_publish(mine.c_str(), published_text, kTextKind), -EEXIST);
  check.expect("publish of another tproc's live name is EEXIST", tproc_publish(other, published_text, kTextKind), -EEXIST);
  check.expect("a published endpoint is ready at once: lookup", tproc_lookup(mine.c_str(), nullptr, nullptr), 0);
  check.expect("a published endpoint is ready at once: wait(0)", tproc_wait(mine.c_str(), 0, nullptr), 0);
  check.expect("tproc_ready on an endpoint already ready changes nothing", tproc_ready(mine.c_str()), 0);
  check.expect("tproc_ready(NULL) with nothing declared changes nothing", tproc_ready(nullptr), 0);
  check.expect("tproc_ready on another tproc's endpoint is EPERM", tproc_ready(other), -EPERM);
  check.expect("tproc_ready on an unknown name is ENOENT", tproc_ready("probe.no.such.name"), -ENOENT);
  check.expect("withdraw of another tproc's endpoint is EPERM", tproc_withdraw(other), -EPERM);
  check.expect("another tproc's endpoint survives that", tproc_lookup(other, nullptr, nullptr), 0);
  char* typed = nullptr;
  check.expect("lookup with the wrong kind is EPROTOTYPE", tproc::lookup(other, tproc::kind("not.probe.text"), &typed),
               -EPROTOTYPE);
  check.expect("lookup with the right kind works", tproc::lookup(other, kTextKind, &typed), 0);
  check.expect("lookup of an unknown name is ENOENT", tproc_lookup("probe.no.such.name", nullptr, nullptr), -ENOENT);
  check.expect("wait(0) for an unknown name is ETIMEDOUT", tproc_wait("probe.no.such.name", 0, nullptr), -ETIMEDOUT);
  check.expect("wait(50ms) for an unknown name is ETIMEDOUT", tproc_wait("probe.no.such.name", 50, nullptr), -ETIMEDOUT);
  tproc_endpoint endpoint{};
  check.expect("query works", tproc_query(mine.c_str(), &endpoint), 0);
  check.expect("query reports the caller as owner", endpoint.owner_pid, static_cast<int>(::getpid()));
  check.expect("withdraw of one's own endpoint works", tproc_withdraw(mine.c_str()), 0);
  check.expect("a withdrawn name is gone", tproc_lookup(mine.c_str(), nullptr, nullptr), -ENOENT);
  check.expect("wait_gone of a withdrawn generation returns at once", tproc_wait_gone(mine.c_str(), endpoint.generation, 0),
               0);
  check.expect("withdraw of a withdrawn name is ENOENT", tproc_withdraw(mine.c_str()), -ENOENT);
  check.expect("a withdrawn name can be published again", tproc_publish(mine.c_str(), published_text, kTextKind), 0);
  tproc_endpoint again{};
  tproc_query(mine.c_str(), &again);
  check.expect("a republished name has a new generation", again.generation != endpoint.generation, 1);
  check.expect("wait_gone of the old generation returns at once", tproc_wait_gone(mine.c_str(), endpoint.generation, 0), 0);
  check.expect("wait_gone(0) of the live generation is ETIMEDOUT", tproc_wait_gone(mine.c_str(), again.generation, 0),
               -ETIMEDOUT);
  std::printf("%s\n", check.failures == 0 ? "all ok" : "SOME FAILED");
  return check.failures == 0 ? 0 : 1;
}

int fill(const std::string& prefix) {
  int published = 0, result = 0;
  while ((result = tproc_publish((prefix + "." + std::to_string(published)).c_str(), published_text, kTextKind)) == 0)
    ++published;
  std::printf("full after %d: %s\n", published, errname(result).c_str());
  const int live = tproc_list(nullptr, 0);
  std::printf("live %d of %d\n", live, TPROC_MAX_ENDPOINTS);
  int withdrawn = 0;
  for (int i = 0; i < published; ++i) withdrawn += tproc_withdraw((prefix + "." + std::to_string(i)).c_str()) == 0;
  std::printf("withdrew %d\n", withdrawn);
  const int again = tproc_publish((prefix + ".again").c_str(), published_text, kTextKind);
  std::printf("publish after withdrawing = %s\n", errname(again).c_str());
  tproc_withdraw((prefix + ".again").c_str());
  return result == -ENOSPC && withdrawn == published && again == 0 && live == TPROC_MAX_ENDPOINTS ? 0 : 1;
}

int declared(const char* name) {
  tproc_endpoint endpoint{};
  int result = tproc_query(name, &endpoint);
  std::printf("state %s %s\n", name, result < 0 ? errname(result).c_str() : state_name(endpoint.state));
  std::printf("lookup = %s\n", errname(tproc_lookup(name, nullptr, nullptr)).c_str());
  std::fflush(stdout);
  char line[256];
  if (std::fgets(line, sizeof line, stdin) == nullptr) return 1;
  std::printf("ready = %s\n", errname(tproc_ready(nullptr)).c_str());
  result = tproc_query(name, &endpoint);
  std::printf("state %s %s address %p\n", name, result < 0 ? errname(result).c_str() : state_name(endpoint.state),
              endpoint.address);
  std::printf("symbol at %p\n", static_cast<void*>(probe_endpoint));
  hold();
  return 0;
}

int list() {
  std::vector<tproc_endpoint> endpoints(TPROC_MAX_ENDPOINTS);
  const int live = tproc_list(endpoints.data(), endpoints.size());
  if (live < 0) {
    std::printf("list: %s\n", errname(live).c_str());
    return 1;
  }
  for (int i = 0; i < live && i < TPROC_MAX_ENDPOINTS; ++i)
    std::printf("endpoint %s owner %d state %s\n", endpoints[i].name, endpoints[i].owner_pid,
                state_name(endpoints[i].state));
  std::printf("live %d\n", live);
  return 0;
}

int stop_holding_lock() {
  auto* header = reinterpret_cast<tproc::registry::RegistryHeader*>(getauxval(TPROC_AT_REGISTRY));
  if (header == nullptr) return 2;
  const int32_t self = static_cast<int32_t>(::getpid());
  for (int32_t free_word = 0; !header->writer.compare_exchange_weak(free_word, self); free_word = 0) usleep(100);
  std::printf("holding the writer lock pid %d\n", self);
  std::fflush(stdout);
  raise(SIGSTOP);
  header->writer.store(0, std::memory_order_release);
  std::printf("released\n");
  return 0;
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: registry_probe publish TEXT NAME... | publish-exit TEXT NAME... |\n"
               "       publish-exec TEXT NAME PROGRAM ARGS... | lookup NAME [KIND] | wait NAME TIMEOUT_MS |\n"
               "       wait-gone NAME TIMEOUT_MS | ready [NAME] | withdraw NAME | errors OTHER | fill PREFIX |\n"
               "       declared NAME | list | stop-holding-lock\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  signal(SIGTERM, request_stop);
  signal(SIGINT, request_stop);
  if (argc < 2) usage();
  const std::string command = argv[1];
  if (tproc_in_space() != 1) {
    std::printf("not in a space\n");
    return 2;
  }
  if (command == "publish" && argc >= 4) return publish(argv[2], std::vector<std::string>(argv + 3, argv + argc));
  if (command == "publish-exit" && argc >= 4)
    return publish(argv[2], std::vector<std::string>(argv + 3, argv + argc), false);
  if (command == "publish-exec" && argc >= 5) return publish_exec(argv[2], argv[3], argv + 4);
  if (command == "lookup" && (argc == 3 || argc == 4)) return lookup(argv[2], argc == 4 ? argv[3] : nullptr);
  if (command == "wait" && argc == 4) return wait(argv[2], std::atoi(argv[3]));
  if (command == "wait-gone" && argc == 4) return wait_gone(argv[2], std::atoi(argv[3]));
  if (command == "ready" && argc <= 3) {
    std::printf("ready = %s\n", errname(tproc_ready(argc == 3 ? argv[2] : nullptr)).c_str());
    return 0;
  }
  if (command == "withdraw" && argc == 3) {
    std::printf("withdraw = %s\n", errname(tproc_withdraw(argv[2])).c_str());
    return 0;
  }
  if (command == "errors" && argc == 3) return errors(argv[2]);
  if (command == "fill" && argc == 3) return fill(argv[2]);
  if (command == "declared" && argc == 3) return declared(argv[2]);
  if (command == "list" && argc == 2) return list();
  if (command == "stop-holding-lock" && argc == 2) return stop_holding_lock();
  usage();
}
