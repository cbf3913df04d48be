// InterpreterStock: the next launch's ld.so is mapped ahead of time, handed out once, and never
// handed out when the file changed since.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "arch_traits.hpp"
#include "loader/elf_file.hpp"
#include "loader/interpreter_stock.hpp"

using namespace tproc;
using loader::InterpreterStock;
namespace fs = std::filesystem;

namespace {

/// This test binary's own interpreter: a real ld.so to map.
std::string our_interpreter() {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  const std::vector<char> chars{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto elf = loader::ElfFile::parse({reinterpret_cast<const std::byte*>(chars.data()), chars.size()}, arch::kElfMachine);
  REQUIRE(elf.has_value());
  REQUIRE(elf->interpreter().has_value());
  return std::string(*elf->interpreter());
}

/// A private copy of our interpreter, removed at the end.
struct InterpreterCopy {
  fs::path path = fs::temp_directory_path() / ("tproc-stock-test-" + std::to_string(::getpid()));
  InterpreterCopy() { fs::copy_file(our_interpreter(), path, fs::copy_options::overwrite_existing); }
  ~InterpreterCopy() { fs::remove(path); }
};

}  // namespace

TEST_CASE("an empty stock maps the interpreter when asked, and stocks nothing by itself") {
  InterpreterStock stock;
  stock.refill();  // nothing asked for yet: nothing to stock
  CHECK(stock.stocked() == nullptr);
  auto taken = stock.take(our_interpreter());
  REQUIRE(taken.has_value());
  CHECK(taken->entry() > taken->begin());
  CHECK(stock.stocked() == nullptr);
}

TEST_CASE("refill maps the interpreter last asked for, and the next launch gets that very copy") {
  InterpreterStock stock;
  const std::string ld_so = our_interpreter();
  auto first = stock.take(ld_so);
  REQUIRE(first.has_value());
  stock.refill();
  REQUIRE(stock.stocked() != nullptr);
  const uint64_t stocked_at = stock.stocked()->begin();
  stock.refill();  // one copy is enough
  CHECK(stock.stocked()->begin() == stocked_at);

  auto second = stock.take(ld_so);
  REQUIRE(second.has_value());
  CHECK(second->begin() == stocked_at);
  CHECK(stock.stocked() == nullptr);
}

TEST_CASE("a stocked copy of a file that changed since, or of another file, is not handed out") {
  InterpreterStock stock;
  InterpreterCopy copy;
  REQUIRE(stock.take(copy.path).has_value());
  stock.refill();
  REQUIRE(stock.stocked() != nullptr);

  SECTION("the file was modified (reinstalled in place)") {
    const uint64_t stocked_at = stock.stocked()->begin();
    const timespec later[2] = {{0, UTIME_OMIT}, {::time(nullptr) + 10, 0}};
    REQUIRE(::utimensat(AT_FDCWD, copy.path.c_str(), later, 0) == 0);
    auto taken = stock.take(copy.path);
    REQUIRE(taken.has_value());
    CHECK(taken->begin() != stocked_at);
  }
  SECTION("another interpreter is asked for") {
    const uint64_t stocked_at = stock.stocked()->begin();
    auto taken = stock.take(our_interpreter());
    REQUIRE(taken.has_value());
    CHECK(taken->begin() != stocked_at);
  }
  CHECK(stock.stocked() == nullptr);
}

TEST_CASE("an interpreter that cannot be mapped is reported by take, and refill leaves the stock empty") {
  InterpreterStock stock;
  auto missing = stock.take("/nonexistent/ld.so");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code() == ENOENT);
  CHECK(missing.error().describe().find("interpreter /nonexistent/ld.so") != std::string::npos);
  stock.refill();
  CHECK(stock.stocked() == nullptr);

  // A program is no interpreter: one that needs an interpreter itself is refused.
  auto program = stock.take("/proc/self/exe");
  REQUIRE_FALSE(program.has_value());
  CHECK(program.error().code() == ELIBBAD);
}
