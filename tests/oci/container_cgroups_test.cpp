// ContainerCgroups: where linux.cgroupsPath puts a container's cgroup, and what linux.resources
// writes into it. Making and removing them for real is tests/e2e/oci_runtime_test's.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "oci/container_cgroups.hpp"

using namespace tproc::oci;
using nlohmann::json;

namespace {

CgroupRequest parsed(const std::string& text) {
  auto request = CgroupRequest::parse(json::parse(text));
  INFO((request ? "" : request.error().describe()));
  REQUIRE(request);
  return *request;
}

std::string refusal(const std::string& text) {
  auto request = CgroupRequest::parse(json::parse(text));
  REQUIRE_FALSE(request);
  return request.error().describe();
}

std::string inner(const std::string& path, bool systemd, const std::string& own = "/") {
  CgroupRequest request;
  request.wanted = true;
  request.path = path;
  auto resolved = cgroup_inner_path(request, "c1", systemd, own);
  return resolved ? *resolved : resolved.error().describe();
}

}  // namespace

TEST_CASE("linux.resources becomes cgroup v1 writes in order, runc's default devices after the config's rules") {
  const CgroupRequest request = parsed(R"({"cgroupsPath": "/pod/c1", "resources": {"pids": {"limit": 5},
    "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": ""},
    "devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 4, "access": "rw"}]}})");
  CHECK(request.wanted);
  CHECK(request.path == "/pod/c1");
  REQUIRE(request.writes.size() == 7 + 12);
  auto is = [&](size_t at, const char* controller, const char* file, const char* value) {
    INFO(at);
    CHECK(request.writes[at].controller == controller);
    CHECK(request.writes[at].file == file);
    CHECK(request.writes[at].value == value);
  };
  is(0, "pids", "pids.max", "5");
  is(1, "cpu", "cpu.shares", "512");
  is(2, "cpu", "cpu.cfs_period_us", "100000");
  is(3, "cpu", "cpu.cfs_quota_us", "50000");
  is(4, "cpuset", "cpuset.cpus", "0");
  is(5, "devices", "devices.deny", "a *:* rwm");
  is(6, "devices", "devices.allow", "c 4:* rw");
  is(7, "devices", "devices.allow", "c *:* m");
  is(18, "devices", "devices.allow", "c 10:200 rwm");

  CHECK(parsed(R"({"resources": {"pids": {"limit": -1}}})").writes.front().value == "max");
  CHECK_FALSE(parsed(R"({"namespaces": []})").wanted);
}

TEST_CASE("what a cgroup cannot hold for a tproc is refused with the field and the reason") {
  CHECK(refusal(R"({"resources": {"memory": {"limit": 1048576}}})")
            .rfind("config.json linux.resources.memory.limit: the kernel charges a container's memory to its space's daemon", 0) == 0);
  CHECK(refusal(R"({"resources": {"blockIO": {"weight": 10}}})") == "config.json linux.resources.blockIO: not supported by tproc-oci yet");
  CHECK(refusal(R"({"resources": {"unified": {"memory.high": "1"}}})") == "config.json linux.resources.unified: not supported by tproc-oci yet");
  CHECK(refusal(R"({"resources": {"cpu": {"realtimeRuntime": 1000}}})") ==
        "config.json linux.resources.cpu.realtimeRuntime: real-time cgroup scheduling is not supported by tproc-oci yet");
  CHECK(refusal(R"({"resources": {"cpu": {"idle": 1}}})").rfind("config.json linux.resources.cpu.idle: not supported", 0) == 0);
  CHECK(refusal(R"({"resources": {"devices": [{"allow": true, "type": "x"}]}})") ==
        "config.json linux.resources.devices[0].type: not a, c or b");
  CHECK(refusal(R"({"resources": {"pids": {"limit": "many"}}})") == "config.json linux.resources.pids.limit: not a number");
  // An empty memory object (podman writes some) asks for nothing.
  CHECK(parsed(R"({"resources": {"memory": {}}})").writes.empty());
}

TEST_CASE("cgroupsPath is placed as runc places it: absolute below the root, relative below our own, systemd's slices expanded") {
  CHECK(inner("/pod/c1", false) == "/pod/c1");
  CHECK(inner("pod/c1", false, "/user.slice") == "/user.slice/pod/c1");
  CHECK(inner("pod/c1/", false) == "/pod/c1");
  CHECK(inner("", false, "/box") == "/box/c1");  // none given: the container ID
  CHECK(inner("machine.slice:libpod:abc", true) == "/machine.slice/libpod-abc.scope");
  CHECK(inner("user-1000.slice:podman:abc", true) == "/user.slice/user-1000.slice/podman-abc.scope");
  CHECK(inner(":runc:abc", true) == "/system.slice/runc-abc.scope");
  CHECK(inner("machine.slice:x:pod-a.slice", true) == "/machine.slice/pod-a.slice");

  CHECK(inner("/", false) == "config.json linux.cgroupsPath: '/' is a cgroup hierarchy's root");
  CHECK(inner("/a/../../b", false) == "config.json linux.cgroupsPath: '/a/../../b' has a '..' component");
  CHECK(inner("/pod/c1", true) == "config.json linux.cgroupsPath: '/pod/c1' is not slice:prefix:name (with --systemd-cgroup)");
  CHECK(inner("machine:libpod:abc", true) == "config.json linux.cgroupsPath: 'machine' is not a systemd slice name (NAME.slice)");
}
