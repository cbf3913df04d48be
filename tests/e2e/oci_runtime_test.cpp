// tproc-oci (issue 19): the OCI runtime command line (create, start, state, kill, delete) on a
// runtime bundle, driven the way a monitor (conmon) drives it: a monitor process that is a child
// subreaper runs `create`, reads the pid file, runs `start`, and waits for that pid, whose exit
// status is the container's. The container is a tproc of the space its annotation names.

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

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

constexpr const char* kProcOnly = R"([{"destination": "/proc", "type": "proc", "source": "proc"}])";
constexpr const char* kNamespaces = R"([{"type": "mount"}, {"type": "pid"}, {"type": "uts"}, {"type": "network"}])";

/// A bundle: rootfs/ with busybox-static and the shared-string samples (and their libraries),
/// and config.json with `process` (a JSON object's text; none if empty), `extra` top-level members,
/// `mounts` and `namespaces` (JSON lists), and `linux_extra` members of `linux`.
fs::path make_bundle(Sandbox& sandbox, const std::string& name, const std::string& process,
                     const std::string& extra = "", const std::string& mounts = kProcOnly,
                     const std::string& namespaces = kNamespaces, const std::string& linux_extra = "") {
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
      << R"("root": {"path": "rootfs"}, "hostname": "ocibox", "mounts": )" << mounts
      << R"(, "linux": {"namespaces": )" << namespaces << linux_extra << R"(}, "annotations": {"io.tproc.space": "demo"})" << extra
      << "}\n";
  return bundle;
}

std::string process(const std::string& args) {
  return R"({"args": )" + args + R"(, "env": ["PATH=/bin", "GREETING=hello"], "cwd": "/app", "user": {"uid": 0, "gid": 0},
  "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}]})";
}

/// One line of /proc/PID/mountinfo: where, the mount's own options, the type, the file system's.
struct MountLine {
  std::string point, options, type, super_options;
};

/// The mounts of a mountinfo text by mount point (the last one at a point: the one on top).
std::map<std::string, MountLine> mounts_of(const std::string& mountinfo) {
  std::map<std::string, MountLine> found;
  std::istringstream lines(mountinfo);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string id, parent, device, root;
    MountLine mount;
    if (!(words >> id >> parent >> device >> root >> mount.point >> mount.options)) continue;
    std::string word;
    while (words >> word && word != "-") {}
    words >> mount.type >> word >> mount.super_options;
    found[mount.point] = mount;
  }
  return found;
}

/// The mount points of a mountinfo text that lie in `dir`: the mounts a test made there. Other tests
/// running beside this one mount in their own directories, so the whole text is no baseline.
std::vector<std::string> mount_points_in(const std::string& mountinfo, const fs::path& dir) {
  std::vector<std::string> points;
  for (const auto& [point, mount] : mounts_of(mountinfo))
    if (point == dir.string() || point.rfind(dir.string() + "/", 0) == 0) points.push_back(point);
  return points;
}

/// Whether the comma-separated `options` hold each of `wanted`.
bool has_options(const std::string& options, std::initializer_list<std::string> wanted) {
  const std::string listed = "," + options + ",";
  for (const std::string& option : wanted)
    if (listed.find("," + option + ",") == std::string::npos) return false;
  return true;
}

