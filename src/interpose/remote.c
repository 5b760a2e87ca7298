// SPDX-License-Identifier: MIT
/*
 * Server mode (docs/server.md): when UDRM_SERVER names a device server's
 * socket, this process has no devices of its own. Its device fds are the
 * socket ends the server handed over, so fork(), dup(), exec() and
 * SCM_RIGHTS share them as the kernel shares a struct file; its ioctls,
 * mmaps and virtual file calls are requests on a connection of its own,
 * one per thread (src/server/client.h).
 *
 * This file also holds the small dispatchers wrap_*.c call for device and
 * virtual file operations, which go to the in-process core or to the
 * server.
 */
#include "preload.h"

#include <drm.h>
#include <linux/dma-buf.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/client.h"

bool ip_remote;

/*
 * Connections. A thread keeps its own (made on first use, dropped at thread
 * exit); a call made while the thread's connection is busy (a signal
 * handler calling into udrm during a request) gets a connection of its
 * own for that call. After fork() the child's copies of its parent's
 * connections are closed: the server knows a connection's process by its
 * credentials, so a child connects anew.
 */
struct ip_conn {
	struct udrm_client *client;
	bool busy;
	bool temporary;
	struct ip_conn *prev, *next; /* ip_conns, ip_conn_lock */
};

static char ip_server_path[sizeof(((struct ip_state *)0)->root) + 16];
static pthread_mutex_t ip_conn_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ip_conn *ip_conns;
static pthread_key_t ip_conn_key;
static _Atomic unsigned int ip_conn_gen;
static __thread struct ip_conn *ip_my_conn;
static __thread unsigned int ip_my_gen;

