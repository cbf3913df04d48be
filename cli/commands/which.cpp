// tproc which: what is at an address of a space -- the liballocs question ("at 0x... is a
// malloc-allocated object of size 176") asked of a whole shared address space: who owns it, what
// is mapped there, the object and symbol when it is code or data, the space-heap block around it.

#include <cxxabi.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

#include "cli/address_lookup.hpp"
#include "cli/arguments.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/process_maps.hpp"
#include "cli/space_client.hpp"
#include "common/hex.hpp"
#include "common/printable.hpp"

namespace tproc::cli {
namespace {

constexpr const char* kUsage =
    "Usage: tproc which [--format table|json] SPACE ADDRESS\n\n"
    "Say what is at ADDRESS (hex, as gdb prints it: 0x7f0611a4feb0) in SPACE's shared address space:\n"
    "  owner    the running tproc whose range it is (id, name; its executable, ld.so, initial stack,\n"
    "           or a mapping it made), or the space's own memory: the registry, the space heap, the\n"
    "           daemon's loader (an ld.so mapped ahead of the next launch) or the daemon itself\n"
    "  mapping  the /proc/PID/maps line there: a file and the offset into it, or anonymous memory\n"
    "  object   when an ELF object is mapped there: its path, the address as the object links it,\n"
    "           and the symbol+offset (from its .symtab; a stripped object's nearest dynamic symbol)\n"
    "  block    in the space heap: the block's start and size, and the tproc that allocated it\n"
    "An address in no mapping is an error (exit 1).\n\n"
    "Options:\n"
    "      --format FORMAT  table (default) or json\n";

/// What the daemon said and what the client found, together.
struct Findings {
  std::string space;
  uint64_t address = 0;
  protocol::AddressHolder holder;
  MapsEntry mapping;
  std::optional<ObjectAddress> object;
  std::string object_error;  ///< why the object mapped there could not be read, if it could not
};

std::string tproc_words(const protocol::TprocInfo& tproc) {
  return "tproc " + std::to_string(tproc.id) + " (" + tproc.name + ")";
}

std::string owner_text(const Findings& found) {
  const protocol::AddressHolder& holder = found.holder;
  if (holder.holder == "tproc") {
    const std::string who = tproc_words(holder.tproc);
    if (holder.origin == "executable") return who + ": its executable, as the daemon loaded it";
    if (holder.origin == "interpreter") return who + ": its ld.so, as the daemon loaded it";
    if (holder.origin == "stack") return who + ": its initial (main thread's) stack";
    if (holder.origin == "image hold") return who + ": the range held for its non-PIE executable";
    return who + ": a mapping it made (its libraries, malloc arenas, thread stacks, mmap)";
  }
  if (holder.holder == "registry") return "the space's registry (its endpoint table)";
  if (holder.holder == "heap") return "the space heap";
  if (holder.holder == "loader") return "the daemon's loader: an ld.so mapped ahead of the next launch";
  std::string text = "the space's daemon (pid " + std::to_string(holder.daemon_pid) + "): no tproc owns it";
  if (!holder.ledger) text += " (the space runs without reclaim: what tprocs map is not recorded)";
  return text;
}

/// A C++ symbol's name as its source spells it ("std::filesystem::path::_M_concat(...)"); other
/// names as they are.
std::string demangled(const std::string& name) {
  if (name.rfind("_Z", 0) != 0) return name;
  int status = 0;
  char* text = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
  std::string result = status == 0 && text ? text : name;
  std::free(text);
  return result;
}

std::string symbol_text(const loader::SymbolAt& symbol, uint64_t link_address) {
  std::string text = demangled(symbol.name);
  if (link_address != symbol.value) text += "+" + hex(link_address - symbol.value);
  if (!symbol.inside) text = "near " + text;
  return text + (symbol.from_symtab ? "" : " (dynamic symbol: the object has no .symtab)");
}

void print_text(const Findings& found) {
  const protocol::AddressHolder& holder = found.holder;
  std::printf("%s in space '%s'\n", hex(found.address).c_str(), terminal_text(found.space).c_str());
  std::printf("  owner:    %s\n", terminal_text(owner_text(found)).c_str());
  std::printf("  mapping:  %s (%s)\n", terminal_text(maps_line(found.mapping)).c_str(),
              holder.origin == "stack" ? "stack" : mapping_kind(found.mapping).c_str());
  if (found.object) {
    std::string where = found.object->path + ", address " + hex(found.object->link_address);
    if (found.object->file_offset) where += ", file offset " + hex(*found.object->file_offset);
    std::printf("  object:   %s\n", terminal_text(where).c_str());
    std::printf("  symbol:   %s\n", found.object->symbol
                                         ? terminal_text(symbol_text(*found.object->symbol, found.object->link_address)).c_str()
                                         : "no symbol");
  } else if (!found.object_error.empty()) {
    std::printf("  object:   %s\n", terminal_text(found.object_error).c_str());
  }
  if (holder.holder == "heap") {
    if (!holder.in_block) {
      std::printf("  block:    none (heap metadata, or not carved into blocks yet)\n");
    } else {
      std::string text = hex(holder.block_begin) + ", " + std::to_string(holder.block_size) + " bytes" +
                         (holder.block_large ? " (a large run)" : "") + ", " +
                         std::to_string(found.address - holder.block_begin) + " bytes in; allocated by ";
      if (holder.allocator.id != 0)
        text += tproc_words(holder.allocator) + (holder.allocator.running ? "" : ", which has exited");
      else if (holder.allocator_pid != 0)
        text += "pid " + std::to_string(holder.allocator_pid) + " (no tproc the space remembers)";
      else
        text += "an unknown tproc (the heap cannot tell)";
      std::printf("  block:    %s\n", terminal_text(text).c_str());
    }
  }
}

std::string json_tproc(const protocol::TprocInfo& tproc) {
  return "{\"id\": " + std::to_string(tproc.id) + ", \"name\": " + json_string(tproc.name) +
         ", \"pid\": " + std::to_string(tproc.pid) + ", \"running\": " + (tproc.running ? "true" : "false") + "}";
}

void print_json(const Findings& found) {
  const protocol::AddressHolder& holder = found.holder;
  std::string out = "{\"space\": " + json_string(found.space) + ", \"address\": \"" + hex(found.address) + "\",\n";
  out += " \"owner\": {\"kind\": " + json_string(holder.holder);
  if (holder.holder == "tproc") out += ", \"tproc\": " + json_tproc(holder.tproc) + ", \"origin\": " + json_string(holder.origin);
  if (holder.holder != "daemon")
    out += ", \"begin\": \"" + hex(holder.begin) + "\", \"end\": \"" + hex(holder.end) + "\"";
  out += ", \"daemon_pid\": " + std::to_string(holder.daemon_pid) + ", \"ledger\": " + (holder.ledger ? "true" : "false") + "},\n";
  const MapsEntry& mapping = found.mapping;
  out += " \"mapping\": {\"begin\": \"" + hex(mapping.begin) + "\", \"end\": \"" + hex(mapping.end) +
         "\", \"perms\": " + json_string(mapping.perms) + ", \"offset\": " + std::to_string(mapping.offset) +
         ", \"device\": " + json_string(mapping.device) + ", \"inode\": " + std::to_string(mapping.inode) +
         ", \"path\": " + (mapping.path.empty() ? "null" : json_string(mapping.path)) +
         ", \"kind\": " + json_string(holder.origin == "stack" ? "stack" : mapping_kind(mapping)) + "},\n";
  out += " \"object\": ";
  if (found.object) {
    const ObjectAddress& object = *found.object;
    out += "{\"path\": " + json_string(object.path) + ", \"address\": \"" + hex(object.link_address) +
           "\", \"file_offset\": " + (object.file_offset ? std::to_string(*object.file_offset) : "null") + ", \"symbol\": ";
    if (object.symbol)
      out += "{\"name\": " + json_string(object.symbol->name) + ", \"demangled\": " +
             json_string(demangled(object.symbol->name)) + ", \"offset\": " +
             std::to_string(object.link_address - object.symbol->value) + ", \"size\": " + std::to_string(object.symbol->size) +
             ", \"table\": \"" + (object.symbol->from_symtab ? "symtab" : "dynsym") +
             "\", \"inside\": " + (object.symbol->inside ? "true" : "false") + "}";
    else
      out += "null";
    out += "}";
  } else if (!found.object_error.empty()) {
    out += "{\"error\": " + json_string(found.object_error) + "}";
  } else {
    out += "null";
  }
  out += ",\n \"block\": ";
  if (holder.in_block) {
    out += "{\"begin\": \"" + hex(holder.block_begin) + "\", \"size\": " + std::to_string(holder.block_size) +
           ", \"offset\": " + std::to_string(found.address - holder.block_begin) +
           ", \"large\": " + (holder.block_large ? "true" : "false") + ", \"allocated_by\": " +
           (holder.allocator.id != 0 ? json_tproc(holder.allocator) : "null") +
           ", \"allocator_pid\": " + (holder.allocator_pid != 0 ? std::to_string(holder.allocator_pid) : "null") + "}";
  } else {
    out += "null";
  }
  std::printf("%s}\n", out.c_str());
}

Result<int> which(std::span<char* const> args) {
  Arguments arguments = TPROC_TRY(Arguments::parse(args, {{"format", 0, true}}));
  if (arguments.wants_help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const bool json = TPROC_TRY(arguments.json_format());
  TPROC_TRY(arguments.expect_operands("which", 2, 2, "SPACE and ADDRESS"));
  Findings found;
  found.space = arguments.positional()[0];
  found.address = TPROC_TRY(parse_address(arguments.positional()[1]));

  space::SpacePaths paths = TPROC_TRY(space::SpacePaths::from_environment());
  protocol::Received reply = TPROC_TRY(ask_space(paths, found.space, protocol::WhichRequest{found.address}));
  found.holder = TPROC_TRY(expect<protocol::AddressHolder>(reply));
  const std::vector<MapsEntry> entries =
      TPROC_TRY_CTX("space '" + found.space + "'", read_maps(found.holder.daemon_pid));
  size_t index = 0;
  while (index < entries.size() && !(entries[index].begin <= found.address && found.address < entries[index].end)) ++index;
  if (index == entries.size())
    return Error::explained(hex(found.address) + " is not mapped in space '" + found.space + "'", ENXIO);
  found.mapping = entries[index];
  auto object = object_at(found.holder.daemon_pid, entries, index, found.address);
  if (object)
    found.object = std::move(*object);
  else
    found.object_error = object.error().describe();
  json ? print_json(found) : print_text(found);
  return 0;
}

}  // namespace

const Command kWhichCommand{"which", "Say what is at an address of a space", kUsage, which};

}  // namespace tproc::cli
