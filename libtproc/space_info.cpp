// tproc_in_space, tproc_space_name, tproc_kind: what a program can ask about its space.

#include <cerrno>

#include "libtproc/attachment.hpp"
#include "registry/endpoint_name.hpp"
#include "tproc/tproc.h"

extern "C" {

TPROC_API int tproc_in_space(void) {
  int error = 0;
  if (tproc::lib::attached_registry(&error) != nullptr) return 1;
  return error == -EPROTO ? -EPROTO : 0;
}

TPROC_API const char* tproc_space_name(void) {
  int error = 0;
  tproc::registry::RegistryHeader* header = tproc::lib::attached_registry(&error);
  return header == nullptr ? nullptr : header->space_name;
}

TPROC_API uint64_t tproc_kind(const char* type_name) {
  return type_name == nullptr ? 0 : tproc::registry::kind_of(type_name);
}

}  // extern "C"
