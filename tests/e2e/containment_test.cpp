// tproc run's isolation options (issue 19): --rootfs gives a tproc its own root filesystem,
// --hostname its own hostname, --net its own (or a joined) network namespace, --pid its own PIDs;
// and it still shares the space's memory with every other tproc.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
namespace fs = std::filesystem;

namespace {

/// Copies `file` into `root` at the same path, following symlinks (as a container image has it).
void copy_into(const fs::path& root, const fs::path& file) {
  fs::create_directories(root / file.relative_path().parent_path());
  fs::copy_file(file, root / file.relative_path(), fs::copy_options::overwrite_existing);
}

/// A minimal tree: busybox-static at /bin/busybox, /proc, and `program` at /app/NAME with the
/// interpreter and libraries it needs at their host paths (as ld.so lists them).
fs::path minimal_root(Sandbox& sandbox, const std::string& program_path) {
  const fs::path root = sandbox.root() / "rootfs";
  fs::create_directories(root / "proc");
  fs::create_directories(root / "app");
  copy_into(root, "/bin/busybox");
  fs::copy_file(program_path, root / "app" / fs::path(program_path).filename());
  Outcome listed = sandbox.run_direct({"/lib64/ld-linux-x86-64.so.2", "--list", program_path});
  REQUIRE(listed.status == 0);
  std::istringstream lines(listed.out);
  for (std::string line; std::getline(lines, line);) {
    const size_t slash = line.find('/');
    if (slash == std::string::npos) continue;  // linux-vdso.so.1
    const std::string path = line.substr(slash, line.find(' ', slash) - slash);
    copy_into(root, path);
  }
  copy_into(root, "/lib64/ld-linux-x86-64.so.2");
  return root;
}

std::string marker_in(const fs::path& root) {
  std::ofstream(root / "only-in-the-rootfs") << "yes\n";
  return "only-in-the-rootfs";
}

}  // namespace

TEST_CASE("a program run with --rootfs sees only that tree, and finds its libraries there") {
  Sandbox sandbox;
  const fs::path root = minimal_root(sandbox, sample("sharedstr", "printstr"));
  const std::string marker = marker_in(root);

  Outcome listed = sandbox.tproc({"run", "--rootfs", root, "demo", "/bin/busybox", "ls", "/"});
  REQUIRE_THAT(listed, ExitsWith(0));
  CHECK(listed.out == "app\nbin\nlib\nlib64\n" + marker + "\nproc\n");

  // A name without a slash is found in the tree's bin directories; the working directory is its /.
  Outcome here = sandbox.tproc({"run", "--rootfs", root, "demo", "busybox", "pwd"});
  REQUIRE_THAT(here, ExitsWith(0));
  CHECK(here.out == "/\n");
  Outcome in_app = sandbox.tproc({"run", "--rootfs", root, "--cwd", "/app", "demo", "busybox", "pwd"});
  REQUIRE_THAT(in_app, ExitsWith(0));
  CHECK(in_app.out == "/app\n");

  // No way out: the old root is gone, not just hidden under a chroot.
  Outcome up = sandbox.tproc({"run", "--rootfs", root, "--cwd", "/app", "demo", "busybox", "ls", "../../../.."});
  REQUIRE_THAT(up, ExitsWith(0));
  CHECK(up.out.find(marker) != std::string::npos);
  CHECK(up.out.find("etc") == std::string::npos);

  // Its /proc is its own mount: the host's mounts are not listed there.
  Outcome mounts = sandbox.tproc({"run", "--rootfs", root, "demo", "busybox", "cat", "/proc/self/mounts"});
  REQUIRE_THAT(mounts, ExitsWith(0));
  CHECK(mounts.out.find(" /proc proc ") != std::string::npos);
  CHECK(mounts.out.find(" /tmp ") == std::string::npos);
  CHECK(mounts.out.find(sandbox.root().string()) == std::string::npos);
}

TEST_CASE("a program in a --rootfs still shares memory with the other tprocs of its space") {
  Sandbox sandbox;
  const fs::path root = minimal_root(sandbox, sample("sharedstr", "printstr"));
  ChildProcess allocstr = sandbox.start_tproc({"run", "demo", sample("sharedstr", "allocstr"), "across roots"},
                                              {.keep_stdin_open = true});
  std::optional<std::string> address = allocstr.first_line();
  REQUIRE(address);

  // Its own root, hostname, network and PIDs, and the same memory: it reads allocstr's string.
  Outcome printed = sandbox.tproc({"run", "--rootfs", root, "--hostname", "box", "--net", "none", "--pid", "private",
                                   "demo", "/app/printstr", *address});
  REQUIRE_THAT(printed, ExitsWith(0));
  CHECK(printed.out == "across roots\n");

  allocstr.close_stdin();
  CHECK_THAT(allocstr.wait(), ExitsWith(0));
}

TEST_CASE("run --hostname gives the program a hostname of its own, leaving the machine's") {
  Sandbox sandbox;
  char ours[256] = {};
  ::gethostname(ours, sizeof(ours) - 1);
  Outcome named = sandbox.tproc({"run", "--hostname", "tproc-box", "demo", "/bin/busybox", "hostname"});
  REQUIRE_THAT(named, ExitsWith(0));
  CHECK(named.out == "tproc-box\n");
  Outcome plain = sandbox.tproc({"run", "demo", "/bin/busybox", "hostname"});
  REQUIRE_THAT(plain, ExitsWith(0));
  CHECK(plain.out == std::string(ours) + "\n");
}

