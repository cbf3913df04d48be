// Writes the bundle unpacker's seed corpus (bundle_recipe.hpp explains the two input forms):
//   - bundle-*: real bundles from write_bundle(), verbatim;
//   - recipe-*: recipes whose layer is a plain tar made here with libarchive, one per rule the
//     layer checker enforces (escapes, links out, entries under a symlink, device nodes, setuid,
//     duplicates...), plus recipes that break one document rule each.
// Each seed is opened and unpacked here as the fuzz target would, and must be accepted or refused
// as its name says ("bad-" refused), so the corpus stays what it claims after the code changes.
//
// Usage: bundle_seeds DIR (make-seeds runs it into corpus/bundle_unpack_fuzz).

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "bundle/bundle_archive.hpp"
#include "bundle/oci_layout.hpp"
#include "bundle/remove_tree.hpp"
#include "bundle/unique_archive.hpp"
#include "bundle_recipe.hpp"

namespace {

using tproc::Result;
using namespace tproc::bundle;

/// One layer entry to write with libarchive.
struct TarEntry {
  std::string path;
  mode_t type = AE_IFREG;
  mode_t mode = 0644;
  std::string content;  ///< regular files
  std::string link;     ///< symlink target, or hardlink target when `hardlink`
  bool hardlink = false;
};

TarEntry file(std::string path, std::string content, mode_t mode = 0644) {
  return {.path = std::move(path), .mode = mode, .content = std::move(content)};
}
TarEntry directory(std::string path, mode_t mode = 0755) {
  return {.path = std::move(path), .type = AE_IFDIR, .mode = mode};
}
TarEntry symlink(std::string path, std::string target) {
  return {.path = std::move(path), .type = AE_IFLNK, .mode = 0777, .link = std::move(target)};
}
TarEntry hardlink(std::string path, std::string target) {
  return {.path = std::move(path), .link = std::move(target), .hardlink = true};
}
TarEntry special(std::string path, mode_t type) { return {.path = std::move(path), .type = type}; }

/// The entries as a tar archive (pax restricted: ustar unless a name needs more), or gzip'd.
std::string make_tar(const std::vector<TarEntry>& entries, bool gzip = false) {
  auto writer = ArchiveWriter::create();
  std::vector<char> buffer(1 << 20);
  size_t used = 0;
  if (!writer || archive_write_set_format_pax_restricted(writer->get()) != ARCHIVE_OK ||
      (gzip && archive_write_add_filter_gzip(writer->get()) != ARCHIVE_OK) ||
      archive_write_set_bytes_in_last_block(writer->get(), 1) != ARCHIVE_OK ||
      archive_write_open_memory(writer->get(), buffer.data(), buffer.size(), &used) != ARCHIVE_OK) {
    std::fprintf(stderr, "bundle_seeds: libarchive writer failed\n");
    std::exit(1);
  }
  for (const TarEntry& entry : entries) {
    auto header = UniqueArchiveEntry::create();
    archive_entry_set_pathname(header->get(), entry.path.c_str());
    archive_entry_set_filetype(header->get(), entry.type);
    archive_entry_set_perm(header->get(), entry.mode);
    archive_entry_set_mtime(header->get(), 0, 0);
    if (entry.type == AE_IFLNK) archive_entry_set_symlink(header->get(), entry.link.c_str());
    if (entry.hardlink) archive_entry_set_hardlink(header->get(), entry.link.c_str());
    archive_entry_set_size(header->get(), static_cast<la_int64_t>(entry.content.size()));
    if (archive_write_header(writer->get(), header->get()) != ARCHIVE_OK ||
        (!entry.content.empty() &&
         archive_write_data(writer->get(), entry.content.data(), entry.content.size()) < 0)) {
      std::fprintf(stderr, "bundle_seeds: %s: %s\n", entry.path.c_str(), writer->error_string().c_str());
      std::exit(1);
    }
  }
  archive_write_close(writer->get());
  return std::string(buffer.data(), used);
}

constexpr const char* kIndex =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)"
    R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:@MANIFEST@",)"
    R"("size":@MANIFEST_SIZE@,"annotations":{"org.opencontainers.image.ref.name":"app:1.0"}}]})";

std::string manifest_json(std::string_view config_type, std::string_view layer_type) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
         R"("config":{"mediaType":")" + std::string(config_type) +
         R"(","digest":"sha256:@CONFIG@","size":@CONFIG_SIZE@},)"
         R"("layers":[{"mediaType":")" + std::string(layer_type) +
         R"(","digest":"sha256:@LAYER@","size":@LAYER_SIZE@}],)"
         R"("annotations":{"org.opencontainers.image.title":"app","org.opencontainers.image.version":"1.0"}})";
}

