// SPDX-License-Identifier: MIT
/*
 * bench-server: the device server's round trip (docs/server.md, issue 5).
 *
 * The same two operations three ways, in one run:
 *  - in-process: DRM_IOCTL_GET_CAP through udrm_file_ioctl() on a private
 *    vkms device, and a dumb cycle (CREATE_DUMB, MAP_DUMB, mmap, touch one
 *    byte, munmap, DESTROY_DUMB) through the embedding API, also on a
 *    device like the served one (a memfd per object instead of an arena),
 *    to tell that cost from the transport's;
 *  - through the device server: this process serves a private vkms device
 *    (UDRM_DEVICE_OBJECT_MEMFDS, as `udrm serve` makes it) with
 *    udrm_server_start(); a forked child connects with src/server/client.h
 *    and times GET_CAP and the dumb cycle there (its ioctls name the file
 *    by the inode known since the open and copy with the fault guard, as
 *    the interposer's do), then sends its medians back over a pipe;
 *  - the socket floor: a plain AF_UNIX SOCK_SEQPACKET ping-pong of one
 *    48-byte message (the size of a struct udrm_msg) between the child and
 *    this process, which is what a request costs that goes on the socket
 *    (an open, an mmap, a sleeping peer's wake-up); ioctls on a file the
 *    connection has used go through the shared request slot instead, while
 *    both ends look at it (docs/server.md).
 *
 * Every figure is measured beside getppid(2) in the process that makes the
 * calls: the in-process rows beside the parent's, the server and socket
 * rows beside the child's (measured in the child, alternating with the
 * figure). The goal of issue 5 is a server round trip within 10x of a bare
 * syscall.
 *
 * A round trip between processes costs what waking the other side costs,
 * which depends on where the scheduler puts the two: a wake-up on another
 * CPU can cost several times one on the same CPU (in a VM, an IPI and the
 * idle CPU's exit). So the server figures are taken twice: with the client,
 * the server's threads and the echoing process all on one CPU ("1 CPU",
 * stable from run to run), then, when there are several CPUs, as the
 * scheduler places them ("CPUs as scheduled"). On one CPU a looking
 * peer cannot run: each end gives the CPU away as soon as it sees the
 * other is on its CPU, so that figure is a context switch each way. The
 * ratios to the socket floor are printed for the first only: in the
 * second, the floor and the server figures may have been measured with
 * different placements.
 *
 * Usage: bench-server [REPETITIONS]   (bench/run.sh runs it under "udrm
 * run"; it uses neither the interposer nor /dev/dri)
 */
#include <drm.h>
#include <drm_mode.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "server/client.h"
#include "server/proto.h"
#include "server/server.h"
#include "udrm/udrm.h"

#define SERVER_GOAL 10.0

/* CREATE_DUMB, MAP_DUMB, MMAP and DESTROY_DUMB: one round trip each. */
#define DUMB_REQUESTS 4

#define GETCAP_ROW    "GET_CAP"
#define DUMB_ROW      "dumb create+map+mmap+touch+munmap+destroy"
#define SERVER_ROW    "through the device server"
#define PINGPONG_ROW  "AF_UNIX SEQPACKET 48-byte ping-pong, 2 processes"
#define CHILD_SYSCALL "getppid() syscall in the client"

/* Where the operations go: a file of this process, or a device fd of the
 * server through a client connection. */
struct server_bench_ctx {
	struct udrm_file *file;
	struct udrm_client *client;
	int fd;
	uint64_t ino; /* @fd's, named as the interposer names it */
};

/* The child's medians, sent to the parent over a pipe. */
struct server_figures {
	int status; /* 0, or -1 when a measurement failed */
	double getcap_ns, getcap_syscall_ns;
	double dumb_ns, dumb_syscall_ns;
	double pingpong_ns, pingpong_syscall_ns;
};

static int op_getppid(void *ctx)
{
	(void)ctx;
	return syscall(SYS_getppid) > 0 ? 0 : -1;
}

static const struct bench_case syscall_case = {
	.name = "getppid",
	.op = op_getppid,
};

/* The served device: objects in memfds of their own, as `udrm serve`
 * makes them (an arena's pages cannot be handed to another process). */
static const struct udrm_device_desc served_vkms_desc = {
	.driver = "vkms",
	.primary_minor = 0,
	.render_minor = -1,
	.flags = UDRM_DEVICE_OBJECT_MEMFDS,
};

static int bench_ioctl(struct server_bench_ctx *c, unsigned long cmd, void *arg)
{
	if (c->file)
		return udrm_file_ioctl(c->file, cmd, arg) ? -1 : 0;
	return udrm_client_ioctl_ino(c->client, c->fd, c->ino, cmd, arg) ? -1
									 : 0;
}

