#pragma once
// LocalRegistry: a real OCI registry on this machine for the tests: Debian's docker-registry (the
// CNCF distribution registry), started on a free port of 127.0.0.1 with its storage in the
// sandbox, optionally behind htpasswd auth, and killed by pid when it goes (also when a test fails).

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "sandbox.hpp"

namespace tproc::e2e {

/// A user name and password the registry accepts.
struct RegistryUser {
  std::string name;
  std::string password;
};

/// A running docker-registry. Throws from the constructor when it cannot be started.
class LocalRegistry {
 public:
  /// Starts one with its storage under sandbox.root()/registry-N; with `user`, only that user
  /// (htpasswd, bcrypt) may read or write.
  explicit LocalRegistry(Sandbox& sandbox, std::optional<RegistryUser> user = std::nullopt);

  /// "localhost:PORT": what references name it by.
  std::string host() const { return "localhost:" + std::to_string(port_); }
  /// Its TCP port on 127.0.0.1.
  int port() const { return port_; }
  /// Stores `manifest` (an OCI image manifest) as REPOSITORY:TAG with one plain HTTP PUT of the
  /// distribution API, as a hostile client may: no client-side check of what it declares. The
  /// registry checks only that the blobs it names exist. The HTTP status.
  int put_manifest(const std::string& repository, const std::string& tag, const std::string& manifest) const;
  /// The file holding the blob `digest` ("sha256:…") in the registry's storage.
  std::filesystem::path blob_file(const std::string& digest) const;

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  std::optional<ChildProcess> process_;
};

/// What every command of the registry tests runs with: credentials and skopeo's settings looked
/// for in the sandbox only (auth.json under root()/xdg as XDG_RUNTIME_DIR, ~/.docker under root()).
SpawnOptions hermetic(Sandbox& sandbox);

/// `tproc ARGS` run with hermetic(sandbox).
Outcome tproc_in(Sandbox& sandbox, const std::vector<std::string>& args);

/// `/usr/bin/skopeo ARGS` run with hermetic(sandbox).
Outcome skopeo(Sandbox& sandbox, const std::vector<std::string>& args);

/// root()/hello.bundle: the hello sample with its own manifest (name hello, version 1.0.0), a real
/// bundle to push or to take a config from.
std::string hello_bundle(Sandbox& sandbox);

/// Checks that nothing of a pull stays: no image, no cache entry, no scratch directory
/// ($TPROC_HOME/images/tmp-*).
void check_nothing_kept(Sandbox& sandbox);

}  // namespace tproc::e2e
