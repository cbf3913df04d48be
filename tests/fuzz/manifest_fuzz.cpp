// Fuzz target for Manifest::parse, which reads a tproc.yaml written by whoever built a bundle:
// any text either fails with the documented one-line error or yields a manifest whose canonical
// JSON form round-trips.
//
// Properties, from bundle/manifest.hpp:
//   - an error is one line that starts with the file name, with errno EINVAL;
//   - to_json() of a parsed manifest is itself a valid manifest (JSON is YAML) that from_json()
//     reads back to an equal Manifest, and that gives the same bytes again: a bundle's config blob
//     is reproducible only if this holds.
// yaml-cpp itself is the system's build, so coverage guides the fuzzer through tproc's decoding
// only; the sanitizers still see every allocation yaml-cpp makes.

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "bundle/manifest.hpp"

namespace {

/// Traps (a crash libFuzzer records) unless `property` holds.
void require(bool property) {
  if (!property) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tproc::bundle::Manifest;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto manifest = Manifest::parse(text, "fuzz.yaml");
  if (!manifest) {
    const std::string& message = manifest.error().message();
    require(manifest.error().code() == EINVAL);
    require(message.starts_with("fuzz.yaml:"));
    require(message.find('\n') == std::string::npos);
    return 0;
  }

  const std::string json = manifest->to_json();
  auto again = Manifest::from_json(json);
  if (!again) {
    // Say which JSON the parser refused: the input alone does not show it.
    std::fprintf(stderr, "to_json() gave %s\nfrom_json() refused it: %s\n", json.c_str(),
                 again.error().describe().c_str());
    __builtin_trap();
  }
  require(*again == *manifest);
  require(again->to_json() == json);
  return 0;
}