static void *bench_mmap(struct server_bench_ctx *c, size_t len, uint64_t offset)
{
	const int prot = PROT_READ | PROT_WRITE;
	void *map;
	int ret;

	if (c->file)
		ret = udrm_file_mmap(c->file, NULL, len, prot, MAP_SHARED,
				     offset, &map);
	else
		ret = udrm_client_mmap(c->client, c->fd, NULL, len, prot,
				       MAP_SHARED, offset, &map);
	return ret ? MAP_FAILED : map;
}

static int op_getcap(void *ctx)
{
	struct drm_get_cap cap = {.capability = DRM_CAP_DUMB_BUFFER};

	return bench_ioctl(ctx, DRM_IOCTL_GET_CAP, &cap);
}

static int server_ops_ioctl(void *ctx, unsigned long cmd, void *arg)
{
	return bench_ioctl(ctx, cmd, arg);
}

static void *server_ops_mmap(void *ctx, size_t len, uint64_t offset)
{
	return bench_mmap(ctx, len, offset);
}

static int op_dumb_cycle(void *ctx)
{
	static const struct bench_drm_ops ops = {
		.ioctl = server_ops_ioctl,
		.mmap = server_ops_mmap,
	};

	return bench_dumb_cycle(&ops, ctx);
}

/* One message to the parent's echo loop and its answer back. */
static int op_pingpong(void *ctx)
{
	int sock = *(int *)ctx;
	struct udrm_msg msg = {.type = UDRM_MSG_IOCTL, .size = sizeof(msg)};

	if (send(sock, &msg, sizeof(msg), MSG_NOSIGNAL) != sizeof(msg))
		return -1;
	return recv(sock, &msg, sizeof(msg), 0) == sizeof(msg) ? 0 : -1;
}

/* Issue 5's goal, judged from the figures of this run. */
static void report_goal(double ns, double syscall_ns, const char *where)
{
	printf("goal (GET_CAP through the server within %.0fx getppid()), "
	       "%s: %s (%.2fx)\n",
	       SERVER_GOAL, where,
	       ns / syscall_ns <= SERVER_GOAL ? "met" : "NOT met",
	       ns / syscall_ns);
}

/* GET_CAP and the dumb cycle through the embedding API, in this process. */
static int bench_in_process(unsigned int reps)
{
	struct server_bench_ctx c = {.fd = -1};
	struct bench_case getcap = {
		.name = "udrm_file_ioctl(GET_CAP)",
		.op = op_getcap,
		.ctx = &c,
	};
	struct bench_case dumb = {
		.name = "embedded dumb cycle",
		.op = op_dumb_cycle,
		.ctx = &c,
	};
	double getcap_ns, getcap_syscall_ns, dumb_ns, dumb_syscall_ns;
	struct udrm_device *dev;
	int ret;

	ret = bench_open_private_vkms("bench-server", &dev, &c.file);
	if (ret)
		return ret;
	ret = bench_compare_ns(&getcap, &syscall_case, reps, &getcap_ns,
			       &getcap_syscall_ns);
	if (!ret)
		ret = bench_compare_ns(&dumb, &syscall_case, reps, &dumb_ns,
				       &dumb_syscall_ns);
	bench_close_private_vkms(dev, c.file);
	if (ret)
		return ret;
	bench_report_ns(GETCAP_ROW " through udrm_file_ioctl(), in-process",
			getcap_ns, "getppid() syscall", getcap_syscall_ns);
	bench_report_ns(DUMB_ROW ", in-process", dumb_ns, "getppid() syscall",
			dumb_syscall_ns);
	return 0;
}

/* The dumb cycle in-process on a device like the served one. */
static int bench_in_process_memfds(unsigned int reps)
{
	struct server_bench_ctx c = {.fd = -1};
	struct bench_case dumb = {
		.name = "embedded dumb cycle, objects in memfds",
		.op = op_dumb_cycle,
		.ctx = &c,
	};
	double dumb_ns, dumb_syscall_ns;
	struct udrm_device *dev;
	int ret;

	ret = udrm_device_create(&served_vkms_desc, &dev);
	if (ret) {
		fprintf(stderr,
			"bench-server: cannot create a vkms device: %s\n",
			strerror(-ret));
		return ret;
	}
	ret = udrm_file_open(dev, UDRM_NODE_PRIMARY, O_RDWR, &c.file);
	if (ret) {
		fprintf(stderr, "bench-server: cannot open card0: %s\n",
			strerror(-ret));
		udrm_device_destroy(dev);
		return ret;
	}
	ret = bench_compare_ns(&dumb, &syscall_case, reps, &dumb_ns,
			       &dumb_syscall_ns);
	bench_close_private_vkms(dev, c.file);
	if (!ret)
		bench_report_ns(DUMB_ROW ", in-process, objects in memfds",
				dumb_ns, "getppid() syscall", dumb_syscall_ns);
	return ret;
}

