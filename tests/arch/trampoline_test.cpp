// The architecture-specific parts of starting a tproc, checked the same way on every architecture:
//  - the clone3 trampoline (runtime/arch/<arch>/launch.S) running a LaunchScript: six syscall
//    arguments in the right registers, accepted errnos, the failed step's index and errno, exit 127;
//  - the state a program finds at its entry: the stack pointer at argc (16-byte aligned), argv,
//    envp and auxv where the loader wrote them, a clean atexit register (a static PIE, which
//    relocates itself with no interpreter, exits through its atexit hooks);
//  - the auxv details: what getauxval answers in the child against what the loader wrote, and the
//    fact that /proc/self/auxv shows the space's (the daemon's) auxv, not the program's;
//  - the kernel's struct sigaction layout used by LaunchScript::ignore_signal;
//  - the mapping filter's BPF program (runtime/mapping_filter.cpp): it notifies this
//    architecture's mmap/munmap/mremap/shmat/shmdt (arch::kAuditArch, this architecture's
//    numbers), mprotect only from the windows it is given, every call of a foreign ABI, and
//    nothing else, checked by running the filter on crafted seccomp_data and on a live program.
// Nothing here tests for an architecture: the same expectations hold on x86_64 and aarch64.

#include <catch2/catch.hpp>

#include <elf.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "arch_traits.hpp"
#include "loader/program_loader.hpp"
#include "runtime/mapping_filter.hpp"
#include "runtime/spawn.hpp"
#include "tproc/auxv.h"

using namespace tproc;
namespace fs = std::filesystem;

namespace {

constexpr int kTimeoutMs = 120000;  // generous: the aarch64 run is under full-system emulation

const loader::HostAuxv& host_auxv() {
  static const loader::HostAuxv host = *loader::HostAuxv::read_self();
  return host;
}

uint64_t page_size() { return static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)); }

/// Waits for `child` to exit and returns its status.
runtime::ExitStatus wait_for(runtime::Child& child) {
  pollfd waiter{child.pidfd(), POLLIN, 0};
  REQUIRE(::poll(&waiter, 1, kTimeoutMs) == 1);
  auto status = child.try_reap();
  REQUIRE(status.has_value());
  REQUIRE(status->has_value());
  return **status;
}

/// Moves `fd` above the descriptors a launch script installs (0-3), so dup3 never gets from == to.
UniqueFd high(int fd) {
  REQUIRE(fd >= 0);
  UniqueFd moved(::fcntl(fd, F_DUPFD_CLOEXEC, 10));
  ::close(fd);
  REQUIRE(moved);
  return moved;
}

/// A stack for a script that never enters a program: the trampoline itself needs no stack, but
/// clone3 needs one, 16-byte aligned.
struct BareStack {
  BareStack() : mapping(::mmap(nullptr, 64 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0), 64 << 10) {
    REQUIRE(mapping.get() != MAP_FAILED);
  }
  runtime::EntryState entry() const { return {0, mapping.end(), mapping.begin()}; }
  Mapping mapping;
};

/// Runs `script` with no program after it: it must end the child itself (exit_group or a failure).
runtime::ExitStatus run_bare(runtime::LaunchScript& script) {
  BareStack stack;
  auto child = runtime::spawn_in_space(script, stack.entry());
  INFO((child ? std::string() : child.error().describe()));
  REQUIRE(child.has_value());
  return wait_for(*child);
}

void add_exit(runtime::LaunchScript& script, int status) {
  script.add("exit_group " + std::to_string(status), SYS_exit_group, {static_cast<uint64_t>(status), 0, 0, 0, 0, 0});
}

/// The index (1-based) of the step the child recorded as failed; 0 when none did.
uint32_t failed_index(runtime::LaunchScript& script) { return script.header(0)->failure->step; }

/// What the loader wrote on a program's initial stack, read back from the stack itself.
struct InitialStack {
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  std::vector<std::pair<uint64_t, uint64_t>> auxv;  ///< up to and including AT_NULL
  uint64_t value(uint64_t type) const {
    for (const auto& [t, v] : auxv)
      if (t == type) return v;
    return 0;
  }
};

