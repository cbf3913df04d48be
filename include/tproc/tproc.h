/* libtproc: what a program running in a tproc space can do that an ordinary process cannot.
 *
 * Every program (tproc) of a space runs in one address space, so a pointer made by one is valid in
 * all. libtproc lets programs that were built and started independently find each other's data by
 * name (the registry), hand pointers over without copying (channels) and allocate memory that any
 * of them may free (the space heap).
 *
 * Conventions: functions return 0 (or a count) on success and a negative errno on failure, except
 * tproc_heap_alloc (a pointer, NULL with errno set, like malloc). Outside a space every function
 * fails with -ENOTCONN; in a space whose daemon uses another registry layout, with -EPROTO.
 * Everything is thread-safe. Timeouts are in milliseconds: negative waits forever, 0 only checks.
 * Waits return -EINTR when a signal handler interrupts them. Registry reads take no lock.
 *
 * A fork() child of a tproc has its own copy of memory, so it is not in the space: libtproc detaches
 * in the child (tproc_in_space() returns 0 there). A program exec'd by a tproc is not in the space.
 * To start another program in the space, use tproc_spawn().
 */
#ifndef TPROC_TPROC_H
#define TPROC_TPROC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TPROC_API __attribute__((visibility("default")))
#else
#define TPROC_API
#endif

/* ---- The space ---------------------------------------------------------------------------- */

/** 1 when this program runs in a tproc space, 0 when not, -EPROTO when the space's registry has a
 *  layout this libtproc does not understand (update the library or the daemon). */
TPROC_API int tproc_in_space(void);

/** The name of the space this program runs in, or NULL outside a space. Valid for the program's life. */
TPROC_API const char* tproc_space_name(void);

/* ---- Endpoints: the registry ------------------------------------------------------------------
 * A name (1 to TPROC_NAME_MAX bytes, no control characters) maps to an address and a kind, a 64-bit
 * tag the publisher chooses so a consumer can check it got what it expects (tproc_kind() hashes a
 * type name into one). The registry holds at most TPROC_MAX_ENDPOINTS live endpoints per space;
 * beyond that publishing fails with -ENOSPC. Each endpoint belongs to the tproc that published it
 * (or that the daemon declared it for) and is withdrawn when that tproc exits, however it exits;
 * waiters are woken. A name is live once: publishing a live name fails with -EEXIST.
 * Endpoints a manifest declares are published by the runtime as DECLARED and become READY when
 * their program calls tproc_ready(). Endpoints a program publishes itself are READY at once. */

#define TPROC_NAME_MAX 63
#define TPROC_MAX_ENDPOINTS 3072

#define TPROC_ENDPOINT_DECLARED 1
#define TPROC_ENDPOINT_READY 2

/** One endpoint as tproc_query() and tproc_list() report it. */
struct tproc_endpoint {
  char name[TPROC_NAME_MAX + 1]; /**< NUL-terminated */
  void* address;
  uint64_t kind;
  int32_t owner_pid;   /**< the tproc whose exit withdraws it */
  uint32_t state;      /**< TPROC_ENDPOINT_DECLARED or TPROC_ENDPOINT_READY */
  uint64_t generation; /**< unique per publication: tells a republished name from the old one */
};

/** A kind tag for a type name: the 64-bit FNV-1a hash of `type_name` (tproc::kind() in C++ is the
 *  same, at compile time). Works outside a space too. */
TPROC_API uint64_t tproc_kind(const char* type_name);

/** Publishes `name` -> `address` with `kind`, READY, owned by the calling tproc.
 *  -EEXIST, -ENOSPC, -EINVAL (empty name, control characters), -ENAMETOOLONG. */
TPROC_API int tproc_publish(const char* name, const void* address, uint64_t kind);

/** Looks `name` up: stores its address and kind (either pointer may be NULL).
 *  -ENOENT when no such endpoint, -EAGAIN when it is DECLARED but not READY yet. About 50 ns. */
TPROC_API int tproc_lookup(const char* name, void** address, uint64_t* kind);

