/* SPDX-License-Identifier: MIT */
/*
 * User memory access. Every pointer that comes from a caller (an ioctl
 * argument, a pointer inside one, a read() buffer) is touched only through
 * these functions, which return -EFAULT for unmapped, protected or
 * out-of-range memory instead of crashing.
 *
 * Who the "user" is belongs to the call: by default the program in this
 * process (udrm_uaccess_local: guarded copies in this address space, the
 * file's ops); a remote transport sets a struct udrm_caller for the calls
 * it makes, and user memory and user fds are then the caller's. core/
 * never assumes which.
 */
#ifndef UDRM_CORE_UACCESS_H
#define UDRM_CORE_UACCESS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct udrm_file;

struct udrm_uaccess_ops {
	/* 0, or -EFAULT if any byte could not be accessed (some bytes may
	 * have been copied, as in the kernel). */
	int (*copy_from_user)(void *dst, uint64_t src, size_t n);
	int (*copy_to_user)(uint64_t dst, const void *src, size_t n);
};

/* Fault-guarded copies in the current address space. On first use this
 * installs a SIGSEGV/SIGBUS handler (SA_SIGINFO | SA_NODEFER | SA_ONSTACK)
 * that recovers faults raised inside the copy and forwards every other
 * signal to the handler installed before it. Thread-safe. */
extern const struct udrm_uaccess_ops udrm_uaccess_local;

/*
 * The caller of the entry point running on this thread, when it is not a
 * program in this process: a device server serving a client sets one
 * around each call it makes into core/ (udrm_caller_swap), and every user
 * pointer and user fd of that call is then the client's. NULL, the
 * default, means the caller is this process. A caller is used by one
 * thread at a time; its ops run on that thread.
 */
struct udrm_caller;

struct udrm_caller_ops {
	/* As struct udrm_uaccess_ops, in the caller's address space. */
	int (*copy_from_user)(struct udrm_caller *caller, void *dst,
			      uint64_t src, size_t n);
	int (*copy_to_user)(struct udrm_caller *caller, uint64_t dst,
			    const void *src, size_t n);
	/* Give local @fd to the caller (consumed, even on failure; its
	 * FD_CLOEXEC flag carries over): the caller's fd number, or -errno. */
	int (*fd_install)(struct udrm_caller *caller, int fd);
	/* Close the caller's @ufd (undoing an install). */
	void (*fd_uninstall)(struct udrm_caller *caller, int ufd);
	/* A local duplicate of the caller's @ufd (close-on-exec), or -EBADF. */
	int (*fd_get)(struct udrm_caller *caller, int ufd);
	/* Whether the caller wants the running call interrupted (the
	 * kernel's signal_pending(current)); NULL: never. */
	bool (*interrupted)(struct udrm_caller *caller);
};

struct udrm_caller {
	const struct udrm_caller_ops *ops;
	pid_t pid; /* the calling process */
};

/* Makes @caller (NULL: this process) this thread's caller; returns the
 * previous one, to be put back when the call is done. */
struct udrm_caller *udrm_caller_swap(struct udrm_caller *caller);

/* The calling process: the caller's, else this one (the kernel's
 * task_tgid(current)). */
pid_t udrm_caller_pid(void);

/*
 * Interruptible sleeps, as the kernel's wait_event_interruptible(): a
 * blocking entry point sleeps towards @deadline_ns (CLOCK_MONOTONIC,
 * UINT64_MAX: none) in slices of at most UDRM_SLEEP_SLICE_NS while the
 * caller can be interrupted (udrm_sleep_slice() gives the end of the next
 * slice, @deadline_ns itself otherwise), and returns -EINTR when
 * udrm_signal_pending() says so between slices. In-process callers are
 * never interrupted: a signal handler runs on the calling thread and the
 * call goes on, as with SA_RESTART.
 */
#define UDRM_SLEEP_SLICE_NS 10000000ull
uint64_t udrm_sleep_slice(uint64_t deadline_ns);
bool udrm_signal_pending(void);

/*
 * File descriptors crossing the user boundary, as the kernel's fd_install()
 * and fdget(). udrm_fd_install() gives local @fd (consumed, even on
 * failure) to the caller and returns the number the caller knows it by,
 * or -errno; in-process that is @fd itself. udrm_fd_uninstall() closes
 * such a number again when the entry point fails after installing (the
 * kernel would not have installed it yet). udrm_fd_get() puts in *fd a
 * local fd for the caller's @ufd, valid until udrm_fd_put(ufd, *fd):
 * in-process @ufd itself (not checked here: the user of the fd checks
 * it), remotely a duplicate; -EBADF when the caller has no such fd.
 */
int udrm_fd_install(int fd);
void udrm_fd_uninstall(int ufd);
int udrm_fd_get(int ufd, int *fd);
void udrm_fd_put(int ufd, int fd);

/* Copies from/to the user of the running entry point: the thread's caller
 * if one is set, else the program in this process through @file's ops
 * (@file may be NULL for entry points on other fds: sync_file, dma-buf). */
int udrm_copy_from_user(struct udrm_file *file, void *dst, uint64_t src,
			size_t n);
int udrm_copy_to_user(struct udrm_file *file, uint64_t dst, const void *src,
		      size_t n);

/*
 * The largest array an entry point copies in from user space: the kernel
 * copies such arrays with kmalloc (memdup_array_user, kmalloc_array),
 * which fails past KMALLOC_MAX_SIZE (4 MiB on x86-64) with -ENOMEM. Entry
 * points refuse larger counts the same way, before allocating anything.
 */
#define UDRM_USER_ARRAY_MAX_BYTES (4ull << 20)

static inline uint64_t udrm_user_ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/*
 * For the interposer: sigaction() for SIGSEGV/SIGBUS while the guard is
 * installed. The guard stays first; @act becomes the handler that faults
 * outside udrm are forwarded to, and *oldact reports the previously
 * forwarded-to handler, so the program sees the sigaction() it expects.
 * Returns 1 if handled here, 0 if the caller should call the real sigaction.
 */
int udrm_uaccess_sigaction(int sig, const struct sigaction *act,
			   struct sigaction *oldact);

/* Installs the guard now (done lazily otherwise). */
void udrm_uaccess_init(void);

#endif
