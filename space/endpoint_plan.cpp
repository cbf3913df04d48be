#include "space/endpoint_plan.hpp"

#include <sys/stat.h>

#include "arch_traits.hpp"
#include "loader/elf_file.hpp"
#include "loader/file_image.hpp"
#include "loader/elf_symbols.hpp"
#include "registry/endpoint_name.hpp"

namespace tproc::space {

Result<EndpointPlan> EndpointPlan::resolve(const UniqueFd& executable, const std::vector<protocol::DeclaredEndpoint>& declared) {
  EndpointPlan plan;
  bool any_symbol = false;
  for (const protocol::DeclaredEndpoint& endpoint : declared) {
    plan.endpoints_.push_back({endpoint.name, std::nullopt, endpoint.kind.empty() ? 0 : registry::kind_of(endpoint.kind.c_str()),
                               endpoint.ready_at_start});
    any_symbol |= !endpoint.symbol.empty();
  }
  if (!any_symbol) return plan;
  if (!executable) return Error("endpoints name symbols, but no executable came with the request", EPROTO);

  // A copy, not a mapped view: a file truncated while the daemon reads it must not fault it.
  const loader::FileImage bytes = TPROC_TRY_CTX("read the executable", loader::FileImage::read_whole(executable.get()));
  const struct stat& st = bytes.status();
  loader::ElfFile elf = TPROC_TRY(loader::ElfFile::parse(bytes.bytes(), arch::kElfMachine));
  for (size_t i = 0; i < declared.size(); ++i) {
    if (declared[i].symbol.empty()) continue;
    auto address = TPROC_TRY_CTX("endpoint " + declared[i].name, loader::find_defined_symbol(elf, declared[i].symbol));
    if (!address)
      return Error::explained("endpoint " + declared[i].name + ": the executable defines no symbol '" + declared[i].symbol +
                                  "' (is it exported? link with -rdynamic)",
                              ENOENT);
    plan.endpoints_[i].link_address = *address;
  }
  plan.needs_load_address_ = elf.position_independent();
  plan.device_ = st.st_dev;
  plan.inode_ = st.st_ino;
  plan.link_base_ = elf.load_span().begin;
  return plan;
}

Result<void> EndpointPlan::publish(registry::Registry& registry, pid_t owner, uint64_t bias, size_t& next,
                                   int patience_ms) const {
  for (; next < endpoints_.size(); ++next) {
    const Planned& endpoint = endpoints_[next];
    const uint64_t address = endpoint.link_address ? *endpoint.link_address + bias : 0;
    const auto state = endpoint.ready_at_start ? registry::EntryState::ready : registry::EntryState::declared;
    auto published = registry.publish_declared(endpoint.name, address, endpoint.kind, owner, state, patience_ms);
    if (!published) {
      if (published.error().code() != EBUSY) ++next;
      return std::move(published).error().context("endpoint " + endpoint.name);
    }
  }
  return ok();
}

}  // namespace tproc::space
