// SPDX-License-Identifier: MIT
/*
 * libudrm-preload.so: process-wide state. On first use of a virtual path the
 * configured devices are created and the private tree is written; the
 * interposed functions (wrap_*.c) consult the fd table and the tree.
 */
/* This file defines both open() and open64(): read the headers without the
 * large-file renaming (the layouts are the same on the 64-bit ABIs). */
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS

#include "preload.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "core/uaccess.h"
#include "vtree.h"

#define IP_FAKE_INO_BASE 0x1000

static void ip_release(struct ipfd_table *table, struct ipfd_entry *entry);
static void ip_vfile_release(struct ipfd_table *table,
			     struct ipfd_entry *entry);

struct ip_real ip_real;
struct ip_state ip_state;
struct ipfd_table ip_fds = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.release = ip_release,
};
struct ipfd_table ip_vfds = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.release = ip_vfile_release,
};
__thread int ip_bypass __attribute__((tls_model("initial-exec")));
_Atomic bool ip_guard_on;
bool ip_hosting;

static pthread_once_t ip_once = PTHREAD_ONCE_INIT;
_Atomic bool ip_ready;

#define IP_RESOLVE(field, name)                                                \
	do {                                                                   \
		if (!ip_real.field)                                            \
			*(void **)&ip_real.field = dlsym(RTLD_NEXT, name);     \
	} while (0)

/* glibc before 2.33 exports only the __fxstatat family: go to the kernel,
 * whose struct stat is glibc's on the 64-bit ABIs. */
static int ip_sys_fstatat(int dirfd, const char *path, struct stat *st,
			  int flags)
{
	return (int)syscall(SYS_newfstatat, dirfd, path, st, flags);
}

static int ip_sys_fstat(int fd, struct stat *st)
{
	return ip_sys_fstatat(fd, "", st, AT_EMPTY_PATH);
}

static int ip_sys_mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
{
	return (int)syscall(SYS_mknodat, dirfd, path, mode, dev);
}

void ip_resolve(void)
{
	IP_RESOLVE(open, "open");
	IP_RESOLVE(openat, "openat");
	IP_RESOLVE(fopen, "fopen");
	IP_RESOLVE(fdopen, "fdopen");
	IP_RESOLVE(close, "close");
	IP_RESOLVE(dup, "dup");
	IP_RESOLVE(dup2, "dup2");
	IP_RESOLVE(dup3, "dup3");
	IP_RESOLVE(fcntl, "fcntl");
	IP_RESOLVE(close_range, "close_range");
	IP_RESOLVE(closefrom, "closefrom");
	IP_RESOLVE(fclose, "fclose");
	IP_RESOLVE(ioctl, "ioctl");
	IP_RESOLVE(mmap, "mmap");
	IP_RESOLVE(munmap, "munmap");
	IP_RESOLVE(read, "read");
	IP_RESOLVE(readv, "readv");
	IP_RESOLVE(write, "write");
	IP_RESOLVE(writev, "writev");
	IP_RESOLVE(pread, "pread");
	IP_RESOLVE(pwrite, "pwrite");
	IP_RESOLVE(lseek, "lseek");
	IP_RESOLVE(fstatat, "fstatat");
	IP_RESOLVE(fstat, "fstat");
	IP_RESOLVE(statx, "statx");
	IP_RESOLVE(faccessat, "faccessat");
	IP_RESOLVE(access, "access");
	IP_RESOLVE(eaccess, "eaccess");
	IP_RESOLVE(readlink, "readlink");
	IP_RESOLVE(readlinkat, "readlinkat");
	IP_RESOLVE(realpath, "realpath");
	IP_RESOLVE(opendir, "opendir");
	IP_RESOLVE(mknodat, "mknodat");
	IP_RESOLVE(unlinkat, "unlinkat");
	IP_RESOLVE(remove, "remove");
	IP_RESOLVE(mkdirat, "mkdirat");
	IP_RESOLVE(sigaction, "sigaction");
	IP_RESOLVE(signal, "signal");
	IP_RESOLVE(getxattr, "getxattr");
	IP_RESOLVE(lgetxattr, "lgetxattr");
	IP_RESOLVE(listxattr, "listxattr");
	IP_RESOLVE(llistxattr, "llistxattr");
	IP_RESOLVE(ppoll, "ppoll");
	if (!ip_real.fstatat)
		ip_real.fstatat = ip_sys_fstatat;
	if (!ip_real.fstat)
		ip_real.fstat = ip_sys_fstat;
	if (!ip_real.mknodat)
		ip_real.mknodat = ip_sys_mknodat;
}