static void ip_conn_unlink(struct ip_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		ip_conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

static void ip_conn_free(struct ip_conn *c)
{
	ip_bypass++;
	udrm_client_disconnect(c->client);
	ip_bypass--;
	free(c);
}

/* pthread key destructor: the thread is gone. */
static void ip_conn_thread_exit(void *arg)
{
	struct ip_conn *c = arg;

	if (!c)
		return;
	pthread_mutex_lock(&ip_conn_lock);
	ip_conn_unlink(c);
	pthread_mutex_unlock(&ip_conn_lock);
	ip_conn_free(c);
}

static void ip_conn_atfork_prepare(void)
{
	pthread_mutex_lock(&ip_conn_lock);
}

static void ip_conn_atfork_parent(void)
{
	pthread_mutex_unlock(&ip_conn_lock);
}

/* The child holds copies of every thread's connection: close them all. */
static void ip_conn_atfork_child(void)
{
	struct ip_conn *c;

	while ((c = ip_conns)) {
		ip_conns = c->next;
		ip_conn_free(c);
	}
	atomic_fetch_add(&ip_conn_gen, 1);
	ip_my_conn = NULL;
	pthread_setspecific(ip_conn_key, NULL);
	pthread_mutex_unlock(&ip_conn_lock);
}

static struct ip_conn *ip_conn_new(bool temporary, int *err)
{
	struct ip_conn *c = calloc(1, sizeof(*c));
	int ret;

	if (!c) {
		*err = -ENOMEM;
		return NULL;
	}
	ip_bypass++;
	ret = udrm_client_connect(ip_server_path, &c->client);
	ip_bypass--;
	if (ret) {
		free(c);
		/* The server is gone: the device was unplugged. */
		*err = ret == -ENOENT || ret == -ECONNREFUSED ? -ENODEV : ret;
		return NULL;
	}
	c->temporary = temporary;
	c->busy = true;
	if (temporary)
		return c;
	pthread_mutex_lock(&ip_conn_lock);
	c->next = ip_conns;
	if (ip_conns)
		ip_conns->prev = c;
	ip_conns = c;
	pthread_mutex_unlock(&ip_conn_lock);
	ip_my_conn = c;
	ip_my_gen = atomic_load(&ip_conn_gen);
	pthread_setspecific(ip_conn_key, c);
	return c;
}

/* This thread's connection, marked busy; NULL with *err on failure. */
static struct ip_conn *ip_conn_get(int *err)
{
	struct ip_conn *c = ip_my_conn;

	if (c && ip_my_gen != atomic_load(&ip_conn_gen))
		c = ip_my_conn = NULL; /* the parent's, closed at fork */
	if (!c)
		return ip_conn_new(false, err);
	if (c->busy)
		return ip_conn_new(true, err);
	c->busy = true;
	return c;
}

static void ip_conn_put(struct ip_conn *c)
{
	if (c->temporary) {
		ip_conn_free(c);
		return;
	}
	c->busy = false;
}

int ip_remote_setup(const char *server_path)
{
	size_t len = strlen(server_path);

	if (len >= sizeof(ip_server_path))
		return -ENAMETOOLONG;
	memcpy(ip_server_path, server_path, len + 1);
	if (pthread_key_create(&ip_conn_key, ip_conn_thread_exit))
		return -EAGAIN;
	pthread_atfork(ip_conn_atfork_prepare, ip_conn_atfork_parent,
		       ip_conn_atfork_child);
	/* The guard stays first in the SIGSEGV chain (wrap_signal.c). */
	udrm_client_use_fault_guard();
	ip_remote = true;
	return 0;
}

/* Runs @call on this thread's connection with udrm's own calls bypassing
 * the interposer; evaluates to its result or the connection's -errno. */
#define IP_REMOTE_CALL(type, call)                                             \
	({                                                                     \
		int ip_err_ = 0;                                               \
		struct ip_conn *ip_c_ = ip_conn_get(&ip_err_);                 \
		type ip_ret_ = ip_err_;                                        \
		if (ip_c_) {                                                   \
			struct udrm_client *conn = ip_c_->client;              \
			ip_bypass++;                                           \
			ip_ret_ = (call);                                      \
			ip_bypass--;                                           \
			ip_conn_put(ip_c_);                                    \
		}                                                              \
		ip_ret_;                                                       \
	})

/* ---- device fds ---- */

bool ip_server_mode(void)
{
	const char *server;

	if (ip_ready_now())
		return ip_remote;
	/* A process that got its device fds across exec has not opened
	 * anything yet: connect now. */
	server = getenv("UDRM_SERVER");
	return server && server[0] && ip_init() && ip_remote;
}

/* Makes the program's fd @fd a device fd on @node (what the table had
 * there is stale). 0 or -errno. */
static int ip_remote_install(int fd, const struct ip_node *node)
{
	struct ipfd_entry *entry;
	struct stat st;
	int ret;

	if (ip_real.fstat(fd, &st))
		return -errno;
	if (ip_vfiles_open())
		ipfd_remove(&ip_vfds, fd);
	entry = ipfd_entry_new(&ip_fds, NULL, node);
	if (!entry)
		return -ENOMEM;
	/* Every copy of the fd (dup, fork) is this socket: its ioctls name
	 * the file without an fstat() each. */
	entry->ino = st.st_ino;
	ret = ipfd_install(&ip_fds, fd, entry);
	ipfd_put(&ip_fds, entry);
	return ret;
}

int ip_remote_open(const struct ip_node *node, int flags)
{
	int fd, ret;

	fd = IP_REMOTE_CALL(int, udrm_client_open(conn, node->minor, flags));
	if (fd < 0)
		return ip_fail(fd);
	ret = ip_remote_install(fd, node);
	if (ret) {
		ip_real.close(fd);
		return ip_fail(ret);
	}
	return fd;
}

static const struct ip_node *ip_node_by_minor(int minor)
{
	size_t i;

	for (i = 0; i < ip_state.nnodes; i++)
		if (ip_state.nodes[i].minor == minor)
			return &ip_state.nodes[i];
	return NULL;
}

struct ipfd_entry *ip_remote_adopt(int fd)
{
	const struct ip_node *node;
	socklen_t len = sizeof(int);
	int minor = -1, type = 0, ret;

	/* Only the server's SOCK_SEQPACKET ends are worth a request (the
	 * call fails with ENOTSOCK for anything but a socket). */
	if (!ip_remote || fd < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ||
	    type != SOCK_SEQPACKET)
		return NULL;
	ret = IP_REMOTE_CALL(int, udrm_client_adopt(conn, fd, &minor));
	node = ret < 0 ? NULL : ip_node_by_minor(minor);
	if (!node || ip_remote_install(fd, node))
		return NULL;
	return ipfd_get(&ip_fds, fd);
}

/* Whether this process has handled a dma-buf of the server's: only then
 * are the regular files in a poll set worth asking about. */
static _Atomic bool ip_remote_dmabufs_seen;

int ip_remote_ioctl(int fd, unsigned long request, void *arg)
{
	struct ipfd_entry *entry = ipfd_get(&ip_fds, fd);
	uint64_t ino = entry ? entry->ino : 0;
	int ret;

	if (entry)
		ipfd_put(&ip_fds, entry);
	ret = ino ? IP_REMOTE_CALL(int, udrm_client_ioctl_ino(conn, fd, ino,
							      request, arg))
		  : IP_REMOTE_CALL(int,
				   udrm_client_ioctl(conn, fd, request, arg));

	if (ret == 0 && (request == DRM_IOCTL_PRIME_HANDLE_TO_FD ||
			 request == DRM_IOCTL_PRIME_FD_TO_HANDLE))
		atomic_store_explicit(&ip_remote_dmabufs_seen, true,
				      memory_order_relaxed);

	/* The server installed the lessee's fd here: it is a device fd on
	 * the lessor's node. */
	if (ret == 0 && request == DRM_IOCTL_MODE_CREATE_LEASE) {
		struct drm_mode_create_lease *cl = arg;
		struct ipfd_entry *lessor = ipfd_get(&ip_fds, fd);

		if (lessor) {
			ret = ip_remote_install((int)cl->fd, lessor->node);
			ipfd_put(&ip_fds, lessor);
		}
	}
	return ret;
}

int ip_remote_fd_ioctl(int fd, unsigned long request, void *arg)
{
	int ret = IP_REMOTE_CALL(int, udrm_client_fd_ioctl(conn, fd, request,
							   arg));

	if (ret >= 0 && _IOC_TYPE(request) == 'b')
		atomic_store_explicit(&ip_remote_dmabufs_seen, true,
				      memory_order_relaxed);
	return ret;
}

bool ip_dmabufs_may_exist(void)
{
	if (!ip_remote)
		return udrm_dmabuf_exists();
	return atomic_load_explicit(&ip_remote_dmabufs_seen,
				    memory_order_relaxed);
}

int ip_dmabuf_poll_fd(int fd, bool write, int *sync_fd)
{
	struct dma_buf_export_sync_file arg = {
		.flags = write ? DMA_BUF_SYNC_WRITE : DMA_BUF_SYNC_READ,
		.fd = -1,
	};
	struct stat st;
	int ret;

	if (!ip_remote)
		return udrm_dmabuf_poll_fd(fd, write, sync_fd);
	/* dma_buf_poll() is the sync_file of the fences the access waits
	 * for: what EXPORT_SYNC_FILE gives (a signalled one if none). */
	*sync_fd = -1;
	if (ip_real.fstat(fd, &st) || !S_ISREG(st.st_mode))
		return -ENOTTY;
	ret = ip_remote_fd_ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &arg);
	if (!ret)
		*sync_fd = arg.fd;
	return ret;
}

