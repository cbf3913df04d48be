// malloc_heavy [OPERATIONS] [MAP_ENTRIES]: millions of small malloc/free and a large std::map,
// then prints "checksum=<hex>". The checksum depends only on the arguments (never on addresses),
// so a run inside a tproc must print exactly what a direct run prints. Every block is stamped and
// checked before it is freed: memory shared with another malloc shows up as "corrupted".

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

namespace {

/// xorshift64*: a small deterministic generator.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1DULL;
  }

 private:
  uint64_t state_;
};

struct Block {
  unsigned char* data = nullptr;
  size_t size = 0;
  unsigned char stamp = 0;
};

uint64_t mix(uint64_t sum, uint64_t value) { return (sum ^ value) * 0x100000001B3ULL; }

}  // namespace

int main(int argc, char** argv) {
  const uint64_t operations = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 5'000'000;
  const uint64_t map_entries = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 500'000;

  Random random(0x7470726f63ULL);
  uint64_t checksum = 0xcbf29ce484222325ULL;
  std::vector<Block> slots(4096);
  for (uint64_t i = 0; i < operations; ++i) {
    Block& block = slots[random.next() % slots.size()];
    if (block.data != nullptr) {
      if (block.data[0] != block.stamp || block.data[block.size - 1] != block.stamp) {
        std::fprintf(stderr, "malloc_heavy: corrupted block after %" PRIu64 " operations\n", i);
        return 1;
      }
      checksum = mix(checksum, block.size * 256 + block.stamp);
      std::free(block.data);
    }
    block.size = 8 + random.next() % 248;
    block.stamp = static_cast<unsigned char>(i);
    block.data = static_cast<unsigned char*>(std::malloc(block.size));
    if (block.data == nullptr) {
      std::fprintf(stderr, "malloc_heavy: out of memory\n");
      return 1;
    }
    std::memset(block.data, block.stamp, block.size);
  }
  for (Block& block : slots) std::free(block.data);

  std::map<uint64_t, uint64_t> map;
  for (uint64_t i = 0; i < map_entries; ++i) map[random.next() % (map_entries * 4)] += i;
  for (auto it = map.begin(); it != map.end();) it = (it->first % 3 == 0) ? map.erase(it) : ++it;
  for (const auto& [key, value] : map) checksum = mix(checksum, key * 31 + value);
  checksum = mix(checksum, map.size());

  std::printf("checksum=%016" PRIx64 "\n", checksum);
  return 0;
}