TEST_CASE("run --net none leaves the program only a loopback device, and --net ns:PATH joins a namespace") {
  Sandbox sandbox;
  auto devices = [](const std::string& net_dev) {
    std::vector<std::string> names;
    std::istringstream lines(net_dev);
    for (std::string line; std::getline(lines, line);)
      if (const size_t colon = line.find(':'); colon != std::string::npos && line.find('|') == std::string::npos) {
        std::string name = line.substr(0, colon);
        name.erase(0, name.find_first_not_of(' '));
        names.push_back(name);
      }
    return names;
  };
  // /proc/net shows the reader's network namespace.
  Outcome isolated = sandbox.tproc({"run", "--net", "none", "demo", "/bin/busybox", "cat", "/proc/net/dev"});
  REQUIRE_THAT(isolated, ExitsWith(0));
  CHECK(devices(isolated.out) == std::vector<std::string>{"lo"});
  Outcome host = sandbox.tproc({"run", "--net", "host", "demo", "/bin/busybox", "cat", "/proc/net/dev"});
  REQUIRE_THAT(host, ExitsWith(0));
  CHECK(devices(host.out) == devices(sandbox.run_direct({"/bin/busybox", "cat", "/proc/net/dev"}).out));

  // Join the network namespace of a process that has one of its own (unshare, from util-linux).
  ChildProcess holder =
      sandbox.start_direct({"/usr/bin/unshare", "--net", "/bin/sh", "-c", "echo ready && exec /bin/sleep 60"});
  REQUIRE(holder.first_line() == std::optional<std::string>("ready"));
  const std::string path = "/proc/" + std::to_string(holder.pid()) + "/ns/net";
  const std::string namespace_id = fs::read_symlink(path).string();
  CHECK(namespace_id != fs::read_symlink("/proc/self/ns/net").string());
  Outcome joined = sandbox.tproc({"run", "--net", "ns:" + path, "demo", "/bin/busybox", "readlink", "/proc/self/ns/net"});
  REQUIRE_THAT(joined, ExitsWith(0));
  CHECK(joined.out == namespace_id + "\n");
}

TEST_CASE("run --pid private makes the program pid 1 of its own PID namespace") {
  Sandbox sandbox;
  Outcome alone = sandbox.tproc({"run", "--pid", "private", "demo", "/bin/busybox", "sh", "-c", "echo $$; ls /proc; true"});
  REQUIRE_THAT(alone, ExitsWith(0));
  std::istringstream lines(alone.out);
  std::string first;
  std::getline(lines, first);
  CHECK(first == "1");
  // The sh, and the ls it started: the only processes of that namespace.
  std::vector<std::string> pids;
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line.find_first_not_of("0123456789") == std::string::npos) pids.push_back(line);
  CHECK(pids == std::vector<std::string>{"1", "2"});
  // The exit status still comes back as it does for any tproc.
  CHECK_THAT(sandbox.tproc({"run", "--pid", "private", "demo", "/bin/busybox", "sh", "-c", "exit 7"}), ExitsWith(7));
}

TEST_CASE("bad isolation options are refused with one line naming the option and the reason") {
  Sandbox sandbox;
  const fs::path root = minimal_root(sandbox, sample("sharedstr", "printstr"));
  std::filesystem::create_symlink("/etc/passwd", root / "escape");
  const std::string file = sandbox.write_file("plain-file", "x");

  CHECK_THAT(sandbox.tproc({"run", "--rootfs", sandbox.root() / "nope", "demo", "/bin/busybox"}),
             IsOneLineError().naming("--rootfs " + (sandbox.root() / "nope").string()).because_of({"No such file"}));
  CHECK_THAT(sandbox.tproc({"run", "--rootfs", file, "demo", "/bin/busybox"}),
             IsOneLineError().naming("--rootfs " + file).because_of({"Not a directory"}));
  CHECK_THAT(sandbox.tproc({"run", "--rootfs", "/", "demo", "/bin/busybox"}),
             IsOneLineError().naming("--rootfs /").because_of({"root"}));
  CHECK_THAT(sandbox.tproc({"run", "--rootfs", root, "demo", "/app/missing"}),
             IsOneLineError().naming("/app/missing").because_of({"No such file"}));
  // An absolute symlink in the tree resolves inside it, never to the host's file.
  CHECK_THAT(sandbox.tproc({"run", "--rootfs", root, "demo", "/escape"}),
             IsOneLineError().naming("/escape").because_of({"No such file"}));
  CHECK_THAT(sandbox.tproc({"run", "--rootfs", root, "--cwd", "/nowhere", "demo", "/bin/busybox", "true"}),
             IsOneLineError().naming("chdir /nowhere").because_of({"No such file"}));
  CHECK_THAT(sandbox.tproc({"run", "--rootfs", root, "--cwd", "app", "demo", "/bin/busybox", "true"}),
             IsOneLineError().naming("--cwd app").because_of({"absolute"}));
  CHECK_THAT(sandbox.tproc({"run", "--hostname", "not a name", "demo", "/bin/busybox", "true"}),
             IsOneLineError().naming("--hostname 'not a name'").because_of({"host name"}));
  CHECK_THAT(sandbox.tproc({"run", "--net", "bridge", "demo", "/bin/busybox", "true"}),
             IsOneLineError().naming("--net 'bridge'").because_of({"mode"}));
  CHECK_THAT(sandbox.tproc({"run", "--net", "ns:" + file, "demo", "/bin/busybox", "true"}),
             IsOneLineError().naming("--net ns:" + file).because_of({"namespace"}));
  CHECK_THAT(sandbox.tproc({"run", "--pid", "shared", "demo", "/bin/busybox", "true"}),
             IsOneLineError().naming("--pid 'shared'").because_of({"mode"}));

  // None of that disturbed the space: it still runs programs, isolated or not.
  CHECK_THAT(sandbox.tproc({"run", "--rootfs", root, "demo", "busybox", "true"}), ExitsWith(0));
}