/** Copies the live endpoint `name`, READY or DECLARED, into `endpoint`. -ENOENT. */
TPROC_API int tproc_query(const char* name, struct tproc_endpoint* endpoint);

/** Waits until `name` is READY (published, or made ready) and stores its address (if `address` is
 *  not NULL). -ETIMEDOUT, -EINTR. Sleeps on a futex: wakes as soon as the registry changes. */
TPROC_API int tproc_wait(const char* name, int timeout_ms, void** address);

/** Waits until the publication `generation` of `name` is gone (withdrawn, or its owner exited),
 *  e.g. to notice that a service went away. 0 at once if it is already gone. -ETIMEDOUT, -EINTR. */
TPROC_API int tproc_wait_gone(const char* name, uint64_t generation, int timeout_ms);

/** Marks the caller's DECLARED endpoint `name` READY; with `name` NULL, every DECLARED endpoint of
 *  the caller, and those the daemon declares for it later. Returns how many changed (0 if already
 *  ready). -ENOENT, -EPERM (another tproc's endpoint). */
TPROC_API int tproc_ready(const char* name);

/** Withdraws the caller's endpoint `name`. -ENOENT, -EPERM (another tproc's endpoint). */
TPROC_API int tproc_withdraw(const char* name);

/** Copies up to `capacity` live endpoints into `endpoints` and returns how many are live (more than
 *  `capacity` means the list was cut short). Each entry is consistent; the list is not one atomic
 *  snapshot of a registry that is changing. */
TPROC_API int tproc_list(struct tproc_endpoint* endpoints, size_t capacity);

/* ---- Channels ---------------------------------------------------------------------------------
 * A bounded queue of pointers in the space heap: any tproc that has its address (publish it) may
 * send and receive. Multi-producer multi-consumer by default; the flags promise a single sender or
 * receiver thread (in the whole space) for a faster path. Blocking calls poll for up to ~20 us
 * (spinning, then yielding the CPU), then sleep on a futex. Messages are pointers: hand over a heap
 * block and the receiver owns it, no copy. */

typedef struct tproc_channel tproc_channel;

#define TPROC_CHANNEL_SINGLE_PRODUCER 1u
#define TPROC_CHANNEL_SINGLE_CONSUMER 2u
/** The largest capacity a channel may have. */
#define TPROC_CHANNEL_MAX_CAPACITY (1u << 24)

/** Creates a channel for at least `capacity` messages (rounded up to a power of two, at least 2) in
 *  the space heap. -EINVAL (capacity 0 or too big, unknown flags), -ENOMEM. */
TPROC_API int tproc_channel_create(size_t capacity, unsigned flags, tproc_channel** channel);

/** Frees a channel. No thread may use it any more (close it first and let the users notice). */
TPROC_API int tproc_channel_destroy(tproc_channel* channel);

/** Sends `message`, waiting while the channel is full. -ETIMEDOUT, -EINTR, -EPIPE (closed). */
TPROC_API int tproc_channel_send(tproc_channel* channel, void* message, int timeout_ms);

/** Sends `message` if there is room: -EAGAIN when full, -EPIPE when closed. */
TPROC_API int tproc_channel_try_send(tproc_channel* channel, void* message);

/** Receives a message, waiting while the channel is empty. -ETIMEDOUT, -EINTR, -EPIPE (closed and
 *  drained). */
TPROC_API int tproc_channel_recv(tproc_channel* channel, void** message, int timeout_ms);

/** Receives a message if there is one: -EAGAIN when empty, -EPIPE when closed and drained. */
TPROC_API int tproc_channel_try_recv(tproc_channel* channel, void** message);

/** Closes a channel: sends fail with -EPIPE, receivers drain what is left and then get -EPIPE;
 *  every blocked caller wakes. */
TPROC_API int tproc_channel_close(tproc_channel* channel);

/** The channel's capacity in messages, or a negative errno. */
TPROC_API long tproc_channel_capacity(const tproc_channel* channel);

