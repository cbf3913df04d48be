// space/space_name.hpp: the one rule for space names, at its edges.

#include "space/space_name.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "registry/registry_layout.hpp"

using tproc::space::is_valid_space_name;
using tproc::space::kMaxSpaceNameLength;

namespace {

bool valid(const std::string& name) { return is_valid_space_name(name.data(), name.size()); }

}  // namespace

TEST_CASE("a space name is 1-63 letters, digits, '_', '.', '-', starting with a letter or digit") {
  CHECK(valid("a"));
  CHECK(valid("kv"));
  CHECK(valid("0.x_y-Z"));
  CHECK(valid(std::string(63, 'n')));
  CHECK_FALSE(valid(std::string(64, 'n')));
  CHECK_FALSE(valid(""));
  CHECK_FALSE(valid("-a"));
  CHECK_FALSE(valid(".a"));
  CHECK_FALSE(valid("_a"));
  CHECK_FALSE(valid("a/b"));
  CHECK_FALSE(valid("a b"));
  CHECK_FALSE(valid("a\nb"));
  CHECK_FALSE(valid(std::string("a\0b", 3)));
}

TEST_CASE("the longest space name fits the registry's NUL-terminated name field") {
  CHECK(kMaxSpaceNameLength + 1 == sizeof(tproc::registry::RegistryHeader::space_name));
}
