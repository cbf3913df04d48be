#include "space/endpoint_plan.hpp"

#include <sys/mman.h>
#include <sys/stat.h>

#include "arch_traits.hpp"
#include "common/mapping.hpp"
#include "loader/elf_file.hpp"
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

  struct stat st {};
  if (::fstat(executable.get(), &st) < 0 || st.st_size <= 0) return Error::from_errno("fstat the executable");
  void* view = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, executable.get(), 0);
  if (view == MAP_FAILED) return Error::from_errno("read the executable");
  Mapping bytes(view, static_cast<size_t>(st.st_size));
  loader::ElfFile elf = TPROC_TRY(loader::ElfFile::parse({bytes.bytes(), bytes.size()}, arch::kElfMachine));
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
