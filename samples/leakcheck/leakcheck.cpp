// leakcheck: a space-wide leak check of the space heap, run as one more tproc of the space.
//
//   leakcheck
//
// Stops every other tproc (tproc_stop_world), lists the heap's live blocks (tproc_heap_walk: exact
// while the world is stopped) and marks every block a conservative scan reaches: from each stopped
// thread's registers and its stack (from the stack pointer, and x86-64's red zone below it, up to
// the end of the mapping the stack pointer is in: the top of a stack, whose thread's TLS glibc
// keeps there too), then from the reached blocks' own words, until no new block is reached. A
// word is a reference when it points anywhere into a live block, interior pointers included.
// Then it resumes the world and reports the blocks nothing reached:
//   leak: ADDRESS SIZE bytes, allocated by pid PID (NAME)
//   leakcheck: T threads of P tprocs stopped; B live blocks (X bytes); L leaked (Y bytes)
// Exits 0 when nothing leaked, 1 when something did, 2 when it could not check.
//
// What it does not scan (so a block referenced only from there is reported): the tprocs' globals
// and what they got from their own malloc or mmap. Its own memory is not scanned either (it holds
// every block's address), and its own blocks are not reported.

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <tproc/tproc.h>

namespace {

/// Bytes below the stack pointer a leaf function may use without moving it (the System V x86-64
/// red zone; AArch64 has none).
#if defined(__x86_64__)
constexpr uint64_t kRedZone = 128;
#else
constexpr uint64_t kRedZone = 0;
#endif

struct Block {
  uint64_t start;
  uint64_t size;
  int32_t allocator;
  bool reached;
};

struct Mapping {
  uint64_t begin;
  uint64_t end;
  bool readable;
};

/// The space's mappings, from /proc/self/maps (one mm: every tproc's stacks are in it).
std::vector<Mapping> read_mappings() {
  std::vector<Mapping> mappings;
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    unsigned long long begin = 0, end = 0;
    char perms[8] = {};
    if (std::sscanf(line.c_str(), "%llx-%llx %7s", &begin, &end, perms) == 3)
      mappings.push_back({begin, end, perms[0] == 'r'});
  }
  return mappings;
}

const Mapping* mapping_of(const std::vector<Mapping>& mappings, uint64_t address) {
  for (const Mapping& mapping : mappings)
    if (address >= mapping.begin && address < mapping.end) return &mapping;
  return nullptr;
}

/// The mark phase: which live blocks the words it is shown point into, transitively.
class Marker {
 public:
  explicit Marker(std::vector<Block>& blocks) : blocks_(blocks) {}

  /// The live block `address` lies in, or null (the walk gave them in address order).
  Block* block_of(uint64_t address) {
    auto after = std::upper_bound(blocks_.begin(), blocks_.end(), address,
                                  [](uint64_t value, const Block& block) { return value < block.start; });
    if (after == blocks_.begin() || address - (after - 1)->start >= (after - 1)->size) return nullptr;
    return &*(after - 1);
  }

  /// Marks the block `word` points into, if any, for its words to be scanned in turn.
  void consider(uint64_t word) {
    Block* block = block_of(word);
    if (block == nullptr || block->reached) return;
    block->reached = true;
    pending_.push_back(static_cast<size_t>(block - blocks_.data()));
  }

  /// Scans [begin, end) of another thread's stack. Copied with process_vm_readv, which fails
  /// instead of faulting on a page that is not there.
  void scan_stack(uint64_t begin, uint64_t end) {
    begin &= ~uint64_t{7};
    std::vector<uint64_t> buffer(8192);
    for (uint64_t at = begin; at < end;) {
      const size_t bytes = std::min<uint64_t>(end - at, buffer.size() * 8);
      iovec local{buffer.data(), bytes};
      iovec remote{reinterpret_cast<void*>(at), bytes};
      const ssize_t got = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
      if (got <= 0) {
        at = (at + 4096) & ~uint64_t{4095};  // skip the page that could not be read
        continue;
      }
      for (size_t i = 0; i < static_cast<size_t>(got) / 8; ++i) consider(buffer[i]);
      at += static_cast<uint64_t>(got);
    }
  }

  /// Scans the reached blocks' words until no new block is reached.
  void drain() {
    while (!pending_.empty()) {
      const Block block = blocks_[pending_.back()];
      pending_.pop_back();
      const auto* words = reinterpret_cast<const uint64_t*>(block.start);
      for (uint64_t i = 0; i < block.size / 8; ++i) consider(words[i]);
    }
  }