/* ---- The space heap ---------------------------------------------------------------------------
 * Memory shared by the whole space: any tproc may free a block, whoever allocated it, and a block
 * outlives the tproc that allocated it (until someone frees it). Blocks are 16-byte aligned (blocks
 * over 32 KiB: 64 KiB). Lock-free, with a cache per thread: a block freed by the thread that
 * allocated it is reused at once; one freed elsewhere returns to its allocator's page. */

/** Allocates `size` bytes; NULL with errno ENOMEM (heap exhausted or absent) or ENOTCONN. */
TPROC_API void* tproc_heap_alloc(size_t size);

/** Frees a block of the space heap (NULL is fine). -EINVAL when `block` is not one, and for some
 *  double frees (a second free from another thread while the block's page is still in use). */
TPROC_API int tproc_heap_free(void* block);

/** The usable size of `block` (at least what was asked for), or 0 if it is not a heap block. */
TPROC_API size_t tproc_heap_block_size(const void* block);

/** What the space heap holds. */
struct tproc_heap_stats {
  uint64_t bytes_in_use;   /**< in live blocks, rounded up to their size class */
  uint64_t blocks_in_use;  /**< live blocks */
  uint64_t bytes_carved;   /**< taken from the reservation so far (small blocks are not returned) */
  uint64_t bytes_reserved; /**< the reservation: the most the heap can ever hold */
};

/** Fills `usage` (exact when no allocation is in flight). */
TPROC_API int tproc_heap_usage(struct tproc_heap_stats* usage);

/** One live block of the space heap, as tproc_heap_walk() reports it. */
struct tproc_heap_block {
  void* start;        /**< its first byte */
  size_t size;        /**< its usable size (its size class, or a whole run of 64 KiB chunks) */
  int32_t allocator;  /**< the pid of the tproc that allocated it (`tproc ps` shows tprocs' pids) */
  uint32_t large;     /**< 1: a run of chunks (blocks above 32 KiB); 0: a small block */
};

/** Calls `visit(block, context)` for every live block of the space heap, in address order, until
 *  it returns nonzero. Returns 0, the first nonzero `visit` result, -EINVAL without `visit`,
 *  -ENOTCONN outside a space, or -ENOMEM when the space has no heap. Takes no lock and writes
 *  nothing, so other tprocs may allocate and free meanwhile; then a block allocated or freed during
 *  the walk may be reported or not, but every report is a real block's start and size. After
 *  tproc_stop_world() (and with the caller's own threads quiet) the walk is exact. `visit` may use
 *  the heap itself: what it allocates or frees may or may not be seen. */
TPROC_API int tproc_heap_walk(int (*visit)(const struct tproc_heap_block* block, void* context), void* context);

/* ---- Stopping the world ----------------------------------------------------------------------
 * For a conservative collector or leak checker that scans every stack of the space: stop every
 * thread of every OTHER tproc of the space, read where each one is, scan, resume. The calling
 * tproc's own threads keep running, and so does the daemon. Mechanism: the caller ptrace-seizes
 * each thread and interrupts it (PTRACE_SEIZE + PTRACE_INTERRUPT: no signal is sent, a blocked
 * system call is restarted when resumed, as after any ptrace stop), then reads its registers
 * (PTRACE_GETREGSET). A tproc already traced (by gdb) cannot be stopped: -EPERM, and nothing
 * stays stopped; one paused by `tproc pause` holds the call until it is unpaused. If the caller
 * dies, the kernel resumes everything.
 * While the world is stopped, do not allocate from the space heap or take locks another tproc
 * may hold. Linux only (ptrace must be permitted between the space's tprocs: same user, and Yama's
 * ptrace_scope 0, or CAP_SYS_PTRACE). */

/** Where one stopped thread was. */
struct tproc_thread_context {
  int32_t pid;                  /**< its tproc's process id */
  int32_t tid;                  /**< the thread's id */
  uint64_t stack_pointer;
  uint64_t instruction_pointer;
  uint64_t registers[34];       /**< every general-purpose register (a pointer may live in one) */
  uint32_t register_count;      /**< how many of `registers` are filled */
};

