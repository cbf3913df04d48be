// EndpointName (registry/endpoint_name.cpp) and the kind tag shared by C and C++.

#include "registry/endpoint_name.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <string>

#include "tproc/tproc.h"
#include "tproc/tproc.hpp"

using tproc::registry::EndpointName;

TEST_CASE("an endpoint name is 1 to 63 bytes") {
  EndpointName name;
  CHECK(EndpointName::make(nullptr, &name) == -EINVAL);
  CHECK(EndpointName::make("", &name) == -EINVAL);
  CHECK(EndpointName::make("k", &name) == 0);
  CHECK(name.length == 1);
  CHECK(EndpointName::make(std::string(63, 'n').c_str(), &name) == 0);
  CHECK(name.word_count() == 8);
  CHECK(EndpointName::make(std::string(64, 'n').c_str(), &name) == -ENAMETOOLONG);
  CHECK(EndpointName::make(std::string(1000, 'n').c_str(), &name) == -ENAMETOOLONG);
}

TEST_CASE("equal names pack to equal words and hashes, different names to different hashes") {
  EndpointName a, b, c, longer;
  REQUIRE(EndpointName::make("kv/requests", &a) == 0);
  REQUIRE(EndpointName::make("kv/requests", &b) == 0);
  REQUIRE(EndpointName::make("kv/requestz", &c) == 0);
  REQUIRE(EndpointName::make("kv/requests2", &longer) == 0);
  CHECK(a.hash == b.hash);
  CHECK(std::equal(std::begin(a.words), std::end(a.words), std::begin(b.words)));
  CHECK(a.hash != c.hash);
  CHECK(a.hash != longer.hash);
  CHECK(a.words[1] != longer.words[1]);  // NUL padding tells a name from its extension
}

TEST_CASE("a name with a control character is not displayable") {
  EndpointName name;
  REQUIRE(EndpointName::make("fine name/with.punctuation-1", &name) == 0);
  CHECK(is_displayable(name));
  REQUIRE(EndpointName::make("bad\nname", &name) == 0);
  CHECK_FALSE(is_displayable(name));
}

TEST_CASE("a kind tag is the 64-bit FNV-1a of the type name, the same in C and C++") {
  CHECK(tproc_kind("") == 0xcbf29ce484222325ULL);
  CHECK(tproc_kind("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(tproc_kind("foobar") == 0x85944171f73967e8ULL);
  static_assert(tproc::kind("kv.request") != 0);
  CHECK(tproc::kind("kv.request") == tproc_kind("kv.request"));
  CHECK(tproc::registry::kind_of("kv.request") == tproc_kind("kv.request"));
}
