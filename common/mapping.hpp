#pragma once
// Mapping: the one owner of a range of the address space.

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace tproc {

/// Owns [address, address + length) and unmaps it when destroyed. Move-only.
class Mapping {
 public:
  Mapping() = default;
  Mapping(void* address, size_t length) : address_(address), length_(length) {}
  Mapping(Mapping&& other) noexcept
      : address_(std::exchange(other.address_, nullptr)), length_(std::exchange(other.length_, 0)) {}
  Mapping& operator=(Mapping&& other) noexcept {
    if (this != &other) {
      reset();
      address_ = std::exchange(other.address_, nullptr);
      length_ = std::exchange(other.length_, 0);
    }
    return *this;
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { reset(); }

  void* get() const { return address_; }
  std::byte* bytes() const { return static_cast<std::byte*>(address_); }
  uintptr_t begin() const { return reinterpret_cast<uintptr_t>(address_); }
  uintptr_t end() const { return begin() + length_; }
  size_t size() const { return length_; }
  bool valid() const { return address_ != nullptr; }

  /// Gives up ownership without unmapping.
  void release() {
    address_ = nullptr;
    length_ = 0;
  }

  void reset() {
    if (address_ != nullptr) ::munmap(address_, length_);
    address_ = nullptr;
    length_ = 0;
  }

 private:
  void* address_ = nullptr;
  size_t length_ = 0;
};

}  // namespace tproc
