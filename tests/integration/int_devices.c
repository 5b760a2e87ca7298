// SPDX-License-Identifier: MIT
/*
 * Device discovery as libdrm does it (sysfs, /dev/dri, stat): the default
 * configuration shows vkms on card0, vgem on card1 + renderD128 and simgpu
 * on card2 + renderD129, all platform devices, and drmGetDevice2() on an
 * open fd matches the list.
 */
#include "itest.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

static drmDevicePtr find_by_node(drmDevicePtr *devs, int n, int type,
				 const char *path)
{
	int i;

	for (i = 0; i < n; i++)
		if ((devs[i]->available_nodes & (1 << type)) &&
		    !strcmp(devs[i]->nodes[type], path))
			return devs[i];
	return NULL;
}

static void check_platform(drmDevicePtr dev, const char *name)
{
	CHECK(dev->bustype == DRM_BUS_PLATFORM,
	      "%s: expected bus type DRM_BUS_PLATFORM (%d), got %d", name,
	      DRM_BUS_PLATFORM, dev->bustype);
	CHECK(!strcmp(dev->businfo.platform->fullname, name),
	      "expected platform fullname \"%s\", got \"%s\"", name,
	      dev->businfo.platform->fullname);
	CHECK(dev->deviceinfo.platform &&
		      dev->deviceinfo.platform->compatible &&
		      dev->deviceinfo.platform->compatible[0] &&
		      !strcmp(dev->deviceinfo.platform->compatible[0], name),
	      "%s: expected compatible[0] \"%s\"", name, name);
}

static void check_node_stat(const char *path, unsigned int minor)
{
	struct stat st;

	CHECK(stat(path, &st) == 0, "stat(%s): %s", path, strerror(errno));
	CHECK(S_ISCHR(st.st_mode), "%s must be a character device", path);
	CHECK(major(st.st_rdev) == 226 && minor(st.st_rdev) == minor,
	      "%s: expected device 226:%u, got %u:%u", path, minor,
	      major(st.st_rdev), minor(st.st_rdev));
}

static void check_fd_matches(const char *path, drmDevicePtr listed)
{
	int fd = itest_open(path, O_RDWR);
	drmDevicePtr dev = NULL;

	CHECK(drmGetDevice2(fd, 0, &dev) == 0 && dev,
	      "drmGetDevice2 on %s failed", path);
	CHECK(drmDevicesEqual(dev, listed),
	      "drmGetDevice2(%s) differs from the drmGetDevices2 entry", path);
	drmFreeDevice(&dev);
	close(fd);
}

int main(void)
{
	drmDevicePtr devs[16];
	drmDevicePtr vkms, vgem, simgpu;
	int n, fd;
	char *name;

	n = drmGetDevices2(0, NULL, 0);
	CHECK(n == 3,
	      "drmGetDevices2 count: expected 3 devices (vkms, vgem, simgpu), "
	      "got %d",
	      n);
	n = drmGetDevices2(0, devs, 16);
	CHECK(n == 3, "drmGetDevices2: expected 3 devices, got %d", n);

	vkms = find_by_node(devs, n, DRM_NODE_PRIMARY, "/dev/dri/card0");
	CHECK(vkms, "no device has primary node /dev/dri/card0");
	CHECK(vkms->available_nodes == (1 << DRM_NODE_PRIMARY),
	      "vkms: expected only a primary node, available_nodes 0x%x",
	      vkms->available_nodes);
	check_platform(vkms, "vkms");

	vgem = find_by_node(devs, n, DRM_NODE_RENDER, "/dev/dri/renderD128");
	CHECK(vgem, "no device has render node /dev/dri/renderD128");
	CHECK(vgem->available_nodes ==
		      ((1 << DRM_NODE_PRIMARY) | (1 << DRM_NODE_RENDER)),
	      "vgem: expected primary and render nodes, available_nodes 0x%x",
	      vgem->available_nodes);
	CHECK(!strcmp(vgem->nodes[DRM_NODE_PRIMARY], "/dev/dri/card1"),
	      "vgem's primary node: expected /dev/dri/card1, got %s",
	      vgem->nodes[DRM_NODE_PRIMARY]);
	check_platform(vgem, "vgem");

	simgpu = find_by_node(devs, n, DRM_NODE_RENDER, "/dev/dri/renderD129");
	CHECK(simgpu, "no device has render node /dev/dri/renderD129");
	CHECK(simgpu->available_nodes ==
		      ((1 << DRM_NODE_PRIMARY) | (1 << DRM_NODE_RENDER)),
	      "simgpu: expected primary and render nodes, available_nodes 0x%x",
	      simgpu->available_nodes);
	CHECK(!strcmp(simgpu->nodes[DRM_NODE_PRIMARY], "/dev/dri/card2"),
	      "simgpu's primary node: expected /dev/dri/card2, got %s",
	      simgpu->nodes[DRM_NODE_PRIMARY]);
	check_platform(simgpu, "simgpu");

	check_node_stat("/dev/dri/card0", 0);
	check_node_stat("/dev/dri/card1", 1);
	check_node_stat("/dev/dri/renderD128", 128);
	check_node_stat("/dev/dri/card2", 2);
	check_node_stat("/dev/dri/renderD129", 129);

	check_fd_matches("/dev/dri/card0", vkms);
	check_fd_matches("/dev/dri/card1", vgem);
	check_fd_matches("/dev/dri/renderD128", vgem);
	check_fd_matches("/dev/dri/card2", simgpu);
	check_fd_matches("/dev/dri/renderD129", simgpu);

	/* Node name helpers go through the same sysfs tree. */
	fd = itest_open("/dev/dri/card1", O_RDWR);
	CHECK(drmGetNodeTypeFromFd(fd) == DRM_NODE_PRIMARY,
	      "drmGetNodeTypeFromFd(card1) is not DRM_NODE_PRIMARY");
	name = drmGetRenderDeviceNameFromFd(fd);
	CHECK(name && !strcmp(name, "/dev/dri/renderD128"),
	      "drmGetRenderDeviceNameFromFd(card1): expected "
	      "/dev/dri/renderD128, got %s",
	      name ? name : "NULL");
	free(name);
	close(fd);
	fd = itest_open("/dev/dri/renderD128", O_RDWR);
	CHECK(drmGetNodeTypeFromFd(fd) == DRM_NODE_RENDER,
	      "drmGetNodeTypeFromFd(renderD128) is not DRM_NODE_RENDER");
	name = drmGetPrimaryDeviceNameFromFd(fd);
	CHECK(name && !strcmp(name, "/dev/dri/card1"),
	      "drmGetPrimaryDeviceNameFromFd(renderD128): expected "
	      "/dev/dri/card1, got %s",
	      name ? name : "NULL");
	free(name);
	close(fd);

	drmFreeDevices(devs, n);
	return 0;
}
