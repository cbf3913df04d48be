// transfer_bench [RUNS]: `tproc push` and `tproc pull` of a bundle holding 30 MB of random
// (incompressible) data, against `skopeo copy` of the same archive to and from the same kind of
// registry, measured in the same run (issue 17). Each push goes to a registry of its own (Debian's
// docker-registry, started here on a free port of 127.0.0.1 with its storage in a temporary
// directory): a registry that already holds the blobs would skip their upload, and skopeo would
// mount them across repositories. Each tproc pull gets an empty TPROC_HOME. Prints medians and the
// ratios tproc/skopeo; asserts no timing. Everything it starts and writes goes when it ends.
#include "bench_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace tproc::bench;
namespace fs = std::filesystem;

constexpr const char* kRegistry = "/usr/bin/docker-registry";
constexpr const char* kSkopeo = "/usr/bin/skopeo";
constexpr size_t kPayloadBytes = 30'000'000;

/// A temporary directory, removed with everything in it when this goes.
struct TempRoot {
  std::string path;
  TempRoot() {
    std::string pattern = "/tmp/transfer-bench-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path = pattern;
  }
  ~TempRoot() {
    std::error_code ignored;
    if (!path.empty()) fs::remove_all(path, ignored);
  }
};

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = -1;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(address.sin_port);
  if (fd >= 0) close(fd);
  return port;
}

bool accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  bool connected = fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  if (fd >= 0) close(fd);
  return connected;
}

