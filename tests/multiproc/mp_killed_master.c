// SPDX-License-Identifier: MIT
/*
 * A process killed (SIGKILL) while master loses its files as if it had
 * closed them, by the time its parent has reaped it (the kernel releases a
 * dying process's files before it becomes a zombie): master is free, so
 * the parent's file, which was master before, takes it back with
 * SET_MASTER and sets a mode; the killed process's framebuffer is gone
 * (GETFB: ENOENT) and off the CRTC it showed.
 */
#include "mp.h"

static void holder_main(void *arg, int sock)
{
	int fd = itest_open("/dev/dri/card0", O_RDWR);
	struct mp_display disp = mp_display_find(fd);

	(void)arg;
	CHECK(mp_is_master(fd), "holder: an open of card0 when no file is "
				"master must be master");
	mp_display_add_fb(fd, &disp, 90);
	CHECK_ERRNO(mp_display_set(fd, &disp), 0, "holder: SETCRTC");
	mp_send_u64(sock, disp.fb_id);
	for (;;)
		pause(); /* killed holding master */
}

int main(int argc, char **argv)
{
	struct mp_peer holder;
	struct mp_display disp;
	struct drm_mode_crtc crtc;
	struct drm_mode_fb_cmd getfb = {0};
	int fd, status, busy_ms = 0, ret;

	mp_init(argc, argv, NULL);
	fd = itest_open("/dev/dri/card0", O_RDWR);
	CHECK(mp_is_master(fd), "the first opener of card0 must be master");
	CHECK_ERRNO(drmDropMaster(fd), 0, "DROP_MASTER");
	disp = mp_display_find(fd);

	mp_fork(&holder, "the master holder", holder_main, NULL);
	getfb.fb_id = (uint32_t)mp_recv_u64(holder.sock);
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_GETFB, &getfb), 0,
		    "GETFB of the holder's framebuffer %u while it lives",
		    getfb.fb_id);
	crtc = mp_get_crtc(fd, disp.crtc_id);
	CHECK(crtc.fb_id == getfb.fb_id,
	      "GETCRTC shows fb %u, expected the holder's %u", crtc.fb_id,
	      getfb.fb_id);
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_SET_MASTER, NULL), EBUSY,
		    "SET_MASTER while the holder is master");

	CHECK(kill(holder.pid, SIGKILL) == 0, "kill: %s", strerror(errno));
	CHECK(waitpid(holder.pid, &status, 0) == holder.pid, "waitpid: %s",
	      strerror(errno));
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "the holder must have died of SIGKILL (status 0x%x)", status);
	close(holder.sock);

	/* Go on if the release comes late, to report the rest too. */
	while ((ret = drmIoctl(fd, DRM_IOCTL_SET_MASTER, NULL)) < 0 &&
	       errno == EBUSY && busy_ms < 5000) {
		mp_sleep_ms(10);
		busy_ms += 10;
	}
	CHECK(ret == 0, "SET_MASTER after the holder was killed: %s",
	      strerror(errno));
	CHECK(mp_is_master(fd), "master again after SET_MASTER");
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_MODE_GETFB, &getfb), ENOENT,
		    "GETFB of the killed holder's framebuffer %u", getfb.fb_id);
	crtc = mp_get_crtc(fd, disp.crtc_id);
	CHECK(crtc.fb_id == 0,
	      "GETCRTC shows fb %u after its owner was killed, expected 0",
	      crtc.fb_id);

	mp_display_add_fb(fd, &disp, 91);
	CHECK_ERRNO(mp_display_set(fd, &disp), 0,
		    "SETCRTC by the parent, master again");
	crtc = mp_get_crtc(fd, disp.crtc_id);
	CHECK(crtc.fb_id == disp.fb_id && crtc.mode_valid,
	      "GETCRTC after our SETCRTC: fb %u (expected %u), mode_valid %u",
	      crtc.fb_id, disp.fb_id, crtc.mode_valid);
	CHECK(busy_ms == 0,
	      "SET_MASTER gave EBUSY for %d ms after waitpid() reaped the "
	      "killed master: the kernel has released a process's files "
	      "before its parent can reap it",
	      busy_ms);
	close(fd);
	return 0;
}
