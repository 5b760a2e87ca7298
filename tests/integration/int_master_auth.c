// SPDX-License-Identifier: MIT
/* Master and authentication between two opens of card0 through libdrm
 * (the default configuration is unprivileged: no CAP_SYS_ADMIN). */
#include "itest.h"

int main(void)
{
	int first = itest_open("/dev/dri/card0", O_RDWR);
	int second = itest_open("/dev/dri/card0", O_RDWR);
	drm_magic_t m1 = 0, m2 = 0;
	int third;

	CHECK(drmIsMaster(first), "the first opener must be master");
	CHECK(!drmIsMaster(second), "the second opener must not be master");
	CHECK_ERRNO(drmSetMaster(second), EACCES,
		    "drmSetMaster by an unprivileged non-master");
	CHECK_ERRNO(drmDropMaster(second), EACCES,
		    "drmDropMaster by an unprivileged file that never was "
		    "master");

	CHECK_RET(drmGetMagic(second, &m1), 0, "drmGetMagic");
	CHECK_RET(drmGetMagic(second, &m2), 0, "drmGetMagic again");
	CHECK(m1 != 0 && m1 == m2, "magic must be non-zero and stable (%u, %u)",
	      m1, m2);
	CHECK_RET(drmAuthMagic(second, m1), -EACCES,
		    "drmAuthMagic by a non-master");
	CHECK_RET(drmAuthMagic(first, m1 + 1000), -EINVAL,
		    "drmAuthMagic of an unknown magic");
	CHECK_RET(drmAuthMagic(first, m1), 0, "drmAuthMagic by the master");

	CHECK_ERRNO(drmDropMaster(first), 0, "drmDropMaster by the master");
	CHECK(!drmIsMaster(first), "still master after drmDropMaster");
	CHECK_ERRNO(drmSetMaster(second), EACCES,
		    "drmSetMaster by an unprivileged file that never was "
		    "master, with no master");
	CHECK_ERRNO(drmSetMaster(first), 0,
		    "drmSetMaster by the former master");
	CHECK(drmIsMaster(first), "drmSetMaster did not restore master");

	close(first);
	CHECK(!drmIsMaster(second),
	      "an existing file must not become master when the master closes");
	third = itest_open("/dev/dri/card0", O_RDWR);
	CHECK(drmIsMaster(third),
	      "the next opener after the master closed must be master");
	close(third);
	close(second);
	return 0;
}
