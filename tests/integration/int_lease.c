// SPDX-License-Identifier: MIT
/* Leases through libdrm: the master leases a CRTC, its primary plane and
 * the connector; the lessee fd the ioctl returns is a device fd of the
 * program that sees only those objects, may modeset them, and loses them
 * when the lease is revoked. */
#include <xf86drmMode.h>

#include "itest.h"

static uint32_t plane_type(int fd, uint32_t plane)
{
	drmModeObjectPropertiesPtr props =
		drmModeObjectGetProperties(fd, plane, DRM_MODE_OBJECT_PLANE);
	uint32_t type = ~0u;

	CHECK(props, "properties of plane %u", plane);
	for (uint32_t i = 0; i < props->count_props; i++) {
		drmModePropertyPtr p = drmModeGetProperty(fd, props->props[i]);

		if (p && !strcmp(p->name, "type"))
			type = (uint32_t)props->prop_values[i];
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	return type;
}

int main(void)
{
	int master = itest_open("/dev/dri/card0", O_RDWR);
	drmModeResPtr res, lres;
	drmModePlaneResPtr planes;
	drmModeLesseeListPtr lessees;
	drmModeObjectListPtr held;
	uint32_t objects[3], lessee_id = 0, primary = 0;
	int lessee;

	CHECK_RET(drmSetClientCap(master, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1),
		  0, "universal planes");
	res = drmModeGetResources(master);
	CHECK(res && res->count_crtcs >= 1 && res->count_connectors >= 1,
	      "resources of vkms");
	planes = drmModeGetPlaneResources(master);
	CHECK(planes && planes->count_planes >= 3, "vkms has 3 planes");
	for (uint32_t i = 0; i < planes->count_planes && !primary; i++)
		if (plane_type(master, planes->planes[i]) == 1)
			primary = planes->planes[i];
	CHECK(primary, "a primary plane");
	objects[0] = res->crtcs[0];
	objects[1] = res->connectors[0];
	objects[2] = primary;

	lessee = drmModeCreateLease(master, objects, 3, O_CLOEXEC, &lessee_id);
	CHECK(lessee >= 0, "drmModeCreateLease: %s", strerror(-lessee));
	CHECK(lessee_id > 0, "lessee id %u", lessee_id);
	CHECK(fcntl(lessee, F_GETFD) & FD_CLOEXEC, "O_CLOEXEC honoured");
	CHECK(drmIsMaster(lessee), "a lessee is master of its lease");
	CHECK_RET(drmModeCreateLease(master, objects, 3, 0, &lessee_id) < 0, 1,
		  "leasing leased objects again must fail");

	lessees = drmModeListLessees(master);
	CHECK(lessees && lessees->count == 1 &&
		      lessees->lessees[0] == lessee_id,
	      "the master lists its one lessee");
	drmFree(lessees);
	held = drmModeGetLease(lessee);
	CHECK(held && held->count == 3, "the lessee holds 3 objects (%u)",
	      held ? held->count : 0);
	drmFree(held);

	/* The lessee sees its CRTC and connector, nothing else. */
	CHECK_RET(drmSetClientCap(lessee, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1),
		  0, "universal planes on the lessee");
	lres = drmModeGetResources(lessee);
	CHECK(lres && lres->count_crtcs == 1 && lres->crtcs[0] == objects[0] &&
		      lres->count_connectors == 1 &&
		      lres->connectors[0] == objects[1],
	      "the lessee's resources are its lease");
	drmModeFreeResources(lres);
	drmModeFreePlaneResources(planes);
	planes = drmModeGetPlaneResources(lessee);
	CHECK(planes && planes->count_planes == 1 &&
		      planes->planes[0] == primary,
	      "the lessee sees only its plane");
	drmModeFreePlaneResources(planes);

	/* Revoked: the lessee keeps its fd but holds nothing. */
	CHECK_RET(drmModeRevokeLease(master, lessee_id), 0, "revoke");
	/* As the kernel: the lessee stays known until its fd closes, so a
	 * second revoke succeeds; an unknown id is ENOENT. */
	CHECK_RET(drmModeRevokeLease(master, lessee_id), 0, "revoke again");
	CHECK_RET(drmModeRevokeLease(master, lessee_id + 100), -ENOENT,
		  "revoke of an unknown lessee");
	lres = drmModeGetResources(lessee);
	CHECK(lres && lres->count_crtcs == 0 && lres->count_connectors == 0,
	      "a revoked lessee sees no CRTC or connector");
	drmModeFreeResources(lres);
	close(lessee);
	drmModeFreeResources(res);
	close(master);
	printf("lease: created, listed, scoped and revoked\n");
	return 0;
}
