// malloc_workload: a malloc-heavy program that knows nothing of tproc, run natively and inside a
// space by bench/malloc_bench. 5,000,000 malloc/free of small sizes (8-256 bytes, 256 blocks live
// at a time) then a std::map of 500,000 entries built, walked and destroyed. Deterministic: prints
// a checksum that does not depend on addresses, and the time its work took:
//   malloc_workload: checksum=<16 hex digits> elapsed_ns=<n>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

namespace {

constexpr int malloc_iterations = 5'000'000;
constexpr int live_blocks = 256;
constexpr int map_entries = 500'000;

/// xorshift64*: a small, fixed-seed generator so every run does the same work.
struct Rng {
  std::uint64_t state;
  std::uint64_t next() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1DULL;
  }
};

/// FNV-1a style mixing of one value into the checksum.
void mix(std::uint64_t& checksum, std::uint64_t value) { checksum = (checksum ^ value) * 0x100000001B3ULL; }

/// Small-block churn. Each block records its size at its start and a tag at its end; both are read
/// back before the block is freed, so the compiler cannot drop the allocations.
void churn(Rng& rng, std::uint64_t& checksum) {
  std::array<unsigned char*, live_blocks> blocks{};
  auto release = [&](unsigned char* block) {
    std::uint32_t size;
    std::memcpy(&size, block, sizeof size);
    mix(checksum, size * 31u + block[size - 1]);
    std::free(block);
  };
  for (int i = 0; i < malloc_iterations; ++i) {
    const std::uint64_t r = rng.next();
    const std::uint32_t size = 8 + static_cast<std::uint32_t>(r % 249);
    unsigned char*& slot = blocks[(r >> 32) % live_blocks];
    if (slot != nullptr) release(slot);
    slot = static_cast<unsigned char*>(std::malloc(size));
    if (slot == nullptr) {
      std::fprintf(stderr, "malloc_workload: malloc(%u) failed\n", size);
      std::exit(1);
    }
    std::memcpy(slot, &size, sizeof size);
    slot[size - 1] = static_cast<unsigned char>(i);
  }
  for (unsigned char* block : blocks) {
    if (block != nullptr) release(block);
  }
}

/// A large node-based container: 500k inserts (one allocation each), an ordered walk, destruction.
void big_map(Rng& rng, std::uint64_t& checksum) {
  std::map<std::uint64_t, std::uint64_t> map;
  for (int i = 0; i < map_entries; ++i) map.emplace(rng.next(), static_cast<std::uint64_t>(i));
  mix(checksum, map.size());
  for (const auto& [key, value] : map) mix(checksum, key ^ value);
}

}  // namespace

int main() {
  const auto start = std::chrono::steady_clock::now();
  Rng rng{0x9E3779B97F4A7C15ULL};
  std::uint64_t checksum = 0xCBF29CE484222325ULL;
  churn(rng, checksum);
  big_map(rng, checksum);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  std::printf("malloc_workload: checksum=%016llx elapsed_ns=%lld\n", static_cast<unsigned long long>(checksum),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()));
  return 0;
}
