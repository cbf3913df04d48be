// The compatibility suite (issue 13): real Debian programs and shell habits, each run natively and
// through `tproc run` in one space, with stdout, stderr and exit status compared byte for byte.
//
// A case is either a program (argv, maybe stdin), run natively through /usr/bin/env (execvp, as a
// shell would) and as `tproc run compat ARGV...`; or a bash snippet in which $RUN is empty
// natively and `tproc run compat` in the space, for what the caller's shell sets up around the
// program (pipes, redirections, umask, a parent watching how it ended). Cases marked
// `expected_to_differ` are constructs another part of the runtime owns and has not landed yet:
// they run and are reported, and fail nothing; every other case must match. The last test case
// prints the whole table (README: "Compatibility").
//
// Programs that are not installed are skipped with a warning (scripts/install-deps installs them).

#include <catch2/catch.hpp>

#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
namespace fs = std::filesystem;

namespace {

struct Case {
  std::string name;
  std::vector<std::string> argv;  ///< a program and its arguments; or empty, and `snippet` is set
  std::string snippet;            ///< a bash -c script with $RUN
  std::optional<std::string> input;
  std::string needs;              ///< a file that must exist (else skipped)
  bool expected_to_differ = false;
  std::string why;                ///< for expected_to_differ: whose item it is
};

/// The fixtures the cases read, written once into the sandbox (the working directory of every case).
void write_fixtures(Sandbox& sandbox) {
  sandbox.write_file("words.txt", "banana 3\napple 10\ncherry 7\napple 2\nfoo fooo\n", 0644);
  sandbox.write_file("other.txt", "banana 3\napple 11\ncherry 7\n", 0644);
  sandbox.write_file("passwd.txt", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n", 0644);
  sandbox.write_file("data.json", "{\"a\": {\"b\": [1, 2, 3]}, \"name\": \"tproc\"}\n", 0644);
  sandbox.write_file("tree/a.txt", "a\n", 0644);
  sandbox.write_file("tree/sub/b.txt", "bb\n", 0644);
  sandbox.write_file("tree/sub/c.dat", "ccc\n", 0644);
  sandbox.write_file("hello.c", "#include <stdio.h>\nint main(int c, char** v) { printf(\"hello from C, %d args\\n\", c); return 0; }\n", 0644);
  sandbox.write_file("Hello.java",
                     "public class Hello { public static void main(String[] a) { System.out.println(\"hello from java \" + a.length); } }\n",
                     0644);
  sandbox.write_file("Makefile", "all: one two\none:\n\t@echo made one\ntwo:\n\t@echo made two; exit 0\n", 0644);
  sandbox.write_file("script.sh", "#!/bin/sh\nset -eu\necho \"sh: $0 $# $*\"\nfor w in \"$@\"; do printf '[%s]\\n' \"$w\"; done\n");
  sandbox.write_file("script.bash",
                     "#!/bin/bash\nwords=(\"$@\")\n[[ ${#words[@]} -gt 1 ]] && echo \"bash: ${#words[@]} words, last ${words[-1]}\"\n"
                     "declare -A seen=([x]=1)\necho \"assoc ${seen[x]}\" >&2\nexit 5\n");
  sandbox.write_file("script.py",
                     "#!/usr/bin/python3\nimport hashlib, json, sys\n"
                     "print(json.dumps({'argv': sys.argv[1:], 'sha': hashlib.sha256(b'x').hexdigest()[:12]}, sort_keys=True))\n"
                     "print('to stderr', file=sys.stderr)\nsys.exit(len(sys.argv))\n");
  sandbox.write_file("envpy.py", "#!/usr/bin/env python3\nimport sys\nprint('found by env:', sys.version_info[0])\n");
  sandbox.write_file("script.pl", "#!/usr/bin/perl -w\nuse strict;\nmy @w = map { uc } @ARGV;\nprint join(',', @w), \"\\n\";\nwarn \"perl warns\\n\";\nexit 2;\n");
  sandbox.write_file("script.tcl", "#!/usr/bin/tclsh\nputs \"tcl [expr {6 * 7}] $argv\"\n");
  // An interpreter chain: chained -> middle (a script) -> /bin/sh.
  sandbox.write_file("middle", "#!/bin/sh\necho \"middle: $*\"\n");
  sandbox.write_file("chained", "#!" + (sandbox.root() / "middle").native() + " -v\n");
}

std::vector<Case> cases() {
  return {
      {"sh script (#!/bin/sh)", {"./script.sh", "a b", "c"}},
      {"bash script (arrays, [[ ]], exit 5)", {"./script.bash", "x", "y"}},
      {"python3 script (json, hashlib, stderr, exit)", {"./script.py", "one", "two"}, "", {}, "/usr/bin/python3"},
      {"#!/usr/bin/env python3 script", {"./envpy.py"}, "", {}, "/usr/bin/python3"},
      {"perl script (-w, warn, exit 2)", {"./script.pl", "a", "b"}, "", {}, "/usr/bin/perl"},
      {"tclsh script", {"./script.tcl", "q"}, "", {}, "/usr/bin/tclsh"},
      {"interpreter chain (script -> script -> sh)", {"./chained", "arg"}},
      {"PATH search: ls", {"ls", "-1", "tree"}},
      {"ls of a missing file (exit 2, stderr)", {"ls", "/nonexistent-compat"}},
      {"sort -k2n", {"sort", "-k2n", "words.txt"}},
      {"uniq -c of stdin", {"uniq", "-c"}, "", "a\na\nb\na\n"},
      {"wc", {"wc", "words.txt", "other.txt"}},
      {"cut -d: -f1,3", {"cut", "-d:", "-f1,3", "passwd.txt"}},
      {"tr of stdin", {"tr", "a-z", "A-Z"}, "", "shout\n"},
      {"seq", {"seq", "-s,", "1", "20"}},
      {"factor", {"factor", "1234567890", "97"}},
      {"grep -nE", {"grep", "-nE", "fo+|app", "words.txt"}},
      {"grep without a match (exit 1)", {"grep", "-c", "zzz", "words.txt"}},
      {"sed", {"sed", "-e", "s/a/A/g", "-e", "2d", "words.txt"}},
      {"awk (mawk): sums", {"awk", "{ s[$1] += $2 } END { for (k in s) n++; print n, s[\"apple\"] }", "words.txt"}},
      {"sha256sum", {"sha256sum", "words.txt", "other.txt"}},
      {"base64", {"base64", "words.txt"}},
      {"od", {"od", "-An", "-tx1", "other.txt"}},
      {"diff (exit 1)", {"diff", "words.txt", "other.txt"}},
      {"cmp (exit 1)", {"cmp", "words.txt", "other.txt"}},
      {"find", {"find", "tree", "-name", "*.txt", "-type", "f"}},
      {"xargs", {"xargs", "-n", "2", "echo"}, "", "1 2 3 4 5\n"},
      {"date with TZ", {"env", "TZ=Asia/Tokyo", "date", "-d", "@86400", "+%F %T %Z"}},
      {"date -u", {"date", "-u", "-d", "2024-02-29 12:00", "+%s %A"}},
      {"env -i", {"env", "-i", "A=1", "/usr/bin/env"}},
      {"bc -l", {"bc", "-l"}, "", "scale=20; 4*a(1)\n", "/usr/bin/bc"},
      {"jq", {"jq", "-c", ".a.b, .name", "data.json"}, "", {}, "/usr/bin/jq"},
      {"sqlite3", {"sqlite3", ":memory:", "select 6*7, upper('x');"}, "", {}, "/usr/bin/sqlite3"},
      {"file (libmagic)", {"file", "-b", "hello.c", "data.json"}, "", {}, "/usr/bin/file"},
      {"git hash-object", {"git", "hash-object", "words.txt"}, "", {}, "/usr/bin/git"},
      {"make (runs sh for each recipe)", {"make", "-s"}, "", {}, "/usr/bin/make"},
      {"node (non-PIE)", {"node", "-e", "console.log([1,2,3].map(x => x * 2).join(' '))"}, "", {}, "/usr/bin/node"},
      {"clang -o (execs /proc/self/exe -cc1)", {"clang", "-o", "hello", "hello.c"}, "", {}, "/usr/bin/clang"},
      {"the program clang made", {"./hello", "x"}, "", {}, "/usr/bin/clang"},
      {"javac (finds its home from /proc/self/exe)", {"javac", "-d", "classes", "Hello.java"}, "", {}, "/usr/bin/javac"},
      {"java", {"java", "-cp", "classes", "Hello", "a"}, "", {}, "/usr/bin/javac"},
      {"valgrind memcheck (a #! wrapper; its tool munmaps the vDSO)", {"valgrind", "-q", "--error-exitcode=3", "/bin/echo", "checked"}, "", {}, "/usr/bin/valgrind"},
      {"psql --version (Debian's perl wrapper)", {"psql", "--version"}, "", {}, "/usr/bin/psql"},
      {"busybox-static sh applets", {"busybox", "sh", "-c", "echo bb $((6*7)); busybox basename /a/b/c"}, "", {}, "/usr/bin/busybox"},
      {"busybox-static sha256sum", {"busybox", "sha256sum", "words.txt"}, "", {}, "/usr/bin/busybox"},
      {"tar piped into sha256sum", {}, "$RUN tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - tree | sha256sum"},
      {"gzip -c piped into gzip -d", {}, "$RUN gzip -c -n words.txt | $RUN gzip -d | sha256sum"},
      {"xz round trip", {}, "$RUN xz -c -T1 words.txt | xz -d | wc -c", {}, "/usr/bin/xz"},
      {"ldd (a bash script running ld.so; addresses vary from run to run, so dropped)", {},
       "$RUN ldd /bin/true | sed 's/ (0x[0-9a-f]*)//'"},
      {"exit status through the shell", {}, "$RUN sh -c 'exit 3'; echo status $?"},
      {"a parent sees SIGTERM (python returncode -15)", {},
       "python3 -c 'import subprocess, sys; print(subprocess.run(sys.argv[1:]).returncode)' $RUN sh -c 'kill -TERM $$'", {},
       "/usr/bin/python3"},
      {"a parent sees SIGSEGV (python returncode -11)", {},
       "ulimit -c 0; python3 -c 'import subprocess, sys; print(subprocess.run(sys.argv[1:]).returncode)' $RUN python3 -c "
       "'import os, signal; os.kill(os.getpid(), signal.SIGSEGV)'",
       {}, "/usr/bin/python3"},
      {"process substitution: cat <(...)", {}, "$RUN cat <(echo substituted)"},
      {"an fd the caller opened: 3<file", {}, "$RUN cat /dev/fd/3 3<words.txt"},
      {"exec 5>file, then the program writes to 5", {}, "exec 5>fd5.out; $RUN sh -c 'echo to five >&5'; exec 5>&-; cat fd5.out"},
      {"umask", {}, "umask 027; $RUN sh -c umask"},
      {"ulimit -n", {}, "ulimit -n 123; $RUN sh -c 'ulimit -n'"},
      {"nice", {}, "nice -n 5 $RUN nice"},
  };
}

struct Result {
  std::string name;
  std::string verdict;  ///< "same", "differs", "differs (expected: WHO)", "skipped"
};

std::vector<Result>& results() {
  static std::vector<Result> all;
  return all;
}

/// The environment every case gets, natively and in the space: a fixed PATH and locale.
const std::vector<std::string> kEnvironment = {"PATH=/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"};

Outcome run_case(Sandbox& sandbox, const Case& c, bool in_space) {
  SpawnOptions options{.extra_env = kEnvironment, .input = c.input};
  const std::string run = tproc_binary() + " run compat";
  if (!c.argv.empty()) {
    std::vector<std::string> argv = c.argv;
    if (in_space) {
      argv.insert(argv.begin(), {tproc_binary(), "run", "compat"});
    } else {
      argv.insert(argv.begin(), "/usr/bin/env");
    }
    return sandbox.run_direct(argv, options, std::chrono::seconds(120));
  }
  options.extra_env.push_back("RUN=" + (in_space ? run : std::string()));
  return sandbox.run_direct({"/bin/bash", "-c", c.snippet}, options, std::chrono::seconds(120));
}

}  // namespace

TEST_CASE("real programs and shell habits behave in a space as they do directly") {
  Sandbox sandbox;
  write_fixtures(sandbox);
  REQUIRE_THAT(sandbox.tproc({"run", "compat", program("exit_with"), "0"}), ExitsWith(0));  // the daemon runs
  const pid_t daemon = sandbox.daemon_pid("compat");
  for (const Case& c : cases()) {
    if (!c.needs.empty() && !fs::exists(c.needs)) {
      WARN("skipped: " << c.name << " (" << c.needs << " is not installed)");
      results().push_back({c.name, "skipped (not installed)"});
      continue;
    }
    const Outcome native = run_case(sandbox, c, false);
    const Outcome spaced = run_case(sandbox, c, true);
    const bool same = native.status == spaced.status && native.out == spaced.out && native.err == spaced.err && !spaced.timed_out;
    if (c.expected_to_differ) {
      results().push_back({c.name, same ? "same (was expected to differ: " + c.why + ")" : "differs (expected: " + c.why + ")"});
      continue;
    }
    results().push_back({c.name, same ? "same" : "DIFFERS"});
    INFO(c.name << "\nnative: " << native << "\nin a space: " << spaced);
    CHECK(native.status == spaced.status);
    CHECK(native.out == spaced.out);
    CHECK(native.err == spaced.err);
  }
  // Nothing above disturbed the space.
  CHECK(sandbox.daemon_pid("compat") == daemon);
  CHECK_THAT(sandbox.tproc({"run", "compat", program("exit_with"), "0"}), ExitsWith(0));

  std::ostringstream table;
  table << "| workload | result |\n|---|---|\n";
  for (const Result& result : results()) table << "| " << result.name << " | " << result.verdict << " |\n";
  std::printf("%s", table.str().c_str());
  CHECK(results().size() >= 30);
}
