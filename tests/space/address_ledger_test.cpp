// AddressLedger: who made which range of the space.

#include <catch2/catch.hpp>

#include "space/address_ledger.hpp"

using tproc::space::AddressLedger;
using Ranges = std::vector<AddressLedger::Range>;

TEST_CASE("AddressLedger gives back exactly the ranges an owner made, merged") {
  AddressLedger sut;
  sut.assign(0x1000, 0x3000, 1);
  sut.assign(0x3000, 0x4000, 1);
  sut.assign(0x8000, 0x9000, 2);
  CHECK(sut.ranges_of(1) == Ranges{{0x1000, 0x4000}});
  CHECK(sut.take(1) == Ranges{{0x1000, 0x4000}});
  CHECK(sut.ranges_of(1).empty());
  CHECK(sut.ranges_of(2) == Ranges{{0x8000, 0x9000}});
}

TEST_CASE("AddressLedger forgets an unmapped hole and keeps both sides") {
  AddressLedger sut;
  sut.assign(0x10000, 0x20000, 7);
  sut.release(0x14000, 0x15000);
  CHECK(sut.ranges_of(7) == Ranges{{0x10000, 0x14000}, {0x15000, 0x20000}});
  sut.release(0x0, 0x12000);
  CHECK(sut.ranges_of(7) == Ranges{{0x12000, 0x14000}, {0x15000, 0x20000}});
  sut.release(0x13000, 0x100000);
  CHECK(sut.ranges_of(7) == Ranges{{0x12000, 0x13000}});
}

TEST_CASE("AddressLedger gives a range mapped over with MAP_FIXED to its new owner") {
  AddressLedger sut;
  sut.assign(0x1000, 0x5000, 1);
  sut.assign(0x2000, 0x3000, 2);
  CHECK(sut.ranges_of(1) == Ranges{{0x1000, 0x2000}, {0x3000, 0x5000}});
  CHECK(sut.ranges_of(2) == Ranges{{0x2000, 0x3000}});
  CHECK(sut.size() == 3);
}

TEST_CASE("AddressLedger moves a remapped range: release the old, assign the new") {
  AddressLedger sut;
  sut.assign(0x1000, 0x2000, 3);
  sut.release(0x1000, 0x2000);
  sut.assign(0x7000, 0x9000, 3);
  CHECK(sut.take(3) == Ranges{{0x7000, 0x9000}});
  CHECK(sut.size() == 0);
}

TEST_CASE("AddressLedger ignores empty and inverted ranges") {
  AddressLedger sut;
  sut.assign(0x2000, 0x2000, 1);
  sut.assign(0x3000, 0x2000, 1);
  sut.release(0x5000, 0x1000);
  CHECK(sut.size() == 0);
}

TEST_CASE("AddressLedger counts the bytes each owner holds through splits, takeovers and releases") {
  AddressLedger sut;
  sut.assign(0x10000, 0x20000, 1);
  CHECK(sut.bytes_of(1) == 0x10000);
  sut.release(0x14000, 0x15000);
  CHECK(sut.bytes_of(1) == 0xf000);
  sut.assign(0x18000, 0x30000, 2);
  CHECK(sut.bytes_of(1) == 0x7000);
  CHECK(sut.bytes_of(2) == 0x18000);
  sut.take(2);
  CHECK(sut.bytes_of(2) == 0);
  CHECK(sut.bytes_of(3) == 0);
}

TEST_CASE("AddressLedger says whether an owner holds all of a range, across adjacent ranges") {
  AddressLedger sut;
  sut.assign(0x1000, 0x3000, 1);
  sut.assign(0x3000, 0x5000, 1);
  sut.assign(0x5000, 0x6000, 2);
  CHECK(sut.holds(0x1000, 0x5000, 1));
  CHECK(sut.holds(0x2000, 0x4000, 1));
  CHECK_FALSE(sut.holds(0x2000, 0x6000, 1));  // its end is another owner's
  CHECK_FALSE(sut.holds(0x0, 0x2000, 1));     // its start is nobody's
  sut.release(0x3000, 0x4000);
  CHECK_FALSE(sut.holds(0x1000, 0x5000, 1));  // a hole
  CHECK(sut.holds(0x5000, 0x6000, 2));
  CHECK(sut.holds(0x7000, 0x7000, 9));  // an empty range is held by anyone
}
