#pragma once
// The kv sample's protocol: what kv_server and kv_client share. Nothing here is serialised: a
// request is a struct that the client fills in its own memory (its stack will do: every tproc of
// the space can read it), the keys and values it points at live in the space heap, and the server
// takes them over by pointer. The reply is written into the same struct, and a futex word in it
// wakes the client.
//
// Ownership, the part to read twice:
// - put:   the server takes over the key string and the value (the client must not touch them
//          after sending). If the key was already there, the server frees the client's key string
//          (a block another program allocated: the space heap allows that) and drops its
//          reference on the old value.
// - get:   the key is lent for the call. The reply hands the client one reference on the stored
//          Value, the very object some client put: it must release() it when done.
// - erase: the key is lent for the call.
// Values are immutable once put and reference-counted, so a value stays readable by every client
// holding a reference even after another client replaced or erased its key; whoever drops the
// last reference frees it, in whatever program that happens.

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string_view>

#include <tproc/tproc.hpp>

namespace kv {

/// The registry name of the service, and its kind (the tag clients check).
inline constexpr const char* kEndpoint = "kv.requests";
inline constexpr const char* kKindName = "kv.Service/1";
inline constexpr uint64_t kKind = tproc::kind("kv.Service/1");

/// What the endpoint points at: the server's service descriptor, a global in kv_server's image
/// (valid exactly as long as the server runs, which is as long as the endpoint is listed).
struct Service {
  uint32_t version;            ///< 1
  int32_t server_pid;          ///< for messages
  tproc_channel* requests;     ///< carries Request*
};

/// A stored value: immutable once put, shared by pointer, reference-counted.
struct Value {
  explicit Value(std::string_view bytes) : text(bytes) {}
  std::atomic<uint32_t> references{1};
  tproc::space_string text;
};

/// Takes one more reference on `value`.
inline Value* retain(Value* value) {
  value->references.fetch_add(1, std::memory_order_relaxed);
  return value;
}

/// Drops one reference; the last one frees the value (whoever allocated it).
inline void release(Value* value) {
  if (value != nullptr && value->references.fetch_sub(1, std::memory_order_acq_rel) == 1)
    tproc::space_delete(value);
}

enum class Op : uint32_t { put = 1, get = 2, erase = 3, shutdown = 4 };
enum class Status : uint32_t { pending = 0, ok = 1, not_found = 2, bad_request = 3 };

/// One request and, once `done` is 1, its reply.
struct Request {
  Op op{};
  tproc::space_string* key = nullptr;  ///< put: taken over by the server; get/erase: lent
  Value* value = nullptr;              ///< put: taken over; get reply: a reference for the client
  Status status = Status::pending;     ///< the reply, written before `done`
  bool replaced = false;               ///< put reply: the key had a value, which was replaced
  std::atomic<uint32_t> done{0};       ///< futex word: 0 pending, 1 answered
};

/// Marks `request` answered and wakes its client. The request may be gone (reused, freed) the
/// moment `done` is 1: the wake-up touches only the futex word's address, which is harmless.
inline void answer(Request* request, Status status) {
  request->status = status;
  std::atomic<uint32_t>* done = &request->done;
  done->store(1, std::memory_order_release);
  // A private futex is keyed on (mm, address): every tproc of a space shares one mm, so it works
  // between programs. (std::atomic::wait/notify would not: libstdc++ skips the wake-up unless its
  // own per-program waiter table says someone waits.)
  ::syscall(SYS_futex, done, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

/// Waits up to `timeout_ms` for `request` to be answered: true when it was.
inline bool wait_answer(Request* request, int timeout_ms) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const long long deadline = now.tv_sec * 1'000'000'000LL + now.tv_nsec + timeout_ms * 1'000'000LL;
  while (request->done.load(std::memory_order_acquire) == 0) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    const long long left = deadline - (now.tv_sec * 1'000'000'000LL + now.tv_nsec);
    if (left <= 0) return false;
    const timespec relative{static_cast<time_t>(left / 1'000'000'000LL), static_cast<long>(left % 1'000'000'000LL)};
    ::syscall(SYS_futex, &request->done, FUTEX_WAIT_PRIVATE, 0, &relative, nullptr, 0);
  }
  return true;
}

}  // namespace kv
