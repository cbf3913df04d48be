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
 */
#ifndef TPROC_TPROC_H
#define TPROC_TPROC_H

#include <stddef.h>
#include <stdint.h>

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

/** Frees a block of the space heap (NULL is fine). -EINVAL when `block` is not one. */
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

#ifdef __cplusplus
}
#endif

#endif
