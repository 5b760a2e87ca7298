// SPDX-License-Identifier: MIT
/*
 * A vblank event goes to the file that asked for it: with vkms's CRTC lit,
 * the master process asks for one (WAIT_VBLANK with _DRM_VBLANK_EVENT) and
 * reads it from its fd while the other process's own open has nothing to
 * read; then the other process asks for one of its own (no master needed)
 * and reads it, and the first has nothing more.
 */
#include "mp.h"

#define MASTER_DATA 0xa11ce
#define OTHER_DATA  0xb0b

/* Asks for an event at the next vblank carrying @data. */
static void request_event(int fd, uint64_t data)
{
	union drm_wait_vblank vbl = {0};

	vbl.request.type = _DRM_VBLANK_RELATIVE | _DRM_VBLANK_EVENT;
	vbl.request.sequence = 1;
	vbl.request.signal = (unsigned long)data;
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_WAIT_VBLANK, &vbl), 0,
		    "WAIT_VBLANK with _DRM_VBLANK_EVENT (data 0x%llx)",
		    (unsigned long long)data);
}

/* Reads one event, which must be a vblank event carrying @data. */
static void read_event(int fd, uint64_t data, const char *who)
{
	struct drm_event_vblank ev = {0};
	ssize_t n;

	CHECK(mp_readable(fd, 2000), "%s: no vblank event in 2 s", who);
	n = read(fd, &ev, sizeof(ev));
	CHECK(n == sizeof(ev) && ev.base.type == DRM_EVENT_VBLANK &&
		      ev.base.length == sizeof(ev),
	      "%s: read gave %zd bytes, type %u, length %u; expected one "
	      "vblank event",
	      who, n, ev.base.type, ev.base.length);
	CHECK(ev.user_data == data,
	      "%s: the event carries 0x%llx, we asked with 0x%llx", who,
	      (unsigned long long)ev.user_data, (unsigned long long)data);
}

static void other_main(void *arg, int sock)
{
	int fd = itest_open("/dev/dri/card0", O_RDWR);

	(void)arg;
	mp_send_u64(sock, 0); /* opened */
	mp_recv_u64(sock);    /* the master asked for its event */
	CHECK(!mp_readable(fd, 300),
	      "other: our fd turned readable though we asked for no event "
	      "(the master process's event came to us)");
	request_event(fd, OTHER_DATA);
	read_event(fd, OTHER_DATA, "other");
	mp_send_u64(sock, 0);
	close(fd);
}

int main(int argc, char **argv)
{
	struct mp_display disp;
	struct mp_peer other;
	int fd;

	mp_init(argc, argv, NULL);
	fd = itest_open("/dev/dri/card0", O_RDWR);
	disp = mp_display_find(fd);
	mp_display_add_fb(fd, &disp, 110);
	CHECK_ERRNO(mp_display_set(fd, &disp), 0, "SETCRTC by the master");
	mp_peer_start(&other, "the other process", other_main, NULL);
	mp_recv_u64(other.sock);

	request_event(fd, MASTER_DATA);
	mp_send_u64(other.sock, 0);
	read_event(fd, MASTER_DATA, "master");
	mp_recv_u64(other.sock);
	CHECK(!mp_readable(fd, 100),
	      "master: our fd is readable again after the other process's "
	      "event (it came to us too)");
	mp_peer_join(&other);
	close(fd);
	return 0;
}