const std::string kManifest = manifest_json(kMediaTypeTprocConfig, kMediaTypeLayerTar);
constexpr const char* kConfig = R"({"name":"app","entrypoint":"bin/app"})";

/// A recipe from its parts (bundle_recipe.hpp).
std::string recipe(const std::string& index, const std::string& manifest, const std::string& config,
                   const std::string& layer) {
  std::string out(1, tproc::fuzz::kRecipeMarker);
  for (const std::string* part : {&index, &manifest, &config}) {
    out += *part;
    out += tproc::fuzz::kPartSeparator;
  }
  return out + layer;
}

std::string layer_recipe(const std::vector<TarEntry>& entries) {
  return recipe(kIndex, kManifest, kConfig, make_tar(entries));
}

/// The app most layers start from: a program, a library with its usual symlink, a data file.
std::vector<TarEntry> app_entries() {
  return {directory("bin"), file("bin/app", "\x7f" "ELF...", 0755), directory("lib"),
          file("lib/libapp.so.1.0", "library", 0755), symlink("lib/libapp.so.1", "libapp.so.1.0"),
          directory("share/app"), file("share/app/app.conf", "key = value\n")};
}

std::vector<TarEntry> app_with(std::vector<TarEntry> extra) {
  std::vector<TarEntry> entries = app_entries();
  entries.insert(entries.end(), extra.begin(), extra.end());
  return entries;
}

