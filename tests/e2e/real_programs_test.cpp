// Real programs: unmodified Debian programs bundled with `libraries: bundled` run in a space —
// an interpreter that dlopens extension modules (python3), a multithreaded server (memcached),
// programs that use NSS and locales (getent, date). Each test skips with a warning when its
// Debian package is not installed (scripts/install-deps installs them for CI).

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bundle_support.hpp"
#include "common/unique_fd.hpp"
#include "expectations.hpp"
#include "sandbox.hpp"

using namespace tproc::e2e;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// True when `path` exists; otherwise warns that the test is skipped for want of `package`.
bool installed(const std::string& path, const std::string& package) {
  if (fs::exists(path)) return true;
  WARN("skipped: " << path << " is missing (install the Debian package " << package << ")");
  return false;
}

/// The lines of `text` that start with `prefix`, the prefix removed.
std::vector<std::string> values_of(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  for (const std::string& line : lines(text))
    if (line.rfind(prefix, 0) == 0) out.push_back(line.substr(prefix.size()));
  return out;
}

/// Where the cache unpacked `bundle`: $TPROC_HOME/bundles/<hex>/rootfs, symlinks resolved.
std::string unpacked_root(Sandbox& sandbox, const std::string& bundle) {
  return (fs::canonical(cache_root(sandbox)) / bundle_digest(sandbox, bundle).substr(7) / "rootfs").native();
}

// --- python3 ---------------------------------------------------------------------------------

/// The Debian python3 executable (/usr/bin/python3.X) and its standard library directory.
struct Python {
  std::string executable;  ///< /usr/bin/python3.11
  std::string version;     ///< python3.11
};

std::optional<Python> debian_python() {
  if (!installed("/usr/bin/python3", "python3")) return std::nullopt;
  Python python;
  python.executable = fs::canonical("/usr/bin/python3").native();
  python.version = fs::path(python.executable).filename().native();
  if (!installed("/usr/lib/" + python.version + "/os.py", "python3")) return std::nullopt;
  return python;
}

/// Bundles Debian's python3 with `libraries: bundled`, its extension modules (each bringing the
/// libraries it needs: libssl, libcrypto, libsqlite3...) and the part of its standard library the
/// probes import, laid out as under /usr: bin/python3.X, lib/python3.X/...
std::string python_bundle(Sandbox& sandbox, const Python& python) {
  const fs::path app = sandbox.root() / "python";
  fs::create_directories(app / "lib");
  fs::create_directory_symlink("/usr/lib/" + python.version, app / "lib" / python.version);
  std::vector<std::string> files;
  for (const char* glob : {"*.py", "encodings/*.py", "json/*.py", "sqlite3/*.py", "collections/*.py", "re/*.py",
                           "importlib/*.py", "lib-dynload/*.so"})
    files.push_back("lib/" + python.version + "/" + glob);
  return build_bundle(sandbox,
                      write_manifest(sandbox, "python",
                                     "name: python3\nentrypoint: " + yaml_quote(python.executable) +
                                         "\nlibraries: bundled\nfiles: " + yaml_list(files) + "\n"),
                      "python.bundle");
}

// --- a TCP client for memcached ----------------------------------------------------------------

/// A connected TCP client with a deadline on every exchange.
class Client {
 public:
  /// Connects to 127.0.0.1:`port`; nullopt while nothing listens there.
  static std::optional<Client> connect(int port) {
    tproc::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return std::nullopt;
    return Client(std::move(fd));
  }

