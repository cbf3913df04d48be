// threads_tls [THREADS]: several pthreads, each counting in thread_local variables. Checks that
// every thread sees its own initialised TLS block (distinct addresses, initial values from the
// TLS image), that the counts add up and that thread_local destructors run at thread exit.
// Prints "threads=N total=T tls_destructors=N ok", or what went wrong and exits 1.

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

namespace {

constexpr uint64_t kIncrements = 1'000'000;

std::atomic<int> destructors_run{0};

/// A thread_local with a constructor and a destructor (registered through __cxa_thread_atexit).
struct Tracked {
  std::string label = "tracked";
  ~Tracked() { destructors_run.fetch_add(1); }
};

thread_local uint64_t counter = 0;             // .tbss
thread_local int initialised = 42;             // .tdata: copied from the TLS image
thread_local Tracked tracked;

struct ThreadResult {
  const void* counter_address = nullptr;
  uint64_t count = 0;
  bool image_ok = false;
};

[[gnu::noinline]] void bump() { counter = counter + 1; }

void* work(void* arg) {
  auto* result = static_cast<ThreadResult*>(arg);
  result->image_ok = initialised == 42 && counter == 0 && tracked.label == "tracked";
  initialised = 7;  // must not leak into other threads
  for (uint64_t i = 0; i < kIncrements; ++i) bump();
  result->counter_address = &counter;
  result->count = counter;
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 8;
  std::vector<pthread_t> handles(threads);
  std::vector<ThreadResult> results(threads);
  for (int i = 0; i < threads; ++i) {
    if (pthread_create(&handles[i], nullptr, work, &results[i]) != 0) {
      std::fprintf(stderr, "threads_tls: pthread_create failed\n");
      return 1;
    }
  }
  for (pthread_t handle : handles) pthread_join(handle, nullptr);

  uint64_t total = 0;
  std::set<const void*> addresses;
  for (const ThreadResult& result : results) {
    if (!result.image_ok) {
      std::fprintf(stderr, "threads_tls: a thread saw a wrong initial TLS block\n");
      return 1;
    }
    if (result.count != kIncrements) {
      std::fprintf(stderr, "threads_tls: a thread counted %llu\n", (unsigned long long)result.count);
      return 1;
    }
    addresses.insert(result.counter_address);
    total += result.count;
  }
  if (static_cast<int>(addresses.size()) != threads) {
    std::fprintf(stderr, "threads_tls: threads shared a thread_local\n");
    return 1;
  }
  if (initialised != 42 || counter != 0) {
    std::fprintf(stderr, "threads_tls: the main thread's TLS was changed by another thread\n");
    return 1;
  }
  if (destructors_run.load() != threads) {
    std::fprintf(stderr, "threads_tls: %d thread_local destructors ran\n", destructors_run.load());
    return 1;
  }
  std::printf("threads=%d total=%llu tls_destructors=%d ok\n", threads, (unsigned long long)total,
              destructors_run.load());
  return 0;
}
