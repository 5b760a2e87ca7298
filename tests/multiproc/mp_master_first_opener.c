// SPDX-License-Identifier: MIT
/*
 * Master of card0 between processes, as drm_auth.c:
 *
 * - several processes opening card0 at once: exactly one file is master;
 * - the first opener is master; another process's open is not: its
 *   SETCRTC fails with EACCES and its SET_MASTER too (EACCES: it never was
 *   master and the device is unprivileged; EBUSY with "privileged", i.e.
 *   CAP_SYS_ADMIN, while the master holds it);
 * - once the master drops it the other process's existing file is still
 *   not master; with "privileged" its SET_MASTER succeeds, without it a new
 *   open becomes master (the first opener when there is none);
 * - the first process, whose file was master, then gets EBUSY from
 *   SET_MASTER until the other releases master, and master back after;
 * - when the master closes its file, no other file becomes master, and
 *   master is free as soon as close() returned (the kernel releases the
 *   last reference to a file within close()): a privileged SET_MASTER, or
 *   a new open, in another process is master at once.
 */
#include "mp.h"

#define RACERS 4

static bool privileged;

/* Opens card0 when the main process says so, reports drmIsMaster and
 * keeps the file until told. */
static void racer_main(void *arg, int sock)
{
	int fd;

	(void)arg;
	mp_recv_u64(sock);
	fd = itest_open("/dev/dri/card0", O_RDWR);
	mp_send_u64(sock, mp_is_master(fd) ? 1 : 0);
	mp_recv_u64(sock);
	close(fd);
}

static void exactly_one_of_concurrent_opens_is_master(void)
{
	struct mp_peer racers[RACERS];
	int i, masters = 0;

	for (i = 0; i < RACERS; i++)
		mp_peer_start(&racers[i], "a racing opener", racer_main, NULL);
	for (i = 0; i < RACERS; i++)
		mp_send_u64(racers[i].sock, 0);
	for (i = 0; i < RACERS; i++)
		masters += (int)mp_recv_u64(racers[i].sock);
	CHECK(masters == 1,
	      "%d of %d concurrent first opens of card0 are master, expected "
	      "exactly 1",
	      masters, RACERS);
	for (i = 0; i < RACERS; i++) {
		mp_send_u64(racers[i].sock, 0);
		mp_peer_join(&racers[i]);
	}
}

enum step {
	FIRST_OPENED = 1,
	OTHER_CHECKED,
	FIRST_DROPPED,
	OTHER_IS_MASTER,
	FIRST_BUSY,
	OTHER_RELEASED,
	FIRST_CLOSED,
	OTHER_DONE
};

static void expect(int sock, enum step step)
{
	uint64_t got = mp_recv_u64(sock);

	CHECK(got == step, "protocol: expected step %d, got %llu", step,
	      (unsigned long long)got);
}

static void other_main(void *arg, int sock)
{
	struct mp_display disp;
	int fd, mine = -1;

	(void)arg;
	expect(sock, FIRST_OPENED);
	fd = itest_open("/dev/dri/card0", O_RDWR);
	disp = mp_display_find(fd);
	CHECK(!mp_is_master(fd), "other: a second open of card0 while another "
				 "process's file is master must not be master");
	mp_display_add_fb(fd, &disp, 50);
	CHECK_ERRNO(mp_display_set(fd, &disp), EACCES,
		    "other: SETCRTC by a non-master");
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_SET_MASTER, NULL),
		    privileged ? EBUSY : EACCES,
		    "other: SET_MASTER while another process is master (%s)",
		    privileged ? "privileged" : "unprivileged");
	mp_send_u64(sock, OTHER_CHECKED);

	expect(sock, FIRST_DROPPED);
	CHECK(!mp_is_master(fd), "other: an existing file must not become "
				 "master when the master drops it");
	if (privileged) {
		CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_SET_MASTER, NULL), 0,
			    "other: privileged SET_MASTER once the master "
			    "dropped it");
		mine = fd;
	} else {
		CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_SET_MASTER, NULL), EACCES,
			    "other: unprivileged SET_MASTER of a file that "
			    "never was master, with no master");
		mine = itest_open("/dev/dri/card0", O_RDWR);
		CHECK(mp_is_master(mine), "other: a new open of card0 when no "
					  "file is master must be master");
	}
	CHECK_ERRNO(mp_display_set(mine, &disp), 0,
		    "other: SETCRTC as the new master");
	mp_send_u64(sock, OTHER_IS_MASTER);

	expect(sock, FIRST_BUSY);
	if (mine == fd) {
		CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_DROP_MASTER, NULL), 0,
			    "other: DROP_MASTER");
	} else {
		close(mine); /* closing the master's file frees master */
	}
	mp_send_u64(sock, OTHER_RELEASED);

	expect(sock, FIRST_CLOSED);
	CHECK(!mp_is_master(fd), "other: an existing file must not become "
				 "master when the master closes");
	if (privileged) {
		CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_SET_MASTER, NULL), 0,
			    "other: privileged SET_MASTER once the master's "
			    "close() returned");
	} else {
		mine = itest_open("/dev/dri/card0", O_RDWR);
		CHECK(mp_is_master(mine),
		      "other: a new open once the master's close() returned "
		      "must be master");
		close(mine);
	}
	mp_send_u64(sock, OTHER_DONE);
	close(fd);
}

int main(int argc, char **argv)
{
	struct mp_display disp;
	struct mp_peer other;
	int fd = -1, i;

	privileged = mp_init(argc, argv, "privileged");
	exactly_one_of_concurrent_opens_is_master();
	/* Forked before our open: a copy of our fd in the other process
	 * would keep our file, and its master, past our close(). */
	mp_peer_start(&other, "the other opener", other_main, NULL);

	/* The racers closed their files: this checks only the first opener
	 * rule (how soon a closed file is released is checked below). */
	for (i = 0; i < 200; i++) {
		fd = itest_open("/dev/dri/card0", O_RDWR);
		if (mp_is_master(fd))
			break;
		close(fd);
		mp_sleep_ms(10);
	}
	CHECK(i < 200, "an open of card0 once every other file was closed "
		       "is still not master after 2 s");
	disp = mp_display_find(fd);
	mp_display_add_fb(fd, &disp, 51);
	mp_send_u64(other.sock, FIRST_OPENED);
	expect(other.sock, OTHER_CHECKED);

	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_DROP_MASTER, NULL), 0,
		    "DROP_MASTER by the first opener");
	mp_send_u64(other.sock, FIRST_DROPPED);
	expect(other.sock, OTHER_IS_MASTER);

	CHECK(!mp_is_master(fd), "the first opener is master again after the "
				 "other process took master");
	CHECK_ERRNO(mp_display_set(fd, &disp), EACCES,
		    "SETCRTC by the first opener while the other process is "
		    "master");
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_SET_MASTER, NULL), EBUSY,
		    "SET_MASTER by the former master while the other process "
		    "is master");
	mp_send_u64(other.sock, FIRST_BUSY);
	expect(other.sock, OTHER_RELEASED);

	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_SET_MASTER, NULL), 0,
		    "SET_MASTER by the former master once the other process "
		    "released master (%s returned)",
		    privileged ? "its DROP_MASTER"
			       : "close() of its master file");
	CHECK_ERRNO(mp_display_set(fd, &disp), 0,
		    "SETCRTC by the first opener, master again");
	close(fd);
	mp_send_u64(other.sock, FIRST_CLOSED);
	expect(other.sock, OTHER_DONE);
	mp_peer_join(&other);
	return 0;
}