  /// Sends `request` and reads until the reply ends with `end`; returns the reply (throws on a
  /// closed connection or after 10 s).
  std::string ask(const std::string& request, const std::string& end) {
    if (::send(fd_.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
      throw std::runtime_error("send to memcached failed");
    std::string reply;
    const auto deadline = Clock::now() + 10s;
    while (reply.size() < end.size() || reply.compare(reply.size() - end.size(), end.size(), end) != 0) {
      const auto left = std::chrono::duration_cast<Duration>(deadline - Clock::now()).count();
      pollfd waiting{fd_.get(), POLLIN, 0};
      if (left <= 0 || ::poll(&waiting, 1, static_cast<int>(left)) <= 0)
        throw std::runtime_error("no complete reply to \"" + request + "\" within 10 s; got \"" + reply + "\"");
      char buffer[4096];
      const ssize_t got = ::recv(fd_.get(), buffer, sizeof buffer, 0);
      if (got <= 0) throw std::runtime_error("memcached closed the connection; got \"" + reply + "\"");
      reply.append(buffer, static_cast<size_t>(got));
    }
    return reply;
  }

 private:
  explicit Client(tproc::UniqueFd fd) : fd_(std::move(fd)) {}
  tproc::UniqueFd fd_;
};

}  // namespace

TEST_CASE("python3 from Debian runs from a bundle: extension modules, NSS and locales") {
  const std::optional<Python> python = debian_python();
  if (!python) return;
  Sandbox sandbox;
  const std::string bundle = python_bundle(sandbox, *python);
  const std::string probe = R"(
import _ssl, _sqlite3, json, hashlib, ssl, sqlite3, pwd, locale
print("ssl", ssl.OPENSSL_VERSION.split()[0])
print("sqlite", sqlite3.connect(":memory:").execute("select 6 * 7").fetchone()[0])
print("json", json.dumps({"b": [1, 2], "a": None}, sort_keys=True))
print("sha256", hashlib.sha256(b"abc").hexdigest())
print("uid0", pwd.getpwuid(0).pw_name)
print("locale", locale.setlocale(locale.LC_ALL, "C.UTF-8"), locale.nl_langinfo(locale.CODESET))
for path in sorted({line.split()[-1] for line in open("/proc/self/maps") if "libssl.so" in line or "libsqlite3.so" in line}):
    print("mapped", path)
)";
  Outcome run = sandbox.tproc({"run", "s", bundle, "-c", probe});
  REQUIRE_THAT(run, ExitsWith(0));
  INFO(run.out);
  CHECK(values_of(run.out, "ssl ") == std::vector<std::string>{"OpenSSL"});
  CHECK(values_of(run.out, "sqlite ") == std::vector<std::string>{"42"});
  CHECK(values_of(run.out, "json ") == std::vector<std::string>{R"({"a": null, "b": [1, 2]})"});
  CHECK(values_of(run.out, "sha256 ") ==
        std::vector<std::string>{"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"});
  CHECK(values_of(run.out, "uid0 ") == std::vector<std::string>{"root"});
  CHECK(values_of(run.out, "locale ") == std::vector<std::string>{"C.UTF-8 UTF-8"});
  // The libraries the extension modules need come from the bundle (the space holds no other
  // libssl or libsqlite3: the daemon maps neither).
  const std::vector<std::string> mapped = values_of(run.out, "mapped ");
  CHECK(mapped.size() == 2);
  const std::string rootfs = unpacked_root(sandbox, bundle);
  for (const std::string& path : mapped) CHECK(path.rfind(rootfs + "/lib/", 0) == 0);
}

TEST_CASE("python3 in a bundle finds its standard library and extension modules in the bundle") {
  // A bundle must run where its files are not installed. python3 finds its home from argv[0]:
  // the bundle's own bin/python3.X leads it to the bundle's lib/python3.X, but a bare name is
  // searched in PATH and leads it to the host's /usr/lib/python3.X (or to whatever python3 comes
  // first in PATH).
  const std::optional<Python> python = debian_python();
  if (!python) return;
  Sandbox sandbox;
  const std::string bundle = python_bundle(sandbox, *python);
  Outcome run = sandbox.tproc(
      {"run", "s", bundle, "-c", "import sys, json, _ssl\nprint(sys.prefix)\nprint(json.__file__)\nprint(_ssl.__file__)"});
  REQUIRE_THAT(run, ExitsWith(0));
  const std::string rootfs = unpacked_root(sandbox, bundle);
  const auto printed = lines(run.out);
  REQUIRE(printed.size() == 3);
  CHECK(printed[0] == rootfs);
  CHECK(printed[1] == rootfs + "/lib/" + python->version + "/json/__init__.py");
  CHECK(printed[2].rfind(rootfs + "/lib/" + python->version + "/lib-dynload/_ssl.", 0) == 0);
}

