// `tproc run SPACE TARGET ARGS...` behaves like running TARGET directly: exit status, argv,
// environment, working directory and stdio; and it refuses bad programs with one clear line
// while the space goes on serving.

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <string>

#include "elf_bytes.hpp"
#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
namespace fs = std::filesystem;

TEST_CASE("tproc run exits with the program's exit status") {
  Sandbox sandbox;
  for (int status : {0, 3, 255}) {
    INFO("exit_with " << status);
    CHECK_THAT(sandbox.tproc({"run", "s", program("exit_with"), std::to_string(status)}),
               ExitsWith(status));
  }
}

TEST_CASE("a program killed by a signal gives 128+N, as a shell reports it") {
  Sandbox sandbox;
  CHECK_THAT(sandbox.tproc({"run", "s", program("crash"), "nullderef"}), ExitsWith(128 + SIGSEGV));
  CHECK_THAT(sandbox.tproc({"run", "s", program("crash"), "abort"}), ExitsWith(128 + SIGABRT));
}

TEST_CASE("argv reaches the program verbatim, options after TARGET included") {
  Sandbox sandbox;
  Outcome run = sandbox.tproc({"run", "s", program("print_args"), "one", "two words", "",
                               "ünïcødé", "-d", "--name", "x", "-e", "A=B"});
  REQUIRE_THAT(run, ExitsWith(0));
  auto printed = lines(run.out);
  REQUIRE(printed.size() == 11);
  CHECK(printed[0] == "argc=10");
  CHECK(printed[1].rfind("[0]=", 0) == 0);
  CHECK(printed[1].find("print_args") != std::string::npos);
  CHECK(printed[2] == "[1]=one");
  CHECK(printed[3] == "[2]=two words");
  CHECK(printed[4] == "[3]=");
  CHECK(printed[5] == "[4]=ünïcødé");
  CHECK(printed[6] == "[5]=-d");
  CHECK(printed[7] == "[6]=--name");
  CHECK(printed[8] == "[7]=x");
  CHECK(printed[9] == "[8]=-e");
  CHECK(printed[10] == "[9]=A=B");
}

TEST_CASE("the caller's environment reaches the program") {
  Sandbox sandbox;
  Outcome run = sandbox.tproc({"run", "s", program("print_env_cwd"), "E2E_GREETING"},
                              {.extra_env = {"E2E_GREETING=from the caller"}});
  REQUIRE_THAT(run, ExitsWith(0));
  CHECK(lines(run.out).at(1) == "E2E_GREETING=from the caller");
}

TEST_CASE("the -e option adds environment variables and overrides the caller's") {
  Sandbox sandbox;
  const SpawnOptions caller{.extra_env = {"E2E_GREETING=from the caller"}};

  Outcome added = sandbox.tproc(
      {"run", "-e", "E2E_ADDED=1", "s", program("print_env_cwd"), "E2E_ADDED"}, caller);
  REQUIRE_THAT(added, ExitsWith(0));
  CHECK(lines(added.out).at(1) == "E2E_ADDED=1");

  Outcome overridden = sandbox.tproc({"run", "-e", "E2E_OTHER=x", "-e", "E2E_GREETING=over=ride",
                                      "s", program("print_env_cwd"), "E2E_GREETING"},
                                     caller);
  REQUIRE_THAT(overridden, ExitsWith(0));
  CHECK(lines(overridden.out).at(1) == "E2E_GREETING=over=ride");
}

TEST_CASE("the caller's working directory is the program's") {
  Sandbox sandbox;
  fs::path work = sandbox.root() / "work dir";
  fs::create_directory(work);
  Outcome run = sandbox.tproc({"run", "s", program("print_env_cwd"), "HOME"}, {.cwd = work});
  REQUIRE_THAT(run, ExitsWith(0));
  CHECK(lines(run.out).at(0) == "cwd=" + fs::canonical(work).native());
}

TEST_CASE("the --cwd option sets the program's working directory") {
  Sandbox sandbox;
  fs::path elsewhere = sandbox.root() / "elsewhere";
  fs::create_directory(elsewhere);
  Outcome run =
      sandbox.tproc({"run", "--cwd", elsewhere.native(), "s", program("print_env_cwd"), "HOME"});
  REQUIRE_THAT(run, ExitsWith(0));
  CHECK(lines(run.out).at(0) == "cwd=" + fs::canonical(elsewhere).native());
}

