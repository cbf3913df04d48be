// Specification of Manifest: what a tproc.yaml may say, the defaults it gets, the one-line
// `FILE:LINE:COL: field.path: reason` errors it produces, and its canonical JSON form.

#include "bundle/manifest.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <string_view>

namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using tproc::bundle::Endpoint;
using tproc::bundle::LibraryPolicy;
using tproc::bundle::MallocPolicy;
using tproc::bundle::Manifest;
using tproc::bundle::NamedValues;
using tproc::bundle::parse_size;
using tproc::bundle::Readiness;

// Sample 1: a service that uses every field.
constexpr std::string_view kKvServer = R"(# The kv sample server.
name: kv-server
version: "1.4.2"
entrypoint: build/samples/kv/kv_server
args: [--port, 7000, --verbose]
env:
  KV_SHARDS: 16
  KV_LOG: info
  KV_STRICT: true
  A_LAST_BUT_FIRST: "x=y"
workdir: /var/lib/kv
libraries: bundled
files:
  - share/kv/*.conf
  - lib/kv/plugins/*.so
endpoints:
  - name: kv/requests
    symbol: kv_request_queue
    kind: channel
    ready: app
  - name: kv/admin
    symbol: kv_admin_table
    kind: function-table
    ready: auto
  - name: kv.stats
limits:
  open_files: 4096
  processes: 64
  address_space: 2G
  stack: 8M
  core_dumps: yes
malloc:
  policy: mmap-threshold
  mmap_threshold: 128K
  tunables:
    MALLOC_ARENA_MAX: 2
    MALLOC_TOP_PAD_: 0
)";

// Sample 2: an interpreter that resolves against the host and declares nothing else.
constexpr std::string_view kPythonTool = R"(name: py-tool
entrypoint: /usr/bin/python3.11
args: ["-m", "tool"]
libraries: host
files: [/usr/lib/python3.11/**]
malloc:
  tunables: {MALLOC_ARENA_MAX: 1}
)";

constexpr std::string_view kMinimal = "name: hello\nentrypoint: bin/hello\n";

Manifest parsed(std::string_view yaml) {
  tproc::Result<Manifest> manifest = Manifest::parse(yaml, "tproc.yaml");
  INFO(yaml);
  if (!manifest) FAIL(manifest.error().describe());
  return *manifest;
}

// The error `yaml` produces, after checking it is an error at all and carries EINVAL.
std::string error_of(std::string_view yaml) {
  tproc::Result<Manifest> manifest = Manifest::parse(yaml, "tproc.yaml");
  INFO(yaml);
  REQUIRE_FALSE(manifest);
  CHECK(manifest.error().code() == EINVAL);
  return manifest.error().describe();
}

// The one shape every error takes.
bool is_one_line_error(const std::string& message, const std::string& file) {
  static const std::regex shape("^[^\n]*:[1-9][0-9]*:[1-9][0-9]*: [^\n]+$");
  return message.starts_with(file + ":") && std::regex_match(message, shape);
}

}  // namespace

TEST_CASE("A manifest that uses every field parses into those fields") {
  Manifest sut = parsed(kKvServer);
  CHECK(sut.name() == "kv-server");
  CHECK(sut.version() == "1.4.2");
  CHECK(sut.entrypoint() == "build/samples/kv/kv_server");
  CHECK(sut.args() == std::vector<std::string>{"--port", "7000", "--verbose"});
  CHECK(sut.workdir() == "/var/lib/kv");
  CHECK(sut.libraries() == LibraryPolicy::bundled);
  CHECK(sut.files() == std::vector<std::string>{"share/kv/*.conf", "lib/kv/plugins/*.so"});
  REQUIRE(sut.endpoints().size() == 3);
  CHECK(sut.endpoints()[0] ==
        Endpoint{"kv/requests", "kv_request_queue", "channel", Readiness::app});
  CHECK(sut.endpoints()[1] ==
        Endpoint{"kv/admin", "kv_admin_table", "function-table", Readiness::at_start});
  CHECK(sut.endpoints()[2] == Endpoint{"kv.stats", "", "", Readiness::app});
  CHECK(sut.limits().open_files == 4096u);
  CHECK(sut.limits().processes == 64u);
  CHECK(sut.limits().address_space == uint64_t{2} << 30);
  CHECK(sut.limits().stack == uint64_t{8} << 20);
  CHECK(sut.limits().core_dumps);
  CHECK(sut.malloc_settings().policy == MallocPolicy::mmap_threshold);
  CHECK(sut.malloc_settings().mmap_threshold == 128u * 1024);
  CHECK(sut.malloc_settings().tunables ==
        NamedValues{{"MALLOC_ARENA_MAX", "2"}, {"MALLOC_TOP_PAD_", "0"}});
}

TEST_CASE("env keeps the order of the file and turns numbers and booleans into their text") {
  Manifest sut = parsed(kKvServer);
  CHECK(sut.env() == NamedValues{{"KV_SHARDS", "16"},
                                 {"KV_LOG", "info"},
                                 {"KV_STRICT", "true"},
                                 {"A_LAST_BUT_FIRST", "x=y"}});
  CHECK_THAT(
      sut.to_json(),
      Contains(
          R"("env":{"KV_SHARDS":"16","KV_LOG":"info","KV_STRICT":"true","A_LAST_BUT_FIRST":"x=y"})"));
}

TEST_CASE("A manifest with only name and entrypoint gets the documented defaults") {
  Manifest sut = parsed(kMinimal);
  CHECK(sut.version() == "0.0.0");
  CHECK(sut.args().empty());
  CHECK(sut.env().empty());
  CHECK(sut.workdir().empty());
  CHECK(sut.libraries() == LibraryPolicy::bundled);
  CHECK(sut.files().empty());
  CHECK(sut.endpoints().empty());
  CHECK_FALSE(sut.limits().open_files);
  CHECK_FALSE(sut.limits().processes);
  CHECK_FALSE(sut.limits().address_space);
  CHECK_FALSE(sut.limits().stack);
  CHECK_FALSE(sut.limits().core_dumps);
  CHECK(sut.malloc_settings().policy == MallocPolicy::brk_guard);
  CHECK(sut.malloc_settings().tunables.empty());
}

TEST_CASE("An optional field left empty (null) keeps its default") {
  Manifest sut = parsed(
      "name: a\nentrypoint: b\nversion:\nargs: ~\nlimits:\n  stack:\n"
      "endpoints:\n  - name: e\n    kind:\n");
  CHECK(sut.version() == "0.0.0");
  CHECK(sut.args().empty());
  CHECK_FALSE(sut.limits().stack);
  CHECK(sut.endpoints()[0].kind.empty());
}

TEST_CASE("Both sample manifests round-trip through to_json and from_json to an equal Manifest") {
  for (std::string_view sample : {kKvServer, kPythonTool, kMinimal}) {
    Manifest original = parsed(sample);
    tproc::Result<Manifest> back = Manifest::from_json(original.to_json());
    INFO(original.to_json());
    REQUIRE(back);
    CHECK(*back == original);
    CHECK(back->to_json() == original.to_json());
  }
}

TEST_CASE("to_json writes every default explicitly, in a fixed key order, without whitespace") {
  CHECK(parsed(kMinimal).to_json() ==
        R"({"name":"hello","version":"0.0.0","entrypoint":"bin/hello","args":[],"env":{},)"
        R"("workdir":"","libraries":"bundled","files":[],"endpoints":[],)"
        R"("limits":{"core_dumps":false},"malloc":{"policy":"brk-guard","tunables":{}}})");
}

TEST_CASE("to_json is byte-identical for the same input") {
  CHECK(parsed(kKvServer).to_json() == parsed(kKvServer).to_json());
}

TEST_CASE("to_json does not depend on the order of keys in the YAML") {
  constexpr std::string_view kReordered = R"(malloc:
  tunables:
    MALLOC_ARENA_MAX: 2
    MALLOC_TOP_PAD_: 0
  mmap_threshold: 131072
  policy: mmap-threshold
limits: {core_dumps: true, stack: 8388608, address_space: 2048M, processes: 64, open_files: 4096}
endpoints:
  - {ready: app, kind: channel, symbol: kv_request_queue, name: kv/requests}
  - {ready: auto, kind: function-table, symbol: kv_admin_table, name: kv/admin}
  - {name: kv.stats}
files: [share/kv/*.conf, lib/kv/plugins/*.so]
libraries: bundled
workdir: /var/lib/kv
env: {KV_SHARDS: "16", KV_LOG: info, KV_STRICT: "true", A_LAST_BUT_FIRST: x=y}
args: ["--port", "7000", "--verbose"]
entrypoint: build/samples/kv/kv_server
version: 1.4.2
name: kv-server
)";
  CHECK(parsed(kReordered).to_json() == parsed(kKvServer).to_json());
}

TEST_CASE("Quotes, backslashes, control characters and UTF-8 survive the JSON round trip") {
  Manifest original = parsed(
      "name: a\nentrypoint: \"bin/we\\\"ird \\\\ app\"\n"
      "args: [\"tab\\there\", \"line\\nbreak\", \"bell\\a del\\x7f\", \"caf\xc3\xa9 "
      "\xe2\x82\xac\", \"\"]\n"
      "env: {\"K\": \"{\\\"json\\\": [1, 2]}\"}\n");
  CHECK(original.args()[2] == "bell\a del\x7f");
  std::string json = original.to_json();
  CHECK_THAT(json, Contains(R"("bell\u0007 del\u007f")"));
  tproc::Result<Manifest> back = Manifest::from_json(json);
  INFO(json);
  REQUIRE(back);
  CHECK(*back == original);
}

TEST_CASE("A missing required field is reported at the map that lacks it") {
  CHECK(error_of("# comment\n\nname: app\nversion: 1.0\n") ==
        "tproc.yaml:3:1: entrypoint: missing required field");
  CHECK(error_of("entrypoint: bin/app\n") == "tproc.yaml:1:1: name: missing required field");
  CHECK(error_of("name: a\nentrypoint: b\nendpoints:\n  - kind: channel\n  - symbol: s\n") ==
        "tproc.yaml:4:5: endpoints[0].name: missing required field");
}

TEST_CASE("An unknown key suggests the nearest valid key, at every level") {
  CHECK(error_of("entrypint: bin/app\nname: app\n") ==
        "tproc.yaml:1:1: entrypint: unknown key (did you mean 'entrypoint'?)");
  CHECK(error_of("name: a\nentrypoint: b\nenvironment: {A: b}\n") ==
        "tproc.yaml:3:1: environment: unknown key (did you mean 'env'?)");
  CHECK(error_of("name: a\nentrypoint: b\nlimits:\n  open_file: 3\n") ==
        "tproc.yaml:4:3: limits.open_file: unknown key (did you mean 'open_files'?)");
  CHECK(error_of("name: a\nentrypoint: b\nendpoints:\n  - name: x\n    simbol: y\n") ==
        "tproc.yaml:5:5: endpoints[0].simbol: unknown key (did you mean 'symbol'?)");
  CHECK(error_of("name: a\nentrypoint: b\nmalloc:\n  polciy: brk-guard\n") ==
        "tproc.yaml:4:3: malloc.polciy: unknown key (did you mean 'policy'?)");
}

TEST_CASE("An unknown key far from every valid key lists the valid keys instead") {
  std::string message = error_of("name: a\nentrypoint: b\nlimits:\n  zzzzzz: 1\n");
  CHECK_THAT(message, StartsWith("tproc.yaml:4:3: limits.zzzzzz: unknown key (expected "));
  CHECK_THAT(message, Contains("'open_files'") && Contains("'core_dumps'"));
  CHECK_THAT(message, !Contains("did you mean"));
}

TEST_CASE("An unknown value of a fixed set names the set and suggests the nearest") {
  CHECK(error_of("name: a\nentrypoint: b\nlibraries: hots\n") ==
        "tproc.yaml:3:12: libraries: expected 'bundled' or 'host', got \"hots\" (did you mean "
        "'host'?)");
  CHECK_THAT(
      error_of("name: a\nentrypoint: b\nendpoints: [{name: e, ready: later}]\n"),
      StartsWith("tproc.yaml:3:30: endpoints[0].ready: expected 'app' or 'auto', got \"later\""));
  CHECK_THAT(
      error_of("name: a\nentrypoint: b\nmalloc: {policy: mmap}\n"),
      StartsWith("tproc.yaml:3:18: malloc.policy: expected 'brk-guard' or 'mmap-threshold'"));
}

TEST_CASE("Bad YAML is reported at yaml-cpp's position") {
  std::string message = error_of("name: a\nentrypoint: b\nargs: [x, y\nenv: {}\n");
  CHECK_THAT(message, StartsWith("tproc.yaml:"));
  CHECK_THAT(message, Contains(": bad YAML: "));
  CHECK(error_of("name: a\n  entrypoint: b\n").starts_with("tproc.yaml:2:13: bad YAML: "));
}

TEST_CASE("A value of the wrong type names what was expected and what was found") {
  CHECK(error_of("name: a\nentrypoint: b\nargs: {x: 1}\n") ==
        "tproc.yaml:3:7: args: expected a list of strings, got a map");
  CHECK(error_of("name: a\nentrypoint: b\nargs: [ok, [nested]]\n") ==
        "tproc.yaml:3:12: args[1]: expected a string, got a list");
  CHECK(error_of("name: a\nentrypoint: b\nenv: [A=1]\n") ==
        "tproc.yaml:3:6: env: expected a map, got a list");
  CHECK(error_of("name: a\nentrypoint: [b]\n") ==
        "tproc.yaml:2:13: entrypoint: expected a string, got a list");
  CHECK(error_of("name: a\nentrypoint: b\nendpoints: {name: x}\n") ==
        "tproc.yaml:3:12: endpoints: expected a list of endpoints, got a map");
  CHECK(error_of("name: a\nentrypoint: b\nendpoints: [x]\n") ==
        "tproc.yaml:3:13: endpoints[0]: expected a map, got \"x\"");
  CHECK(error_of("name: a\nentrypoint: b\nlimits: 5\n") ==
        "tproc.yaml:3:9: limits: expected a map, got \"5\"");
  CHECK(error_of("name:\nentrypoint: b\n") == "tproc.yaml:1:1: name: expected a string, got null");
}

TEST_CASE("Numbers, sizes and booleans in limits are checked") {
  std::string head = "# limits\nname: a\nentrypoint: b\nlimits:\n";
  CHECK(error_of(head + "  stack: 8M\n  open_files: many\n") ==
        "tproc.yaml:6:15: limits.open_files: expected an integer, got \"many\"");
  CHECK(error_of(head + "  processes: -1\n") ==
        "tproc.yaml:5:14: limits.processes: expected a non-negative integer, got \"-1\"");
  CHECK(error_of(head + "  processes: 99999999999999999999\n") ==
        "tproc.yaml:5:14: limits.processes: expected an integer below 2^64, got "
        "\"99999999999999999999\"");
  CHECK(error_of(head + "  address_space: lots\n") ==
        "tproc.yaml:5:18: limits.address_space: expected a size such as 512M or 2G, got \"lots\"");
  CHECK(error_of(head + "  stack: 1.5G\n") ==
        "tproc.yaml:5:10: limits.stack: expected a size such as 512M or 2G, got \"1.5G\"");
  CHECK(error_of(head + "  core_dumps: maybe\n") ==
        "tproc.yaml:5:15: limits.core_dumps: expected true or false, got \"maybe\"");
  CHECK(parsed(head + "  address_space: 536870912\n").limits().address_space == 536870912u);
}

TEST_CASE("Names, endpoint names, symbols and paths follow their rules") {
  CHECK_THAT(error_of("name: Kv\nentrypoint: b\n"),
             StartsWith("tproc.yaml:1:7: name: invalid name \"Kv\": expected 1-64 characters"));
  CHECK_THAT(error_of("name: -kv\nentrypoint: b\n"),
             StartsWith("tproc.yaml:1:7: name: invalid name"));
  CHECK_THAT(error_of("name: " + std::string(65, 'a') + "\nentrypoint: b\n"),
             StartsWith("tproc.yaml:1:7: name: invalid name"));
  CHECK(parsed("name: " + std::string(64, 'a') + "\nentrypoint: b\n").name().size() == 64);
  CHECK(parsed("name: 0.a_b-c\nentrypoint: b\n").name() == "0.a_b-c");

  CHECK(error_of("name: a\nentrypoint: b\nendpoints:\n  - name: " + std::string(64, 'e') + "\n") ==
        "tproc.yaml:4:11: endpoints[0].name: endpoint name is 64 bytes long (at most 63)");
  CHECK(parsed("name: a\nentrypoint: b\nendpoints:\n  - name: " + std::string(63, 'e') + "\n")
            .endpoints()[0]
            .name.size() == 63);
  CHECK_THAT(
      error_of("name: a\nentrypoint: b\nendpoints:\n  - name: kv requests\n"),
      StartsWith("tproc.yaml:4:11: endpoints[0].name: invalid endpoint name \"kv requests\""));
  CHECK_THAT(error_of("name: a\nentrypoint: b\nendpoints:\n  - {name: x, symbol: \"a b\"}\n"),
             StartsWith("tproc.yaml:4:23: endpoints[0].symbol: invalid symbol"));

  CHECK(error_of("name: a\nentrypoint: b\nworkdir: data\n") ==
        "tproc.yaml:3:10: workdir: expected an absolute path, got \"data\"");
  CHECK(error_of("name: a\nentrypoint: \"\"\n") ==
        "tproc.yaml:2:13: entrypoint: must not be empty");
  CHECK(error_of("name: a\nentrypoint: b\nfiles: [a, \"\"]\n") ==
        "tproc.yaml:3:12: files[1]: must not be empty");
  CHECK(error_of("name: a\nentrypoint: \"b\\0c\"\n") ==
        "tproc.yaml:2:13: entrypoint: contains a NUL byte");
}

TEST_CASE("env and malloc tunables check their names and refuse null values") {
  CHECK_THAT(error_of("name: a\nentrypoint: b\nenv:\n  \"A=B\": c\n"),
             StartsWith("tproc.yaml:4:3: env.A=B: invalid name"));
  CHECK(error_of("name: a\nentrypoint: b\nenv:\n  EMPTY:\n") ==
        "tproc.yaml:4:3: env.EMPTY: expected a string, got null (write \"\" for an empty value)");
  CHECK(parsed("name: a\nentrypoint: b\nenv:\n  EMPTY: \"\"\n").env() ==
        NamedValues{{"EMPTY", ""}});
  CHECK_THAT(
      error_of("name: a\nentrypoint: b\nmalloc:\n  tunables: {GLIBC_TUNABLES: x}\n"),
      StartsWith(
          "tproc.yaml:4:14: malloc.tunables.GLIBC_TUNABLES: invalid name: expected a MALLOC_*"));
}

TEST_CASE("malloc.mmap_threshold belongs to the mmap-threshold policy only") {
  CHECK(error_of("name: a\nentrypoint: b\nmalloc:\n  mmap_threshold: 64K\n") ==
        "tproc.yaml:4:3: malloc.mmap_threshold: only allowed with policy 'mmap-threshold'");
  CHECK_THAT(
      error_of("name: a\nentrypoint: b\nmalloc:\n  tunables: {MALLOC_MMAP_THRESHOLD_: 0}\n"
               "  policy: mmap-threshold\n"),
      StartsWith("tproc.yaml:4:14: malloc.tunables.MALLOC_MMAP_THRESHOLD_: conflicts with policy"));
  // Under brk-guard the tunable is the user's explicit choice and passes through.
  CHECK(parsed("name: a\nentrypoint: b\nmalloc:\n  tunables: {MALLOC_MMAP_THRESHOLD_: 0}\n")
            .malloc_settings()
            .tunables == NamedValues{{"MALLOC_MMAP_THRESHOLD_", "0"}});
  // The policy without a threshold means threshold 0: every allocation is mmapped.
  CHECK(parsed("name: a\nentrypoint: b\nmalloc: {policy: mmap-threshold}\n")
            .malloc_settings()
            .mmap_threshold == 0);
}

TEST_CASE("Duplicate endpoint names are refused at the second one") {
  CHECK(error_of("name: a\nentrypoint: b\nendpoints:\n  - name: q\n  - name: r\n  - kind: k\n    "
                 "name: q\n") ==
        "tproc.yaml:7:11: endpoints[2].name: duplicate endpoint name \"q\" (also endpoints[0])");
}

TEST_CASE("A key given twice in one map is refused") {
  CHECK(error_of("name: a\nentrypoint: b\nname: c\n") ==
        "tproc.yaml:3:1: name: duplicate key (first given on line 1)");
  CHECK(error_of("name: a\nentrypoint: b\nenv:\n  A: 1\n  A: 2\n") ==
        "tproc.yaml:5:3: env.A: duplicate key (first given on line 4)");
}

TEST_CASE("An empty file, a top level that is not a map, or several documents are refused") {
  CHECK(error_of("") ==
        "tproc.yaml:1:1: empty manifest (expected a map with at least name and entrypoint)");
  CHECK_THAT(error_of("# only a comment\n\n"), StartsWith("tproc.yaml:1:1: empty manifest"));
  CHECK(error_of("- name: a\n") ==
        "tproc.yaml:1:1: expected a map of manifest fields at the top level, got a list");
  CHECK(error_of("just text\n") ==
        "tproc.yaml:1:1: expected a map of manifest fields at the top level, got \"just text\"");
  // The position is the second document's "---".
  CHECK(error_of("name: a\nentrypoint: b\n---\nname: c\nentrypoint: d\n") ==
        "tproc.yaml:3:1: expected one YAML document, found 2");
}

TEST_CASE("A manifest larger than 1 MiB is refused before it is parsed") {
  std::string huge = "name: a\nentrypoint: b\n# " + std::string(size_t{1} << 20, 'x') + "\n";
  CHECK(error_of(huge) == "tproc.yaml:1:1: manifest is larger than 1 MiB");
}

TEST_CASE(
    "Text that is not UTF-8 is refused at the first bad byte, since the JSON form must be UTF-8") {
  CHECK(error_of("name: a\nentrypoint: b\nargs: [\"caf\xc3\xa9\", \"\xff\"]\n") ==
        "tproc.yaml:3:17: invalid UTF-8 (a manifest is UTF-8 text)");
  CHECK_THAT(error_of("name: a\nentrypoint: \xed\xa0\x80\n"),
             StartsWith("tproc.yaml:2:13: invalid UTF-8"));
  CHECK_THAT(error_of("name: a\nentrypoint: \xc0\xaf\n"),
             StartsWith("tproc.yaml:2:13: invalid UTF-8"));
  CHECK_THAT(error_of("name: a\nentrypoint: b\xe2\x82"),
             StartsWith("tproc.yaml:2:14: invalid UTF-8"));
  CHECK(parsed("\xef\xbb\xbfname: a\nentrypoint: \xf0\x9f\x93\xa6\n").entrypoint() ==
        "\xf0\x9f\x93\xa6");
}

TEST_CASE("Deeply nested YAML is refused instead of exhausting the stack") {
  CHECK_THAT(error_of(std::string(100000, '[')), Contains("bad YAML: nested too deeply"));
  CHECK_THAT(error_of("name: a\nentrypoint: b\nargs: " + std::string(5000, '[') +
                      std::string(5000, ']') + "\n"),
             Contains("bad YAML: nested too deeply"));
}

TEST_CASE("Values quoted in errors are escaped and shortened so the error stays one line") {
  std::string message =
      error_of("name: a\nentrypoint: b\nlimits: {stack: \"1\\n2" + std::string(200, 'x') + "\"}\n");
  CHECK_THAT(message, Contains("\"1\\n2xxx") && Contains("...\""));
  CHECK(is_one_line_error(message, "tproc.yaml"));
  CHECK(message.size() < 200);
}

TEST_CASE("Sizes are digits with an optional binary K, M, G or T suffix") {
  CHECK(*parse_size("0") == 0);
  CHECK(*parse_size("512") == 512);
  CHECK(*parse_size("64K") == 64u << 10);
  CHECK(*parse_size("64k") == 64u << 10);
  CHECK(*parse_size("512M") == uint64_t{512} << 20);
  CHECK(*parse_size("2G") == uint64_t{2} << 30);
  CHECK(*parse_size("1T") == uint64_t{1} << 40);
  CHECK(*parse_size("18446744073709551615") == UINT64_MAX);
  CHECK(*parse_size("16777215T") == uint64_t{16777215} << 40);
  for (std::string_view bad :
       {"", "K", "-1", "+1", "1.5G", "1 G", " 1", "1KB", "1KiB", "0x10", "1P", "G1"}) {
    INFO(bad);
    tproc::Result<uint64_t> size = parse_size(bad);
    REQUIRE_FALSE(size);
    CHECK(size.error().code() == EINVAL);
    CHECK_THAT(size.error().describe(), StartsWith("expected a size such as 512M or 2G"));
  }
  for (std::string_view huge : {"18446744073709551616", "16777216T", "99999999999999999999K"}) {
    INFO(huge);
    tproc::Result<uint64_t> size = parse_size(huge);
    REQUIRE_FALSE(size);
    CHECK_THAT(size.error().describe(), Contains("too large"));
  }
}

TEST_CASE("load reads a file and names the path as given in its errors") {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("manifest_test." + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string good = (dir / "tproc.yaml").string();
  std::string bad = (dir / "bad.yaml").string();
  std::ofstream(good) << kPythonTool;
  std::ofstream(bad) << "name: a\n";

  tproc::Result<Manifest> loaded = Manifest::load(good);
  REQUIRE(loaded);
  CHECK(*loaded == parsed(kPythonTool));

  tproc::Result<Manifest> broken = Manifest::load(bad);
  REQUIRE_FALSE(broken);
  CHECK(broken.error().describe() == bad + ":1:1: entrypoint: missing required field");

  tproc::Result<Manifest> missing = Manifest::load((dir / "absent.yaml").string());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == ENOENT);
  CHECK_THAT(missing.error().describe(), Contains("absent.yaml"));

  tproc::Result<Manifest> directory = Manifest::load(dir.string());
  REQUIRE_FALSE(directory);
  CHECK_THAT(directory.error().describe(), Contains("not a regular file"));

  std::filesystem::remove_all(dir);
}

TEST_CASE(
    "Every prefix and hundreds of random mutations of a manifest give a Result, never a crash") {
  // Whatever comes back must keep the promises: one-line positioned errors, or a manifest whose
  // JSON form reads back to itself.
  size_t accepted = 0;
  size_t refused = 0;
  auto check = [&](const std::string& text) {
    tproc::Result<Manifest> manifest = Manifest::parse(text, "tproc.yaml");
    ++(manifest ? accepted : refused);
    if (manifest) {
      tproc::Result<Manifest> back = Manifest::from_json(manifest->to_json());
      INFO(text);
      REQUIRE(back);
      REQUIRE(*back == *manifest);
    } else {
      INFO(text);
      REQUIRE(manifest.error().code() == EINVAL);
      REQUIRE(is_one_line_error(manifest.error().describe(), "tproc.yaml"));
    }
  };
  std::string sample(kKvServer);
  for (size_t length = 0; length <= sample.size(); ++length) check(sample.substr(0, length));

  std::mt19937 random(20240611);  // fixed: a failure must reproduce
  std::uniform_int_distribution<int> any_byte(0, 255);
  const std::string interesting = ":-[]{},\"'\\#&*!|>%@`\n\t ?~0aZ";
  for (int round = 0; round < 400; ++round) {
    std::string text = sample;
    int edits = 1 + round % 8;
    for (int edit = 0; edit < edits; ++edit) {
      size_t at = std::uniform_int_distribution<size_t>(0, text.size() - 1)(random);
      switch (random() % 5) {
        case 0: text[at] = static_cast<char>(any_byte(random)); break;
        case 1:
          text[at] = static_cast<char>(any_byte(random) & 0x7f);
          break;  // past the UTF-8 check
        case 2: text[at] = interesting[random() % interesting.size()]; break;
        case 3: text.insert(at, 1, interesting[random() % interesting.size()]); break;
        default: text.erase(at, 1 + random() % 8); break;
      }
      if (text.empty()) text = "x";
    }
    check(text);
  }
  // Both branches of `check` must have run, or the test proves less than it claims.
  CHECK(accepted > 0);
  CHECK(refused > 0);
}

TEST_CASE("Inputs that send yaml-cpp looking for documents without end are refused at once") {
  // yaml-cpp 0.7's LoadAll never returns on these (found by tests/fuzz/manifest_fuzz).
  for (const char* text : {"\"\",", ","}) {
    auto parsed = tproc::bundle::Manifest::parse(text, "tproc.yaml");
    REQUIRE_FALSE(parsed.has_value());
    CHECK_THAT(parsed.error().describe(), Catch::Contains("expected one YAML document"));
  }
}

TEST_CASE("Escapes that decode to bytes which are not UTF-8 are refused, so the JSON form stays valid") {
  auto parsed = tproc::bundle::Manifest::parse("name: a\nentrypoint: b\nargs: [\"\\N\"]\n", "tproc.yaml");
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().describe() == "tproc.yaml:3:8: args[0]: its escapes decode to invalid UTF-8");
}

TEST_CASE("A yaml-cpp message with a control character still makes a one-line error") {
  auto parsed = tproc::bundle::Manifest::parse(std::string("eb\0\n", 4), "tproc.yaml");
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().describe().find('\n') == std::string::npos);
}

TEST_CASE("Environment names are 1-255 bytes without '=' or control characters, so the JSON form reads back") {
  // A key longer than 1024 characters is not valid YAML, and the canonical JSON is read as YAML.
  const std::string long_name(300, 'A');
  auto parsed = tproc::bundle::Manifest::parse("name: a\nentrypoint: b\nenv:\n  " + long_name + ": x\n", "tproc.yaml");
  REQUIRE_FALSE(parsed.has_value());
  CHECK_THAT(parsed.error().describe(), Catch::Contains("1-255 bytes"));
  auto fine = tproc::bundle::Manifest::parse("name: a\nentrypoint: b\nenv:\n  " + std::string(255, 'A') + ": x\n", "tproc.yaml");
  REQUIRE(fine.has_value());
  CHECK(tproc::bundle::Manifest::from_json(fine->to_json()).has_value());
}

TEST_CASE("the exclude: list is read as written, round-trips, and to_json writes it only when set") {
  Manifest sut = parsed("name: a\nentrypoint: b\nfiles: [data]\nexclude: [\"**/*.o\", data/tmp]\n");
  CHECK(sut.excludes() == std::vector<std::string>{"**/*.o", "data/tmp"});
  CHECK_THAT(sut.to_json(), Contains(R"("files":["data"],"exclude":["**/*.o","data/tmp"],"endpoints")"));
  tproc::Result<Manifest> back = Manifest::from_json(sut.to_json());
  REQUIRE(back);
  CHECK(*back == sut);
  // Bundles built before exclude: existed keep their manifest bytes, and so their digests.
  CHECK_THAT(parsed(kMinimal).to_json(), !Contains("exclude"));
  CHECK(error_of("name: a\nentrypoint: b\nexclude: [\"\"]\n") == "tproc.yaml:3:11: exclude[0]: must not be empty");
}

TEST_CASE("runtime: python3 is read, round-trips, and to_json writes it only when set") {
  Manifest sut = parsed("name: a\nentrypoint: /usr/bin/python3\nruntime: python3\n");
  CHECK(sut.runtime() == tproc::bundle::Runtime::python3);
  CHECK_THAT(sut.to_json(), Contains(R"("libraries":"bundled","runtime":"python3","files":[])"));
  tproc::Result<Manifest> back = Manifest::from_json(sut.to_json());
  REQUIRE(back);
  CHECK(*back == sut);
  CHECK(parsed(kMinimal).runtime() == tproc::bundle::Runtime::none);
  CHECK_THAT(parsed(kMinimal).to_json(), !Contains("runtime"));
  CHECK_THAT(error_of("name: a\nentrypoint: b\nruntime: ruby\n"), StartsWith("tproc.yaml:3:10: runtime: "));
}