/* Drops the udrm file when its last program fd goes. */
static void ip_release(struct ipfd_table *table, struct ipfd_entry *entry)
{
	(void)table;
	if (entry->file) /* none in server mode: the fd was the file */
		udrm_file_close(entry->file);
}

/* Closes the open of a virtual file when its last program fd goes. */
static void ip_vfile_release(struct ipfd_table *table, struct ipfd_entry *entry)
{
	(void)table;
	ip_vf_close(entry->file);
}

static void ip_atfork_prepare(void)
{
	ipfd_atfork_prepare(&ip_fds);
	ipfd_atfork_prepare(&ip_vfds);
}

static void ip_atfork_parent(void)
{
	ipfd_atfork_parent(&ip_vfds);
	ipfd_atfork_parent(&ip_fds);
}

static void ip_atfork_child(void)
{
	ipfd_atfork_child(&ip_vfds);
	ipfd_atfork_child(&ip_fds);
}

__attribute__((constructor)) static void ip_constructor(void)
{
	ip_resolve();
	pthread_atfork(ip_atfork_prepare, ip_atfork_parent, ip_atfork_child);
}

static void ip_cleanup(void)
{
	/* Only the process that made the tree removes it: a forked child
	 * runs this handler too. */
	if (ip_state.root[0] && getpid() == ip_state.owner) {
		ip_bypass++;
		vtree_remove(ip_state.root);
		ip_bypass--;
	}
}

static struct udrm_config *ip_load_config(void)
{
	struct udrm_config *cfg = NULL;
	const char *path = getenv("UDRM_CONFIG");
	char err[256] = "";
	int ret;

	/* No UDRM_CONFIG: the default configuration. */
	ret = udrm_config_load(path, &cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "udrm: %s: %s\n", path ? path : "configuration",
			err[0] ? err : strerror(-ret));
		return NULL;
	}
	return cfg;
}

/* Picks a platform device name for @dev: its bus id, made unique. */
static char *ip_platform_name(struct udrm_device *dev, size_t index)
{
	const char *base = udrm_device_unique(dev);
	char name[80];
	size_t i;
	int n = 0;

	if (!vtree_name_ok(base))
		base = udrm_device_driver_name(dev);
	snprintf(name, sizeof(name), "%s", base);
	for (;;) {
		for (i = 0; i < index; i++)
			if (!strcmp(ip_state.platform_names[i], name))
				break;
		if (i == index)
			break;
		snprintf(name, sizeof(name), "%s.%d", base, ++n);
	}
	return strdup(name);
}

static void ip_add_node(struct udrm_device *dev, enum udrm_node_type type)
{
	struct ip_node *node;
	int minor = udrm_device_minor(dev, type);
	char name[sizeof(node->name)];

	if (minor < 0 || ip_state.nnodes >= IP_MAX_NODES)
		return;
	node = &ip_state.nodes[ip_state.nnodes++];
	node->dev = dev;
	node->type = type;
	node->minor = minor;
	udrm_node_name(type, minor, name, sizeof(name));
	memcpy(node->name, name, sizeof(node->name));
	snprintf(node->path, sizeof(node->path), "/dev/dri/%s", name);
	node->fake_ino = IP_FAKE_INO_BASE + (ino_t)minor;
}