/// Podman 4.3.1's default mounts, with the bind sources in `sources` (hostname, resolv.conf,
/// hosts, containerenv files and an shm directory).
std::string podman_mounts(const fs::path& sources) {
  const std::string s = sources.string();
  return R"([
  {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
  {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
  {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
  {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
  {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
  {"destination": "/etc/hostname", "type": "bind", "source": ")" + s + R"(/hostname", "options": ["bind", "rprivate"]},
  {"destination": "/etc/resolv.conf", "type": "bind", "source": ")" + s + R"(/resolv.conf", "options": ["bind", "rprivate", "ro"]},
  {"destination": "/etc/hosts", "type": "bind", "source": ")" + s + R"(/hosts", "options": ["bind", "rprivate"]},
  {"destination": "/dev/shm", "type": "bind", "source": ")" + s + R"(/shm", "options": ["bind", "rprivate", "nosuid", "noexec", "nodev"]},
  {"destination": "/run/.containerenv", "type": "bind", "source": ")" + s + R"(/containerenv", "options": ["bind", "rprivate"]}])";
}

/// The bind sources podman_mounts names, made in `sources`.
void make_mount_sources(const fs::path& sources) {
  fs::create_directories(sources / "shm");
  std::ofstream(sources / "hostname") << "ocibox\n";
  std::ofstream(sources / "resolv.conf") << "nameserver 192.0.2.1\n";
  std::ofstream(sources / "hosts") << "127.0.0.1 localhost\n";
  std::ofstream(sources / "containerenv") << "engine=\"tproc-test\"\n";
}

constexpr const char* kPodmanNamespaces =
    R"([{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}])";

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
  CHECK_THAT(create(make_bundle(sandbox, "seccomp-action", process(R"(["/bin/busybox"])"), "", kProcOnly, kNamespaces,
                                R"(, "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_MAYBE"}]})")),
             IsOneLineError().from("tproc-oci").naming("config.json linux.seccomp.syscalls[0].action").because_of({"unknown action 'SCMP_ACT_MAYBE'"}));
  CHECK_THAT(create(make_bundle(sandbox, "memory", process(R"(["/bin/busybox"])"), "", kProcOnly, kNamespaces, R"(, "resources": {"memory": {"limit": 1048576}})")),
             IsOneLineError().from("tproc-oci").naming("config.json linux.resources.memory.limit").because_of({"would not bind"}));
  CHECK_THAT(create(make_bundle(sandbox, "parent", process(R"(["/bin/busybox"])"), "", kProcOnly, kNamespaces, R"(, "cgroupsPath": "/a/../..")")),
             IsOneLineError().from("tproc-oci").naming("config.json linux.cgroupsPath").because_of({"'..' component"}));
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

TEST_CASE("podman's default mounts are made in the container with their options, and gone after it") {
  Sandbox sandbox;
  // Another program of the space, which must not notice the container's mounts.
  ChildProcess allocstr = sandbox.start_tproc({"run", "demo", sample("sharedstr", "allocstr"), "still shared"},
                                              {.keep_stdin_open = true});
  REQUIRE(allocstr.first_line());
  const fs::path sources = sandbox.root() / "sources";
  make_mount_sources(sources);
  const std::string script =
      "busybox cat /proc/self/mountinfo; echo ---; busybox cat /etc/hostname /etc/hosts /run/.containerenv; "
      "{ echo x > /etc/resolv.conf; } 2>&1; echo x > /etc/hosts && echo hosts written; "
      "for d in null zero full random urandom tty; do [ -c /dev/$d ] && echo /dev/$d; done; "
      "for l in fd stdin stdout stderr ptmx; do busybox readlink /dev/$l; done; "
      "busybox head -c 4 /dev/zero | busybox od -An -tx1; busybox readlink /proc/self/ns/ipc";
  const fs::path bundle = make_bundle(sandbox, "bundle", process("[\"/bin/busybox\", \"sh\", \"-c\", \"" + script + "\"]"),
                                      "", podman_mounts(sources), kPodmanNamespaces);
  const std::string monitor = sandbox.write_file("monitor.py", kMonitor);
  Outcome ran = sandbox.run_direct({"/usr/bin/python3", monitor, oci_binary(), sandbox.root() / "oci-state", bundle, "m1"});
  INFO(ran.out);
  INFO(ran.err);
  CHECK(ran.err.find("exit 0\n") != std::string::npos);
  const size_t separator = ran.out.find("---\n");
  REQUIRE(separator != std::string::npos);
  const std::map<std::string, MountLine> mounts = mounts_of(ran.out.substr(0, separator));
  const std::string after = ran.out.substr(separator + 4);

  REQUIRE(mounts.count("/proc"));
  CHECK(mounts.at("/proc").type == "proc");
  CHECK(has_options(mounts.at("/proc").options, {"rw", "nosuid", "nodev", "noexec"}));
  REQUIRE(mounts.count("/dev"));
  CHECK(mounts.at("/dev").type == "tmpfs");
  CHECK(has_options(mounts.at("/dev").options, {"rw", "nosuid"}));
  CHECK(has_options(mounts.at("/dev").super_options, {"size=65536k", "mode=755"}));
  REQUIRE(mounts.count("/sys"));
  CHECK(mounts.at("/sys").type == "sysfs");
  CHECK(has_options(mounts.at("/sys").options, {"ro", "nosuid", "nodev", "noexec"}));
  REQUIRE(mounts.count("/dev/pts"));
  CHECK(mounts.at("/dev/pts").type == "devpts");
  CHECK(has_options(mounts.at("/dev/pts").super_options, {"gid=5", "mode=620", "ptmxmode=666"}));
  REQUIRE(mounts.count("/dev/mqueue"));
  CHECK(mounts.at("/dev/mqueue").type == "mqueue");
  CHECK(has_options(mounts.at("/dev/mqueue").options, {"nosuid", "nodev", "noexec"}));
  REQUIRE(mounts.count("/etc/resolv.conf"));
  CHECK(has_options(mounts.at("/etc/resolv.conf").options, {"ro"}));
  REQUIRE(mounts.count("/etc/hosts"));
  CHECK(has_options(mounts.at("/etc/hosts").options, {"rw"}));
  REQUIRE(mounts.count("/dev/shm"));
  CHECK(has_options(mounts.at("/dev/shm").options, {"rw", "nosuid", "nodev", "noexec"}));
  CHECK(mounts.count("/etc/hostname"));
  CHECK(mounts.count("/run/.containerenv"));
  for (const char* device : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"})
    CHECK(mounts.count(device));
  // Nothing of the host's is visible: the old root went with pivot_root.
  CHECK(mounts.size() == 17);  // with / itself

  CHECK(after.find("ocibox\n127.0.0.1 localhost\nengine=\"tproc-test\"\n") == 0);
  CHECK(after.find("/etc/resolv.conf: Read-only file system") != std::string::npos);
  CHECK(after.find("hosts written\n") != std::string::npos);
  CHECK(after.find("/dev/null\n/dev/zero\n/dev/full\n/dev/random\n/dev/urandom\n/dev/tty\n") != std::string::npos);
  CHECK(after.find("/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\npts/ptmx\n") != std::string::npos);
  CHECK(after.find(" 00 00 00 00\n") != std::string::npos);
  // An IPC namespace of its own.
  CHECK(after.find(::fs::read_symlink("/proc/self/ns/ipc").string()) == std::string::npos);
  CHECK(after.find("ipc:[") != std::string::npos);
  CHECK(read_file(sources / "hosts") == "x\n");

  // Every mount lived in the container's own namespace: neither the host nor the daemon sees one.
  CHECK(mount_points_in(read_file("/proc/self/mountinfo"), sandbox.root()).empty());
  CHECK(mount_points_in(read_file("/proc/" + std::to_string(sandbox.daemon_pid("demo")) + "/mountinfo"), sandbox.root()).empty());
  allocstr.close_stdin();
  CHECK_THAT(allocstr.wait(), ExitsWith(0));
}

TEST_CASE("a hostile rootfs whose symlinks point at the host gets its mounts inside itself, never on the host") {
  Sandbox sandbox;
  const fs::path sources = sandbox.root() / "sources";
  make_mount_sources(sources);
  // Host directories an image's absolute and climbing symlinks name.
  const fs::path host_etc = sandbox.root() / "host-etc", host_dev = sandbox.root() / "host-dev";
  fs::create_directories(host_etc);
  fs::create_directories(host_dev);
  const fs::path bundle = make_bundle(sandbox, "bundle", process(R"(["/bin/busybox", "cat", "/etc/hostname", "/dev/hosts"])"), "",
                                      R"([{"destination": "/dev", "type": "tmpfs", "source": "tmpfs"},
  {"destination": "/etc/hostname", "type": "bind", "source": ")" + (sources / "hostname").string() + R"("},
  {"destination": "/../../dev/hosts", "type": "bind", "source": ")" + (sources / "hosts").string() + R"("}])");
  const fs::path rootfs = bundle / "rootfs";
  fs::create_symlink(host_etc, rootfs / "etc");
  fs::create_symlink("../../../../../../../../.." + host_dev.string(), rootfs / "dev");
  const std::string monitor = sandbox.write_file("monitor.py", kMonitor);
  const std::string state = sandbox.root() / "oci-state";

  // Where they point does not exist in the rootfs: refused, as a missing directory.
  Outcome refused = sandbox.run_direct({"/usr/bin/python3", monitor, oci_binary(), state, bundle, "h1"});
  CHECK(refused.out.empty());
  INFO(refused.err);
  CHECK(refused.err.find("tproc-oci: ") != std::string::npos);
  CHECK(refused.err.find("No such file or directory") != std::string::npos);
  CHECK(fs::is_empty(host_etc));
  CHECK(fs::is_empty(host_dev));
  REQUIRE_THAT(sandbox.run_direct({oci_binary(), "--root", state, "delete", "--force", "h1"}), ExitsWith(0));

  // Where they point exists in the rootfs too: the mounts land there, nothing on the host.
  fs::create_directories(rootfs / host_etc.relative_path());
  fs::create_directories(rootfs / host_dev.relative_path());
  Outcome ran = sandbox.run_direct({"/usr/bin/python3", monitor, oci_binary(), state, bundle, "h2"});
  INFO(ran.err);
  CHECK(ran.out == "ocibox\n127.0.0.1 localhost\n");
  CHECK(ran.err.find("exit 0\n") != std::string::npos);
  CHECK(fs::is_empty(host_etc));
  CHECK(fs::is_empty(host_dev));
  CHECK(fs::exists(rootfs / host_etc.relative_path() / "hostname"));
  CHECK(mount_points_in(read_file("/proc/self/mountinfo"), sandbox.root()).empty());
}

TEST_CASE("a mount tproc-oci cannot make is refused at create, naming it") {
  Sandbox sandbox;
  const std::string root = sandbox.root() / "oci-state";
  auto create = [&](const std::string& name, const std::string& mounts) {
    return sandbox.run_direct({oci_binary(), "--root", root, "create", "--bundle",
                               make_bundle(sandbox, name, process(R"(["/bin/busybox"])"), "", mounts), "bad"});
  };
  CHECK_THAT(create("source", R"([{"destination": "/data", "type": "bind", "source": "/nonexistent/data"}])"),
             IsOneLineError().from("tproc-oci").naming("config.json mounts /data: source /nonexistent/data").because_of({"No such file"}));
  CHECK_THAT(create("type", R"([{"destination": "/data", "type": "ext4", "source": "/dev/sda1"}])"),
             IsOneLineError().from("tproc-oci").naming("config.json mounts /data").because_of({"type 'ext4' is not supported"}));
  CHECK_THAT(create("idmap", R"([{"destination": "/data", "type": "bind", "source": "/tmp", "options": ["idmap"]}])"),
             IsOneLineError().from("tproc-oci").naming("config.json mounts /data: option 'idmap'").because_of({"not supported"}));
  CHECK_THAT(create("relative", R"([{"destination": "data", "type": "tmpfs"}])"),
             IsOneLineError().from("tproc-oci").naming("config.json mounts data").because_of({"not an absolute path"}));
  CHECK((!fs::exists(root) || fs::is_empty(root)));
}

TEST_CASE("a mount the kernel refuses fails the container's start with the step and the reason") {
  Sandbox sandbox;
  const fs::path bundle = make_bundle(sandbox, "bundle", process(R"(["/bin/busybox", "true"])"), "",
                                      R"([{"destination": "/dev", "type": "tmpfs", "options": ["mode=nonsense"]}])");
  const std::string monitor = sandbox.write_file("monitor.py", kMonitor);
  Outcome ran = sandbox.run_direct({"/usr/bin/python3", monitor, oci_binary(), sandbox.root() / "oci-state", bundle, "k1"});
  CHECK(ran.out.empty());
  INFO(ran.err);
  CHECK(ran.err.find("tproc-oci: ") != std::string::npos);
  CHECK(ran.err.find("mount /dev (tmpfs): Invalid argument") != std::string::npos);
  CHECK(ran.err.find("exit 0\n") == std::string::npos);
  // The space goes on serving.
  CHECK_THAT(sandbox.tproc({"run", "demo", program("list_fds")}), ExitsWith(0));
}

namespace {

/// What podman does with its default seccomp profile (containers-common's seccomp.json) before
/// it writes config.json: keeps the rules its default capabilities and this architecture select.
constexpr const char* kPodmanProfile = R"(import json, platform, sys
caps = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE",
        "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"}
arch, native = {"x86_64": ("amd64", "SCMP_ARCH_X86_64"), "aarch64": ("arm64", "SCMP_ARCH_AARCH64")}[platform.machine()]
source = json.load(open("/usr/share/containers/seccomp.json"))
def applies(rule):
    inc, exc = rule.get("includes") or {}, rule.get("excludes") or {}
    return ((not inc.get("arches") or arch in inc["arches"]) and set(inc.get("caps") or []) <= caps
            and arch not in (exc.get("arches") or []) and not set(exc.get("caps") or []) & caps)
profile = {"defaultAction": source["defaultAction"], "defaultErrnoRet": source["defaultErrnoRet"],
           "architectures": [a for m in source["archMap"] if m["architecture"] == native for a in [native] + m["subArchitectures"]],
           "syscalls": [{k: v for k, v in rule.items() if k in ("names", "action", "errnoRet", "args")}
                        for rule in source["syscalls"] if applies(rule)]}
print(json.dumps(profile))
)";

}  // namespace

TEST_CASE("a container's seccomp profile applies to it alone: its SCMP_ACT_ERRNO rule gives that errno, a sibling's call works") {
  Sandbox sandbox;
  // An unknown name is skipped, as runc skips it.
  const fs::path bundle = make_bundle(sandbox, "bundle", process(R"(["/bin/busybox", "sh", "-c", "busybox mkdir /made; echo status $?"])"), "", kProcOnly, kNamespaces,
                                      R"(, "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir",
    "mkdirat", "no_such_system_call"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]})");
  const std::string monitor = sandbox.write_file("monitor.py", kMonitor);
  Outcome ran = sandbox.run_direct({"/usr/bin/python3", monitor, oci_binary(), sandbox.root() / "oci-state", bundle, "c4"});
  CHECK(ran.out == "status 1\n");
  CHECK(ran.err.find("can't create directory '/made': Operation not permitted") != std::string::npos);
  CHECK(ran.err.find("exit 0\n") != std::string::npos);
  CHECK_FALSE(fs::exists(bundle / "rootfs" / "made"));
  // A tproc of the same space, started by tproc run, has no such filter.
  CHECK_THAT(sandbox.tproc({"run", "demo", "/bin/busybox", "mkdir", sandbox.root() / "made"}), ExitsWith(0));
  CHECK(fs::is_directory(sandbox.root() / "made"));
}

