// SPDX-License-Identifier: MIT
/*
 * Per-file events (white-box through core/event.h), as the kernel's
 * drm_event_reserve_init()/drm_send_event()/drm_read()/drm_poll(): whole
 * events only, the 4096-byte budget, and a pollable fd that is readable
 * exactly while events are pending.
 */
#include "udrm_test.h"

#include <poll.h>

#include "core/event.h"

struct test_event {
	struct drm_event base;
	uint32_t seq;
	uint32_t pad;
	uint64_t payload[2];
}; /* 32 bytes, the size of struct drm_event_vblank */

static void send_event(struct udrm_file *f, uint32_t seq)
{
	struct test_event e = {
		.base = {.type = DRM_EVENT_VBLANK, .length = sizeof(e)},
		.seq = seq,
		.payload = {seq * 3ull, ~(uint64_t)seq},
	};

	ut_expect(udrm_event_reserve(f, sizeof(e)), 0,
		  "reserving event %u", seq);
	ut_expect(udrm_event_send(f, &e.base), 0, "sending event %u", seq);
}

static bool readable(struct udrm_file *f)
{
	struct pollfd pfd = {.fd = udrm_file_fd(f), .events = POLLIN};

	ut_check(poll(&pfd, 1, 0) >= 0, "poll failed");
	return pfd.revents & POLLIN;
}

static void check_event(const struct test_event *e, uint32_t seq)
{
	ut_check(e->base.type == DRM_EVENT_VBLANK &&
			 e->base.length == sizeof(*e) && e->seq == seq &&
			 e->payload[0] == seq * 3ull &&
			 e->payload[1] == ~(uint64_t)seq,
		 "event %u came back as type %u length %u seq %u", seq,
		 e->base.type, e->base.length, e->seq);
}

static void nonblocking_read_with_nothing_pending_is_eagain(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY,
				      O_RDWR | O_NONBLOCK);
	struct udrm_file *g = ut_open(d->vkms, UDRM_NODE_PRIMARY, O_RDWR);
	char buf[64];

	ut_expect(udrm_file_read(f, buf, sizeof(buf)), -EAGAIN,
		  "read of an O_NONBLOCK file with no events");
	ut_check(!readable(f), "a file without events polls readable");
	/* O_NONBLOCK set later on the pollable fd counts too. */
	ut_check(fcntl(udrm_file_fd(g), F_SETFL, O_NONBLOCK) == 0,
		 "fcntl failed");
	ut_expect(udrm_file_read(g, buf, sizeof(buf)), -EAGAIN,
		  "read with O_NONBLOCK set on the pollable fd");
	udrm_file_close(g);
	udrm_file_close(f);
}

static void fd_polls_readable_exactly_while_events_are_pending(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY,
				      O_RDWR | O_NONBLOCK);
	struct test_event e[2];

	ut_check(!readable(f), "readable before any event");
	send_event(f, 1);
	send_event(f, 2);
	ut_check(readable(f), "not readable with two events pending");
	ut_expect(udrm_file_read(f, e, sizeof(e[0])), sizeof(e[0]),
		  "read of one event");
	ut_check(readable(f), "not readable with one event still pending");
	ut_expect(udrm_file_read(f, e, sizeof(e[0])), sizeof(e[0]),
		  "read of the second event");
	ut_check(!readable(f), "still readable after every event was read");
	udrm_file_close(f);
}

static void read_returns_only_whole_events_in_order(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY,
				      O_RDWR | O_NONBLOCK);
	struct test_event e[3];
	uint32_t i;

	for (i = 1; i <= 3; i++)
		send_event(f, i);
	/* Room for 2.5 events: two come back. */
	memset(e, 0, sizeof(e));
	ut_expect(udrm_file_read(f, e, sizeof(e[0]) * 5 / 2),
		  2 * sizeof(e[0]), "read with room for 2.5 events");
	check_event(&e[0], 1);
	check_event(&e[1], 2);
	ut_expect(udrm_file_read(f, e, sizeof(e)), sizeof(e[0]),
		  "read of the rest");
	check_event(&e[0], 3);
	udrm_file_close(f);
}