static void ip_create_devices(void)
{
	struct udrm_config *cfg = ip_load_config();
	size_t i, n;

	if (!cfg)
		return;
	n = udrm_config_device_count(cfg);
	for (i = 0; i < n && ip_state.ndevices < IP_MAX_DEVICES; i++) {
		struct udrm_device_desc desc = *udrm_config_device(cfg, i);
		struct udrm_device *dev;
		char *name;
		int ret;

		/* A server hands each object's memfd to its clients. */
		if (ip_hosting)
			desc.flags |= UDRM_DEVICE_OBJECT_MEMFDS;
		ret = udrm_device_create(&desc, &dev);
		if (ret) {
			fprintf(stderr, "udrm: cannot create %s device: %s\n",
				desc.driver, strerror(-ret));
			continue;
		}
		name = ip_platform_name(dev, ip_state.ndevices);
		if (!name) {
			udrm_device_destroy(dev);
			continue;
		}
		ip_state.devices[ip_state.ndevices] = dev;
		ip_state.platform_names[ip_state.ndevices] = name;
		ip_state.ndevices++;
		ip_add_node(dev, UDRM_NODE_PRIMARY);
		ip_add_node(dev, UDRM_NODE_RENDER);
		ip_capture_device(dev);
	}
	udrm_config_free(cfg);
}

static void ip_note_debugfs(const char *rel)
{
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", ip_state.root, rel);
	if (ip_state.ndebugfs_ino >= IP_MAX_DEBUGFS_INODES || lstat(path, &st))
		return;
	for (i = 0; i < ip_state.ndebugfs_ino; i++)
		if (ip_state.debugfs_ino[i] == st.st_ino)
			return;
	ip_state.debugfs_ino[ip_state.ndebugfs_ino++] = st.st_ino;
}

/* Records the tree's inodes: the nodes' files and the debugfs part. */
static int ip_index_tree(void)
{
	char path[PATH_MAX], rel[64];
	struct stat st;
	size_t i;

	if (stat(ip_state.root, &st))
		return -errno;
	ip_state.tree_dev = st.st_dev;
	for (i = 0; i < ip_state.nnodes; i++) {
		struct ip_node *node = &ip_state.nodes[i];

		snprintf(path, sizeof(path), "%s%s", ip_state.root, node->path);
		if (stat(path, &st))
			return -errno;
		node->tree_ino = st.st_ino;
	}
	ip_note_debugfs("sys/kernel/debug");
	ip_note_debugfs("sys/kernel/debug/dri");
	for (i = 0; i < ip_state.nnodes; i++) {
		snprintf(rel, sizeof(rel), "sys/kernel/debug/dri/%d",
			 ip_state.nodes[i].minor);
		ip_note_debugfs(rel);
		snprintf(rel, sizeof(rel), "sys/kernel/debug/dri/%d/name",
			 ip_state.nodes[i].minor);
		ip_note_debugfs(rel);
	}
	return 0;
}

/* Records virtual file @id, whose placeholder is @rel in the tree. */
static int ip_record_vnode(struct udrm_vfile *vfile, uint32_t id,
			   const char *rel, bool debugfs)
{
	char full[PATH_MAX], dirs[PATH_MAX];
	struct ip_vnode *grown, *vn;
	struct stat st;
	size_t base;
	char *p;

	if ((size_t)snprintf(full, sizeof(full), "%s/%s", ip_state.root,
			     rel) >= sizeof(full))
		return -ENAMETOOLONG;
	if (lstat(full, &st))
		return -errno;
	grown = realloc(ip_state.vnodes,
			(ip_state.nvnodes + 1) * sizeof(*ip_state.vnodes));
	if (!grown)
		return -ENOMEM;
	ip_state.vnodes = grown;
	vn = &ip_state.vnodes[ip_state.nvnodes];
	vn->vfile = vfile;
	vn->remote_id = id;
	vn->tree_ino = st.st_ino;
	vn->tree_path = strdup(full);
	if (!vn->tree_path)
		return -ENOMEM;
	ip_state.nvnodes++;
	if (debugfs) {
		/* Its directories and itself belong to the debugfs mount. */
		snprintf(dirs, sizeof(dirs), "%s", rel);
		base = strlen("sys/kernel/debug/dri/");
		if (strlen(dirs) < base)
			return 0;
		for (p = strchr(dirs + base, '/'); p; p = strchr(p + 1, '/')) {
			*p = '\0';
			ip_note_debugfs(dirs);
			*p = '/';
		}
		ip_note_debugfs(dirs);
	}
	return 0;
}