/** Stops every thread of every other tproc of the space and fills `contexts` (up to `capacity`);
 *  returns how many threads it stopped. -ENOSPC (nothing left stopped) when more than `capacity`
 *  threads run: `*needed` says how many did. -EPERM from ptrace, -ENOTCONN outside a space. */
TPROC_API long tproc_stop_world(struct tproc_thread_context* contexts, size_t capacity, size_t* needed);

/** Resumes the `count` threads tproc_stop_world stopped (its `contexts`). Returns 0, or the first
 *  error (every thread is still resumed that can be). */
TPROC_API int tproc_start_world(const struct tproc_thread_context* contexts, size_t count);

/* ---- Starting programs in the space ----------------------------------------------------------
 * tproc_spawn() starts a program as a new tproc of the caller's space, as posix_spawn() starts a
 * process: the space's daemon loads and starts it, so nothing is forked (the caller's memory is
 * not copied) and nothing is exec'd (the program is in the space, shares its memory, finds its
 * registry). The program gets what an exec of it from the caller would keep: argv and envp as
 * given; the caller's working directory, umask, nice value, signal mask, ignored signals and
 * resource limits (not the address-space and data limits, as for `tproc run`); and the
 * caller's descriptors that are not close-on-exec, changed by the file actions in order, each at
 * the same number and sharing the open file. Unlike posix_spawn: a descriptor 0, 1 or 2 the
 * program would not have is /dev/null; at most 247 descriptors beyond them; the program runs in a
 * process group of its own; the daemon, not the caller, is its parent, so waitpid() does not see it
 * and tproc_child_wait() does. It is listed by `tproc ps` under its file's name (or the one
 * tproc_spawnattr_setname() gives). Errors come back before anything started, as negative errno:
 * -ENOENT, -EACCES, -ENOEXEC (not an ELF program this space can load, or a bundle), -E2BIG,
 * -EMFILE (too many descriptors), -EBADF (a file action names a descriptor that is not open),
 * -ECONNREFUSED (the space's daemon is gone), -ENOTCONN (not in a space: a fork() child neither),
 * -EPERM (the daemon's socket is not the daemon's; or the caller runs in other namespaces than the
 * daemon, a `tproc run --rootfs/--net/--pid/--hostname` container, whose programs stay inside it). */

/** One step of a tproc_spawn_file_actions_t (its contents are private to libtproc). */
struct tproc_spawn_file_action;

/** The descriptor changes a spawned program gets, applied in order to a copy of the caller's
 *  descriptor table (as posix_spawn_file_actions_t). Use only through the functions below. */
typedef struct tproc_spawn_file_actions {
  int _count;
  int _capacity;
  struct tproc_spawn_file_action* _actions;
  void* _reserved[4];
} tproc_spawn_file_actions_t;

/** An empty list. 0. */
TPROC_API int tproc_spawn_file_actions_init(tproc_spawn_file_actions_t* actions);
/** Frees the list. 0. */
TPROC_API int tproc_spawn_file_actions_destroy(tproc_spawn_file_actions_t* actions);
/** The program does not get `fd` (nothing happens if it would not have it). -EBADF (fd < 0), -ENOMEM. */
TPROC_API int tproc_spawn_file_actions_addclose(tproc_spawn_file_actions_t* actions, int fd);
/** The program's `newfd` is what `fd` is at that step (close-on-exec cleared, as dup2 does).
 *  -EBADF (a negative number), -ENOMEM. */
TPROC_API int tproc_spawn_file_actions_adddup2(tproc_spawn_file_actions_t* actions, int fd, int newfd);
/** The program's `fd` is `path` opened with `oflag` and `mode`. The file is opened by the caller
 *  when it spawns (a relative path is relative to the caller's working directory), with the
 *  caller's permissions; an error then fails tproc_spawn() with it. -EBADF, -ENOMEM. */
TPROC_API int tproc_spawn_file_actions_addopen(tproc_spawn_file_actions_t* actions, int fd, const char* path, int oflag,
                                               mode_t mode);