InitialStack read_initial_stack(uint64_t stack_pointer) {
  InitialStack stack;
  const uint64_t* word = reinterpret_cast<const uint64_t*>(stack_pointer);
  const uint64_t argc = *word++;
  for (uint64_t i = 0; i < argc; ++i) stack.argv.emplace_back(reinterpret_cast<const char*>(*word++));
  REQUIRE(*word++ == 0);
  while (*word) stack.envp.emplace_back(reinterpret_cast<const char*>(*word++));
  ++word;
  for (;;) {
    const uint64_t type = *word++, value = *word++;
    stack.auxv.emplace_back(type, value);
    if (type == AT_NULL) break;
  }
  return stack;
}

/// The probe's report: every "key rest-of-line" line, in order.
struct Report {
  std::multimap<std::string, std::string> lines;
  std::string text;

  std::string one(const std::string& key) const {
    auto found = lines.find(key);
    INFO(text);
    REQUIRE(found != lines.end());
    return found->second;
  }
  std::vector<std::string> all(const std::string& key) const {
    std::vector<std::string> values;
    for (auto [it, end] = lines.equal_range(key); it != end; ++it) values.push_back(it->second);
    return values;
  }
  uint64_t getauxval_of(const std::string& name) const {
    for (const std::string& line : all("getauxval"))
      if (line.rfind(name + " ", 0) == 0) return std::stoull(line.substr(name.size() + 1), nullptr, 16);
    INFO(text);
    FAIL("the probe printed no getauxval " << name);
    return 0;
  }
  std::vector<std::pair<uint64_t, uint64_t>> pairs(const std::string& key) const {
    std::vector<std::pair<uint64_t, uint64_t>> result;
    for (const std::string& line : all(key)) {
      std::istringstream in(line);
      std::string type, value;
      in >> type >> value;
      result.emplace_back(std::stoull(type, nullptr, 16), std::stoull(value, nullptr, 16));
    }
    return result;
  }
};

Report parse_report(const std::string& text) {
  Report report;
  report.text = text;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    report.lines.emplace(line.substr(0, space), line.substr(space + 1));
  }
  return report;
}

std::string read_all(int fd) {
  std::string text;
  char buffer[4096];
  for (;;) {
    pollfd readable{fd, POLLIN, 0};
    REQUIRE(::poll(&readable, 1, kTimeoutMs) == 1);
    ssize_t got = ::read(fd, buffer, sizeof(buffer));
    REQUIRE(got >= 0);
    if (got == 0) return text;
    text.append(buffer, static_cast<size_t>(got));
  }
}

/// A probe loaded into this address space, ready to spawn; its stdout and stderr go to a pipe.
struct Probe {
  loader::LoadedProgram program;
  InitialStack written;  ///< what the loader put on the stack, read before the child ran
  std::unique_ptr<runtime::LaunchScript> script = std::make_unique<runtime::LaunchScript>();
  UniqueFd output_read, output_write;
  std::optional<runtime::Child> child;

  static constexpr uint64_t kRegistryAddress = 0x7e57ab1e0000;