static void read_too_small_for_the_first_event_returns_zero(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY,
				      O_RDWR | O_NONBLOCK);
	struct test_event e;

	send_event(f, 9);
	memset(&e, 0x77, sizeof(e));
	ut_expect(udrm_file_read(f, &e, sizeof(e) - 1), 0,
		  "read with a buffer one byte short of the first event");
	ut_check(e.base.type == 0x77777777u,
		 "a read that returns 0 must not write the buffer");
	ut_check(readable(f), "the event that did not fit must stay pending");
	ut_expect(udrm_file_read(f, &e, sizeof(e)), sizeof(e),
		  "read with room for the event");
	check_event(&e, 9);
	udrm_file_close(f);
}

static void read_into_bad_buffer_is_efault_and_keeps_the_event(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY,
				      O_RDWR | O_NONBLOCK);
	struct test_event e;

	ut_guard_user_faults();

	send_event(f, 5);
	ut_expect(udrm_file_read(f, ut_noaccess_page(), 64), -EFAULT,
		  "read into a PROT_NONE buffer");
	ut_expect(udrm_file_read(f, ut_readonly_page(), 64), -EFAULT,
		  "read into a read-only buffer");
	ut_expect(udrm_file_read(f, &e, sizeof(e)), sizeof(e),
		  "read after the faults");
	check_event(&e, 5);
	udrm_file_close(f);
}

static void event_budget_is_4096_unread_bytes(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY,
				      O_RDWR | O_NONBLOCK);
	struct test_event e;
	uint32_t i;

	ut_check(UDRM_EVENT_SPACE == 4096, "the kernel's budget is 4096");
	for (i = 0; i < 4096 / sizeof(e); i++)
		send_event(f, i);
	ut_expect(udrm_event_reserve(f, sizeof(e)), -ENOMEM,
		  "reserving past 4096 bytes of unread events");
	ut_expect(udrm_event_reserve(f, sizeof(struct drm_event)), -ENOMEM,
		  "reserving 8 bytes with a full budget");
	/* Reading gives the space back. */
	ut_expect(udrm_file_read(f, &e, sizeof(e)), sizeof(e), "read one");
	check_event(&e, 0);
	ut_expect(udrm_event_reserve(f, sizeof(e)), 0,
		  "reserving after a read freed space");
	udrm_event_cancel(f, sizeof(e));
	udrm_file_close(f);
}

static void cancelled_reservation_gives_the_space_back(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY,
				      O_RDWR | O_NONBLOCK);
	char buf[64];

	ut_expect(udrm_event_reserve(f, 4096), 0, "reserving the whole budget");
	ut_expect(udrm_event_reserve(f, 8), -ENOMEM, "reserving more");
	udrm_event_cancel(f, 4096);
	ut_expect(udrm_event_reserve(f, 4000), 0, "reserving after cancel");
	udrm_event_cancel(f, 4000);
	ut_expect(udrm_event_reserve(f, 4), -EINVAL,
		  "reserving less than a struct drm_event");
	/* A cancelled reservation sends nothing. */
	ut_check(!readable(f), "a cancelled reservation made the fd readable");
	ut_expect(udrm_file_read(f, buf, sizeof(buf)), -EAGAIN,
		  "read after only cancelled reservations");
	udrm_file_close(f);
}

static void events_are_per_file(void **state)
{
	struct ut_devices *d = *state;
	struct udrm_file *f = ut_open(d->vkms, UDRM_NODE_PRIMARY,
				      O_RDWR | O_NONBLOCK);
	struct udrm_file *g = ut_open(d->vkms, UDRM_NODE_PRIMARY,
				      O_RDWR | O_NONBLOCK);
	char buf[64];

	send_event(f, 1);
	ut_check(!readable(g), "another file's event made this one readable");
	ut_expect(udrm_file_read(g, buf, sizeof(buf)), -EAGAIN,
		  "read of a file whose sibling has an event");
	udrm_file_close(g);
	udrm_file_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, ut_setup_default, \
					      ut_teardown_devices)
		T(nonblocking_read_with_nothing_pending_is_eagain),
		T(fd_polls_readable_exactly_while_events_are_pending),
		T(read_returns_only_whole_events_in_order),
		T(read_too_small_for_the_first_event_returns_zero),
		T(read_into_bad_buffer_is_efault_and_keeps_the_event),
		T(event_budget_is_4096_unread_bytes),
		T(cancelled_reservation_gives_the_space_back),
		T(events_are_per_file),
#undef T
	};

	return cmocka_run_group_tests_name("core/events", tests, NULL, NULL);
}
