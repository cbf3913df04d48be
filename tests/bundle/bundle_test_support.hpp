#pragma once
// Helpers the bundle tests share: temporary directories that clean up after themselves, tar
// archives built entry by entry with libarchive (hostile ones included), and bundles assembled by
// hand around such a layer so every refusal can be provoked on purpose.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tproc::bundle::test {

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it when destroyed.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  /// path() + "/" + name.
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// One entry of a hand-built tar archive.
struct TarEntry {
  enum class Type { file, directory, symlink, hardlink, char_device, fifo };
  std::string name;
  Type type = Type::file;
  std::string data;    ///< file content
  mode_t mode = 0644;  ///< permission bits, setuid/setgid included when a test wants them
  std::string link;    ///< symlink target or hardlink target
};

/// A tar archive of `entries`, in order, gzip'd when `gzip` is set.
std::string make_tar(const std::vector<TarEntry>& entries, bool gzip);

/// One member of a tar archive as read back.
struct TarMember {
  std::string name;
  mode_t type = 0;  ///< AE_IFREG, AE_IFDIR, AE_IFLNK…
  mode_t mode = 0;  ///< permission bits
  int64_t mtime = 0;
  int64_t uid = 0;
  int64_t gid = 0;
  std::string uname;
  std::string gname;
  std::string data;
  std::string link;  ///< symlink target
};

/// Every member of the tar archive `bytes` (gzip'd or not), in order.
std::vector<TarMember> read_tar(const std::string& bytes);

/// The pieces of a hand-built bundle; each can be spoiled by a test.
struct RawBundle {
  std::string layer;  ///< the layer blob (normally make_tar(..., true))
  std::string tproc_config = R"({"name":"kv","version":"1.0"})";
  bool with_index = true;
  bool with_oci_layout = true;
  std::optional<std::string> layer_blob_override;  ///< stored under the layer's digest instead of it
  std::optional<uint64_t> layer_size_override;     ///< what the manifest says the layer's size is
};

/// The bundle archive's bytes.
std::string make_bundle(const RawBundle& raw);

/// The SHA-256 of `bytes` in hex (computed with libcrypto directly, not the code under test).
std::string sha256_of(const std::string& bytes);

void write_file(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);

/// The names in directory `path` (without "." and ".."), sorted.
std::vector<std::string> list_dir(const std::string& path);

/// Runs `command` with /bin/sh, returning its exit status and combined stdout and stderr.
std::pair<int, std::string> run_command(const std::string& command);

/// Whether `program` is found on $PATH.
bool have_program(const std::string& program);

}  // namespace tproc::bundle::test
