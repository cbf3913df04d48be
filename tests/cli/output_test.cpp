// Sizes for tables (cli/output.hpp: human_size): one rule, two unit systems, as docker prints
// image sizes (decimal) and memory (binary).

#include <catch2/catch.hpp>

#include "cli/output.hpp"

using tproc::cli::human_size;
using tproc::cli::SizeUnits;

TEST_CASE("a size below one kilo is printed in exact bytes in both unit systems") {
  CHECK(human_size(0, SizeUnits::decimal) == "0B");
  CHECK(human_size(512, SizeUnits::decimal) == "512B");
  CHECK(human_size(999, SizeUnits::decimal) == "999B");
  CHECK(human_size(1000, SizeUnits::binary) == "1000B");
  CHECK(human_size(1023, SizeUnits::binary) == "1023B");
}

TEST_CASE("decimal sizes step by 1000 and keep three significant digits") {
  CHECK(human_size(1000, SizeUnits::decimal) == "1.00kB");
  CHECK(human_size(12'345, SizeUnits::decimal) == "12.3kB");
  CHECK(human_size(4'210'000, SizeUnits::decimal) == "4.21MB");
  CHECK(human_size(123'456'789, SizeUnits::decimal) == "123MB");
  CHECK(human_size(7'500'000'000, SizeUnits::decimal) == "7.50GB");
}

TEST_CASE("binary sizes step by 1024 with the IEC names") {
  CHECK(human_size(1024, SizeUnits::binary) == "1.00KiB");
  CHECK(human_size(2000, SizeUnits::binary) == "1.95KiB");
  CHECK(human_size(200ull << 20, SizeUnits::binary) == "200MiB");
  CHECK(human_size(10ull << 20, SizeUnits::binary) == "10.0MiB");
  CHECK(human_size(4ull << 30, SizeUnits::binary) == "4.00GiB");
}

TEST_CASE("a value that rounds up to the next unit is printed in that unit") {
  CHECK(human_size(999'600, SizeUnits::decimal) == "1.00MB");
  CHECK(human_size(999'400, SizeUnits::decimal) == "999kB");
  CHECK(human_size(9'996, SizeUnits::decimal) == "10.0kB");
  CHECK(human_size((1ull << 20) - 100, SizeUnits::binary) == "1.00MiB");
}

TEST_CASE("the largest sizes stay in the largest unit") {
  CHECK(human_size(UINT64_MAX, SizeUnits::decimal) == "18.4EB");
  CHECK(human_size(UINT64_MAX, SizeUnits::binary) == "16.0EiB");
}