/* Makes the placeholder of one virtual file of a device and records it. */
static int ip_add_vnode(void *ctx, enum udrm_vfile_root root, const char *path,
			unsigned int mode, struct udrm_vfile *vfile)
{
	const struct vtree_device *vdev = ctx;
	bool debugfs = root == UDRM_VFILE_DEBUGFS;
	uint32_t id = ip_state.nvfiles++;
	char rel[PATH_MAX];
	int ret;

	ret = vtree_add_vfile(ip_state.root, vdev, debugfs, path, mode, rel,
			      sizeof(rel));
	if (!ret)
		ret = ip_record_vnode(vfile, id, rel, debugfs);
	if (ret == -ENOMEM)
		return ret;
	if (ret) {
		/* One missing file is no reason to give up the devices. */
		fprintf(stderr, "udrm: cannot show %s %s of %s: %s\n",
			debugfs ? "debugfs" : "sysfs", path, vdev->name,
			strerror(-ret));
	}
	return 0;
}

/* Fake st_dev values: distinct from the tree's filesystem, and debugfs
 * distinct from /sys/kernel, so "debug/." and "debug/.." differ. */
static void ip_pick_devs(void)
{
	struct stat st;
	dev_t sys_kernel = 0;
	unsigned int m = 0x75;

	if (!stat("/sys/kernel", &st))
		sys_kernel = st.st_dev;
	while (makedev(0, m) == ip_state.tree_dev ||
	       makedev(0, m) == sys_kernel)
		m++;
	ip_state.node_dev = makedev(0, m++);
	while (makedev(0, m) == ip_state.tree_dev ||
	       makedev(0, m) == sys_kernel)
		m++;
	ip_state.debugfs_dev = makedev(0, m);
}

/* Points the path mapping at the tree (made here or by the server). */
static void ip_use_tree(void)
{
	ip_pick_devs();
	ip_state.vpath.root = ip_state.root;
	ip_state.vpath.root_len = strlen(ip_state.root);
	ip_state.vpath.platform = (const char *const *)ip_state.platform_names;
	ip_state.vpath.nplatform = ip_state.ndevices;
}

static void ip_make_tree(void)
{
	struct vtree_device devs[IP_MAX_DEVICES];
	const char *base = getenv("UDRM_TMPDIR");
	char root[sizeof(ip_state.root)];
	size_t i;
	int ret;

	if (!base || !base[0])
		base = getenv("TMPDIR");
	if (!base || !base[0])
		base = "/tmp";
	ret = snprintf(root, sizeof(root), "%s/udrm-XXXXXX", base);
	if (ret < 0 || (size_t)ret >= sizeof(root) || !mkdtemp(root)) {
		fprintf(stderr, "udrm: cannot make a directory in %s: %s\n",
			base, strerror(errno));
		return;
	}
	for (i = 0; i < ip_state.ndevices; i++) {
		struct udrm_device *dev = ip_state.devices[i];

		devs[i].driver = udrm_device_driver_name(dev);
		devs[i].name = ip_state.platform_names[i];
		devs[i].unique = udrm_device_unique(dev);
		devs[i].primary_minor =
			udrm_device_minor(dev, UDRM_NODE_PRIMARY);
		devs[i].render_minor = udrm_device_minor(dev, UDRM_NODE_RENDER);
	}
	memcpy(ip_state.root, root, sizeof(root));
	ret = vtree_create(root, devs, ip_state.ndevices);
	if (!ret)
		ret = ip_index_tree();
	for (i = 0; !ret && i < ip_state.ndevices; i++)
		ret = udrm_device_for_each_vfile(ip_state.devices[i],
						 ip_add_vnode, &devs[i]);
	if (ret) {
		fprintf(stderr, "udrm: cannot write %s: %s\n", root,
			strerror(-ret));
		vtree_remove(root);
		ip_state.root[0] = '\0';
		return;
	}
	ip_state.owner = getpid();
	atexit(ip_cleanup);
	ip_use_tree();
}