/* In the child: connects to the server at @path, opens card0 and measures
 * the server's figures and the socket floor on @sock. */
static int child_measure(const char *path, int sock, unsigned int reps,
			 struct server_figures *fig)
{
	struct server_bench_ctx c = {.fd = -1};
	struct bench_case getcap = {
		.name = "udrm_client_ioctl(GET_CAP)",
		.op = op_getcap,
		.ctx = &c,
	};
	struct bench_case dumb = {
		.name = "dumb cycle through the server",
		.op = op_dumb_cycle,
		.ctx = &c,
	};
	struct bench_case pingpong = {
		.name = "SEQPACKET ping-pong",
		.op = op_pingpong,
		.ctx = &sock,
	};
	struct stat st;
	int ret;

	/* As the interposer does: no handler displaces the guard here. */
	udrm_client_use_fault_guard();
	ret = udrm_client_connect(path, &c.client);
	if (ret) {
		fprintf(stderr, "bench-server: cannot connect to %s: %s\n",
			path, strerror(-ret));
		return -1;
	}
	c.fd = udrm_client_open(c.client, 0, O_RDWR | O_CLOEXEC);
	if (c.fd < 0) {
		fprintf(stderr, "bench-server: cannot open card0: %s\n",
			strerror(-c.fd));
		udrm_client_disconnect(c.client);
		return -1;
	}
	/* The interposer knows each device fd's inode from its open. */
	if (fstat(c.fd, &st)) {
		perror("bench-server: fstat");
		close(c.fd);
		udrm_client_disconnect(c.client);
		return -1;
	}
	c.ino = st.st_ino;
	ret = bench_compare_ns(&getcap, &syscall_case, reps, &fig->getcap_ns,
			       &fig->getcap_syscall_ns);
	if (!ret)
		ret = bench_compare_ns(&dumb, &syscall_case, reps,
				       &fig->dumb_ns, &fig->dumb_syscall_ns);
	if (!ret)
		ret = bench_compare_ns(&pingpong, &syscall_case, reps,
				       &fig->pingpong_ns,
				       &fig->pingpong_syscall_ns);
	close(c.fd);
	udrm_client_disconnect(c.client);
	return ret;
}

/* The child's life: waits for the server, measures, reports, exits. */
static void child_main(const char *path, int go, int sock, int results,
		       unsigned int reps)
{
	struct server_figures fig = {.status = -1};
	char byte;

	if (read(go, &byte, 1) == 1) /* else the server did not start */
		fig.status = child_measure(path, sock, reps, &fig);
	if (write(results, &fig, sizeof(fig)) != sizeof(fig))
		fig.status = -1;
	close(go);
	close(sock);
	close(results);
	exit(fig.status ? 1 : 0);
}

/* Answers every message on @sock with itself until the peer closes. */
static void echo_until_closed(int sock)
{
	struct udrm_msg msg;
	ssize_t n;

	for (;;) {
		n = recv(sock, &msg, sizeof(msg), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		if (send(sock, &msg, (size_t)n, MSG_NOSIGNAL) != n)
			return;
	}
}

static void report_server(const struct server_figures *fig, bool one_cpu)
{
	const char *where = one_cpu ? ", 1 CPU" : ", CPUs as scheduled";
	char row[160];

	snprintf(row, sizeof(row), GETCAP_ROW " " SERVER_ROW "%s", where);
	bench_report_ns(row, fig->getcap_ns, CHILD_SYSCALL,
			fig->getcap_syscall_ns);
	report_goal(fig->getcap_ns, fig->getcap_syscall_ns, where + 2);
	snprintf(row, sizeof(row), DUMB_ROW " " SERVER_ROW "%s", where);
	bench_report_ns(row, fig->dumb_ns, CHILD_SYSCALL, fig->dumb_syscall_ns);
	snprintf(row, sizeof(row), PINGPONG_ROW "%s", where);
	bench_report_ns(row, fig->pingpong_ns, CHILD_SYSCALL,
			fig->pingpong_syscall_ns);
	if (!one_cpu)
		return;
	/* How much of the server's figures is the socket itself. */
	snprintf(row, sizeof(row), GETCAP_ROW " " SERVER_ROW "%s", where);
	bench_report_ns(row, fig->getcap_ns,
			"the SEQPACKET ping-pong (socket floor)",
			fig->pingpong_ns);
	snprintf(row, sizeof(row), DUMB_ROW " " SERVER_ROW "%s", where);
	bench_report_ns(row, fig->dumb_ns,
			"4 x the SEQPACKET ping-pong (one per request)",
			DUMB_REQUESTS * fig->pingpong_ns);
}

/* Keeps this thread, and so the child and the server's threads made after
 * it, on the first CPU it may use; *@saved gets its affinity before, to
 * restore. 0 or -1. */
static int pin_to_one_cpu(cpu_set_t *saved)
{
	cpu_set_t one;
	int cpu;

	if (sched_getaffinity(0, sizeof(*saved), saved))
		return -1;
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, saved); cpu++)
		;
	if (cpu == CPU_SETSIZE)
		return -1;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(0, sizeof(one), &one) ? -1 : 0;
}

