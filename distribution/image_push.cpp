#include "distribution/image_push.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "bundle/bundle_archive.hpp"
#include "bundle/oci_layout.hpp"
#include "common/unique_fd.hpp"
#include "distribution/skopeo.hpp"

namespace tproc::distribution {

std::string push_target(std::string_view target, std::string_view name, std::string_view version) {
  std::string own = bundle::oci_ref_name(name, version);
  if (target.empty()) return own;
  if (target.ends_with('/')) return std::string(target) + own;
  return std::string(target);
}

Result<PushedImage> push_bundle(const std::string& bundle_path, std::string_view target, const TransferOptions& options,
                                const std::string& scratch_dir) {
  // What leaves this machine is what a pull would accept: every blob verified, and every layer
  // entry checked as an unpack would (a hostile bundle file is refused here, not by each puller).
  bundle::BundleArchive archive = TPROC_TRY(bundle::BundleArchive::open(bundle_path));
  TPROC_TRY(archive.files());
  if (target.empty() && archive.name().empty())
    return Error::explained("the bundle has no name to push it under: give a REF", EINVAL);
  ImageReference reference = TPROC_TRY(ImageReference::parse(push_target(target, archive.name(), archive.version())));
  if (!reference.digest().empty())
    return Error::explained("a push goes to a tag, not a digest (the digest is the bundle's own: " +
                                archive.manifest_digest() + ")",
                            EINVAL);
  const std::string digest_file = scratch_dir + "/digest";
  std::vector<std::string> copy{"copy", "--retry-times=3", "--digestfile", digest_file,
                                std::string("--dest-tls-verify=") + (verifies_tls(reference, options) ? "true" : "false")};
  if (!options.progress) copy.push_back("--quiet");
  copy.push_back("oci-archive:" + bundle_path);
  copy.push_back("docker://" + reference.full());
  TPROC_TRY(run_skopeo_copy({.args = copy, .scratch_dir = scratch_dir, .registry = reference.registry(), .progress = options.progress},
                             digest_file));
  std::string pushed;
  UniqueFd fd(::open(digest_file.c_str(), O_RDONLY | O_CLOEXEC));
  char buffer[128];
  ssize_t got = fd ? ::read(fd.get(), buffer, sizeof buffer) : -1;
  if (got > 0) pushed.assign(buffer, static_cast<size_t>(got));
  while (!pushed.empty() && (pushed.back() == '\n' || pushed.back() == ' ')) pushed.pop_back();
  if (pushed != archive.manifest_digest())
    return Error::explained("the registry holds manifest " + (pushed.empty() ? std::string("(unknown)") : pushed) +
                                ", not the bundle's " + archive.manifest_digest() + ": it was rewritten on the way",
                            EBADMSG);
  return PushedImage{reference.full(), pushed};
}

}  // namespace tproc::distribution