/* One line of the manifest (host.c writes it). */
static int ip_manifest_line(char *line)
{
	unsigned int minor, type, id, debugfs;
	int n = 0;

	if (sscanf(line, "device %n", &n), n > 0) {
		if (ip_state.ndevices >= IP_MAX_DEVICES)
			return -E2BIG;
		line[strcspn(line, "\n")] = '\0';
		ip_state.platform_names[ip_state.ndevices] = strdup(line + n);
		if (!ip_state.platform_names[ip_state.ndevices])
			return -ENOMEM;
		ip_state.ndevices++;
		return 0;
	}
	if (sscanf(line, "node %u %u", &minor, &type) == 2) {
		struct ip_node *node;
		char name[sizeof(node->name)];

		if (ip_state.nnodes >= IP_MAX_NODES || minor > 255 ||
		    (type != UDRM_NODE_PRIMARY && type != UDRM_NODE_RENDER))
			return -EINVAL;
		node = &ip_state.nodes[ip_state.nnodes++];
		node->type = (enum udrm_node_type)type;
		node->minor = (int)minor;
		udrm_node_name(node->type, node->minor, name, sizeof(name));
		memcpy(node->name, name, sizeof(name));
		snprintf(node->path, sizeof(node->path), "/dev/dri/%s", name);
		node->fake_ino = IP_FAKE_INO_BASE + (ino_t)minor;
		return 0;
	}
	if (sscanf(line, "vfile %u %u %n", &id, &debugfs, &n) == 2 && n > 0) {
		line[strcspn(line, "\n")] = '\0';
		return ip_record_vnode(NULL, id, line + n, debugfs != 0);
	}
	if (!strncmp(line, "udrm-manifest 1", 15) ||
	    !strncmp(line, "server ", 7))
		return 0;
	return -EINVAL;
}

int ip_read_manifest(const char *root)
{
	char path[PATH_MAX], line[PATH_MAX + 64];
	FILE *f;
	int ret = 0;

	if (strlen(root) >= sizeof(ip_state.root))
		return -ENAMETOOLONG;
	strcpy(ip_state.root, root);
	snprintf(path, sizeof(path), "%s/manifest", root);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* The nodes first: the tree index needs them. */
	while (!ret && fgets(line, sizeof(line), f))
		if (strncmp(line, "vfile ", 6))
			ret = ip_manifest_line(line);
	if (!ret)
		ret = ip_index_tree();
	rewind(f);
	while (!ret && fgets(line, sizeof(line), f))
		if (!strncmp(line, "vfile ", 6))
			ret = ip_manifest_line(line);
	fclose(f);
	if (!ret)
		ip_use_tree();
	return ret;
}

