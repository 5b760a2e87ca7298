// SPDX-License-Identifier: MIT
/*
 * The host side of server mode (docs/server.md): `udrm run` and
 * `udrm serve` dlopen() this library and call udrm_preload_host_start(),
 * which makes the devices and the tree as a preloaded program's first
 * use does (with a memfd per object, so that clients can map them),
 * writes the tree's manifest for the clients' interposers and serves the
 * devices on <tree>/socket. Capture works as in-process: the frames are
 * composed here, and written when this process exits.
 *
 * The manifest (<tree>/manifest) is text, one item per line:
 *   udrm-manifest 1
 *   server PID
 *   device PLATFORM-NAME              (in device order)
 *   node MINOR TYPE                   (TYPE: enum udrm_node_type)
 *   vfile ID DEBUGFS TREE-RELATIVE-PATH
 * where a virtual file's ID is its number among the files
 * udrm_device_for_each_vfile() reports over the devices in order, as the
 * server numbers them.
 */
#include "preload.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "server/server.h"

static struct udrm_server *ip_host_server;

static int ip_write_manifest(void)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t root_len = strlen(ip_state.root), i;
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/manifest", ip_state.root);
	snprintf(tmp, sizeof(tmp), "%s/manifest.new", ip_state.root);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "udrm-manifest 1\nserver %ld\n", (long)getpid());
	for (i = 0; i < ip_state.ndevices; i++)
		fprintf(f, "device %s\n", ip_state.platform_names[i]);
	for (i = 0; i < ip_state.nnodes; i++)
		fprintf(f, "node %d %d\n", ip_state.nodes[i].minor,
			(int)ip_state.nodes[i].type);
	for (i = 0; i < ip_state.nvnodes; i++) {
		const struct ip_vnode *vn = &ip_state.vnodes[i];

		fprintf(f, "vfile %u %d %s\n", vn->remote_id,
			ip_is_debugfs_ino(ip_state.tree_dev, vn->tree_ino),
			vn->tree_path + root_len + 1);
	}
	if (ferror(f))
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	return ret;
}

/* Exported for the udrm tool (preload.map). */
int udrm_preload_host_start(char *path, size_t len);
void udrm_preload_host_stop(void);

/*
 * Makes the devices and the tree and serves them; the socket's path goes
 * to @path. 0 or -errno (after printing why).
 */
IP_EXPORT int udrm_preload_host_start(char *path, size_t len)
{
	int ret;

	if (ip_host_server)
		return -EBUSY;
	ip_hosting = true;
	if (!ip_init())
		return -ENODEV;
	ip_bypass++;
	ret = ip_write_manifest();
	if ((size_t)snprintf(path, len, "%s/socket", ip_state.root) >= len)
		ret = -ENAMETOOLONG;
	if (!ret)
		ret = udrm_server_start(ip_state.devices, ip_state.ndevices,
					path, &ip_host_server);
	ip_bypass--;
	if (ret)
		fprintf(stderr, "udrm: cannot serve the devices in %s: %s\n",
			ip_state.root, strerror(-ret));
	return ret;
}

/* Writes the captures asked for, then stops serving (every client's
 * files are closed). Called as soon as the program has exited: as
 * in-process, where the capture is taken at its exit, a CRTC left on by
 * the program goes on composing (frames without the planes it cleared),
 * so the sooner the better. */
IP_EXPORT void udrm_preload_host_stop(void)
{
	ip_capture_flush();
	udrm_server_stop(ip_host_server);
	ip_host_server = NULL;
}
