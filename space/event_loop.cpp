#include "space/event_loop.hpp"

#include <vector>

namespace tproc::space {

Result<EventLoop> EventLoop::create(unsigned entries) {
  EventLoop loop;
  auto ring = std::make_unique<io_uring>();
  if (int error = io_uring_queue_init(entries, ring.get(), 0); error < 0) return Error("io_uring_queue_init", -error);
  loop.ring_.reset(ring.release());
  return loop;
}

io_uring_sqe* EventLoop::next_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(ring_.get());
  if (!sqe) {  // submission queue full: hand what we have to the kernel and take a fresh entry
    io_uring_submit(ring_.get());
    sqe = io_uring_get_sqe(ring_.get());
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
  int submitted = io_uring_submit_and_wait(ring_.get(), 1);
  if (submitted < 0 && submitted != -EINTR) return Error("io_uring_submit_and_wait", -submitted);

  // Collect first, then dispatch: callbacks add and cancel watches, which touches the ring.
  std::vector<std::pair<uint64_t, int>> ready;
  io_uring_cqe* cqe;
  unsigned head;
  io_uring_for_each_cqe(ring_.get(), head, cqe) { ready.emplace_back(io_uring_cqe_get_data64(cqe), cqe->res); }
  io_uring_cq_advance(ring_.get(), static_cast<unsigned>(ready.size()));

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