/* Server mode: the devices and the tree are the server's. */
static bool ip_connect_server(const char *server_path)
{
	char root[sizeof(ip_state.root)];
	char *slash;
	int ret;

	snprintf(root, sizeof(root), "%s", server_path);
	slash = strrchr(root, '/');
	if (slash)
		*slash = '\0';
	ret = ip_remote_setup(server_path);
	if (!ret)
		ret = ip_read_manifest(root);
	if (ret) {
		fprintf(stderr, "udrm: device server %s: %s\n", server_path,
			strerror(-ret));
		ip_state.root[0] = '\0';
		return false;
	}
	return true;
}

static void ip_do_init(void)
{
	const char *server = getenv("UDRM_SERVER");
	int saved = errno;

	ip_bypass++;
	ip_resolve();
	clock_gettime(CLOCK_REALTIME, &ip_state.time);
	/* The guard must be first in the SIGSEGV chain; from now on the
	 * program's sigaction() calls for it are routed to the core. */
	atomic_store(&ip_guard_on, true);
	udrm_uaccess_init();
	if (server && server[0] && !ip_hosting) {
		ip_connect_server(server);
	} else {
		ip_create_devices();
		ip_make_tree();
	}
	ip_state.ready = ip_state.root[0] != '\0';
	atomic_store_explicit(&ip_ready, ip_state.ready, memory_order_release);
	ip_bypass--;
	errno = saved;
}

bool ip_init(void)
{
	if (atomic_load_explicit(&ip_ready, memory_order_acquire))
		return true;
	pthread_once(&ip_once, ip_do_init);
	return ip_ready_now();
}

const struct ip_node *ip_node_by_tree_ino(dev_t dev, ino_t ino)
{
	size_t i;

	if (!ip_ready_now() || dev != ip_state.tree_dev)
		return NULL;
	for (i = 0; i < ip_state.nnodes; i++)
		if (ip_state.nodes[i].tree_ino == ino)
			return &ip_state.nodes[i];
	return NULL;
}

const struct ip_vnode *ip_vnode_by_tree_ino(dev_t dev, ino_t ino)
{
	size_t i;

	if (!ip_ready_now() || dev != ip_state.tree_dev)
		return NULL;
	for (i = 0; i < ip_state.nvnodes; i++)
		if (ip_state.vnodes[i].tree_ino == ino)
			return &ip_state.vnodes[i];
	return NULL;
}

bool ip_is_debugfs_ino(dev_t dev, ino_t ino)
{
	size_t i;

	if (!ip_ready_now() || dev != ip_state.tree_dev)
		return false;
	for (i = 0; i < ip_state.ndebugfs_ino; i++)
		if (ip_state.debugfs_ino[i] == ino)
			return true;
	return false;
}

void ip_node_stat(const struct ip_node *node, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = ip_state.node_dev;
	st->st_ino = node->fake_ino;
	st->st_mode = S_IFCHR | 0666;
	st->st_nlink = 1;
	st->st_rdev = makedev(UDRM_DRM_MAJOR, (unsigned int)node->minor);
	st->st_blksize = 4096;
	st->st_atim = ip_state.time;
	st->st_mtim = ip_state.time;
	st->st_ctim = ip_state.time;
}

void ip_fix_stat(struct stat *st)
{
	const struct ip_node *node;

	if (!ip_ready_now() || st->st_dev != ip_state.tree_dev)
		return;
	node = ip_node_by_tree_ino(st->st_dev, st->st_ino);
	if (node)
		ip_node_stat(node, st);
	else if (ip_is_debugfs_ino(st->st_dev, st->st_ino))
		st->st_dev = ip_state.debugfs_dev;
}

size_t ip_unmap_path(char *buf, size_t len, size_t cap)
{
	char out[PATH_MAX];
	int ret;

	if (!ip_ready_now() || buf[0] != '/')
		return len;
	ret = vpath_unmap(&ip_state.vpath, buf, out, sizeof(out));
	if (ret <= 0)
		return len;
	len = strlen(out);
	if (len + 1 > cap)
		len = cap - 1;
	memcpy(buf, out, len);
	buf[len] = '\0';
	return len;
}

