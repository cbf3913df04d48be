// ProgramBreak: a tproc's own brk, answered as the kernel answers a process's.

#include <catch2/catch.hpp>

#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

#include "space/program_break.hpp"

using tproc::space::AddressLedger;
using tproc::space::ProgramBreak;

namespace {

constexpr uint64_t kOwner = 5;
const auto anything = [](uint64_t) { return true; };

const uint64_t kPage = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));

/// Whether the byte at `address` may be written: process_vm_writev to ourselves fails where a
/// store would fault, without faulting.
bool writable(uint64_t address) {
  char byte = 1;
  iovec local{&byte, 1}, remote{reinterpret_cast<void*>(address), 1};
  return ::process_vm_writev(::getpid(), &local, 1, &remote, 1, 0) == 1;
}

}  // namespace

TEST_CASE("ProgramBreak starts at a reserved window, grows and shrinks the break there, and fails outside it") {
  AddressLedger ledger;
  ProgramBreak sut;
  const long start = sut.move(0, ledger, kOwner, anything);
  REQUIRE(start > 0);
  const uint64_t base = static_cast<uint64_t>(start);
  CHECK(ledger.holds(base, base + ProgramBreak::kWindowBytes, kOwner));
  CHECK_FALSE(writable(base));

  // Not page-aligned, as the kernel keeps it; the pages up to it are usable.
  const uint64_t unaligned = base + 2 * kPage + 100;
  CHECK(sut.move(unaligned, ledger, kOwner, anything) == static_cast<long>(unaligned));
  CHECK(sut.move(0, ledger, kOwner, anything) == static_cast<long>(unaligned));
  std::memset(reinterpret_cast<void*>(base), 0x5a, unaligned - base);
  CHECK(writable(base + 3 * kPage - 1));
  CHECK_FALSE(writable(base + 3 * kPage));

  // Shrunk, the pages above go back; grown again, they are zero.
  CHECK(sut.move(base + kPage, ledger, kOwner, anything) == static_cast<long>(base + kPage));
  CHECK_FALSE(writable(base + kPage));
  CHECK(sut.move(base + 3 * kPage, ledger, kOwner, anything) == static_cast<long>(base + 3 * kPage));
  CHECK(reinterpret_cast<unsigned char*>(base)[2 * kPage] == 0);
  CHECK(reinterpret_cast<unsigned char*>(base)[100] == 0x5a);

  // Below the window or past it: the break stays (what brk returns when it cannot move).
  CHECK(sut.move(base - kPage, ledger, kOwner, anything) == static_cast<long>(base + 3 * kPage));
  CHECK(sut.move(base + ProgramBreak::kWindowBytes + 1, ledger, kOwner, anything) == static_cast<long>(base + 3 * kPage));
  CHECK(sut.reserved_unused() == ProgramBreak::kWindowBytes - 3 * kPage);
  ::munmap(reinterpret_cast<void*>(base), ProgramBreak::kWindowBytes);
}

TEST_CASE("ProgramBreak does not grow past the tproc's limit, nor into pages of its window that are no longer its own") {
  AddressLedger ledger;
  ProgramBreak sut;
  const uint64_t base = static_cast<uint64_t>(sut.move(0, ledger, kOwner, anything));
  REQUIRE(base > 0);
  const auto one_page = [](uint64_t more) { return more <= kPage; };
  CHECK(sut.move(base + 2 * kPage, ledger, kOwner, one_page) == static_cast<long>(base));
  CHECK(sut.move(base + kPage, ledger, kOwner, one_page) == static_cast<long>(base + kPage));

  // The tproc unmapped part of its window, and another one mapped there: not touched.
  ledger.assign(base + 2 * kPage, base + 3 * kPage, kOwner + 1);
  CHECK(sut.move(base + 4 * kPage, ledger, kOwner, anything) == static_cast<long>(base + kPage));
  CHECK_FALSE(writable(base + 2 * kPage));
  ::munmap(reinterpret_cast<void*>(base), ProgramBreak::kWindowBytes);
}