  static Probe load(const std::string& path, std::vector<std::string> argv) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(fd);
    loader::ProgramSpec spec;
    spec.executable = &fd;
    spec.execfn = path;
    spec.argv = std::move(argv);
    spec.envp = {"PATH=/usr/bin:/bin", "TPROC_PROBE=1"};
    spec.registry_address = kRegistryAddress;
    auto program = loader::load_program(spec, host_auxv());
    INFO((program ? std::string() : program.error().describe()));
    REQUIRE(program.has_value());
    InitialStack written = read_initial_stack(program->stack_pointer);
    int pipe_fds[2];
    REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
    UniqueFd read_end = high(pipe_fds[0]), write_end = high(pipe_fds[1]);
    Probe probe{std::move(*program), std::move(written)};
    probe.output_read = std::move(read_end);
    probe.output_write = std::move(write_end);
    probe.script->install_fd(probe.output_write.get(), 1);
    probe.script->install_fd(probe.output_write.get(), 2);
    return probe;
  }

  void spawn() {
    auto started = runtime::spawn_in_space(*script, {program.entry, program.stack_pointer, program.stack.base()});
    INFO((started ? std::string() : started.error().describe()));
    REQUIRE(started.has_value());
    child.emplace(std::move(*started));
    output_write.reset();  // the child holds its own copy: EOF once it exits
  }

  /// Runs the probe to its end; returns its report after checking that it exited 0.
  Report run() {
    spawn();
    std::string text = read_all(output_read.get());
    runtime::ExitStatus status = wait_for(*child);
    INFO(text);
    CHECK_FALSE(script->failed());
    CHECK_FALSE(status.killed);
    REQUIRE(status.value == 0);
    return parse_report(text);
  }
};

/// Runs a classic BPF seccomp program (the subset a filter uses) on `data`; returns its verdict.
uint32_t run_filter(const sock_fprog& program, const seccomp_data& data) {
  uint32_t accumulator = 0, index = 0, scratch[BPF_MEMWORDS] = {};
  for (size_t pc = 0; pc < program.len; ++pc) {
    const sock_filter& op = program.filter[pc];
    switch (op.code) {
      case BPF_LD | BPF_IMM: accumulator = op.k; break;
      case BPF_LD | BPF_MEM: REQUIRE(op.k < BPF_MEMWORDS); accumulator = scratch[op.k]; break;
      case BPF_ST: REQUIRE(op.k < BPF_MEMWORDS); scratch[op.k] = accumulator; break;
      case BPF_MISC | BPF_TAX: index = accumulator; break;
      case BPF_ALU | BPF_SUB | BPF_X: accumulator -= index; break;
      case BPF_ALU | BPF_ADD | BPF_K: accumulator += op.k; break;
      case BPF_ALU | BPF_NEG: accumulator = -accumulator; break;
      case BPF_JMP | BPF_JGE | BPF_X: pc += accumulator >= index ? op.jt : op.jf; break;
      case BPF_LD | BPF_W | BPF_ABS:
        REQUIRE(op.k + sizeof(uint32_t) <= sizeof(data));
        std::memcpy(&accumulator, reinterpret_cast<const char*>(&data) + op.k, sizeof(accumulator));
        break;
      case BPF_JMP | BPF_JA: pc += op.k; break;
      case BPF_JMP | BPF_JEQ | BPF_K: pc += accumulator == op.k ? op.jt : op.jf; break;
      case BPF_JMP | BPF_JGT | BPF_K: pc += accumulator > op.k ? op.jt : op.jf; break;
      case BPF_JMP | BPF_JGE | BPF_K: pc += accumulator >= op.k ? op.jt : op.jf; break;
      case BPF_JMP | BPF_JSET | BPF_K: pc += (accumulator & op.k) ? op.jt : op.jf; break;
      case BPF_RET | BPF_K: return op.k;
      default: FAIL("unexpected BPF instruction 0x" << std::hex << op.code << " at " << std::dec << pc);
    }
  }
  FAIL("the filter ran off its end");
  return 0;
}

/// The sock_fprog the script's seccomp step installs.
const sock_fprog& installed_filter(runtime::LaunchScript& script) {
  const runtime::LaunchHeader* header = script.header(0);
  const sock_fprog* found = nullptr;
  for (uint64_t i = 0; i < header->step_count; ++i) {
    const runtime::LaunchStep& step = header->steps[i];
    if (step.number == SYS_seccomp && step.args[0] == SECCOMP_SET_MODE_FILTER)
      found = reinterpret_cast<const sock_fprog*>(step.args[2]);
  }
  REQUIRE(found != nullptr);
  return *found;
}

}  // namespace