TEST_CASE("memcached from Debian serves TCP clients from a bundle, multithreaded, until stopped") {
  if (!installed("/usr/bin/memcached", "memcached")) return;
  Sandbox sandbox;
  // -u root: memcached refuses to run as root without it, and resolves the user through NSS.
  const std::string bundle = bundle_of(sandbox, "memcached", "/usr/bin/memcached",
                                       "libraries: bundled\nargs: [\"-u\", \"root\", \"-l\", \"127.0.0.1\"]\n");
  const int port = free_tcp_port();
  const std::string id = sandbox.detach(
      {"s", bundle, "-u", "root", "-l", "127.0.0.1", "-p", std::to_string(port), "-U", "0", "-t", "4", "-c", "64"});
  const pid_t pid = sandbox.tproc_info("s", id).pid;

  std::vector<Client> clients;
  for (int i = 0; i < 4; ++i) {
    std::optional<Client> client;
    REQUIRE(eventually([&] { return (client = Client::connect(port)).has_value(); }));
    clients.push_back(std::move(*client));
  }
  // Each client stores a key; then each reads the next client's key back.
  for (size_t i = 0; i < clients.size(); ++i) {
    const std::string value = "value-" + std::to_string(i);
    CHECK(clients[i].ask("set key" + std::to_string(i) + " 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n",
                         "\r\n") == "STORED\r\n");
  }
  for (size_t i = 0; i < clients.size(); ++i) {
    const size_t other = (i + 1) % clients.size();
    const std::string value = "value-" + std::to_string(other);
    CHECK(clients[i].ask("get key" + std::to_string(other) + "\r\n", "END\r\n") ==
          "VALUE key" + std::to_string(other) + " 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\nEND\r\n");
  }
  const std::string stats = clients[0].ask("stats\r\n", "END\r\n");
  CHECK(contains(stats, "STAT threads 4\r\n"));
  CHECK(contains(stats, "STAT curr_connections 4\r\n"));
  CHECK(thread_count(pid) > 4);

  CHECK_THAT(sandbox.tproc({"stop", "-t", "5", "s", id}), ExitsWith(0));
  CHECK(eventually([&] {
    auto listed = sandbox.find_tproc("s", id, true);
    return !listed || listed->state != "running";
  }));
  CHECK_FALSE(Client::connect(port).has_value());
}

TEST_CASE("getent from Debian resolves users, groups and hosts through NSS from a bundle") {
  if (!installed("/usr/bin/getent", "libc-bin")) return;
  Sandbox sandbox;
  const std::string bundle = bundle_of(sandbox, "getent", "/usr/bin/getent", "libraries: bundled\n");
  for (const std::vector<std::string>& query :
       std::vector<std::vector<std::string>>{{"passwd", "root"}, {"group", "0"}, {"ahosts", "localhost"}}) {
    INFO("getent " << query[0] << " " << query[1]);
    std::vector<std::string> direct_argv = {"/usr/bin/getent"};
    direct_argv.insert(direct_argv.end(), query.begin(), query.end());
    const Outcome direct = sandbox.run_direct(direct_argv);
    if (direct.status != 0) {
      WARN("the host itself cannot resolve getent " << query[0] << " " << query[1] << ": skipped");
      continue;
    }
    std::vector<std::string> args = {"run", "s", bundle};
    args.insert(args.end(), query.begin(), query.end());
    Outcome run = sandbox.tproc(args);
    REQUIRE_THAT(run, ExitsWith(0));
    CHECK(run.out == direct.out);
  }
}

TEST_CASE("date from Debian formats a time with a locale and a time zone from a bundle") {
  if (!installed("/bin/date", "coreutils")) return;
  Sandbox sandbox;
  const std::string zone = fs::exists("/usr/share/zoneinfo/America/New_York") ? "America/New_York" : "UTC";
  const std::string bundle = bundle_of(sandbox, "date", "/bin/date",
                                       "libraries: bundled\nenv:\n  LC_ALL: C.UTF-8\n  TZ: " + zone + "\n");
  const std::vector<std::string> format = {"-d", "@0", "+%A %d %B %Y %H:%M %Z"};

  std::vector<std::string> args = {"run", "s", bundle};
  args.insert(args.end(), format.begin(), format.end());
  Outcome run = sandbox.tproc(args);
  REQUIRE_THAT(run, ExitsWith(0));
  std::vector<std::string> direct_argv = {"/bin/date"};
  direct_argv.insert(direct_argv.end(), format.begin(), format.end());
  const Outcome direct = sandbox.run_direct(direct_argv, {.extra_env = {"LC_ALL=C.UTF-8", "TZ=" + zone}});
  REQUIRE_THAT(direct, ExitsWith(0));
  CHECK(run.out == direct.out);
  CHECK(run.out == (zone == "UTC" ? "Thursday 01 January 1970 00:00 UTC\n" : "Wednesday 31 December 1969 19:00 EST\n"));
}