TEST_CASE("under podman's default seccomp profile a container runs, its mappings still reach the daemon, and sethostname fails") {
  Sandbox sandbox;
  if (!fs::exists("/usr/share/containers/seccomp.json")) {
    WARN("containers-common's seccomp.json is not installed (scripts/install-deps installs podman): skipped");
    return;
  }
  Outcome profile = sandbox.run_direct({"/usr/bin/python3", sandbox.write_file("profile.py", kPodmanProfile)});
  REQUIRE_THAT(profile, ExitsWith(0));
  const std::string seccomp = R"(, "seccomp": )" + profile.out;
  const std::string monitor = sandbox.write_file("monitor.py", kMonitor);
  const std::string root = sandbox.root() / "oci-state";

  // The profile allows mmap; tproc's filter still sends it to the daemon, whose ledger has libc.
  const fs::path shared = make_bundle(sandbox, "shared", process(R"(["/app/allocstr", "from a container"])"), "", kProcOnly, kNamespaces, seccomp);
  ChildProcess container = sandbox.start_direct({"/usr/bin/python3", monitor, oci_binary(), root, shared, "c5"},
                                                {.keep_stdin_open = true});
  std::optional<std::string> address = container.first_line();
  REQUIRE(address);
  Outcome maps = sandbox.tproc({"maps", "demo", "allocstr"});
  REQUIRE_THAT(maps, ExitsWith(0));
  CHECK(maps.out.find("libc.so.6") != std::string::npos);
  CHECK(sandbox.tproc({"run", "demo", sample("sharedstr", "printstr"), *address}).out == "from a container\n");
  container.close_stdin();
  CHECK(container.wait().err.find("exit 0\n") != std::string::npos);

  // Without CAP_SYS_ADMIN in podman's list, the profile denies sethostname with EPERM.
  const std::string rename = R"(["/bin/busybox", "sh", "-c", "busybox hostname other 2>&1; echo status $?"])";
  Outcome denied = sandbox.run_direct({"/usr/bin/python3", monitor, oci_binary(), root,
                                       make_bundle(sandbox, "denied", process(rename), "", kProcOnly, kNamespaces, seccomp), "c6"});
  CHECK(denied.out == "hostname: sethostname: Operation not permitted\nstatus 1\n");
  Outcome allowed = sandbox.run_direct({"/usr/bin/python3", monitor, oci_binary(), root, make_bundle(sandbox, "allowed", process(rename)), "c7"});
  CHECK(allowed.out == "status 0\n");
}