 private:
  std::vector<Block>& blocks_;
  std::vector<size_t> pending_;
};

std::string name_of(int32_t pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  return std::getline(comm, name) ? name : "exited";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 1) {
    std::fprintf(stderr, "usage: %s\n", argv[0]);
    return 2;
  }
  if (tproc_in_space() != 1) {
    std::fprintf(stderr, "leakcheck: not in a tproc space (run it with `tproc run SPACE %s`)\n", argv[0]);
    return 2;
  }
  std::vector<tproc_thread_context> contexts(256);
  long stopped = 0;
  for (int attempt = 0;; ++attempt) {
    size_t needed = 0;
    stopped = tproc_stop_world(contexts.data(), contexts.size(), &needed);
    if (stopped != -ENOSPC || attempt == 3) break;
    contexts.resize(needed + 64);  // threads started meanwhile: room for a few more
  }
  if (stopped < 0) {
    std::fprintf(stderr, "leakcheck: cannot stop the other programs of the space: %s\n", std::strerror(static_cast<int>(-stopped)));
    return 2;
  }
  contexts.resize(static_cast<size_t>(stopped));

  // The world stands still: the walk is exact, the stacks hold what they hold.
  std::vector<Block> blocks;
  const int walked = tproc_heap_walk(
      [](const tproc_heap_block* block, void* context) {
        static_cast<std::vector<Block>*>(context)->push_back(
            {reinterpret_cast<uint64_t>(block->start), block->size, block->allocator, false});
        return 0;
      },
      &blocks);
  const std::vector<Mapping> mappings = read_mappings();
  Marker marker(blocks);
  std::set<int32_t> tprocs;
  for (const tproc_thread_context& thread : contexts) {
    tprocs.insert(thread.pid);
    for (uint32_t i = 0; i < thread.register_count; ++i) marker.consider(thread.registers[i]);
    // A stack in a heap block (a coroutine's, say): scanned to the block's end, the block reached.
    if (const Block* block = marker.block_of(thread.stack_pointer)) {
      marker.consider(thread.stack_pointer);
      marker.scan_stack(std::max(block->start, thread.stack_pointer - kRedZone), block->start + block->size);
      continue;
    }
    const Mapping* stack = mapping_of(mappings, thread.stack_pointer);
    if (stack == nullptr || !stack->readable) {
      std::fprintf(stderr, "leakcheck: thread %d of pid %d: its stack pointer 0x%" PRIx64 " is in no readable mapping\n",
                   thread.tid, thread.pid, thread.stack_pointer);
      continue;
    }
    const uint64_t low = std::max(stack->begin, thread.stack_pointer - kRedZone);
    // A stack mapping the kernel merged with a neighbour reaches further: more roots, never fewer.
    // But never into the heap itself, which would make every block a root.
    uint64_t high = stack->end;
    if (!blocks.empty() && low < blocks.front().start && high > blocks.front().start) high = blocks.front().start;
    marker.scan_stack(low, high);
  }
  marker.drain();
  const int resumed = tproc_start_world(contexts.data(), contexts.size());
  if (walked != 0) {
    std::fprintf(stderr, "leakcheck: cannot walk the space heap: %s\n", std::strerror(-walked));
    return 2;
  }
  if (resumed != 0) std::fprintf(stderr, "leakcheck: resuming the world: %s\n", std::strerror(-resumed));

  const int32_t self = getpid();
  uint64_t live_bytes = 0, leaked = 0, leaked_bytes = 0;
  for (const Block& block : blocks) {
    live_bytes += block.size;
    if (block.reached || block.allocator == self) continue;
    ++leaked;
    leaked_bytes += block.size;
    std::printf("leak: 0x%" PRIx64 " %" PRIu64 " bytes, allocated by pid %d (%s)\n", block.start, block.size,
                block.allocator, name_of(block.allocator).c_str());
  }
  std::printf("leakcheck: %zu threads of %zu tprocs stopped; %zu live blocks (%" PRIu64 " bytes); %" PRIu64
              " leaked (%" PRIu64 " bytes)\n",
              contexts.size(), tprocs.size(), blocks.size(), live_bytes, leaked, leaked_bytes);
  return leaked == 0 ? 0 : 1;
}