/** tproc_spawnattr_t.flags: the program's signal mask is tproc_spawnattr_t's, not the caller's. */
#define TPROC_SPAWN_SETSIGMASK 0x1u

/** How a program is started besides its descriptors (as posix_spawnattr_t). Use only through the
 *  functions below. */
typedef struct tproc_spawnattr {
  unsigned _flags;
  sigset_t _sigmask;
  char _name[TPROC_NAME_MAX + 1];
  char* _cwd;
  void* _reserved[4];
} tproc_spawnattr_t;

/** Defaults: the caller's signal mask and working directory, the program's file name. 0. */
TPROC_API int tproc_spawnattr_init(tproc_spawnattr_t* attr);
/** Frees what the attributes hold. 0. */
TPROC_API int tproc_spawnattr_destroy(tproc_spawnattr_t* attr);
/** The program starts with signal mask `mask` (sets TPROC_SPAWN_SETSIGMASK). 0. */
TPROC_API int tproc_spawnattr_setsigmask(tproc_spawnattr_t* attr, const sigset_t* mask);
/** The program's name in `tproc ps` (unique among the space's running programs: tproc_spawn()
 *  fails with -EEXIST otherwise). -EINVAL (empty), -ENAMETOOLONG (over TPROC_NAME_MAX bytes). */
TPROC_API int tproc_spawnattr_setname(tproc_spawnattr_t* attr, const char* name);
/** The program's working directory (relative: to the caller's). -ENOMEM. */
TPROC_API int tproc_spawnattr_setcwd(tproc_spawnattr_t* attr, const char* path);

/** A program tproc_spawn() started, until tproc_child_release(). One thread at a time. */
typedef struct tproc_child tproc_child;

/** Starts the program at `path` (no PATH search: a name without a slash is in the working
 *  directory) with `argv` (argv[0] required) and `envp` (NULL: the caller's environment); either
 *  `file_actions` or `attr` may be NULL. A `#!` script runs under its interpreter, as execve runs
 *  it. On success stores a handle in `*child` and returns 0. Errors: see above. */
TPROC_API int tproc_spawn(tproc_child** child, const char* path, const tproc_spawn_file_actions_t* file_actions,
                          const tproc_spawnattr_t* attr, char* const argv[], char* const envp[]);

/** tproc_spawn(), with `file` searched in the caller's PATH as execvp() and posix_spawnp() do
 *  (a name with a slash is a path). */
TPROC_API int tproc_spawnp(tproc_child** child, const char* file, const tproc_spawn_file_actions_t* file_actions,
                           const tproc_spawnattr_t* attr, char* const argv[], char* const envp[]);

/** The program's pid (for kill(); its tproc_child_pidfd() cannot be fooled by a reused pid). */
TPROC_API pid_t tproc_child_pid(const tproc_child* child);

/** The program's id in its space, as `tproc ps` shows it. */
TPROC_API uint64_t tproc_child_id(const tproc_child* child);

/** A pidfd of the program, owned by the handle: pidfd_send_signal() reaches it, and it becomes
 *  readable (poll) when the program ends, when tproc_child_wait() then returns soon. */
TPROC_API int tproc_child_pidfd(const tproc_child* child);

/** Waits up to `timeout_ms` for the program to end and stores its status in `*status` as waitpid()
 *  does (WIFEXITED, WEXITSTATUS, WIFSIGNALED, WTERMSIG, WCOREDUMP). Once it has ended every call
 *  returns the same. -ETIMEDOUT, -EINTR; a negative errno when the daemon could not start it after
 *  all (its working directory, say); -ECONNRESET when its daemon went away and the kernel keeps
 *  no status of it (before Linux 6.15). */
TPROC_API int tproc_child_wait(tproc_child* child, int timeout_ms, int* status);

/** Frees the handle and closes its descriptors. A program still running is killed, as the
 *  program of a `tproc run` that ends is: wait for it first. NULL is fine. */
TPROC_API void tproc_child_release(tproc_child* child);

#ifdef __cplusplus
}
#endif

#endif
