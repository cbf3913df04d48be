#include "compose/app_paths.hpp"

#include "space/space_paths.hpp"

namespace tproc::compose {

Result<void> AppPaths::prepare() const {
  // Checked all the way down (common/trusted_directory.hpp): the supervisor runs what it finds here.
  TPROC_TRY(open_trusted(bundles(), true));
  TPROC_TRY(open_trusted(socket_directory(), true));
  return ok();
}

}  // namespace tproc::compose
