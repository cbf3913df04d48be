// tproc-oci (issue 19): the OCI runtime command line (create, start, state, kill, delete) on a
// runtime bundle, driven the way a monitor (conmon) drives it: a monitor process that is a child
// subreaper runs `create`, reads the pid file, runs `start`, and waits for that pid, whose exit
// status is the container's. The container is a tproc of the space its annotation names.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
namespace fs = std::filesystem;

namespace {

std::string oci_binary() { return fs::path(full_cli_binary()).parent_path() / "tproc-oci"; }

/// What conmon does, in Python (ctypes prctl): become a child subreaper, create the container,
/// start it, wait for the pid in the pid file and print "exit N" or "signal N".
constexpr const char* kMonitor = R"(import ctypes, os, subprocess, sys
oci, root, bundle, ident = sys.argv[1:5]
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
pid_file = os.path.join(os.path.dirname(bundle), ident + ".pid")
subprocess.run([oci, "--root", root, "create", "--bundle", bundle, "--pid-file", pid_file, ident], check=True)
pid = int(open(pid_file).read())
state = subprocess.run([oci, "--root", root, "state", ident], check=True, capture_output=True, text=True).stdout
print("state before start: " + ("created" if '"status": "created"' in state else state), file=sys.stderr, flush=True)
subprocess.run([oci, "--root", root, "start", ident], check=True)
_, status = os.waitpid(pid, 0)
print("exit %d" % os.WEXITSTATUS(status) if os.WIFEXITED(status) else "signal %d" % os.WTERMSIG(status), file=sys.stderr)
)";

void copy_into(const fs::path& root, const fs::path& file) {
  fs::create_directories(root / file.relative_path().parent_path());
  fs::copy_file(file, root / file.relative_path(), fs::copy_options::overwrite_existing);
}

/// A bundle: rootfs/ with busybox-static and the shared-string samples (and their libraries),
/// and config.json with `process` (a JSON object's text; none if empty) and `extra` top-level members.
fs::path make_bundle(Sandbox& sandbox, const std::string& name, const std::string& process,
                     const std::string& extra = "") {
  const fs::path bundle = sandbox.root() / name;
  const fs::path root = bundle / "rootfs";
  fs::create_directories(root / "proc");
  fs::create_directories(root / "app");
  copy_into(root, "/bin/busybox");
  for (const char* program : {"allocstr", "printstr"}) {
    const std::string path = sample("sharedstr", program);
    fs::copy_file(path, root / "app" / program);
    Outcome listed = sandbox.run_direct({"/lib64/ld-linux-x86-64.so.2", "--list", path});
    std::istringstream lines(listed.out);
    for (std::string line; std::getline(lines, line);)
      if (const size_t slash = line.find('/'); slash != std::string::npos)
        copy_into(root, line.substr(slash, line.find(' ', slash) - slash));
  }
  copy_into(root, "/lib64/ld-linux-x86-64.so.2");
  std::ofstream(bundle / "config.json")
      << R"({"ociVersion": "1.0.2", )" << (process.empty() ? "" : R"("process": )" + process + ", ")
      << R"("root": {"path": "rootfs"}, "hostname": "ocibox",
  "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
  "linux": {"namespaces": [{"type": "mount"}, {"type": "pid"}, {"type": "uts"}, {"type": "network"}]},
  "annotations": {"io.tproc.space": "demo"})"
      << extra << "}\n";
  return bundle;
}

std::string process(const std::string& args) {
  return R"({"args": )" + args + R"(, "env": ["PATH=/bin", "GREETING=hello"], "cwd": "/app", "user": {"uid": 0, "gid": 0},
  "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}]})";
}

}  // namespace

TEST_CASE("a container runs as a tproc: create waits, start runs it, its pid ends with its status") {
  Sandbox sandbox;
  const fs::path bundle = make_bundle(
      sandbox, "bundle",
      process(R"(["/bin/busybox", "sh", "-c", "echo $GREETING from $(busybox hostname) as pid $$ in $(busybox pwd) with $(ulimit -n) files; exit 3"])"));
  const std::string monitor = sandbox.write_file("monitor.py", kMonitor);
  const std::string root = sandbox.root() / "oci-state";

  Outcome ran = sandbox.run_direct({"/usr/bin/python3", monitor, oci_binary(), root, bundle, "c1"});
  CHECK(ran.out == "hello from ocibox as pid 1 in /app with 123 files\n");
  CHECK(ran.err == "state before start: created\nexit 3\n");

  Outcome state = sandbox.run_direct({oci_binary(), "--root", root, "state", "c1"});
  REQUIRE_THAT(state, ExitsWith(0));
  CHECK(state.out.find(R"("status": "stopped")") != std::string::npos);
  CHECK(state.out.find(R"("io.tproc.space": "demo")") != std::string::npos);
  CHECK(state.out.find(R"("bundle": ")" + bundle.string() + "\"") != std::string::npos);

  REQUIRE_THAT(sandbox.run_direct({oci_binary(), "--root", root, "delete", "c1"}), ExitsWith(0));
  CHECK_THAT(sandbox.run_direct({oci_binary(), "--root", root, "state", "c1"}),
             IsOneLineError().from("tproc-oci").naming("container c1").because_of({"exist"}));
  CHECK(fs::is_empty(root));
}

