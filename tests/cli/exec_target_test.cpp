// ExecTarget (cli/exec_target.hpp): the PATH search of execvp and the #! line as the kernel's
// binfmt_script reads it, on real files in a temporary directory.

#include "cli/exec_target.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using tproc::cli::ExecTarget;
using tproc::cli::resolve_exec_target;

namespace {

/// A temporary directory, removed with everything in it.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "exec-target-XXXXXX").native();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  std::string write(const std::string& name, const std::string& bytes, mode_t mode = 0755) const {
    const fs::path file = path / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << bytes;
    ::chmod(file.c_str(), mode);
    return file.native();
  }
};

/// The argv the target would start with, for TARGET typed as `typed` and ARGS `args`.
std::vector<std::string> argv_of(const ExecTarget& target, const char* typed) {
  std::vector<const char*> words(target.argv_prefix_size());
  target.argv_prefix(typed, words.data());
  return {words.begin(), words.end()};
}

}  // namespace

TEST_CASE("A #! line gives its interpreter and one optional argument, trimmed") {
  TempDir dir;
  const std::string script = dir.write("s", "#!  /bin/sh \t -e -u  \necho\n");
  ExecTarget sut;
  REQUIRE(resolve_exec_target(script.c_str(), nullptr, sut));
  CHECK(argv_of(sut, "typed") == std::vector<std::string>{"/bin/sh", "-e -u", script});
  CHECK(sut.path == script);

  const std::string bare = dir.write("bare", "#!/bin/sh");  // no newline: the file's end (NUL padding) ends it
  ExecTarget bare_target;
  REQUIRE(resolve_exec_target(bare.c_str(), nullptr, bare_target));
  CHECK(argv_of(bare_target, "x") == std::vector<std::string>{"/bin/sh", bare});

  // A NUL right after the name ends the line there: no argument.
  const std::string nul = dir.write("nul", std::string("#!/bin/sh\0 -x\n", 14));
  ExecTarget nul_target;
  REQUIRE(resolve_exec_target(nul.c_str(), nullptr, nul_target));
  CHECK(argv_of(nul_target, "x") == std::vector<std::string>{"/bin/sh", nul});
}

TEST_CASE("A #! line longer than 256 bytes keeps its interpreter and truncates its argument, as Linux does") {
  TempDir dir;
  const std::string script = dir.write("long", "#!/bin/sh " + std::string(300, 'a') + "\n");
  ExecTarget sut;
  REQUIRE(resolve_exec_target(script.c_str(), nullptr, sut));
  const std::vector<std::string> argv = argv_of(sut, "x");
  REQUIRE(argv.size() == 3);
  CHECK(argv[0] == "/bin/sh");
  CHECK(argv[1] == std::string(256 - 1 - 10, 'a'));  // bytes 10..254: the last byte of the buffer ends it

  // An interpreter name that does not end within the 256 bytes would be truncated: the kernel
  // refuses it (ENOEXEC), and execvp then runs the file with /bin/sh. So does a blank #! line.
  const std::string truncated = dir.write("truncated", "#!/" + std::string(300, 'b') + "\n");
  ExecTarget refused;
  REQUIRE(resolve_exec_target(truncated.c_str(), nullptr, refused));
  CHECK(argv_of(refused, "x") == std::vector<std::string>{"/bin/sh", truncated});

  const std::string blank = dir.write("blank", "#!  \t\n");
  ExecTarget no_name;
  REQUIRE(resolve_exec_target(blank.c_str(), nullptr, no_name));
  CHECK(argv_of(no_name, "x") == std::vector<std::string>{"/bin/sh", blank});
}

TEST_CASE("A file that is neither ELF nor #! runs with /bin/sh unless a NUL in its first line shows it is binary") {
  TempDir dir;
  const std::string text = dir.write("text", "echo hi");  // no newline: only the bytes read count
  ExecTarget shell;
  REQUIRE(resolve_exec_target(text.c_str(), nullptr, shell));
  CHECK(argv_of(shell, "x") == std::vector<std::string>{"/bin/sh", text});

  const std::string binary = dir.write("binary", std::string("\x7f" "EL\0F", 5));
  ExecTarget loaded;
  REQUIRE(resolve_exec_target(binary.c_str(), nullptr, loaded));  // the space's loader names what is wrong
  CHECK(loaded.interpreter_count == 0);
  CHECK(argv_of(loaded, "x") == std::vector<std::string>{"x"});
}

TEST_CASE("Nested interpreters stack up in argv, innermost first, five scripts at most") {
  TempDir dir;
  dir.write("s0", "#!/bin/sh\n");
  for (int level = 1; level <= 5; ++level)
    dir.write("s" + std::to_string(level), "#!" + (dir.path / ("s" + std::to_string(level - 1))).native() + " arg" + std::to_string(level) + "\n");
  const std::string s1 = (dir.path / "s1").native(), s0 = (dir.path / "s0").native();
  ExecTarget one;
  REQUIRE(resolve_exec_target(s1.c_str(), nullptr, one));
  CHECK(argv_of(one, "x") == std::vector<std::string>{"/bin/sh", s0, "arg1", s1});

  const std::string s4 = (dir.path / "s4").native(), s5 = (dir.path / "s5").native();
  ExecTarget four;
  REQUIRE(resolve_exec_target(s4.c_str(), nullptr, four));  // five #! files: s4 ... s0
  CHECK(four.interpreter_count == 5);
  ExecTarget five;
  CHECK_FALSE(resolve_exec_target(s5.c_str(), nullptr, five));
  CHECK(five.error == ELOOP);
  CHECK(std::string(five.subject) == s4);
}

TEST_CASE("The PATH search skips what is missing or refused, as execvp does") {
  TempDir dir;
  dir.write("plain-file", "not a directory\n", 0644);
  fs::create_directories(dir.path / "a" / "tool");      // a directory: skipped
  dir.write("b/tool", "#!/bin/sh\n", 0644);             // not executable: skipped
  const std::string found = dir.write("c/tool", "#!/bin/sh\n");
  const std::string path = (dir.path / "missing").native() + ":" + (dir.path / "plain-file").native() + ":" +
                           (dir.path / "a").native() + ":" + (dir.path / "b").native() + ":" + (dir.path / "c").native();
  ExecTarget sut;
  REQUIRE(resolve_exec_target("tool", path.c_str(), sut));
  CHECK(sut.path == found);
  CHECK(argv_of(sut, "tool") == std::vector<std::string>{"/bin/sh", found});

  // Only refused candidates: EACCES; none at all: ENOENT.
  const std::string refusing = (dir.path / "a").native() + ":" + (dir.path / "b").native();
  ExecTarget refused;
  CHECK_FALSE(resolve_exec_target("tool", refusing.c_str(), refused));
  CHECK(refused.error == EACCES);
  ExecTarget missing;
  CHECK_FALSE(resolve_exec_target("no-such-tool", path.c_str(), missing));
  CHECK(missing.error == ENOENT);
  ExecTarget empty;
  CHECK_FALSE(resolve_exec_target("", path.c_str(), empty));
  CHECK(empty.error == ENOENT);

  // No PATH at all: glibc's /bin:/usr/bin.
  ExecTarget by_default;
  REQUIRE(resolve_exec_target("sh", nullptr, by_default));
  CHECK(std::string(by_default.path) == "/bin/sh");
  CHECK(argv_of(by_default, "sh") == std::vector<std::string>{"sh"});
}
