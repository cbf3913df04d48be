#include "local_registry.hpp"

#include <arpa/inet.h>
#include <crypt.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include <catch2/catch.hpp>

#include "bundle_support.hpp"
#include "common/unique_fd.hpp"

namespace tproc::e2e {

SpawnOptions hermetic(Sandbox& sandbox) {
  std::filesystem::create_directories(sandbox.root() / "xdg");
  std::filesystem::permissions(sandbox.root() / "xdg", std::filesystem::perms::owner_all);
  return SpawnOptions{.extra_env = {"XDG_RUNTIME_DIR=" + (sandbox.root() / "xdg").native(),
                                    "HOME=" + sandbox.root().native()}};
}

Outcome tproc_in(Sandbox& sandbox, const std::vector<std::string>& args) { return sandbox.tproc(args, hermetic(sandbox)); }

Outcome skopeo(Sandbox& sandbox, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/skopeo"};
  argv.insert(argv.end(), args.begin(), args.end());
  return sandbox.run_direct(argv, hermetic(sandbox));
}

std::string hello_bundle(Sandbox& sandbox) {
  const std::filesystem::path dir = sandbox.root() / "hello";
  place_file(source_dir() + "/samples/hello/tproc.yaml", dir / "tproc.yaml");
  place_file(sample("hello", "hello"), dir / "hello");
  return build_bundle(sandbox, (dir / "tproc.yaml").native(), "hello.bundle");
}

void check_nothing_kept(Sandbox& sandbox) {
  CHECK(images(sandbox).empty());
  CHECK(cache_entries(sandbox).empty());
  std::vector<std::string> scratch;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(sandbox.home_dir() / "images", error))
    if (entry.path().filename().native().rfind("tmp-", 0) == 0) scratch.push_back(entry.path());
  CHECK(scratch.empty());
}

namespace {

constexpr const char* kRegistryBinary = "/usr/bin/docker-registry";

bool accepts_connections(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return fd && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

/// "NAME:BCRYPT-HASH": the registry's htpasswd accepts bcrypt only; libcrypt makes it.
std::string htpasswd_line(const RegistryUser& user) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (::crypt_gensalt_rn("$2b$", 5, nullptr, 0, salt, sizeof salt) == nullptr)
    throw std::runtime_error("crypt_gensalt failed");
  struct crypt_data data {};
  const char* hash = ::crypt_r(user.password.c_str(), salt, &data);
  if (hash == nullptr || hash[0] == '*') throw std::runtime_error("bcrypt failed");
  return user.name + ":" + hash + "\n";
}

}  // namespace

LocalRegistry::LocalRegistry(Sandbox& sandbox, std::optional<RegistryUser> user) {
  if (::access(kRegistryBinary, X_OK) != 0)
    throw std::runtime_error(std::string(kRegistryBinary) + " is missing: scripts/install-deps installs docker-registry");
  for (int n = 0;; ++n) {
    dir_ = sandbox.root() / ("registry-" + std::to_string(n));
    if (!std::filesystem::exists(dir_)) break;
  }
  std::filesystem::create_directories(dir_ / "storage");
  port_ = free_tcp_port();
  std::string config = "version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: " +
                       (dir_ / "storage").native() + "}\n  delete: {enabled: true}\nhttp:\n  addr: 127.0.0.1:" +
                       std::to_string(port_) + "\n  secret: tproc-tests\n";
  if (user) {
    std::ofstream(dir_ / "htpasswd") << htpasswd_line(*user);
    config += "auth:\n  htpasswd: {realm: tproc-tests, path: " + (dir_ / "htpasswd").native() + "}\n";
  }
  std::ofstream(dir_ / "config.yml") << config;
  process_.emplace(sandbox.start_direct({kRegistryBinary, "serve", (dir_ / "config.yml").native()}));
  if (!eventually([&] { return accepts_connections(port_) || process_->exited(); }) || process_->exited())
    throw std::runtime_error("docker-registry did not start on port " + std::to_string(port_) + ": " + process_->err());
}

std::filesystem::path LocalRegistry::blob_file(const std::string& digest) const {
  const std::string hex = digest.substr(7);
  return dir_ / "storage/docker/registry/v2/blobs/sha256" / hex.substr(0, 2) / hex / "data";
}

int LocalRegistry::put_manifest(const std::string& repository, const std::string& tag, const std::string& manifest) const {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port_));
  if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw std::runtime_error("cannot connect to the registry on port " + std::to_string(port_));
  const std::string request = "PUT /v2/" + repository + "/manifests/" + tag + " HTTP/1.1\r\nHost: " + host() +
                              "\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: " +
                              std::to_string(manifest.size()) + "\r\nConnection: close\r\n\r\n" + manifest;
  for (size_t sent = 0; sent < request.size();) {
    ssize_t wrote = ::write(fd.get(), request.data() + sent, request.size() - sent);
    if (wrote <= 0) throw std::runtime_error("cannot send the manifest to the registry");
    sent += static_cast<size_t>(wrote);
  }
  std::string response;
  char buffer[4096];
  ssize_t got;
  while ((got = ::read(fd.get(), buffer, sizeof buffer)) > 0) response.append(buffer, static_cast<size_t>(got));
  // "HTTP/1.1 201 Created"
  if (response.size() < 12 || response.compare(0, 5, "HTTP/") != 0) throw std::runtime_error("the registry said: " + response);
  return std::stoi(response.substr(9, 3));
}

}  // namespace tproc::e2e
