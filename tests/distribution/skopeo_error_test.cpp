// skopeo_error: skopeo's fatal line read as one reason a user can act on, with the errno the
// retry logic goes by (ECONNRESET: start the copy over; EACCES: no retry, log in).

#include "distribution/skopeo.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <string>

using tproc::distribution::skopeo_error;

namespace {

/// A line as skopeo 1.9 prints its fatal error on stderr (quotes inside `message` escaped already).
std::string fatal(const std::string& message) {
  return "time=\"2026-12-07T15:00:00Z\" level=fatal msg=\"" + message + "\"\n";
}

}  // namespace

TEST_CASE("a registry's 401 is an authentication failure, however skopeo words it") {
  for (const std::string message :
       {"initializing source docker://localhost:5000/team/kv:1.0: reading manifest 1.0 in localhost:5000/team/kv: "
        "unauthorized: authentication required",
        "initializing source docker://localhost:5000/team/kv:1.0: requesting bearer token: invalid status code from "
        "registry 401"}) {
    INFO(message);
    const tproc::Error error = skopeo_error(fatal(message), "localhost:5000");
    CHECK(error.code() == EACCES);
    CHECK_THAT(error.describe(), Catch::StartsWith("authentication failed: localhost:5000"));
  }
}

TEST_CASE("three digits 401 inside an upload id, a digest or a port are no status code: a dropped push stays a dropped push") {
  const std::string message =
      "writing blob: Patch \\\"http://localhost:37401/v2/team/hello/blobs/uploads/7f1c4013-a401-4e2b-9c01-0401b7e3d2aa"
      "?_state=x\\\": use of closed network connection";
  const tproc::Error error = skopeo_error(fatal(message), "localhost:37401");
  CHECK(error.code() == ECONNRESET);
  CHECK(error.describe() == "the connection to localhost:37401 dropped during the transfer");
}
