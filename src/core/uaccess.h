/* SPDX-License-Identifier: MIT */
/*
 * User memory access. Every pointer that comes from a caller (an ioctl
 * argument, a pointer inside one, a read() buffer) is touched only through
 * these functions, which return -EFAULT for unmapped, protected or
 * out-of-range memory instead of crashing.
 *
 * Who the "user" is belongs to the file: an in-process caller uses
 * udrm_uaccess_local (guarded copies in this address space); a remote
 * transport can give a file other ops. core/ never assumes which.
 */
#ifndef UDRM_CORE_UACCESS_H
#define UDRM_CORE_UACCESS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

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

int udrm_copy_from_user(struct udrm_file *file, void *dst, uint64_t src,
			size_t n);
int udrm_copy_to_user(struct udrm_file *file, uint64_t dst, const void *src,
		      size_t n);

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