/// A docker-registry serving plain HTTP from `dir`, killed (by its pid) and reaped when this goes.
class Registry {
 public:
  explicit Registry(const std::string& dir) {
    port_ = free_port();
    fs::create_directories(dir + "/storage");
    std::ofstream(dir + "/config.yml") << "version: 0.1\nlog: {level: error}\nstorage:\n  filesystem: {rootdirectory: " << dir
                                       << "/storage}\nhttp:\n  addr: 127.0.0.1:" << port_ << "\n  secret: bench\n";
    const std::string config = dir + "/config.yml";
    char* argv[] = {const_cast<char*>(kRegistry), const_cast<char*>("serve"), const_cast<char*>(config.c_str()), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);  // it logs every 404 HEAD
    if (port_ <= 0 || posix_spawn(&pid_, kRegistry, &actions, nullptr, argv, environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    for (int tries = 0; pid_ > 0 && tries < 500 && !accepts(port_); ++tries) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  ~Registry() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  bool ready() const { return pid_ > 0 && accepts(port_); }
  std::string host() const { return "localhost:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int port_ = -1;
};

/// Runs `args` and returns its wall time in ms, or a negative number (having said why) if it failed.
double timed(const std::vector<std::string>& args, const char* what) {
  long long start = now_ns();
  RunResult result = run(args, /*capture=*/true);
  double ms = (now_ns() - start) / 1e6;
  if (!result.ok()) {
    std::fprintf(stderr, "transfer_bench: %s failed: %s\n", what, describe_status(result.status).c_str());
    return -1;
  }
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  auto runs = count_arg(argc, argv, 1, 3);
  if (!runs) {
    std::fprintf(stderr, "usage: transfer_bench [RUNS]\n");
    return 2;
  }
  if (access(kRegistry, X_OK) != 0 || access(kSkopeo, X_OK) != 0) {
    std::fprintf(stderr, "transfer_bench: needs %s and %s (scripts/install-deps)\n", kRegistry, kSkopeo);
    return 1;
  }
  install_stop_handlers();
  const std::string tproc = TPROC_BENCH_TPROC;
  TempRoot root;
  if (root.path.empty()) {
    std::fprintf(stderr, "transfer_bench: mkdtemp failed\n");
    return 1;
  }
  // Credentials and skopeo's settings from here only, never the user's.
  setenv("HOME", root.path.c_str(), 1);
  fs::create_directories(root.path + "/xdg");
  fs::permissions(root.path + "/xdg", fs::perms::owner_all);
  setenv("XDG_RUNTIME_DIR", (root.path + "/xdg").c_str(), 1);
  setenv("TPROC_RUNTIME_DIR", (root.path + "/run").c_str(), 1);

  // The bundle: /usr/bin/true and 30 MB that gzip cannot shrink.
  const std::string app = root.path + "/app";
  fs::create_directories(app);
  fs::copy_file("/usr/bin/true", app + "/true");
  {
    std::string payload(kPayloadBytes, '\0');
    for (size_t filled = 0; filled < payload.size();) {
      ssize_t got = getrandom(payload.data() + filled, payload.size() - filled, 0);
      if (got > 0) filled += static_cast<size_t>(got);
    }
    std::ofstream(app + "/payload.bin", std::ios::binary) << payload;
  }
  std::ofstream(app + "/tproc.yaml") << "name: payload\nversion: 1.0.0\nentrypoint: true\nfiles: [payload.bin]\n";
  const std::string bundle = root.path + "/payload.bundle";
  setenv("TPROC_HOME", (root.path + "/home-build").c_str(), 1);
  if (timed({tproc, "build", "-o", bundle, app}, "tproc build") < 0) return 1;
  const double bundle_mb = static_cast<double>(fs::file_size(bundle)) / 1e6;

  std::vector<double> tproc_push, skopeo_push, tproc_pull, skopeo_pull, skopeo_inspect;
  bool failed = false;
  for (int i = 0; i < *runs && !stop_requested && !failed; ++i) {
    const std::string n = std::to_string(i);
    // Push: each to an empty registry of its own; the order alternates.
    Registry for_tproc(root.path + "/registry-t" + n);
    Registry for_skopeo(root.path + "/registry-s" + n);
    if (!for_tproc.ready() || !for_skopeo.ready()) {
      std::fprintf(stderr, "transfer_bench: docker-registry did not start\n");
      return 1;
    }
    auto push_tproc = [&] {
      double ms = timed({tproc, "push", bundle, for_tproc.host() + "/bench/payload:1.0"}, "tproc push");
      if (ms < 0) failed = true;
      else tproc_push.push_back(ms);
    };
    auto push_skopeo = [&] {
      double ms = timed({kSkopeo, "copy", "--quiet", "--dest-tls-verify=false", "oci-archive:" + bundle,
                         "docker://" + for_skopeo.host() + "/bench/payload:1.0"},
                        "skopeo copy oci-archive: docker://");
      if (ms < 0) failed = true;
      else skopeo_push.push_back(ms);
    };
    if (i % 2 == 0) push_tproc(), push_skopeo();
    else push_skopeo(), push_tproc();
    if (failed) break;

    // Pull: the same image, from the registry tproc pushed to.
    const std::string reference = for_tproc.host() + "/bench/payload:1.0";
    const std::string home = root.path + "/home-" + n;
    const std::string archive = root.path + "/pulled-" + n + ".tar";
    auto pull_tproc = [&] {
      setenv("TPROC_HOME", home.c_str(), 1);
      double ms = timed({tproc, "pull", reference}, "tproc pull");
      if (ms < 0) failed = true;
      else tproc_pull.push_back(ms);
    };
    auto pull_skopeo = [&] {
      double ms = timed({kSkopeo, "copy", "--quiet", "--src-tls-verify=false", "docker://" + reference, "oci-archive:" + archive},
                        "skopeo copy docker:// oci-archive:");
      if (ms < 0) failed = true;
      else skopeo_pull.push_back(ms);
    };
    if (i % 2 == 0) pull_tproc(), pull_skopeo();
    else pull_skopeo(), pull_tproc();
    // Part of what tproc pull adds: the manifest fetched alone first, by one more skopeo.
    double inspect_ms = timed({kSkopeo, "inspect", "--raw", "--tls-verify=false", "docker://" + reference}, "skopeo inspect --raw");
    if (inspect_ms < 0) failed = true;
    else skopeo_inspect.push_back(inspect_ms);
    std::error_code ignored;
    fs::remove_all(home, ignored);
    fs::remove(archive, ignored);
  }
  if (failed || tproc_push.empty()) return 1;

  const Stats tp = summarize(tproc_push), sp = summarize(skopeo_push);
  const Stats tl = summarize(tproc_pull), sl = summarize(skopeo_pull);
  std::printf("transfer_bench: a %.1f MB bundle (%.0f MB of random data) to and from docker-registry on localhost, "
              "median of %zu runs\n",
              bundle_mb, kPayloadBytes / 1e6, tproc_push.size());
  std::printf("  push  tproc push %8.0f ms   skopeo copy oci-archive: docker:// %8.0f ms   ratio %.2fx\n", tp.p50, sp.p50,
              tp.p50 / sp.p50);
  std::printf("  pull  tproc pull %8.0f ms   skopeo copy docker:// oci-archive: %8.0f ms   ratio %.2fx\n", tl.p50, sl.p50,
              tl.p50 / sl.p50);
  std::printf("  (tproc push verifies the bundle first; tproc pull also fetches the manifest alone, %.0f ms of it as\n"
              "   `skopeo inspect --raw`, verifies every blob again and unpacks the layer into the cache)\n",
              summarize(skopeo_inspect).p50);
  return 0;
}
