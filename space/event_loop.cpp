#include "space/event_loop.hpp"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

namespace tproc::space {

namespace {

constexpr unsigned kSetupNoMmap = 1U << 14;  // IORING_SETUP_NO_MMAP (Linux 6.5), not in Debian 12's headers
constexpr unsigned kOwnRingEntries = 64;     // 64 SQEs fill exactly one page

template <class T>
T* at(void* base, uint32_t offset) {
  return reinterpret_cast<T*>(static_cast<char*>(base) + offset);
}

}  // namespace

Result<EventLoop> EventLoop::create(unsigned entries) {
  EventLoop loop;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  void* rings = ::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  void* sqes = ::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (rings == MAP_FAILED || sqes == MAP_FAILED) return Error::from_errno("map io_uring rings");
  loop.ring_memory_ = Mapping(rings, page);
  loop.sqe_memory_ = Mapping(sqes, page);

  io_uring_params params{};
  params.flags = kSetupNoMmap;
  params.cq_off.resv2 = reinterpret_cast<uint64_t>(rings);  // user_addr since Linux 6.5
  params.sq_off.resv2 = reinterpret_cast<uint64_t>(sqes);
  const int fd = static_cast<int>(::syscall(__NR_io_uring_setup, kOwnRingEntries, &params));
  if (fd < 0) {
    if (errno != EINVAL) return Error::from_errno("io_uring_setup");
    // An older kernel: liburing maps the rings from the ring's fd.
    loop.ring_memory_.reset();
    loop.sqe_memory_.reset();
    auto ring = std::make_unique<io_uring>();
    if (int error = io_uring_queue_init(entries, ring.get(), 0); error < 0) return Error("io_uring_queue_init", -error);
    loop.ring_.reset(ring.release());
    return loop;
  }
  loop.ring_fd_.reset(fd);

  // Point liburing's view of the ring at our memory, as io_uring_queue_mmap would at its mapping.
  auto ring = std::make_unique<io_uring>();
  io_uring_sq& sq = ring->sq;
  sq.khead = at<unsigned>(rings, params.sq_off.head);
  sq.ktail = at<unsigned>(rings, params.sq_off.tail);
  sq.kring_mask = at<unsigned>(rings, params.sq_off.ring_mask);
  sq.kring_entries = at<unsigned>(rings, params.sq_off.ring_entries);
  sq.kflags = at<unsigned>(rings, params.sq_off.flags);
  sq.kdropped = at<unsigned>(rings, params.sq_off.dropped);
  sq.array = at<unsigned>(rings, params.sq_off.array);
  sq.sqes = static_cast<io_uring_sqe*>(sqes);
  sq.ring_ptr = rings;
  sq.ring_sz = page;
  sq.ring_mask = *sq.kring_mask;
  sq.ring_entries = *sq.kring_entries;
  for (unsigned index = 0; index < sq.ring_entries; ++index) sq.array[index] = index;
  io_uring_cq& cq = ring->cq;
  cq.khead = at<unsigned>(rings, params.cq_off.head);
  cq.ktail = at<unsigned>(rings, params.cq_off.tail);
  cq.kring_mask = at<unsigned>(rings, params.cq_off.ring_mask);
  cq.kring_entries = at<unsigned>(rings, params.cq_off.ring_entries);
  cq.kflags = params.cq_off.flags ? at<unsigned>(rings, params.cq_off.flags) : nullptr;
  cq.koverflow = at<unsigned>(rings, params.cq_off.overflow);
  cq.cqes = at<io_uring_cqe>(rings, params.cq_off.cqes);
  cq.ring_ptr = rings;
  cq.ring_sz = page;
  cq.ring_mask = *cq.kring_mask;
  cq.ring_entries = *cq.kring_entries;
  ring->flags = params.flags;
  ring->ring_fd = fd;
  ring->enter_ring_fd = fd;
  ring->features = params.features;
  loop.own_ring_ = std::move(ring);
  return loop;
}

io_uring_sqe* EventLoop::next_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(ring());
  if (!sqe) {  // submission queue full: hand what we have to the kernel and take a fresh entry
    io_uring_submit(ring());
    sqe = io_uring_get_sqe(ring());
  }
  return sqe;
}

uint64_t EventLoop::watch(int fd, unsigned events, Callback callback) {
  const uint64_t token = next_token_++;
  callbacks_.emplace(token, std::move(callback));
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_poll_add(sqe, fd, events);
  io_uring_sqe_set_data64(sqe, token);
  return token;
}

void EventLoop::cancel(uint64_t token) {
  if (callbacks_.erase(token) == 0) return;
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_poll_remove(sqe, token);
  io_uring_sqe_set_data64(sqe, 0);
}

Result<void> EventLoop::run_once() {
  int submitted = io_uring_submit_and_wait(ring(), 1);
  if (submitted < 0 && submitted != -EINTR) return Error("io_uring_submit_and_wait", -submitted);

  // Collect first, then dispatch: callbacks add and cancel watches, which touches the ring.
  std::vector<std::pair<uint64_t, int>> ready;
  io_uring_cqe* cqe;
  unsigned head;
  io_uring_for_each_cqe(ring(), head, cqe) { ready.emplace_back(io_uring_cqe_get_data64(cqe), cqe->res); }
  io_uring_cq_advance(ring(), static_cast<unsigned>(ready.size()));

  for (auto [token, result] : ready) {
    auto found = callbacks_.find(token);
    if (found == callbacks_.end()) continue;  // cancelled, or a poll removal
    Callback callback = std::move(found->second);
    callbacks_.erase(found);
    if (result == -ECANCELED) continue;
    callback(result);
  }
  return ok();
}

Result<void> EventLoop::run() {
  while (!stopped_) TPROC_TRY(run_once());
  return ok();
}

}  // namespace tproc::space