int ip_remote_mmap(int fd, void *addr, size_t len, int prot, int flags,
		   uint64_t offset, void **out)
{
	return IP_REMOTE_CALL(int, udrm_client_mmap(conn, fd, addr, len, prot,
						    flags, offset, out));
}

ssize_t ip_dev_read(int fd, struct ipfd_entry *entry, void *buf, size_t len)
{
	if (!ip_remote)
		return udrm_file_read(entry->file, buf, len);
	return IP_REMOTE_CALL(ssize_t, udrm_client_read(conn, fd, buf, len));
}

/* ---- virtual files ---- */

/* A virtual file opened through the server: the open lives there, held
 * by @hfd (a socket whose other end the server watches). */
struct ip_rvfile {
	int hfd;
	int poll_fd; /* made on first poll, -1 before */
	pthread_mutex_t lock;
};

int ip_vf_open(const struct ip_vnode *vnode, int flags, void **out)
{
	struct udrm_vfile_open *of;
	struct ip_rvfile *rv;
	int ret;

	if (!ip_remote) {
		ret = udrm_vfile_open(vnode->vfile, flags, &of);
		if (!ret)
			*out = of;
		return ret;
	}
	rv = calloc(1, sizeof(*rv));
	if (!rv)
		return -ENOMEM;
	rv->hfd = IP_REMOTE_CALL(int, udrm_client_vfile_open(
					      conn, vnode->remote_id, flags));
	if (rv->hfd < 0) {
		ret = rv->hfd;
		free(rv);
		return ret;
	}
	rv->poll_fd = -1;
	pthread_mutex_init(&rv->lock, NULL);
	*out = rv;
	return 0;
}

