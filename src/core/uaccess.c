// SPDX-License-Identifier: MIT
/*
 * In-process user access: copies run with a per-thread recovery point; the
 * fault handler jumps back to it, so a bad pointer costs a signal, not a
 * crash, and a good one costs no system call.
 */
#include "uaccess.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "file.h"

/* Highest user address + 1 on 47-bit x86-64/arm64 layouts; beyond it the
 * kernel's access_ok() fails. */
#define UDRM_USER_ADDR_LIMIT (1ULL << 47)

static __thread sigjmp_buf *volatile uaccess_recover;

static pthread_mutex_t uaccess_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t uaccess_once = PTHREAD_ONCE_INIT;
/* The handlers faults outside udrm go to; written under uaccess_lock, read
 * by the signal handler (a torn read is impossible: updates happen before
 * the program can rely on them, as with sigaction itself). */
static struct sigaction uaccess_forward[2];

static int uaccess_sig_index(int sig)
{
	return sig == SIGSEGV ? 0 : sig == SIGBUS ? 1 : -1;
}

static void uaccess_fault(int sig, siginfo_t *info, void *ucontext)
{
	sigjmp_buf *recover = uaccess_recover;
	struct sigaction *fwd;

	if (recover && info->si_code > 0) {
		uaccess_recover = NULL;
		siglongjmp(*recover, 1);
	}
	fwd = &uaccess_forward[uaccess_sig_index(sig)];
	if (fwd->sa_flags & SA_SIGINFO) {
		if (fwd->sa_sigaction) {
			fwd->sa_sigaction(sig, info, ucontext);
			return;
		}
	} else if (fwd->sa_handler == SIG_IGN) {
		return;
	} else if (fwd->sa_handler != SIG_DFL) {
		fwd->sa_handler(sig);
		return;
	}
	/* Default action: restore it; a fault re-executes and kills, a sent
	 * signal is raised again. */
	signal(sig, SIG_DFL);
	if (info->si_code <= 0)
		raise(sig);
}

static void uaccess_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = uaccess_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	pthread_mutex_lock(&uaccess_lock);
	sigaction(SIGSEGV, &sa, &uaccess_forward[0]);
	sigaction(SIGBUS, &sa, &uaccess_forward[1]);
	pthread_mutex_unlock(&uaccess_lock);
}

void udrm_uaccess_init(void)
{
	pthread_once(&uaccess_once, uaccess_install);
}

int udrm_uaccess_sigaction(int sig, const struct sigaction *act,
			   struct sigaction *oldact)
{
	int i = uaccess_sig_index(sig);

	if (i < 0)
		return 0;
	udrm_uaccess_init();
	pthread_mutex_lock(&uaccess_lock);
	if (oldact)
		*oldact = uaccess_forward[i];
	if (act)
		uaccess_forward[i] = *act;
	pthread_mutex_unlock(&uaccess_lock);
	return 1;
}

/* Not instrumented: the sanitizers must not see (or check) user pointers;
 * the guard is what checks them. */
__attribute__((noinline,
	       no_sanitize("address", "undefined", "thread"))) static void
uaccess_move(void *dst, const void *src, size_t n)
{
#if defined(__x86_64__)
	__asm__ volatile("rep movsb"
			 : "+D"(dst), "+S"(src), "+c"(n)
			 :
			 : "memory");
#else
	volatile unsigned char *d = dst;
	const volatile unsigned char *s = src;

	while (n--)
		*d++ = *s++;
#endif
}

static bool uaccess_range_ok(uint64_t addr, size_t n)
{
	return addr + n >= addr && addr + n <= UDRM_USER_ADDR_LIMIT;
}