/// A real bundle from write_bundle(), read back verbatim.
std::string written_bundle(const BundleContents& contents, const std::string& scratch) {
  const std::string path = scratch + "/written.bundle";
  auto written = write_bundle(contents, path);
  if (!written) {
    std::fprintf(stderr, "bundle_seeds: write_bundle: %s\n", written.error().describe().c_str());
    std::exit(1);
  }
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

BundleContents app_contents() {
  BundleContents contents;
  contents.name = "app";
  contents.version = "1.0";
  contents.config_json = kConfig;
  contents.mtime = 0;
  contents.files = {BundleFile::from_bytes("bin/app", "\x7f" "ELF...", 0755),
                    BundleFile::from_bytes("lib/libapp.so.1.0", "library", 0755),
                    BundleFile::symlink("lib/libapp.so.1", "libapp.so.1.0"),
                    BundleFile::directory("share/app")};
  return contents;
}

struct Seed {
  std::string name;
  std::function<std::string(const std::string& scratch)> make;
};

std::vector<Seed> seeds() {
  const auto layer = [](std::vector<TarEntry> entries) {
    return [entries](const std::string&) { return layer_recipe(entries); };
  };
  const auto text = [](std::string bytes) { return [bytes](const std::string&) { return bytes; }; };
  return {
      {"bundle-app", [](const std::string& scratch) { return written_bundle(app_contents(), scratch); }},
      {"bundle-long-names", [](const std::string& scratch) {
         BundleContents contents = app_contents();
         const std::string deep = "share/" + std::string(120, 'd') + "/" + std::string(110, 'f');
         contents.files.push_back(BundleFile::from_bytes(deep, "needs a pax header", 0644));
         contents.files.push_back(BundleFile::symlink("share/up", "../" + std::string(4, '.') + "x"));
         return written_bundle(contents, scratch);
       }},

      {"recipe-app", layer(app_entries())},
      {"recipe-empty-layer", layer({})},
      {"recipe-hardlink", layer(app_with({hardlink("bin/app2", "bin/app")}))},
      {"recipe-links-up", layer(app_with({symlink("share/app/lib", "../../lib"), symlink("share/app/self", "."),
                                          symlink("bin/conf", "../share/app/app.conf")}))},
      {"recipe-readonly-directory", layer(app_with({directory("ro", 0555), file("ro/f", "x", 0444),
                                                    directory("locked", 0)}))},
      {"recipe-dot-names", layer(app_with({file("./dot/./f", "x"), directory("./")}))},
      {"recipe-gzip-layer", [](const std::string&) {
         return recipe(kIndex, manifest_json(kMediaTypeTprocConfig, kMediaTypeLayerTarGzip), kConfig,
                       make_tar(app_entries(), /*gzip=*/true));
       }},
      {"recipe-image-config", [](const std::string&) {
         return recipe(kIndex, manifest_json(kMediaTypeImageConfig, kMediaTypeLayerTar),
                       std::string(R"({"architecture":"amd64","os":"linux","tproc":)") + kConfig + "}",
                       make_tar(app_entries()));
       }},

      {"bad-recipe-dotdot", layer(app_with({file("../escape", "x")}))},
      {"bad-recipe-inner-dotdot", layer(app_with({file("bin/../../escape", "x")}))},
      {"bad-recipe-absolute", layer(app_with({file("/tmp/escape", "x")}))},
      {"bad-recipe-symlink-out", layer(app_with({symlink("bin/out", "../../etc/passwd")}))},
      {"bad-recipe-symlink-absolute", layer(app_with({symlink("bin/out", "/etc/passwd")}))},
      {"bad-recipe-symlink-name-dotdot", layer(app_with({symlink("bin/out", "x/../../..")}))},
      {"bad-recipe-under-symlink", layer(app_with({symlink("etc", "share"), file("etc/app/f", "x")}))},
      {"bad-recipe-hardlink-missing", layer(app_with({hardlink("bin/h", "bin/none")}))},
      {"bad-recipe-hardlink-out", layer(app_with({hardlink("bin/h", "../etc/passwd")}))},
      {"bad-recipe-char-device", layer(app_with({special("dev/null", AE_IFCHR)}))},
      {"bad-recipe-fifo", layer(app_with({special("run/fifo", AE_IFIFO)}))},
      {"bad-recipe-setuid", layer(app_with({file("bin/su", "x", 04755)}))},
      {"bad-recipe-duplicate", layer(app_with({file("bin/app", "again", 0755)}))},
      {"bad-recipe-file-then-dir", layer(app_with({directory("bin/app/sub")}))},

      {"bad-recipe-no-manifest", text(recipe(R"({"schemaVersion":2,"manifests":[]})", kManifest, kConfig,
                                             make_tar(app_entries())))},
      {"bad-recipe-wrong-size", [](const std::string&) {
         std::string manifest = kManifest;
         manifest.replace(manifest.find("@LAYER_SIZE@"), 12, "@LAYER_SIZE@0");
         return recipe(kIndex, manifest, kConfig, make_tar(app_entries()));
       }},
      {"bad-recipe-two-layers", [](const std::string&) {
         std::string manifest = kManifest;
         const std::string layer = R"({"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:@LAYER@","size":@LAYER_SIZE@})";
         manifest.replace(manifest.find("\"layers\":[") + 10, 0, layer + ",");
         return recipe(kIndex, manifest, kConfig, make_tar(app_entries()));
       }},
      {"bad-recipe-layout-version", text(recipe(kIndex, kManifest, kConfig, make_tar(app_entries())) +
                                         std::string(tproc::fuzz::kPartSeparator) +
                                         R"({"imageLayoutVersion":"2.0.0"})")},
      {"bad-recipe-config-not-object", text(recipe(kIndex, kManifest, "[]", make_tar(app_entries())))},
      {"bad-not-a-tar", text("oci-layout but not a tar archive")},
  };
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::string scratch = "/tmp/tproc-bundle-seeds.XXXXXX";
  if (::mkdtemp(scratch.data()) == nullptr) {
    std::perror("bundle_seeds: mkdtemp");
    return 1;
  }
  int status = 0;
  for (const Seed& seed : seeds()) {
    const std::string bytes = seed.make(scratch);
    // Open and unpack it as the fuzz target does, and say how it ends.
    const std::string bundle = scratch + "/seed.bundle";
    const std::string unpacked = scratch + "/unpacked";
    Result<void> outcome = tproc::fuzz::write_bundle_recipe(bytes, bundle);
    if (outcome) {
      auto archive = BundleArchive::open(bundle);
      outcome = archive ? archive->unpack_to(unpacked) : Result<void>(std::move(archive).error());
    }
    (void)remove_tree(unpacked);
    std::printf("%-32s %6zu bytes  %s\n", seed.name.c_str(), bytes.size(),
                outcome ? "unpacked" : outcome.error().describe().c_str());
    if (outcome.has_value() == seed.name.starts_with("bad-")) {
      std::fprintf(stderr, "bundle_seeds: %s was %s\n", seed.name.c_str(), outcome ? "accepted" : "refused");
      status = 1;
    }
    std::ofstream out(dir + "/" + seed.name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "bundle_seeds: cannot write %s/%s\n", dir.c_str(), seed.name.c_str());
      status = 1;
    }
  }
  (void)remove_tree(scratch);
  return status;
}