namespace {

/// The test's own cgroup in the v1 hierarchy of `controller` ("/" when in its root).
std::string own_cgroup(const std::string& controller) {
  std::ifstream cgroups("/proc/self/cgroup");
  for (std::string line; std::getline(cgroups, line);) {
    const size_t first = line.find(':'), second = line.find(':', first + 1);
    std::istringstream names(line.substr(first + 1, second - first - 1));
    for (std::string name; std::getline(names, name, ',');)
      if (name == controller) return line.substr(second + 1);
  }
  return "/";
}

/// A cgroup directory name of the test's own, which tproc-oci makes below the test's cgroup in
/// each v1 hierarchy (a relative cgroupsPath's parent, so nothing leaves a memory cgroup the
/// machine put us in); removed with whatever is left in it, even when the test fails.
class TestCgroups {
 public:
  TestCgroups() : name_("tproc-oci-test-" + std::to_string(::getpid())) {}
  ~TestCgroups() {
    for (const fs::path& parent : parents()) {
      std::error_code ignored;
      for (const auto& leaf : fs::directory_iterator(parent, ignored)) {
        if (!leaf.is_directory()) continue;
        for (int tries = 0; tries < 200 && ::rmdir(leaf.path().c_str()) < 0 && errno == EBUSY; ++tries) {
          std::ifstream procs(leaf.path() / "cgroup.procs");
          for (pid_t pid; procs >> pid;) ::kill(pid, SIGKILL);
          ::usleep(10000);
        }
      }
      ::rmdir(parent.c_str());
    }
  }
  const std::string& name() const { return name_; }
  /// NAME in every mounted hierarchy that exists now.
  std::vector<fs::path> parents() const {
    std::vector<fs::path> found;
    for (const char* controller : {"pids", "cpu", "cpuacct", "cpuset", "memory", "devices", "blkio"})
      if (fs::is_directory(parent(controller))) found.push_back(parent(controller));
    return found;
  }
  /// Where NAME is in the hierarchy of `controller`.
  fs::path parent(const std::string& controller) const {
    return fs::path("/sys/fs/cgroup") / controller / own_cgroup(controller).substr(1) / name_;
  }

