#pragma once
// What `tproc info` reports of the running kernel: each facility tproc uses (or would use where
// the kernel offers it), probed with the cheapest call that tells whether it is there.

#include <string>
#include <vector>

namespace tproc::cli {

/// One kernel facility and whether this kernel has it.
struct KernelFeature {
  std::string name;    ///< "clone3"
  bool present = false;
  std::string detail;  ///< what tproc uses it for, or why it is missing ("ENOSYS", "Linux 6.15+")
};

/// Probes every facility; never fails (a probe that cannot tell reports the feature absent).
std::vector<KernelFeature> probe_kernel_features();

}  // namespace tproc::cli
