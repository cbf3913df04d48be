#pragma once
// The field encoding under protocol/messages.hpp: little-endian fixed-width integers, bools as one
// byte, strings and lists as a u32 count then their elements, structs as their fields in order.

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace tproc::protocol {

/// Appends fields to a byte buffer.
class WireWriter {
 public:
  template <class... Fields>
  void operator()(const Fields&... fields) { (put(fields), ...); }

  std::vector<std::byte>& bytes() { return bytes_; }

 private:
  template <class T>
  void put(const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      put_raw(static_cast<uint8_t>(value ? 1 : 0));
    } else if constexpr (std::is_integral_v<T>) {
      put_raw(value);
    } else if constexpr (std::is_same_v<T, std::string>) {
      put_raw(static_cast<uint32_t>(value.size()));
      const auto* data = reinterpret_cast<const std::byte*>(value.data());
      bytes_.insert(bytes_.end(), data, data + value.size());
    } else if constexpr (requires { value.begin(); value.size(); }) {
      put_raw(static_cast<uint32_t>(value.size()));
      for (const auto& element : value) put(element);
    } else {
      const_cast<T&>(value).fields(*this);
    }
  }
  template <class T>
  void put_raw(T value) {
    std::byte raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    bytes_.insert(bytes_.end(), raw, raw + sizeof(T));
  }

  std::vector<std::byte> bytes_;
};

/// Reads fields from a byte buffer; after the first failure every read fails and `ok()` is false.
class WireReader {
 public:
  explicit WireReader(std::span<const std::byte> bytes) : bytes_(bytes) {}

  template <class... Fields>
  void operator()(Fields&... fields) { (get(fields), ...); }

  bool ok() const { return error_.empty(); }
  bool at_end() const { return offset_ == bytes_.size(); }
  size_t offset() const { return offset_; }
  const std::string& error() const { return error_; }

  template <class T>
  void get(T& value) {
    if (!ok()) return;
    if constexpr (std::is_same_v<T, bool>) {
      uint8_t raw = 0;
      get_raw(raw);
      if (ok() && raw > 1) fail("invalid bool " + std::to_string(raw));
      value = raw == 1;
    } else if constexpr (std::is_integral_v<T>) {
      get_raw(value);
    } else if constexpr (std::is_same_v<T, std::string>) {
      uint32_t size = 0;
      get_raw(size);
      if (!ok()) return;
      if (size > bytes_.size() - offset_) return fail("string of " + std::to_string(size) + " bytes runs past the end");
      value.assign(reinterpret_cast<const char*>(bytes_.data() + offset_), size);
      offset_ += size;
    } else if constexpr (requires { value.emplace_back(); }) {
      uint32_t count = 0;
      get_raw(count);
      if (!ok()) return;
      // Every element takes at least one byte, so a count beyond the bytes left is a lie.
      if (count > bytes_.size() - offset_) return fail("list of " + std::to_string(count) + " elements runs past the end");
      value.clear();
      for (uint32_t i = 0; i < count && ok(); ++i) get(value.emplace_back());
    } else {
      value.fields(*this);
    }
  }

 private:
  template <class T>
  void get_raw(T& value) {
    if (sizeof(T) > bytes_.size() - offset_) return fail("field at offset " + std::to_string(offset_) + " runs past the end");
    std::memcpy(&value, bytes_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
  }
  void fail(std::string reason) {
    if (ok()) error_ = std::move(reason);
  }

  std::span<const std::byte> bytes_;
  size_t offset_ = 0;
  std::string error_;
};

}  // namespace tproc::protocol
