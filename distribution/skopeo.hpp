#pragma once
// Skopeo: tproc speaks to OCI registries through skopeo, a child process per transfer.
//
// Why skopeo rather than an HTTP client of our own: it is Debian's own implementation of the
// distribution API (containers/image, what podman and buildah use): the Bearer token flow, TLS
// with the system's CA store, HEAD before PUT and cross-repository mounts, retries, and the
// settings users already have (registries.conf, auth.json, ~/.docker/config.json, certs.d) —
// each a protocol detail a hand-written client would get wrong. Its one cost is ~30 ms of start-up
// per call, nothing next to a transfer. What skopeo hands back is never trusted: every blob is
// verified again by tproc's own reader before the cache takes it (image_pull.hpp).
//
// Its errors are Go error chains on stderr (`time=... level=fatal msg="reading manifest 1.0 in
// localhost:5000/kv: unauthorized: authentication required"`); run_skopeo() turns them into one
// line saying the reason, with an errno callers can branch on.

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace tproc::distribution {

/// One run of skopeo.
struct SkopeoCall {
  std::vector<std::string> args;       ///< after "skopeo": {"copy", "oci-archive:x", "docker://y"}
  std::vector<std::string> extra_env;  ///< KEY=VALUE added to ours
  std::string scratch_dir;             ///< where its temporary files go (--tmpdir and TMPDIR); "": its default
  uint64_t max_file_bytes = 0;         ///< RLIMIT_FSIZE for it: no file it writes grows past this (0: no limit)
  std::string registry;                ///< the host spoken to, for the hints in errors
  bool capture_stdout = false;         ///< return stdout (else it goes to our stderr, or nowhere)
  bool progress = false;               ///< without capture: its stdout (progress) to our stderr
  bool pass_stdin = false;             ///< our stdin (a password prompt) instead of /dev/null
  bool pass_stdout = false;            ///< our stdout (prompts, "Login Succeeded!") as it is
};

/// Runs skopeo and returns its stdout when captured (at most 8 MiB). A failure is one line:
/// EACCES authentication failed, ENOENT no such image, EBADMSG a blob did not match its digest,
/// ECONNREFUSED/EHOSTUNREACH the registry is unreachable, ECONNRESET the connection dropped
/// mid-transfer and skopeo did not retry, ECONNABORTED it dropped again after skopeo's own retries,
/// EPROTO a TLS or HTTP mismatch, EFBIG a file would
/// have passed max_file_bytes, ENOEXEC skopeo is missing, EIO anything else (skopeo's own message).
Result<std::string> run_skopeo(const SkopeoCall& call);

/// Runs `skopeo copy` (`call`) writing `output`, and starts it over when the connection dropped
/// and skopeo did not retry (ECONNRESET), up to 3 attempts in all; `output` is removed before each
/// attempt and after the last failed one. skopeo's own --retry-times covers what its library deems
/// transient (a reset read, a refused connection, a 5xx), not a body cut short ("unexpected EOF")
/// or a write on a connection the peer closed ("use of closed network connection"): this does.
/// Nothing is resumed mid-blob (skopeo 1.9 sends no Range requests): a pull fetches its blobs
/// again; a push skips the blobs the registry already has (HEAD before PUT).
Result<void> run_skopeo_copy(const SkopeoCall& call, const std::string& output);

/// The one-line reason for skopeo's `stderr` (exposed for its unit test), and its errno.
Error skopeo_error(const std::string& stderr_text, const std::string& registry);

}  // namespace tproc::distribution