 private:
  std::string name_;
};

std::string read_first_line(const fs::path& path) {
  std::ifstream file(path);
  std::string line;
  std::getline(file, line);
  return line;
}

bool has_v1_hierarchies() {
  for (const char* controller : {"pids", "cpu", "devices"})
    if (!fs::exists(fs::path("/sys/fs/cgroup") / controller / "cgroup.procs")) return false;
  return true;
}

}  // namespace

TEST_CASE("a container's pids limit holds: under a limit of 5 its process and 4 children run, the next fork fails with EAGAIN") {
  Sandbox sandbox;
  if (!has_v1_hierarchies()) {
    WARN("no cgroup v1 pids, cpu and devices hierarchies here: skipped");
    return;
  }
  TestCgroups cgroups;
  const fs::path bundle = make_bundle(
      sandbox, "bundle", process(R"(["/bin/busybox", "sh", "-c", "for i in 1 2 3 4 5; do busybox sleep 30 & echo forked $i; done"])"), "", kProcOnly, kNamespaces,
      R"(, "cgroupsPath": ")" + cgroups.name() + R"(/c8", "resources": {"pids": {"limit": 5}})");
  // sh gives a background job /dev/null for its input.
  fs::create_directories(bundle / "rootfs" / "dev");
  REQUIRE(::mknod((bundle / "rootfs" / "dev" / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
  const std::string root = sandbox.root() / "oci-state";
  Outcome ran = sandbox.run_direct({"/usr/bin/python3", sandbox.write_file("monitor.py", kMonitor), oci_binary(), root, bundle, "c8"});
  CHECK(ran.out == "forked 1\nforked 2\nforked 3\nforked 4\n");
  CHECK(ran.err.find("can't fork: Resource temporarily unavailable") != std::string::npos);
  CHECK(ran.err.find("exit 2\n") != std::string::npos);
  const fs::path leaf = cgroups.parent("pids") / "c8";
  CHECK(read_first_line(leaf / "pids.max") == "5");
  REQUIRE_THAT(sandbox.run_direct({oci_binary(), "--root", root, "delete", "c8"}), ExitsWith(0));
  CHECK_FALSE(fs::exists(leaf));
}

TEST_CASE("a container's cgroup exists while it runs, under its cgroupsPath, with its limits, and is gone after delete") {
  Sandbox sandbox;
  if (!has_v1_hierarchies()) {
    WARN("no cgroup v1 pids, cpu and devices hierarchies here: skipped");
    return;
  }
  TestCgroups cgroups;
  const std::string path = cgroups.name() + "/c9";
  // Deny-all devices, as podman asks, with runc's defaults after it: /dev/null's 1:3 opens, 240:0 does not.
  const fs::path bundle = make_bundle(
      sandbox, "bundle",
      process(R"(["/bin/busybox", "sh", "-c", "busybox cat /proc/self/cgroup; busybox mknod /null c 1 3; busybox mknod /other c 240 0; echo > /null && echo null opens; busybox cat /other; echo ready; busybox sleep 30"])"),
      "", kProcOnly, kNamespaces, R"(, "cgroupsPath": ")" + path + R"(", "resources": {"cpu": {"shares": 256},
        "devices": [{"allow": false, "access": "rwm"}]})");
  const std::string root = sandbox.root() / "oci-state";
  ChildProcess monitor =
      sandbox.start_direct({"/usr/bin/python3", sandbox.write_file("monitor.py", kMonitor), oci_binary(), root, bundle, "c9"});
  REQUIRE(monitor.wait_for_output("ready\n", std::chrono::seconds(30)));
  const TprocInfo container = sandbox.tproc_info("demo", "busybox");
  for (const char* controller : {"pids", "cpu", "devices"}) {
    INFO(controller);
    const fs::path leaf = cgroups.parent(controller) / "c9";
    REQUIRE(fs::is_directory(leaf));
    std::ifstream procs(leaf / "cgroup.procs");
    std::vector<pid_t> inside;
    for (pid_t pid; procs >> pid;) inside.push_back(pid);
    CHECK(std::find(inside.begin(), inside.end(), container.pid) != inside.end());
  }
  CHECK(read_first_line(cgroups.parent("cpu") / "c9" / "cpu.shares") == "256");
  REQUIRE_THAT(sandbox.run_direct({oci_binary(), "--root", root, "kill", "c9", "KILL"}), ExitsWith(0));
  Outcome ended = monitor.wait();
  INFO(ended.out + ended.err);
  // Its program ran inside from its first instruction: what it forked is there too.
  for (const char* controller : {"pids", "devices"}) {
    const std::string own = own_cgroup(controller);
    CHECK(ended.out.find(std::string(":") + controller + ":" + (own == "/" ? "" : own) + "/" + path + "\n") != std::string::npos);
  }
  CHECK(ended.out.find("null opens\n") != std::string::npos);
  CHECK(ended.err.find("can't open '/other': Operation not permitted") != std::string::npos);
  REQUIRE_THAT(sandbox.run_direct({oci_binary(), "--root", root, "delete", "c9"}), ExitsWith(0));
  for (const fs::path& parent : cgroups.parents()) CHECK_FALSE(fs::exists(parent / "c9"));
}