TEST_CASE("a container shares its space's memory: it prints a string another tproc made") {
  Sandbox sandbox;
  ChildProcess allocstr = sandbox.start_tproc({"run", "demo", sample("sharedstr", "allocstr"), "from outside"},
                                              {.keep_stdin_open = true});
  std::optional<std::string> address = allocstr.first_line();
  REQUIRE(address);
  const fs::path bundle = make_bundle(sandbox, "bundle", process(R"(["/app/printstr", ")" + *address + "\"]"));
  const std::string monitor = sandbox.write_file("monitor.py", kMonitor);
  Outcome ran = sandbox.run_direct({"/usr/bin/python3", monitor, oci_binary(), sandbox.root() / "oci-state", bundle, "c2"});
  CHECK(ran.out == "from outside\n");
  CHECK(ran.err.find("exit 0\n") != std::string::npos);
  allocstr.close_stdin();
  CHECK_THAT(allocstr.wait(), ExitsWith(0));
}

TEST_CASE("kill reaches the container's process through its stand-in, and delete --force ends a running one") {
  Sandbox sandbox;
  const fs::path bundle = make_bundle(sandbox, "bundle", process(R"(["/bin/busybox", "sleep", "60"])"));
  const std::string root = sandbox.root() / "oci-state";
  ChildProcess monitor = sandbox.start_direct(
      {"/usr/bin/python3", sandbox.write_file("monitor.py", kMonitor), oci_binary(), root, bundle, "c3"});
  REQUIRE(eventually([&] {
    Outcome state = sandbox.run_direct({oci_binary(), "--root", root, "state", "c3"});
    return state.out.find(R"("status": "running")") != std::string::npos;
  }));
  // pid 1 of its PID namespace ignores what it has no handler for; SIGKILL always ends it.
  REQUIRE_THAT(sandbox.run_direct({oci_binary(), "--root", root, "kill", "c3", "KILL"}), ExitsWith(0));
  Outcome ended = monitor.wait();
  CHECK(ended.err.find("signal 9\n") != std::string::npos);
  CHECK_THAT(sandbox.run_direct({oci_binary(), "--root", root, "kill", "c3", "TERM"}),
             IsOneLineError().from("tproc-oci").naming("container c3").because_of({"not running"}));
  REQUIRE_THAT(sandbox.run_direct({oci_binary(), "--root", root, "delete", "--force", "c3"}), ExitsWith(0));
  // Deleting what is gone is done, with --force, as podman's cleanup expects.
  CHECK_THAT(sandbox.run_direct({oci_binary(), "--root", root, "delete", "--force", "c3"}), ExitsWith(0));
}

TEST_CASE("a container without a process is created, and start refuses it and leaves it stopped") {
  Sandbox sandbox;
  const fs::path bundle = make_bundle(sandbox, "bundle", "");
  const std::string root = sandbox.root() / "oci-state";
  auto oci = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {oci_binary(), "--root", root});
    return sandbox.run_direct(args);
  };
  // The runtime spec requires process when start is called, not at create.
  REQUIRE_THAT(oci({"create", "--bundle", bundle, "c5"}), ExitsWith(0));
  CHECK(oci({"state", "c5"}).out.find(R"("status": "created")") != std::string::npos);
  CHECK_THAT(oci({"start", "c5"}),
             IsOneLineError().from("tproc-oci").naming("container c5").because_of({"no process to start"}));
  REQUIRE(eventually([&] { return oci({"state", "c5"}).out.find(R"("status": "stopped")") != std::string::npos; }));
  CHECK_THAT(oci({"start", "c5"}), IsOneLineError().from("tproc-oci").naming("container c5").because_of({"not created"}));
  REQUIRE_THAT(oci({"delete", "c5"}), ExitsWith(0));
  CHECK(fs::is_empty(root));
}

TEST_CASE("a create that fails leaves nothing under its ID, so the ID can be created again") {
  Sandbox sandbox;
  const fs::path bundle = make_bundle(sandbox, "bundle", process(R"(["/bin/busybox", "true"])"));
  const std::string root = sandbox.root() / "oci-state";
  auto oci = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {oci_binary(), "--root", root});
    return sandbox.run_direct(args);
  };
  // The pid file is written last, after the stand-in is forked and the state saved.
  CHECK_THAT(oci({"create", "--bundle", bundle, "--pid-file", sandbox.root() / "no-such-dir" / "pid", "c6"}),
             IsOneLineError().from("tproc-oci").naming("--pid-file").because_of({"No such file"}));
  CHECK_THAT(oci({"state", "c6"}), IsOneLineError().from("tproc-oci").naming("container c6").because_of({"exist"}));
  CHECK(fs::is_empty(root));
  REQUIRE_THAT(oci({"create", "--bundle", bundle, "--pid-file", sandbox.root() / "pid", "c6"}), ExitsWith(0));
  CHECK(oci({"state", "c6"}).out.find(R"("status": "created")") != std::string::npos);
  REQUIRE_THAT(oci({"delete", "--force", "c6"}), ExitsWith(0));

  // What a create killed before it saved the state leaves: delete --force removes it.
  fs::create_directories(fs::path(root) / "c7");
  REQUIRE_THAT(oci({"delete", "--force", "c7"}), ExitsWith(0));
  CHECK(fs::is_empty(root));
}

