// tproc::SpaceAllocator and space_new/space_delete (include/tproc/tproc.hpp): containers built by
// one program, destroyed by another. Threads stand in for the programs: what matters is that the
// destroyer never calls the builder's malloc.

#include <catch2/catch.hpp>

#include <new>
#include <string>
#include <thread>

#include "test_space.hpp"
#include "tproc/tproc.hpp"

using tproc::registry::testing::TestSpace;

namespace {

uint64_t blocks_in_use() {
  tproc_heap_stats usage{};
  REQUIRE(tproc_heap_usage(&usage) == 0);
  return usage.blocks_in_use;
}

/// A pointer-rich value: what a kv service would hand over.
struct Record {
  tproc::space_string key;
  tproc::space_vector<tproc::space_string> values;
  tproc::space_map<int, tproc::space_string> index;
};

}  // namespace

TEST_CASE("a vector, a string and a map built in one thread are destroyed in another, leaving nothing") {
  TestSpace space;
  Record* record = nullptr;
  std::thread builder([&] {
    record = tproc::space_new<Record>();
    record->key = "a key long enough to leave the small-string buffer";
    for (int i = 0; i < 100; ++i) {
      record->values.emplace_back(std::to_string(i) + " is a value longer than fifteen bytes");
      record->index.emplace(i, record->values.back());
    }
  });
  builder.join();  // the builder is gone; its data stays
  CHECK(blocks_in_use() > 200);
  std::thread destroyer([&] {
    CHECK(record->values[42] == "42 is a value longer than fifteen bytes");
    CHECK(record->index.at(7) == "7 is a value longer than fifteen bytes");
    tproc::space_delete(record);
  });
  destroyer.join();
  CHECK(blocks_in_use() == 0);
}

TEST_CASE("containers with the space allocator copy, move and grow like any other") {
  TestSpace space;
  {
    tproc::space_vector<int> numbers;
    for (int i = 0; i < 100000; ++i) numbers.push_back(i);  // grows through large blocks
    tproc::space_vector<int> copy = numbers;
    tproc::space_vector<int> moved = std::move(numbers);
    CHECK(copy == moved);
    CHECK(copy[99999] == 99999);
    tproc::space_string text(5000, 'x');
    text += text;
    CHECK(text.size() == 10000);
  }
  CHECK(blocks_in_use() == 0);
}

TEST_CASE("the space allocator throws bad_alloc outside a space") {
  REQUIRE(tproc_attach_region(nullptr) == 0);
  tproc::space_vector<int> numbers;
  CHECK_THROWS_AS(numbers.push_back(1), std::bad_alloc);
  CHECK_THROWS_AS(tproc::space_new<int>(1), std::bad_alloc);
}