TEST_CASE("stdin reaches the program, and stdout and stderr stay apart") {
  Sandbox sandbox;
  std::string input;
  for (int i = 0; input.size() < 200'000; ++i) input += "line " + std::to_string(i) + "\n";
  input.resize(200'000);  // more than a pipe holds: it must stream
  Outcome run = sandbox.tproc({"run", "s", program("cat_stdin")}, {.input = input});
  REQUIRE_THAT(run, ExitsWith(0));
  CHECK(run.out == input);
  CHECK(run.err == "200000 bytes\n");
}

TEST_CASE("the hello sample runs") {
  Sandbox sandbox;
  Outcome run = sandbox.tproc({"run", "s", sample("hello", "hello")});
  REQUIRE_THAT(run, ExitsWith(0));
  CHECK(run.out.rfind("hello from tproc (pid ", 0) == 0);
}

TEST_CASE("an unmodified host program runs") {
  Sandbox sandbox;
  REQUIRE(fs::exists("/bin/echo"));
  Outcome run = sandbox.tproc({"run", "s", "/bin/echo", "hello", "world"});
  REQUIRE_THAT(run, ExitsWith(0));
  CHECK(run.out == "hello world\n");
}

TEST_CASE("a bad program is refused with one line naming the file, and the space keeps serving") {
  Sandbox sandbox;
  REQUIRE_THAT(sandbox.tproc({"run", "s", program("exit_with"), "0"}), ExitsWith(0));
  const pid_t daemon = sandbox.daemon_pid("s");

  SECTION("a missing path") {
    std::string path = (sandbox.root() / "no-such-program").native();
    CHECK_THAT(sandbox.tproc({"run", "s", path}),
               IsOneLineError().naming(path).because_of(
                   {"No such file", "not found", "does not exist"}));
  }
  SECTION("a directory") {
    fs::path dir = sandbox.root() / "subdir";
    fs::create_directory(dir);
    CHECK_THAT(sandbox.tproc({"run", "s", dir.native()}),
               IsOneLineError().naming(dir.native()).because_of({"directory"}));
  }
  SECTION("a file without execute permission") {
    std::string path = sandbox.write_file("not-executable", read_file(program("exit_with")), 0644);
    CHECK_THAT(sandbox.tproc({"run", "s", path, "0"}),
               IsOneLineError().naming(path).because_of({"Permission denied", "executable"}));
  }
  SECTION("a binary file that is not ELF") {
    // Text would run with /bin/sh, as execvp runs it (tests/e2e/exec_test.cpp); a NUL marks a binary.
    std::string path = sandbox.write_file("not-elf", std::string("\x7f" "ELV\0 not a program\n", 20));
    CHECK_THAT(sandbox.tproc({"run", "s", path}),
               IsOneLineError().naming(path).because_of({"ELF", "magic", "format"}));
  }
  SECTION("a truncated ELF") {
    std::string image = read_file(program("exit_with"));
    image.resize(1000);  // headers intact, segments cut off
    std::string path = sandbox.write_file("truncated", image);
    CHECK_THAT(sandbox.tproc({"run", "s", path, "0"}),
               IsOneLineError().naming(path).because_of(
                   {"truncat", "beyond", "past", "outside", "out of bounds", "end of file",
                    "too short", "short read"}));
  }
  SECTION("a 32-bit ELF") {
    std::string path = sandbox.write_file("elf32", craft_elf32_i386());
    CHECK_THAT(sandbox.tproc({"run", "s", path}),
               IsOneLineError().naming(path).because_of({"32-bit", "ELFCLASS32", "class"}));
  }
  SECTION("an ELF for another architecture") {
    std::string path = sandbox.write_file("riscv64", craft_elf64_riscv());
    CHECK_THAT(sandbox.tproc({"run", "s", path}),
               IsOneLineError().naming(path).because_of({"riscv", "machine", "architecture"}));
  }
  SECTION("a program whose interpreter is missing") {
    std::string image = read_file(program("exit_with"));
    std::string interpreter = elf_interpreter(image);
    REQUIRE(interpreter.size() > 12);
    std::string missing = "/nonexistent/" + std::string(interpreter.size() - 13, 'x');
    std::string path = sandbox.write_file("no-interpreter", with_interpreter(image, missing));
    CHECK_THAT(sandbox.tproc({"run", "s", path, "0"}),
               IsOneLineError().naming(path).naming(missing).because_of(
                   {"No such file", "not found", "missing"}));
  }

  CHECK_THAT(sandbox.tproc({"run", "s", program("exit_with"), "0"}), ExitsWith(0));
  CHECK(sandbox.daemon_pid("s") == daemon);
  CHECK(process_alive(daemon));
}
