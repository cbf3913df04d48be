// Non-PIE (ET_EXEC) programs load at their fixed addresses, one copy per space at a time: a
// second copy is refused, naming the tproc that holds the range, while the first runs on.

#include <catch2/catch.hpp>

#include <elf.h>

#include <regex>
#include <string>

#include "elf_bytes.hpp"
#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;

TEST_CASE("the test programs are what the non-PIE tests assume") {
  CHECK(elf_type(read_file(program("nonpie_hello"))) == ET_EXEC);
  CHECK(elf_type(read_file(program("exit_with"))) == ET_DYN);
}

TEST_CASE("a non-PIE program runs") {
  Sandbox sandbox;
  Outcome run = sandbox.tproc({"run", "fixed", program("nonpie_hello")});
  REQUIRE_THAT(run, ExitsWith(0));
  CHECK(run.out == "hello from a non-PIE program\n");
}

TEST_CASE("a second copy of a non-PIE program is refused while the first holds its range") {
  Sandbox sandbox;
  ChildProcess holder =
      sandbox.start_tproc({"run", "--name", "holder", "fixed", program("nonpie_hello"), "wait"},
                          {.keep_stdin_open = true});
  REQUIRE(holder.wait_for_output("hello from a non-PIE program\n"));
  auto held_by = sandbox.find_tproc("fixed", "holder");
  REQUIRE(held_by);

  Outcome second = sandbox.tproc({"run", "fixed", program("nonpie_hello")});
  CHECK_THAT(second, IsOneLineError().naming(program("nonpie_hello")));
  INFO(second.err);
  CHECK((second.err.find("holder") != std::string::npos ||
         std::regex_search(second.err, std::regex("\\b" + held_by->id + "\\b"))));

  CHECK_FALSE(holder.exited());
  CHECK(process_alive(held_by->pid));
  holder.close_stdin();
  Outcome first = holder.wait();
  CHECK_THAT(first, ExitsWith(0));
  CHECK(first.out == "hello from a non-PIE program\nbye\n");

  // The range is free again once its holder has exited.
  CHECK_THAT(sandbox.tproc({"run", "fixed", program("nonpie_hello")}), ExitsWith(0));
}

TEST_CASE("two different non-PIE programs exclude each other: the refusal names both and says what to do") {
  Sandbox sandbox;
  ChildProcess holder = sandbox.start_tproc({"run", "fixed", program("nonpie_hello"), "wait"}, {.keep_stdin_open = true});
  REQUIRE(holder.wait_for_output("hello from a non-PIE program\n"));

  // Another program linked at the same fixed address (Debian's python3.11, node and busybox-static all are).
  Outcome other = sandbox.tproc({"run", "fixed", program("nonpie_needs_bar")});
  CHECK_THAT(other, ExitsWith(125));
  CHECK_THAT(other, IsOneLineError().naming(program("nonpie_needs_bar")).naming("(nonpie_hello)"));
  CHECK_THAT(other, IsOneLineError().because_of({"another space"}).because_of({"PIE build"}));

  // As it says: in another space, it runs.
  Outcome elsewhere = sandbox.tproc({"run", "elsewhere", program("nonpie_needs_bar")});
  CHECK_THAT(elsewhere, ExitsWith(0));
  holder.close_stdin();
  CHECK_THAT(holder.wait(), ExitsWith(0));
}
