// libtproc for C++: typed wrappers over tproc.h and an allocator for the space heap.
//
// SpaceAllocator puts a container's memory in the space heap, so a std::vector, std::basic_string or
// std::map built by one program can be handed (by pointer) to another, which may read, change and
// destroy it even after the builder has exited. Put the container object itself in the heap too
// (space_new / space_delete). What must not cross: pointers into a program's own image or malloc
// heap — vtables and function pointers of a program that may exit first, or members allocated with
// plain new.
#ifndef TPROC_TPROC_HPP
#define TPROC_TPROC_HPP

#include <tproc/tproc.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tproc {

/// The kind tag of a type name, at compile time; equal to tproc_kind(type_name).
constexpr uint64_t kind(std::string_view type_name) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : type_name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

/// A standard allocator over the space heap. Stateless: every instance can free what any other
/// allocated, in any program of the space.
template <class T>
struct SpaceAllocator {
  using value_type = T;
  using is_always_equal = std::true_type;
  using propagate_on_container_move_assignment = std::true_type;

  SpaceAllocator() noexcept = default;
  template <class U>
  SpaceAllocator(const SpaceAllocator<U>&) noexcept {}

  /// Space-heap memory for `n` objects; throws std::bad_alloc when the heap cannot give it.
  T* allocate(std::size_t n) {
    static_assert(alignof(T) <= 16, "the space heap aligns blocks to 16 bytes");
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    void* block = tproc_heap_alloc(n * sizeof(T));
    if (block == nullptr) throw std::bad_alloc();
    return static_cast<T*>(block);
  }

  void deallocate(T* block, std::size_t) noexcept { tproc_heap_free(block); }

  template <class U>
  bool operator==(const SpaceAllocator<U>&) const noexcept {
    return true;
  }
};

/// A vector whose elements live in the space heap.
template <class T>
using space_vector = std::vector<T, SpaceAllocator<T>>;
/// A string whose characters live in the space heap.
using space_string = std::basic_string<char, std::char_traits<char>, SpaceAllocator<char>>;
/// A map whose nodes live in the space heap.
template <class Key, class Value, class Compare = std::less<Key>>
using space_map = std::map<Key, Value, Compare, SpaceAllocator<std::pair<const Key, Value>>>;

/// Constructs a T in the space heap; throws std::bad_alloc when the heap cannot hold it.
template <class T, class... Args>
T* space_new(Args&&... args) {
  SpaceAllocator<T> allocator;
  T* object = allocator.allocate(1);
  try {
    return ::new (static_cast<void*>(object)) T(std::forward<Args>(args)...);
  } catch (...) {
    allocator.deallocate(object, 1);
    throw;
  }
}

/// Destroys and frees a T made by space_new, from any program of the space.
template <class T>
void space_delete(T* object) noexcept {
  if (object == nullptr) return;
  object->~T();
  SpaceAllocator<T>().deallocate(object, 1);
}

/// Publishes `object` as `name` with kind `tag`. See tproc_publish.
template <class T>
int publish(const char* name, T* object, uint64_t tag) {
  return tproc_publish(name, object, tag);
}

/// Looks `name` up and checks its kind: 0, -EPROTOTYPE when the kind is not `tag`, or
/// tproc_lookup's errors.
template <class T>
int lookup(const char* name, uint64_t tag, T** object) {
  void* address = nullptr;
  uint64_t found = 0;
  if (int error = tproc_lookup(name, &address, &found); error < 0) return error;
  if (found != tag) return -EPROTOTYPE;
  *object = static_cast<T*>(address);
  return 0;
}

/// Waits until `name` is ready, then checks its kind like lookup().
template <class T>
int wait(const char* name, uint64_t tag, int timeout_ms, T** object) {
  if (int error = tproc_wait(name, timeout_ms, nullptr); error < 0) return error;
  return lookup(name, tag, object);
}

/// A channel that carries T* messages. A non-owning handle: copy it freely, destroy() it once.
template <class T>
class Channel {
 public:
  /// Wraps an existing channel (e.g. one found in the registry).
  explicit Channel(tproc_channel* raw = nullptr) : raw_(raw) {}

  /// Creates a channel in the space heap: 0 or tproc_channel_create's errors.
  static int create(std::size_t capacity, unsigned flags, Channel* out) {
    return tproc_channel_create(capacity, flags, &out->raw_);
  }

  int send(T* message, int timeout_ms = -1) const { return tproc_channel_send(raw_, message, timeout_ms); }
  int try_send(T* message) const { return tproc_channel_try_send(raw_, message); }
  int recv(T** message, int timeout_ms = -1) const {
    void* received = nullptr;
    const int result = tproc_channel_recv(raw_, &received, timeout_ms);
    if (result == 0) *message = static_cast<T*>(received);
    return result;
  }
  int try_recv(T** message) const {
    void* received = nullptr;
    const int result = tproc_channel_try_recv(raw_, &received);
    if (result == 0) *message = static_cast<T*>(received);
    return result;
  }
  int close() const { return tproc_channel_close(raw_); }
  int destroy() { return tproc_channel_destroy(std::exchange(raw_, nullptr)); }

  tproc_channel* raw() const { return raw_; }

 private:
  tproc_channel* raw_;
};

}  // namespace tproc

#endif