static int uaccess_guarded_move(void *dst, const void *src, size_t n)
{
	sigjmp_buf recover;

	udrm_uaccess_init();
	/* No mask saved: a good copy costs no system call. */
	if (sigsetjmp(recover, 0)) {
		sigset_t faults;

		uaccess_recover = NULL;
		/* A handler installed after ours that chained to it without
		 * SA_NODEFER leaves the fault signals blocked: unblock them, or
		 * the next bad pointer would kill the process. */
		sigemptyset(&faults);
		sigaddset(&faults, SIGSEGV);
		sigaddset(&faults, SIGBUS);
		pthread_sigmask(SIG_UNBLOCK, &faults, NULL);
		return -EFAULT;
	}
	uaccess_recover = &recover;
	uaccess_move(dst, src, n);
	uaccess_recover = NULL;
	return 0;
}

static int local_copy_from_user(void *dst, uint64_t src, size_t n)
{
	if (!n)
		return 0;
	if (!uaccess_range_ok(src, n))
		return -EFAULT;
	return uaccess_guarded_move(dst, (const void *)(uintptr_t)src, n);
}

static int local_copy_to_user(uint64_t dst, const void *src, size_t n)
{
	if (!n)
		return 0;
	if (!uaccess_range_ok(dst, n))
		return -EFAULT;
	return uaccess_guarded_move((void *)(uintptr_t)dst, src, n);
}

const struct udrm_uaccess_ops udrm_uaccess_local = {
	.copy_from_user = local_copy_from_user,
	.copy_to_user = local_copy_to_user,
};

static _Thread_local struct udrm_caller *current_caller;

struct udrm_caller *udrm_caller_swap(struct udrm_caller *caller)
{
	struct udrm_caller *old = current_caller;

	current_caller = caller;
	return old;
}

pid_t udrm_caller_pid(void)
{
	return current_caller ? current_caller->pid : getpid();
}

uint64_t udrm_sleep_slice(uint64_t deadline_ns)
{
	struct udrm_caller *caller = current_caller;
	struct timespec ts;
	uint64_t slice;

	if (!caller || !caller->ops->interrupted)
		return deadline_ns;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	slice = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec +
		UDRM_SLEEP_SLICE_NS;
	return slice < deadline_ns ? slice : deadline_ns;
}

bool udrm_signal_pending(void)
{
	struct udrm_caller *caller = current_caller;

	return caller && caller->ops->interrupted &&
	       caller->ops->interrupted(caller);
}

int udrm_copy_from_user(struct udrm_file *file, void *dst, uint64_t src,
			size_t n)
{
	struct udrm_caller *caller = current_caller;

	if (caller)
		return caller->ops->copy_from_user(caller, dst, src, n);
	if (!file)
		return local_copy_from_user(dst, src, n);
	return file->uaccess->copy_from_user(dst, src, n);
}

int udrm_copy_to_user(struct udrm_file *file, uint64_t dst, const void *src,
		      size_t n)
{
	struct udrm_caller *caller = current_caller;

	if (caller)
		return caller->ops->copy_to_user(caller, dst, src, n);
	if (!file)
		return local_copy_to_user(dst, src, n);
	return file->uaccess->copy_to_user(dst, src, n);
}

int udrm_fd_install(int fd)
{
	struct udrm_caller *caller = current_caller;

	if (fd < 0)
		return -EBADF;
	return caller ? caller->ops->fd_install(caller, fd) : fd;
}

void udrm_fd_uninstall(int ufd)
{
	struct udrm_caller *caller = current_caller;

	if (ufd < 0)
		return;
	if (caller)
		caller->ops->fd_uninstall(caller, ufd);
	else
		close(ufd);
}

int udrm_fd_get(int ufd, int *fd)
{
	struct udrm_caller *caller = current_caller;
	int local;

	*fd = -1;
	if (ufd < 0)
		return -EBADF;
	if (!caller) {
		*fd = ufd;
		return 0;
	}
	local = caller->ops->fd_get(caller, ufd);
	if (local < 0)
		return local;
	*fd = local;
	return 0;
}

void udrm_fd_put(int ufd, int fd)
{
	/* Remotely a duplicate whose number may equal @ufd by chance. */
	(void)ufd;
	if (fd >= 0 && current_caller)
		close(fd);
}
