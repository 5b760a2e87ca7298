// SPDX-License-Identifier: MIT
/*
 * sigaction() and signal() for SIGSEGV and SIGBUS: once udrm's fault guard
 * is installed it must stay the first handler, so the program's handler is
 * recorded as the one the guard forwards to (udrm_uaccess_sigaction), and
 * the program sees the sigaction() results it expects.
 */
/* This file defines both open() and open64(): read the headers without the
 * large-file renaming (the layouts are the same on the 64-bit ABIs). */
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS

#include "preload.h"

#include <string.h>

#include "core/uaccess.h"

static bool ip_guarded(int sig)
{
	return (sig == SIGSEGV || sig == SIGBUS) && !ip_bypass &&
	       atomic_load(&ip_guard_on);
}

/* Routes a SIGSEGV/SIGBUS sigaction() to the core; 1 if done. */
static int ip_guard_sigaction(int sig, const struct sigaction *act,
			      struct sigaction *oldact)
{
	int handled;

	/* The core may install its handler from here: its own sigaction()
	 * call must reach libc. */
	ip_bypass++;
	handled = udrm_uaccess_sigaction(sig, act, oldact);
	ip_bypass--;
	return handled;
}

IP_EXPORT int sigaction(int sig, const struct sigaction *act,
			struct sigaction *oldact)
{
	if (!ip_real.sigaction)
		ip_resolve();
	if (ip_guarded(sig) && ip_guard_sigaction(sig, act, oldact))
		return 0;
	return ip_real.sigaction(sig, act, oldact);
}

IP_EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction sa, old;

	if (!ip_real.signal)
		ip_resolve();
	if (!ip_guarded(sig))
		return ip_real.signal(sig, handler);
	/* glibc's signal(): BSD semantics. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, sig);
	if (!ip_guard_sigaction(sig, &sa, &old))
		return ip_real.signal(sig, handler);
	if (old.sa_flags & SA_SIGINFO)
		return (sighandler_t)(void *)old.sa_sigaction;
	return old.sa_handler;
}