TEST_CASE("what tproc-oci cannot honour is refused with one line naming the config.json field") {
  Sandbox sandbox;
  const std::string root = sandbox.root() / "oci-state";
  auto create = [&](const fs::path& bundle) {
    return sandbox.run_direct({oci_binary(), "--root", root, "create", "--bundle", bundle, "bad"});
  };
  CHECK_THAT(create(make_bundle(sandbox, "caps", R"({"args": ["/bin/busybox"], "capabilities": {"bounding": []}})")),
             IsOneLineError().from("tproc-oci").naming("config.json process.capabilities").because_of({"not supported"}));
  CHECK_THAT(create(make_bundle(sandbox, "user", R"({"args": ["/bin/busybox"], "user": {"uid": 1000, "gid": 1000}})")),
             IsOneLineError().from("tproc-oci").naming("config.json process.user").because_of({"not supported"}));
  CHECK_THAT(create(make_bundle(sandbox, "seccomp", process(R"(["/bin/busybox"])"), R"(, "hooks": {"prestart": []})")),
             IsOneLineError().from("tproc-oci").naming("config.json hooks").because_of({"not supported"}));
  CHECK_THAT(create(make_bundle(sandbox, "as", R"({"args": ["/bin/busybox"], "rlimits": [{"type": "RLIMIT_AS", "soft": 1, "hard": 1}]})")),
             IsOneLineError().from("tproc-oci").naming("config.json process.rlimits RLIMIT_AS").because_of({"shared address space"}));
  CHECK_THAT(sandbox.run_direct({oci_binary(), "--root", root, "start", "../etc"}),
             IsOneLineError().from("tproc-oci").naming("container ID '../etc'").because_of({"not a container ID"}));
  CHECK_THAT(sandbox.run_direct({oci_binary(), "--root", root, "frobnicate"}),
             IsOneLineError().from("tproc-oci").naming("unknown command 'frobnicate'").because_of({"help"}));
  // Nothing was left behind by the refused creates.
  CHECK((!fs::exists(root) || fs::is_empty(root)));

  Outcome version = sandbox.run_direct({oci_binary(), "--version"});
  REQUIRE_THAT(version, ExitsWith(0));
  CHECK(version.out.rfind("tproc-oci version ", 0) == 0);
  Outcome features = sandbox.run_direct({oci_binary(), "features"});
  REQUIRE_THAT(features, ExitsWith(0));
  CHECK(features.out.find(R"("namespaces": [)") != std::string::npos);
}

TEST_CASE("podman calls tproc-oci, and a container with podman's defaults is refused on the first field not honoured yet") {
  Sandbox sandbox;
  if (!fs::exists("/usr/bin/podman")) {
    WARN("podman is not installed (scripts/install-deps installs it): skipped");
    return;
  }
  // An image made offline from files on this machine, in storage of the sandbox's own, so the
  // machine's podman state is never touched (no network namespace file: --network none).
  const fs::path image = sandbox.root() / "image";
  copy_into(image, "/bin/busybox");
  const std::vector<std::string> podman = {"/usr/bin/podman",          "--root",
                                           sandbox.root() / "podman",  "--runroot",
                                           sandbox.root() / "podman-run", "--tmpdir",
                                           sandbox.root() / "podman-tmp", "--storage-driver",
                                           "vfs",                       "--events-backend",
                                           "none",                      "--cgroup-manager",
                                           "cgroupfs"};
  auto with = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = podman;
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  };
  REQUIRE_THAT(sandbox.run_direct({"/bin/tar", "-C", image, "-cf", sandbox.root() / "image.tar", "."}), ExitsWith(0));
  REQUIRE_THAT(sandbox.run_direct(with({"import", sandbox.root() / "image.tar", "localhost/tproc-probe"})), ExitsWith(0));

  Outcome ran = sandbox.run_direct(with({"run", "--rm", "--runtime", oci_binary(), "--network", "none", "--annotation", "io.tproc.space=demo", "localhost/tproc-probe",
                                         "/bin/busybox", "echo", "hi"}));
  CHECK(ran.status != 0);
  CHECK(ran.out.empty());
  // What podman shows its user: tproc-oci's own line, naming the field.
  INFO(ran.err);
  CHECK(ran.err.find("tproc-oci: config.json process.capabilities: not supported by tproc-oci yet") != std::string::npos);
  // podman cleaned up through `delete --force`: nothing is left of the container.
  Outcome listed = sandbox.run_direct(with({"ps", "-a", "-q"}));
  REQUIRE_THAT(listed, ExitsWith(0));
  CHECK(listed.out.empty());
  sandbox.run_direct(with({"system", "reset", "--force"}));
}
