// SPDX-License-Identifier: MIT
/*
 * Authentication across processes, as drm_auth.c: a non-master process
 * gets a magic (GET_MAGIC), cannot authenticate itself (AUTH_MAGIC needs
 * master: EACCES) nor do what needs authentication (GEM_FLINK: EACCES);
 * the master in another process authenticates the magic (AUTH_MAGIC), once
 * (a second AUTH_MAGIC of it: EINVAL); then the first process may flink.
 */
#include "mp.h"

static void client_main(void *arg, int sock)
{
	int fd = itest_open("/dev/dri/card0", O_RDWR);
	struct itest_dumb d = itest_dumb_create(fd, 32, 32, 32);
	struct drm_gem_flink flink = {.handle = d.handle};
	drm_magic_t magic = 0, again = 0;

	(void)arg;
	CHECK(!mp_is_master(fd), "client: a second open of card0 must not be "
				 "master");
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_GEM_FLINK, &flink), EACCES,
		    "client: GEM_FLINK before authentication");
	CHECK_RET(drmGetMagic(fd, &magic), 0, "client: GET_MAGIC");
	CHECK_RET(drmGetMagic(fd, &again), 0, "client: GET_MAGIC again");
	CHECK(magic != 0 && magic == again,
	      "client: the magic must be non-zero and stable (%u, %u)", magic,
	      again);
	CHECK_RET(drmAuthMagic(fd, magic), -EACCES,
		  "client: AUTH_MAGIC of its own magic by a non-master");
	mp_send_u64(sock, magic);

	mp_recv_u64(sock); /* the master authenticated it */
	CHECK_ERRNO(drmIoctl(fd, DRM_IOCTL_GEM_FLINK, &flink), 0,
		    "client: GEM_FLINK once the master in another process "
		    "authenticated our magic");
	CHECK(flink.name != 0, "client: GEM_FLINK gave name 0");
	CHECK(!mp_is_master(fd), "client: authentication must not make master");
	mp_send_u64(sock, 0);
	close(fd);
}

int main(int argc, char **argv)
{
	struct mp_peer client;
	drm_magic_t magic;
	int fd;

	mp_init(argc, argv, NULL);
	fd = itest_open("/dev/dri/card0", O_RDWR);
	CHECK(mp_is_master(fd), "the first opener of card0 must be master");
	mp_peer_start(&client, "the client process", client_main, NULL);

	magic = (drm_magic_t)mp_recv_u64(client.sock);
	CHECK_RET(drmAuthMagic(fd, magic + 1000), -EINVAL,
		  "AUTH_MAGIC of a magic nobody got");
	CHECK_RET(drmAuthMagic(fd, magic), 0,
		  "AUTH_MAGIC by the master of the other process's magic %u",
		  magic);
	CHECK_RET(drmAuthMagic(fd, magic), -EINVAL,
		  "a second AUTH_MAGIC of magic %u (a magic is used once)",
		  magic);
	mp_send_u64(client.sock, 0);
	mp_recv_u64(client.sock);
	mp_peer_join(&client);
	close(fd);
	return 0;
}