TEST_CASE("The trampoline passes all six syscall arguments of a launch step in the right registers") {
  // mmap(address, length, prot, flags, fd, offset) from the child, in the shared address space:
  // the parent sees the mapping, and its content proves that the flags (4th: r10, not rcx, on
  // x86_64; x3 on aarch64), the fd (5th) and the page offset (6th) all arrived.
  const uint64_t page = page_size();
  UniqueFd memfd(static_cast<int>(::syscall(SYS_memfd_create, "trampoline-test", MFD_CLOEXEC)));
  REQUIRE(memfd);
  std::string content(2 * page, 'a');
  std::fill(content.begin() + page, content.end(), 'b');
  REQUIRE(::pwrite(memfd.get(), content.data(), content.size(), 0) == static_cast<ssize_t>(content.size()));
  void* reserved = ::mmap(nullptr, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(reserved != MAP_FAILED);
  Mapping target(reserved, page);

  runtime::LaunchScript script;
  script.add("map page 1 of the memfd", SYS_mmap,
             {target.begin(), page, PROT_READ, MAP_SHARED | MAP_FIXED, static_cast<uint64_t>(memfd.get()), page});
  add_exit(script, 42);
  runtime::ExitStatus status = run_bare(script);

  CHECK_FALSE(status.killed);
  CHECK(status.value == 42);
  CHECK_FALSE(script.failed());
  CHECK(std::string(reinterpret_cast<const char*>(target.get()), 4) == "bbbb");
}

TEST_CASE("A launch step that fails with its accepted errno does not stop the script") {
  runtime::LaunchScript script;
  script.add("close a closed fd", SYS_close, {999, 0, 0, 0, 0, 0}, EBADF);
  add_exit(script, 7);
  runtime::ExitStatus status = run_bare(script);
  CHECK(status.value == 7);
  CHECK_FALSE(script.failed());
  CHECK(failed_index(script) == 0);
}

TEST_CASE("A launch step may accept a second errno, and either one lets the script go on") {
  runtime::LaunchScript script;
  script.add("close a closed fd, EBADF second", SYS_close, {999, 0, 0, 0, 0, 0}, ENOENT, EBADF);
  script.add("close a closed fd, EBADF first", SYS_close, {999, 0, 0, 0, 0, 0}, EBADF, ENOENT);
  add_exit(script, 9);
  runtime::ExitStatus status = run_bare(script);
  CHECK(status.value == 9);
  CHECK_FALSE(script.failed());
}

TEST_CASE("A failing launch step is recorded with its index and errno, exits 127 and stops the script") {
  const fs::path directory = fs::temp_directory_path() / ("tproc-trampoline-" + std::to_string(::getpid()));
  fs::remove_all(directory);
  fs::create_directories(directory);
  const std::string before = (directory / "before").native(), after = (directory / "after").native();

  runtime::LaunchScript script;
  script.add("mkdir before", SYS_mkdirat, {static_cast<uint64_t>(AT_FDCWD), reinterpret_cast<uint64_t>(before.c_str()), 0700, 0, 0, 0});
  script.add("close a closed fd, another errno accepted", SYS_close, {999, 0, 0, 0, 0, 0}, ENOENT);
  script.add("mkdir after", SYS_mkdirat, {static_cast<uint64_t>(AT_FDCWD), reinterpret_cast<uint64_t>(after.c_str()), 0700, 0, 0, 0});
  add_exit(script, 0);
  runtime::ExitStatus status = run_bare(script);

  CHECK_FALSE(status.killed);
  CHECK(status.value == 127);
  REQUIRE(script.failed());
  CHECK(failed_index(script) == 2);
  CHECK(script.failed_errno() == EBADF);
  CHECK(script.failed_step() == "close a closed fd, another errno accepted");
  CHECK(fs::is_directory(before));
  CHECK_FALSE(fs::exists(after));
  fs::remove_all(directory);
}

TEST_CASE("A dynamically linked program finds argc, argv, envp and auxv where the loader put them") {
  Probe probe = Probe::load(TPROC_ARCH_PROBE, {"arch_probe", "one", "two words"});
  const uint64_t stack_pointer = probe.program.stack_pointer;
  CHECK(stack_pointer % 16 == 0);
  REQUIRE(probe.program.interpreter.has_value());
  CHECK(probe.program.entry == probe.program.interpreter->entry());
  Report report = probe.run();

  CHECK(report.one("argc") == "3");
  CHECK(report.all("argv") == std::vector<std::string>{"0 arch_probe", "1 one", "2 two words"});
  // main's argv is the initial stack's: the stack pointer at entry was exactly at argc.
  CHECK(std::stoull(report.one("argv_address"), nullptr, 16) == stack_pointer + 8);
  CHECK(report.pairs("stack_auxv") == probe.written.auxv);
}

TEST_CASE("A static PIE relocates itself with no interpreter and exits through its atexit hooks") {
  Probe probe = Probe::load(TPROC_ARCH_PROBE_STATIC, {"arch_probe_static"});
  CHECK_FALSE(probe.program.interpreter.has_value());
  CHECK(probe.program.entry == probe.program.executable.entry());
  Report report = probe.run();  // exit status 0 and complete output: the exit path ran

  CHECK(std::stoull(report.one("argv_address"), nullptr, 16) == probe.program.stack_pointer + 8);
  CHECK(report.pairs("stack_auxv") == probe.written.auxv);
  CHECK(report.getauxval_of("AT_BASE") == 0);
  CHECK(report.getauxval_of("AT_ENTRY") == probe.program.executable.entry());
  CHECK(report.getauxval_of("TPROC_AT_REGISTRY") == Probe::kRegistryAddress);
  // As after execve: no thread pointer until the program's libc sets its own, even though the
  // thread that launched it (this test's, as the daemon's) has one.
  CHECK(report.one("entry_thread_pointer") == "0x0");
}

TEST_CASE("The child's getauxval answers what the loader wrote, the host's facts included") {
  Probe probe = Probe::load(TPROC_ARCH_PROBE, {"arch_probe"});
  const InitialStack& written = probe.written;
  Report report = probe.run();

  // Per program: where it was mapped, its entry, its name, its interpreter, the registry.
  CHECK(report.getauxval_of("AT_PHDR") == probe.program.executable.phdr());
  CHECK(report.getauxval_of("AT_PHNUM") == probe.program.executable.phnum());
  CHECK(report.getauxval_of("AT_ENTRY") == probe.program.executable.entry());
  CHECK(report.getauxval_of("AT_BASE") == probe.program.interpreter->bias());
  CHECK(report.getauxval_of("AT_SECURE") == 0);
  CHECK(report.getauxval_of("TPROC_AT_REGISTRY") == Probe::kRegistryAddress);
  CHECK(report.one("execfn") == TPROC_ARCH_PROBE);
  CHECK(report.getauxval_of("AT_EXECFN") == written.value(AT_EXECFN));

  // AT_RANDOM: 16 bytes on the new stack (not the daemon's), not all zero, and the ones written.
  const uint64_t random = report.getauxval_of("AT_RANDOM");
  CHECK(random == written.value(AT_RANDOM));
  CHECK(random >= probe.program.stack.base());
  CHECK(random < probe.program.stack.end());
  CHECK(report.one("random") != std::string(32, '0'));
  std::ostringstream written_random;
  for (int i = 0; i < 16; ++i)
    written_random << std::hex << (reinterpret_cast<const unsigned char*>(random)[i] >> 4)
                   << (reinterpret_cast<const unsigned char*>(random)[i] & 15);
  CHECK(report.one("random") == written_random.str());

  // Copied from the host (the daemon's own auxv): page size, CPU capabilities, platform, vDSO.
  CHECK(report.getauxval_of("AT_PAGESZ") == page_size());
  CHECK(report.getauxval_of("AT_HWCAP") == ::getauxval(AT_HWCAP));
  CHECK(report.getauxval_of("AT_HWCAP2") == ::getauxval(AT_HWCAP2));
  CHECK(report.getauxval_of("AT_MINSIGSTKSZ") == ::getauxval(51));
  CHECK(report.getauxval_of("AT_SYSINFO_EHDR") == ::getauxval(AT_SYSINFO_EHDR));
  CHECK(report.getauxval_of("AT_SYSINFO_EHDR") != 0);
  if (const char* platform = reinterpret_cast<const char*>(::getauxval(AT_PLATFORM))) {
    CHECK(report.one("platform") == platform);
    // A copy on the program's own stack, not a pointer into the daemon's.
    CHECK(report.getauxval_of("AT_PLATFORM") >= probe.program.stack.base());
    CHECK(report.getauxval_of("AT_PLATFORM") < probe.program.stack.end());
  }
  // Every host entry the loader copies reaches the program unchanged.
  for (const auto& [type, value] : host_auxv().entries()) {
    if (type == AT_HWCAP || type == AT_HWCAP2 || type == AT_PAGESZ || type == AT_CLKTCK || type == AT_UID ||
        type == AT_EUID || type == AT_GID || type == AT_EGID || type == AT_SYSINFO_EHDR || type == 51) {
      INFO("auxv type " << type);
      CHECK(written.value(type) == value);
    }
  }
}

TEST_CASE("/proc/self/auxv in a tproc is the space's own auxv, not the program's") {
  // The kernel reports mm->saved_auxv, recorded by the execve that made the mm: in a tproc, the
  // daemon's (here: this test's). Which is why libtproc reads the registry with getauxval.
  Probe probe = Probe::load(TPROC_ARCH_PROBE, {"arch_probe"});
  Report report = probe.run();
  std::vector<std::pair<uint64_t, uint64_t>> proc = report.pairs("proc_auxv");
  REQUIRE_FALSE(proc.empty());
  std::map<uint64_t, uint64_t> ours;
  for (const auto& [type, value] : host_auxv().entries()) ours[type] = value;
  bool saw_entry = false;
  for (const auto& [type, value] : proc) {
    if (type == AT_ENTRY) {
      saw_entry = true;
      CHECK(value == ours[AT_ENTRY]);
      CHECK(value != probe.program.executable.entry());
    }
  }
  CHECK(saw_entry);
}

TEST_CASE("Launch steps set a signal disposition with the kernel's struct sigaction, the name and the mask") {
  Probe probe = Probe::load(TPROC_ARCH_PROBE, {"arch_probe"});
  probe.script->ignore_signal(SIGUSR1);
  probe.script->set_name("arch-probe-name-is-long");
  probe.script->clear_signal_mask();
  Report report = probe.run();
  CHECK(report.one("sigusr1") == "ignored");
  CHECK(report.one("comm") == "arch-probe-name");
  CHECK(report.one("blocked") == "0");
}

TEST_CASE("The mapping filter notifies this architecture's mapping calls, brk, SysV attachments, readlink(at), execve and foreign ABIs, and nothing else") {
  runtime::LaunchScript script;
  runtime::add_mapping_filter(script, 3, 4, true);
  const sock_fprog& filter = installed_filter(script);

  auto verdict = [&](uint32_t arch, int nr, uint64_t first_argument = 0) {
    seccomp_data data{};
    data.arch = arch;
    data.nr = nr;
    data.args[0] = first_argument;
    return run_filter(filter, data) & SECCOMP_RET_ACTION_FULL;
  };
  // brk: each tproc's own program break (space/program_break.hpp). readlink(at) and execve: how a
  // program finds or re-runs /proc/self/exe (space/program_exe.hpp).
  std::vector<int> notified{SYS_mmap, SYS_munmap, SYS_mremap, SYS_brk, SYS_shmat, SYS_shmdt, SYS_readlinkat, SYS_execve};
#ifdef SYS_readlink
  notified.push_back(SYS_readlink);
#endif
  for (int nr : notified) {
    INFO("syscall " << nr);
    CHECK(verdict(arch::kAuditArch, nr) == SECCOMP_RET_USER_NOTIF);
  }
  // Another ABI's calls (x86_64's int 0x80, x32 numbers) map behind the ledger's back: the daemon
  // sees every one of them and refuses them in a tproc.
  for (int nr : {SYS_getpid, SYS_mmap, 90, 192}) {
    CHECK(verdict(AUDIT_ARCH_I386, nr) == SECCOMP_RET_USER_NOTIF);
    CHECK(verdict(AUDIT_ARCH_ARM, nr) == SECCOMP_RET_USER_NOTIF);
    CHECK(verdict(arch::kAuditArch == AUDIT_ARCH_X86_64 ? AUDIT_ARCH_AARCH64 : AUDIT_ARCH_X86_64, nr) == SECCOMP_RET_USER_NOTIF);
    CHECK(verdict(arch::kAuditArch, nr | 0x40000000) == SECCOMP_RET_USER_NOTIF);
  }
  for (int nr : {SYS_getpid, SYS_mprotect, SYS_openat, SYS_madvise, SYS_execveat, SYS_newfstatat})
    CHECK(verdict(arch::kAuditArch, nr) == SECCOMP_RET_ALLOW);
  seccomp_data native{};
  native.arch = arch::kAuditArch;
  native.nr = SYS_getpid;
  CHECK(runtime::is_native_call(native));
  native.nr = SYS_getpid | 0x40000000;
  CHECK_FALSE(runtime::is_native_call(native));
  native.nr = SYS_getpid;
  native.arch = AUDIT_ARCH_I386;
  CHECK_FALSE(runtime::is_native_call(native));
}

TEST_CASE("The mapping filter notifies mprotect only when it may overlap a guarded range") {
  runtime::LaunchScript script;
  // A span inside one 4 GiB window, and one across a window's edge.
  runtime::add_mapping_filter(script, 3, 4, true, {{0x7ffd12340000, 0x7ffd12348000}, {0x5555fffff000, 0x555600002000}});
  const sock_fprog& filter = installed_filter(script);
  auto verdict = [&](int nr, uint64_t address, uint64_t length = 4096) {
    seccomp_data data{};
    data.arch = arch::kAuditArch;
    data.nr = nr;
    data.args[0] = address;
    data.args[1] = length;
    return run_filter(filter, data) & SECCOMP_RET_ACTION_FULL;
  };
  constexpr uint32_t notify = SECCOMP_RET_USER_NOTIF, allow = SECCOMP_RET_ALLOW;
  CHECK(verdict(SYS_mprotect, 0x7ffd12340000) == notify);             // its first page
  CHECK(verdict(SYS_mprotect, 0x7ffd12347000) == notify);             // its last page
  CHECK(verdict(SYS_mprotect, 0x7ffd12348000) == allow);              // just above
  CHECK(verdict(SYS_mprotect, 0x7ffd1233f000) == allow);              // the page below
  CHECK(verdict(SYS_mprotect, 0x7ffd1233f000, 4097) == notify);       // ... reaching into it
  CHECK(verdict(SYS_mprotect, 0x7ffd00000000, 0x12340000) == allow);  // ending right at it
  CHECK(verdict(SYS_mprotect, 0x7ffd00000000, 0x12340001) == notify);
  CHECK(verdict(SYS_mprotect, 0x7ffc12340000) == allow);              // another window
  CHECK(verdict(SYS_mprotect, 0x7ffc12340000, 1ULL << 32) == notify); // 4 GiB: may reach anything
  CHECK(verdict(SYS_mprotect, 0x12340000) == allow);                  // the low half is not the window
  CHECK(verdict(SYS_mprotect, 0x7ffcfffff000, 0x12341000) == allow);  // from the window below, ending at it
  CHECK(verdict(SYS_mprotect, 0x7ffcfffff000, 0x12341001) == notify); // ... reaching into it
  CHECK(verdict(SYS_mprotect, 0x7ffc00001000) == allow);
  CHECK(verdict(SYS_mprotect, 0x5555fffff000) == notify);             // both sides of a window's edge
  CHECK(verdict(SYS_mprotect, 0x555600001000) == notify);
  CHECK(verdict(SYS_mprotect, 0x555600002000) == allow);
  CHECK(verdict(SYS_mprotect, 0x5555ffffe000) == allow);
  CHECK(verdict(SYS_getpid, 0x7ffd12340000) == allow);
  CHECK(verdict(SYS_munmap, 0x1000) == notify);
}

TEST_CASE("A program under the mapping filter sends its mapping calls to the listener, tagged with this architecture") {
  Probe probe = Probe::load(TPROC_ARCH_PROBE, {"arch_probe"});
  int channel[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) == 0);
  UniqueFd ours = high(channel[0]), theirs = high(channel[1]);
  probe.script->install_fd(theirs.get(), 3);
  probe.script->close_fds_from(4);
  runtime::add_mapping_filter(*probe.script, 3, 4, ::geteuid() != 0);
  probe.script->clear_signal_mask();
  probe.spawn();
  theirs.reset();

  pollfd channel_ready{ours.get(), POLLIN, 0};
  REQUIRE(::poll(&channel_ready, 1, kTimeoutMs) == 1);
  auto listener = runtime::receive_listener(ours.get());
  INFO((listener ? std::string() : listener.error().describe()));
  REQUIRE(listener.has_value());

  seccomp_notif_sizes sizes{};
  REQUIRE(::syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0);
  std::vector<char> request_buffer(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
  std::vector<char> response_buffer(std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
  std::set<uint32_t> arches;
  std::multiset<int> calls;
  std::string output;
  // Serve the notifications (let each call run in the child: CONTINUE) until the child exits.
  for (bool exited = false; !exited;) {
    pollfd waiting[3] = {{listener->get(), POLLIN, 0}, {probe.child->pidfd(), POLLIN, 0}, {probe.output_read.get(), POLLIN, 0}};
    REQUIRE(::poll(waiting, 3, kTimeoutMs) > 0);
    if (waiting[2].revents & POLLIN) {
      char buffer[4096];
      ssize_t got = ::read(probe.output_read.get(), buffer, sizeof(buffer));
      if (got > 0) output.append(buffer, static_cast<size_t>(got));
    }
    if (waiting[0].revents & POLLIN) {
      std::fill(request_buffer.begin(), request_buffer.end(), 0);
      auto* request = reinterpret_cast<seccomp_notif*>(request_buffer.data());
      if (::ioctl(listener->get(), SECCOMP_IOCTL_NOTIF_RECV, request) == 0) {
        arches.insert(request->data.arch);
        calls.insert(request->data.nr);
        std::fill(response_buffer.begin(), response_buffer.end(), 0);
        auto* response = reinterpret_cast<seccomp_notif_resp*>(response_buffer.data());
        response->id = request->id;
        response->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        ::ioctl(listener->get(), SECCOMP_IOCTL_NOTIF_SEND, response);
      }
    }
    exited = (waiting[1].revents & POLLIN) != 0;
  }
  output += read_all(probe.output_read.get());
  runtime::ExitStatus status = wait_for(*probe.child);
  INFO(output);
  CHECK(status.value == 0);
  CHECK_FALSE(status.killed);
  CHECK_FALSE(probe.script->failed());
  CHECK(parse_report(output).one("comm").size() > 0);
  CHECK(arches == std::set<uint32_t>{arch::kAuditArch});
  CHECK(calls.count(SYS_mmap) > 0);  // ld.so maps libc; stdio allocates
  CHECK(calls.count(SYS_brk) > 0);   // ld.so and malloc ask for the program break
  for (int nr : calls)
    CHECK((nr == SYS_mmap || nr == SYS_munmap || nr == SYS_mremap || nr == SYS_brk || nr == SYS_shmat || nr == SYS_shmdt));
}