int ip_target(int dirfd, const char *path, struct ip_target *t)
{
	static const struct vpath_ctx probe = {.root = "", .root_len = 0};
	int fd, ret;

	(void)dirfd;
	t->kind = IP_TARGET_REAL;
	t->entry = NULL;
	if (!path || path[0] != '/')
		return 0;
	if (path[1] == 'p') {
		fd = vpath_proc_fd(path, getpid());
		if (fd >= 0 && (t->entry = ipfd_get(&ip_fds, fd)))
			t->kind = IP_TARGET_PROCFD;
		return 0;
	}
	if (!vpath_maybe_virtual(path))
		return 0;
	if (!atomic_load_explicit(&ip_ready, memory_order_acquire)) {
		/* Only a path in a region, or one that may name a platform
		 * device, is worth creating the devices for. */
		ret = vpath_map(&probe, path, t->path, sizeof(t->path));
		if (ret == VPATH_NONE && !vpath_needs_devices(path))
			return 0;
		if (!ip_init())
			return 0;
	}
	ret = vpath_map(&ip_state.vpath, path, t->path, sizeof(t->path));
	if (ret < 0)
		return ret;
	if (ret != VPATH_NONE) {
		t->kind = IP_TARGET_TREE;
		t->region = ret;
	}
	return 0;
}

int ip_open_node(const struct ip_node *node, int flags)
{
	struct udrm_file *file;
	struct ipfd_entry *entry;
	int fd, ret, fl;

	if (ip_remote)
		return ip_remote_open(node, flags);
	ret = udrm_file_open(node->dev, node->type, flags, &file);
	if (ret)
		return ip_fail(ret);
	fd = ip_real.fcntl(udrm_file_fd(file),
			   (flags & O_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
	if (fd < 0) {
		ret = -errno;
		udrm_file_close(file);
		return ip_fail(ret);
	}
	if (flags & O_NONBLOCK) {
		fl = ip_real.fcntl(fd, F_GETFL);
		if (fl >= 0 && !(fl & O_NONBLOCK))
			ip_real.fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	}
	entry = ipfd_entry_new(&ip_fds, file, node);
	if (!entry) {
		ip_real.close(fd);
		udrm_file_close(file);
		return ip_fail(-ENOMEM);
	}
	ret = ipfd_install(&ip_fds, fd, entry);
	/* On failure this put is the last and closes the file. */
	ipfd_put(&ip_fds, entry);
	if (ret) {
		ip_real.close(fd);
		return ip_fail(ret);
	}
	return fd;
}

int ip_open_vfile(const struct ip_vnode *vnode, int flags, int fd)
{
	struct ipfd_entry *entry;
	void *of;
	int ret;

	ret = ip_vf_open(vnode, flags, &of);
	if (ret) {
		if (fd >= 0)
			ip_real.close(fd);
		return ip_fail(ret);
	}
	if (fd < 0) {
		/* The placeholder itself: the kernel's answers for fstat,
		 * F_GETFL and /proc/self/fd come with it. */
		fd = ip_real.openat(AT_FDCWD, vnode->tree_path,
				    flags & ~(O_CREAT | O_EXCL | O_TRUNC), 0);
		if (fd < 0) {
			ret = -errno;
			ip_vf_close(of);
			return ip_fail(ret);
		}
	}
	if (ipfd_present(&ip_fds, fd))
		ipfd_remove(&ip_fds, fd); /* stale: closed out of our sight */
	entry = ipfd_entry_new(&ip_vfds, of, vnode);
	if (!entry) {
		ip_real.close(fd);
		ip_vf_close(of);
		return ip_fail(-ENOMEM);
	}
	ret = ipfd_install(&ip_vfds, fd, entry);
	/* On failure this put is the last and closes the open. */
	ipfd_put(&ip_vfds, entry);
	if (ret) {
		ip_real.close(fd);
		return ip_fail(ret);
	}
	return fd;
}
