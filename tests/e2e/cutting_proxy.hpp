#pragma once
// CuttingProxy: a TCP proxy on 127.0.0.1 in front of a local server (the test registry) that drops
// connections mid-transfer on purpose: the first `cuts` connections to carry more than `cut_after`
// bytes (both directions together) are reset at that byte, as a flaky network or a load balancer
// timing out would; every other connection is relayed whole. Its threads live in the test process
// and are stopped and joined when it goes, also when a test fails.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.hpp"

namespace tproc::e2e {

/// A proxy that cuts connections; see above.
class CuttingProxy {
 public:
  /// Cuts after `cut_after` bytes, on the first `cuts` connections that get that far; a negative
  /// `cuts` cuts every one. Throws when it cannot listen.
  CuttingProxy(int upstream_port, uint64_t cut_after, int cuts);
  CuttingProxy(const CuttingProxy&) = delete;
  CuttingProxy& operator=(const CuttingProxy&) = delete;
  ~CuttingProxy();

  /// "localhost:PORT": what references name the server by through the proxy.
  std::string host() const { return "localhost:" + std::to_string(port_); }
  /// How many connections it has cut so far.
  int cuts_made() const { return cuts_made_.load(); }

 private:
  void accept_loop();
  void relay(UniqueFd client);
  bool take_cut();

  int upstream_port_;
  uint64_t cut_after_;
  std::atomic<int> cuts_left_;
  std::atomic<int> cuts_made_{0};
  int port_ = 0;
  UniqueFd listener_;
  UniqueFd stop_;  // an eventfd: readable once the proxy is going
  std::mutex relays_lock_;
  std::vector<std::thread> relays_;
  std::thread acceptor_;
};

}  // namespace tproc::e2e