/* The server side: a private vkms device (served_vkms_desc) served at a socket
 * in a temporary directory to a forked child; everything on one CPU if
 * @one_cpu. */
static int bench_through_server(unsigned int reps, bool one_cpu)
{
	struct server_figures fig = {.status = -1};
	struct udrm_server *srv = NULL;
	struct udrm_device *dev = NULL;
	char dir[] = "/tmp/udrm-bench-server.XXXXXX";
	char path[sizeof(dir) + 8];
	int go[2], results[2], socks[2], ret = -1, status;
	cpu_set_t saved;
	pid_t pid;

	if (one_cpu && pin_to_one_cpu(&saved)) {
		perror("bench-server: sched_setaffinity");
		return -1;
	}
	if (!mkdtemp(dir)) {
		perror("bench-server: mkdtemp");
		goto out_cpu;
	}
	snprintf(path, sizeof(path), "%s/socket", dir);
	if (pipe2(go, O_CLOEXEC)) {
		perror("bench-server: pipe2");
		goto out_dir;
	}
	if (pipe2(results, O_CLOEXEC)) {
		perror("bench-server: pipe2");
		goto out_go;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks)) {
		perror("bench-server: socketpair");
		goto out_results;
	}
	/* Forked before the server's threads exist; it waits for "go". */
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("bench-server: fork");
		goto out_socks;
	}
	if (pid == 0) {
		close(go[1]);
		close(results[0]);
		close(socks[0]);
		child_main(path, go[0], socks[1], results[1], reps);
	}
	close(go[0]);
	close(results[1]);
	close(socks[1]);
	go[0] = results[1] = socks[1] = -1;

	ret = udrm_device_create(&served_vkms_desc, &dev);
	if (ret) {
		fprintf(stderr,
			"bench-server: cannot create a vkms device: %s\n",
			strerror(-ret));
		dev = NULL;
	} else {
		ret = udrm_server_start(&dev, 1, path, &srv);
		if (ret)
			fprintf(stderr,
				"bench-server: cannot serve at %s: %s\n", path,
				strerror(-ret));
	}
	if (!ret && write(go[1], "g", 1) == 1)
		echo_until_closed(socks[0]); /* ends when the child exits */
	close(go[1]);
	go[1] = -1;
	if (read(results[0], &fig, sizeof(fig)) != sizeof(fig))
		fig.status = -1;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		fig.status = -1;
	if (srv)
		udrm_server_stop(srv);
	if (dev)
		udrm_device_destroy(dev);
	if (!ret && fig.status)
		fprintf(stderr, "bench-server: the client process failed\n");
	ret = ret ? ret : fig.status;
	if (!ret)
		report_server(&fig, one_cpu);
out_socks:
	if (socks[1] >= 0)
		close(socks[1]);
	close(socks[0]);
out_results:
	if (results[1] >= 0)
		close(results[1]);
	close(results[0]);
out_go:
	if (go[0] >= 0)
		close(go[0]);
	if (go[1] >= 0)
		close(go[1]);
out_dir:
	rmdir(dir);
out_cpu:
	if (one_cpu)
		sched_setaffinity(0, sizeof(saved), &saved);
	return ret;
}

/* Whether this thread may run on more than one CPU. */
static bool several_cpus(void)
{
	cpu_set_t set;

	return !sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 1;
}

int main(int argc, char **argv)
{
	unsigned int reps = argc > 1 ? (unsigned int)atoi(argv[1]) : 11;
	int ret = 0;

	printf("bench-server: median of %u repetitions; server rows are "
	       "timed in a client process, beside its own getppid()\n",
	       reps);
	ret |= bench_in_process(reps);
	ret |= bench_in_process_memfds(reps);
	ret |= bench_through_server(reps, true);
	if (several_cpus())
		ret |= bench_through_server(reps, false);
	else
		printf("one CPU: skipping the figures with the processes on "
		       "several CPUs\n");
	return ret ? 1 : 0;
}