void ip_vf_close(void *of)
{
	struct ip_rvfile *rv = of;

	if (!ip_remote) {
		udrm_vfile_close(of);
		return;
	}
	ip_real.close(rv->hfd);
	if (rv->poll_fd >= 0)
		ip_real.close(rv->poll_fd);
	pthread_mutex_destroy(&rv->lock);
	free(rv);
}

ssize_t ip_vf_read(void *of, void *buf, size_t len, off_t pos)
{
	struct ip_rvfile *rv = of;

	if (!ip_remote)
		return udrm_vfile_read(of, buf, len, pos);
	return IP_REMOTE_CALL(ssize_t, udrm_client_vfile_read(conn, rv->hfd,
							      buf, len, pos));
}

ssize_t ip_vf_write(void *of, const void *buf, size_t len, off_t pos)
{
	struct ip_rvfile *rv = of;

	if (!ip_remote)
		return udrm_vfile_write(of, buf, len, pos);
	return IP_REMOTE_CALL(ssize_t, udrm_client_vfile_write(
					       conn, rv->hfd, buf, len, pos));
}

off_t ip_vf_lseek(void *of, off_t off, int whence)
{
	struct ip_rvfile *rv = of;

	if (!ip_remote)
		return udrm_vfile_lseek(of, off, whence);
	return IP_REMOTE_CALL(off_t, udrm_client_vfile_lseek(conn, rv->hfd,
							     off, whence));
}

void ip_vf_set_nonblock(void *of, bool nonblock)
{
	struct ip_rvfile *rv = of;

	if (!ip_remote) {
		udrm_vfile_set_nonblock(of, nonblock);
		return;
	}
	(void)IP_REMOTE_CALL(int, udrm_client_vfile_set_nonblock(
					  conn, rv->hfd, nonblock));
}

int ip_vf_poll_fd(void *of)
{
	struct ip_rvfile *rv = of;
	int fd;

	if (!ip_remote)
		return udrm_vfile_poll_fd(of);
	pthread_mutex_lock(&rv->lock);
	if (rv->poll_fd < 0) {
		fd = IP_REMOTE_CALL(int,
				    udrm_client_vfile_poll_fd(conn, rv->hfd));
		if (fd >= 0)
			rv->poll_fd = fd;
	}
	fd = rv->poll_fd;
	pthread_mutex_unlock(&rv->lock);
	return fd;
}
