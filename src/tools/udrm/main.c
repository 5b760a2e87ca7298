// SPDX-License-Identifier: MIT
/*
 * udrm: run programs on udrm's virtual DRM devices.
 *
 *   udrm run [--server | --in-process | --connect SOCKET] [--config FILE]
 *            [--capture FILE.png] [--capture-every N DIR] [--] PROGRAM...
 *   udrm serve [--config FILE]
 *   udrm info [--config FILE]
 *   udrm help
 *
 * "run" works like xvfb-run: it preloads libudrm-preload.so into PROGRAM,
 * forwards termination signals to it and exits with its status. In server
 * mode (the default) this process holds the devices and serves them to
 * PROGRAM and all its descendants (docs/server.md); it does so through
 * the preload library itself (dlopen), which makes the devices and the
 * tree exactly as an in-process program would.
 */
#include <dlfcn.h>
#include <drm.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/client.h"
#include "udrm/udrm.h"
#include "vtree.h"

#ifndef UDRM_PRELOAD_BUILD_PATH
#define UDRM_PRELOAD_BUILD_PATH ""
#endif
#ifndef UDRM_PRELOAD_INSTALL_PATH
#define UDRM_PRELOAD_INSTALL_PATH "/usr/local/lib/libudrm-preload.so"
#endif

/* Exit statuses, as xvfb-run and the shell use them. */
#define EXIT_USAGE	2
#define EXIT_CANNOT_RUN 127

static volatile sig_atomic_t run_child;

static void usage(FILE *out)
{
	fputs("usage: udrm run [--server | --in-process | --connect SOCKET]\n"
	      "                [--config FILE] [--capture FILE.png]\n"
	      "                [--capture-every N DIR] [--] PROGRAM [ARGS...]\n"
	      "       udrm serve [--config FILE]\n"
	      "       udrm info [--config FILE]\n"
	      "       udrm help\n"
	      "\n"
	      "run   runs PROGRAM with udrm's virtual DRM devices at "
	      "/dev/dri\n"
	      "      (libudrm-preload.so is preloaded; UDRM_PRELOAD "
	      "overrides its path)\n"
	      "serve holds the devices for programs started with "
	      "\"run --connect\";\n"
	      "      prints the socket's path, stops on SIGINT or SIGTERM\n"
	      "info  describes the devices a configuration creates, and "
	      "the mode\n"
	      "      this process runs in\n"
	      "\n"
	      "--server      (the default) PROGRAM and every process it "
	      "starts share\n"
	      "              one set of devices, served by this process\n"
	      "--in-process  each process of PROGRAM has devices of its own "
	      "(a forked\n"
	      "              child a private copy)\n"
	      "--connect SOCKET\n"
	      "              PROGRAM uses the devices of a running "
	      "\"udrm serve\"\n"
	      "\n"
	      "Without --config, UDRM_CONFIG names the configuration file; "
	      "without\n"
	      "either, the default is vkms (card0), vgem (card1, "
	      "renderD128) and\n"
	      "simgpu (card2, renderD129).\n"
	      "\n"
	      "--capture FILE.png\n"
	      "      when a process of PROGRAM that showed frames exits, "
	      "writes the last\n"
	      "      frame each CRTC showed with its framebuffers as an RGB "
	      "PNG: to\n"
	      "      FILE.png if there is one, else to FILE-<crtc>.png "
	      "for each CRTC\n"
	      "      (FILE-card<N>-<crtc>.png when several devices showed "
	      "frames)\n"
	      "--capture-every N DIR\n"
	      "      writes every Nth frame each CRTC composes to\n"
	      "      DIR/crtc<i>-<vblank sequence>.png (made if missing; "
	      "frames of a\n"
	      "      second display device are named "
	      "card<N>-crtc<i>-<sequence>.png)\n",
	      out);
}

/* What "run" passes to the preload (UDRM_CAPTURE, UDRM_CAPTURE_EVERY,
 * UDRM_CAPTURE_DIR). */
enum run_mode {
	RUN_SERVER,
	RUN_IN_PROCESS,
	RUN_CONNECT,
};

struct run_options {
	const char *capture;
	const char *every;
	const char *every_dir;
	enum run_mode mode;
	const char *connect; /* RUN_CONNECT's socket */
};

/* Loads and checks the configuration; on error prints
 * "udrm: FILE: line N: reason" and returns NULL. */
static struct udrm_config *load_config(const char *path)
{
	struct udrm_config *cfg = NULL;
	char err[256] = "";
	int ret;

	/* A NULL path loads the default configuration. */
	ret = udrm_config_load(path, &cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "udrm: %s: %s\n", path ? path : "configuration",
			err[0] ? err : strerror(-ret));
		return NULL;
	}
	return cfg;
}

/* A positive frame count that fits the preload's unsigned int. */
static bool parse_every(const char *text)
{
	unsigned long n;
	char *end;

	if (!text[0] || text[0] == '-' || text[0] == '+')
		return false;
	errno = 0;
	n = strtoul(text, &end, 10);
	return !*end && !errno && n > 0 && n <= 1000000000ul;
}

/* Parses "[--config FILE]" (also "--config=FILE") and, with @run, the
 * capture options; returns the index of the first other argument or -1
 * after printing an error. */
static int parse_options(int argc, char **argv, int i, const char **config,
			 bool stop_at_program, struct run_options *run)
{
	while (i < argc) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--")) {
			return i + 1;
		} else if (run && !strcmp(arg, "--capture")) {
			if (i + 1 >= argc || !argv[i + 1][0]) {
				fprintf(stderr,
					"udrm: --capture needs a file name\n");
				return -1;
			}
			run->capture = argv[i + 1];
			i += 2;
		} else if (run && !strncmp(arg, "--capture=", 10)) {
			if (!arg[10]) {
				fprintf(stderr,
					"udrm: --capture needs a file name\n");
				return -1;
			}
			run->capture = arg + 10;
			i++;
		} else if (run && !strcmp(arg, "--capture-every")) {
			if (i + 2 >= argc) {
				fprintf(stderr,
					"udrm: --capture-every needs a "
					"frame count and a directory\n");
				return -1;
			}
			if (!parse_every(argv[i + 1])) {
				fprintf(stderr,
					"udrm: --capture-every: the frame "
					"count "
					"must be a positive integer, not "
					"\"%s\"\n",
					argv[i + 1]);
				return -1;
			}
			if (!argv[i + 2][0] || !strcmp(argv[i + 2], "--")) {
				fprintf(stderr, "udrm: --capture-every needs a "
						"directory\n");
				return -1;
			}
			run->every = argv[i + 1];
			run->every_dir = argv[i + 2];
			i += 3;
		} else if (run && !strcmp(arg, "--server")) {
			run->mode = RUN_SERVER;
			i++;
		} else if (run && !strcmp(arg, "--in-process")) {
			run->mode = RUN_IN_PROCESS;
			i++;
		} else if (run && (!strcmp(arg, "--connect") ||
				   !strncmp(arg, "--connect=", 10))) {
			run->connect = arg[9] ? arg + 10 : argv[i + 1];
			if (!arg[9] && i + 1 >= argc)
				run->connect = NULL;
			if (!run->connect || !run->connect[0]) {
				fprintf(stderr,
					"udrm: --connect needs a socket path\n");
				return -1;
			}
			run->mode = RUN_CONNECT;
			i += arg[9] ? 1 : 2;
		} else if (!strcmp(arg, "--config") || !strcmp(arg, "-c")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "udrm: %s needs a file name\n",
					arg);
				return -1;
			}
			*config = argv[i + 1];
			i += 2;
		} else if (!strncmp(arg, "--config=", 9)) {
			*config = arg + 9;
			i++;
		} else if (arg[0] == '-' && arg[1]) {
			fprintf(stderr, "udrm: unknown option %s\n", arg);
			return -1;
		} else if (stop_at_program) {
			return i;
		} else {
			fprintf(stderr, "udrm: unexpected argument %s\n", arg);
			return -1;
		}
	}
	return i;
}

static const char *find_preload(void)
{
	const char *env = getenv("UDRM_PRELOAD");

	if (env && env[0])
		return env;
	if (UDRM_PRELOAD_BUILD_PATH[0] &&
	    !access(UDRM_PRELOAD_BUILD_PATH, R_OK))
		return UDRM_PRELOAD_BUILD_PATH;
	return UDRM_PRELOAD_INSTALL_PATH;
}

static int set_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *value;
	int ret;

	if (old && old[0]) {
		if (asprintf(&value, "%s:%s", lib, old) < 0)
			return -1;
		ret = setenv("LD_PRELOAD", value, 1);
		free(value);
		return ret;
	}
	return setenv("LD_PRELOAD", lib, 1);
}

static void forward_signal(int sig, siginfo_t *info, void *ucontext)
{
	(void)ucontext;
	/* A signal the terminal sent reached the program's process group
	 * already; only signals sent to us by someone are passed on. */
	if (run_child > 0 && info->si_code != SI_KERNEL)
		kill(run_child, sig);
}

static const int forwarded_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
};

static void install_forwarding(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0;
	     i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		sigaction(forwarded_signals[i], &sa, NULL);
}

static void reset_forwarding(void)
{
	size_t i;

	for (i = 0;
	     i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		signal(forwarded_signals[i], SIG_DFL);
}

/* A directory for the program's trees, removed when it ends even if the
 * program is killed before it can clean up. */
static char *make_runtime_dir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir;

	if (!base || !base[0])
		base = "/tmp";
	if (asprintf(&dir, "%s/udrm-run.XXXXXX", base) < 0)
		return NULL;
	if (!mkdtemp(dir)) {
		free(dir);
		return NULL;
	}
	return dir;
}

static void remove_runtime(char *runtime)
{
	if (runtime) {
		vtree_remove(runtime);
		free(runtime);
	}
}

/* @path made absolute without resolving it (it may not exist yet): the
 * program may change directory. NULL on ENOMEM or a missing cwd. */
static char *absolute_path(const char *path)
{
	char cwd[PATH_MAX], *out;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

/* Checks the capture options and puts them in the environment; false
 * after printing an error. */
static bool setup_capture(const struct run_options *run)
{
	char dir[PATH_MAX], *file;
	struct stat st;

	if (run->capture) {
		file = absolute_path(run->capture);
		if (!file) {
			perror("udrm: --capture");
			return false;
		}
		setenv("UDRM_CAPTURE", file, 1);
		free(file);
	} else {
		unsetenv("UDRM_CAPTURE");
	}
	if (!run->every) {
		unsetenv("UDRM_CAPTURE_EVERY");
		unsetenv("UDRM_CAPTURE_DIR");
		return true;
	}
	if (mkdir(run->every_dir, 0777) && errno != EEXIST) {
		fprintf(stderr, "udrm: --capture-every: cannot make %s: %s\n",
			run->every_dir, strerror(errno));
		return false;
	}
	if (stat(run->every_dir, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr,
			"udrm: --capture-every: %s is not a directory\n",
			run->every_dir);
		return false;
	}
	if (!realpath(run->every_dir, dir)) {
		fprintf(stderr, "udrm: --capture-every: %s: %s\n",
			run->every_dir, strerror(errno));
		return false;
	}
	setenv("UDRM_CAPTURE_EVERY", run->every, 1);
	setenv("UDRM_CAPTURE_DIR", dir, 1);
	return true;
}

/* The names the preload gives --capture's first frame (capture.c): FILE,
 * FILE-0.png, FILE-card<N>-0.png. */
static bool capture_written(const char *file, const struct timespec *since)
{
	static const char *const tags[] = {NULL, "0", "card0", "card1"};
	size_t n = strlen(file), i;
	char path[PATH_MAX];
	struct stat st;
	bool png = n >= 4 && !strcasecmp(file + n - 4, ".png");

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		if (!tags[i])
			snprintf(path, sizeof(path), "%s", file);
		else
			snprintf(path, sizeof(path), "%.*s-%s%s%s",
				 (int)(png ? n - 4 : n), file, tags[i],
				 i > 1 ? "-0" : "", png ? file + n - 4 : "");
		/* File times come from a coarse clock: a second of slack. */
		if (!stat(path, &st) && st.st_mtim.tv_sec >= since->tv_sec - 1)
			return true;
	}
	return false;
}

/* @config, else UDRM_CONFIG if set, else NULL (the default). */
static const char *config_path(const char *config)
{
	if (!config) {
		config = getenv("UDRM_CONFIG");
		if (config && !config[0])
			config = NULL;
	}
	return config;
}

/* Loads the configuration named by @config or UDRM_CONFIG and puts its
 * absolute path in the environment for the preload. false after printing
 * why. */
static bool use_config(const char *config)
{
	char abs_config[PATH_MAX];
	struct udrm_config *cfg;

	config = config_path(config);
	cfg = load_config(config);
	if (!cfg)
		return false;
	udrm_config_free(cfg);
	if (config) {
		if (!realpath(config, abs_config)) {
			fprintf(stderr, "udrm: %s: %s\n", config,
				strerror(errno));
			return false;
		}
		setenv("UDRM_CONFIG", abs_config, 1);
	}
	return true;
}

/* The preload library loaded here to hold and serve the devices. */
struct host {
	void *lib;
	void (*stop)(void);
	char path[PATH_MAX]; /* the socket */
};

/* Loads @preload and serves the configured devices (the environment says
 * which, as it does for a preloaded program). 0, or -1 after printing
 * why. */
static int host_start(struct host *h, const char *preload)
{
	int (*start)(char *, size_t);

	h->lib = dlopen(preload, RTLD_NOW | RTLD_LOCAL);
	if (!h->lib) {
		fprintf(stderr, "udrm: cannot load %s: %s\n", preload,
			dlerror());
		return -1;
	}
	*(void **)&start = dlsym(h->lib, "udrm_preload_host_start");
	*(void **)&h->stop = dlsym(h->lib, "udrm_preload_host_stop");
	if (!start || !h->stop) {
		fprintf(stderr, "udrm: %s cannot serve devices\n", preload);
		h->stop = NULL;
		return -1;
	}
	/* It prints why it failed. */
	if (start(h->path, sizeof(h->path))) {
		h->stop = NULL;
		return -1;
	}
	return 0;
}

/* Closes every client's files and writes the captures. The library stays
 * loaded: its exit handlers run at exit. */
static void host_stop(struct host *h)
{
	if (h->stop)
		h->stop();
	h->stop = NULL;
}

/* Whether a device server answers at @path; prints why not. */
static bool server_reachable(const char *path)
{
	struct udrm_client *c;
	int ret = udrm_client_connect(path, &c);

	if (ret) {
		fprintf(stderr, "udrm: no device server at %s: %s\n", path,
			strerror(-ret));
		return false;
	}
	udrm_client_disconnect(c);
	return true;
}

static int cmd_run(int argc, char **argv)
{
	struct timespec started;
	struct run_options run = {0};
	struct host host = {0};
	const char *config = NULL, *preload;
	char *runtime;
	int first, status;
	sigset_t forwarded, old_mask;
	size_t i;
	pid_t pid;

	first = parse_options(argc, argv, 2, &config, true, &run);
	if (first < 0)
		return EXIT_USAGE;
	if (first >= argc) {
		fprintf(stderr, "udrm: run: no program given\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!use_config(config))
		return EXIT_USAGE;
	if (run.mode == RUN_CONNECT && (run.capture || run.every)) {
		fprintf(stderr, "udrm: --capture and --capture-every need the "
				"devices in this process: not with --connect\n");
		return EXIT_USAGE;
	}
	if (!setup_capture(&run))
		return EXIT_USAGE;
	if (run.mode == RUN_CONNECT) {
		if (!server_reachable(run.connect))
			return EXIT_CANNOT_RUN;
		setenv("UDRM_SERVER", run.connect, 1);
	} else {
		unsetenv("UDRM_SERVER");
	}

	preload = find_preload();
	if (access(preload, R_OK)) {
		fprintf(stderr,
			"udrm: cannot find the preload library %s: %s "
			"(set UDRM_PRELOAD)\n",
			preload, strerror(errno));
		return EXIT_CANNOT_RUN;
	}
	if (set_preload(preload)) {
		perror("udrm: LD_PRELOAD");
		return EXIT_CANNOT_RUN;
	}
	clock_gettime(CLOCK_REALTIME, &started);
	runtime = make_runtime_dir();
	if (runtime)
		setenv("UDRM_TMPDIR", runtime, 1);

	/* Signals stay blocked until run_child is known, so that one sent
	 * right after the fork is forwarded rather than lost. */
	sigemptyset(&forwarded);
	for (i = 0;
	     i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		sigaddset(&forwarded, forwarded_signals[i]);
	sigprocmask(SIG_BLOCK, &forwarded, &old_mask);
	install_forwarding();
	/* The server's threads are made with the signals blocked: they stay
	 * with this thread, which forwards them. */
	if (run.mode == RUN_SERVER) {
		if (host_start(&host, preload)) {
			sigprocmask(SIG_SETMASK, &old_mask, NULL);
			remove_runtime(runtime);
			return EXIT_CANNOT_RUN;
		}
		setenv("UDRM_SERVER", host.path, 1);
	}
	pid = fork();
	if (pid < 0) {
		perror("udrm: fork");
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		host_stop(&host);
		remove_runtime(runtime);
		return EXIT_CANNOT_RUN;
	}
	if (pid == 0) {
		reset_forwarding();
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		execvp(argv[first], &argv[first]);
		fprintf(stderr, "udrm: cannot run %s: %s\n", argv[first],
			strerror(errno));
		_exit(EXIT_CANNOT_RUN);
	}
	run_child = pid;
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("udrm: waitpid");
			status = EXIT_CANNOT_RUN << 8;
			break;
		}
	}
	run_child = 0;
	/* The program has gone; its descendants lose the devices. */
	host_stop(&host);
	remove_runtime(runtime);
	if (run.capture && !capture_written(getenv("UDRM_CAPTURE"), &started))
		fprintf(stderr,
			"udrm: --capture: %s showed no frame, %s not written\n",
			argv[first], run.capture);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* udrm serve: the devices for "udrm run --connect", until SIGINT/SIGTERM. */
static int cmd_serve(int argc, char **argv)
{
	const char *config = NULL, *preload;
	struct host host = {0};
	char *runtime;
	sigset_t stop, old_mask;
	int first, sig;

	first = parse_options(argc, argv, 2, &config, false, NULL);
	if (first < 0)
		return EXIT_USAGE;
	if (!use_config(config))
		return EXIT_USAGE;
	preload = find_preload();
	unsetenv("UDRM_SERVER");
	unsetenv("UDRM_CAPTURE");
	unsetenv("UDRM_CAPTURE_EVERY");
	runtime = make_runtime_dir();
	if (!runtime) {
		perror("udrm: serve: a runtime directory");
		return EXIT_CANNOT_RUN;
	}
	setenv("UDRM_TMPDIR", runtime, 1);
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, &old_mask);
	if (host_start(&host, preload)) {
		remove_runtime(runtime);
		return EXIT_CANNOT_RUN;
	}
	printf("%s\n", host.path);
	fflush(stdout);
	fprintf(stderr,
		"udrm: serving on %s; run programs with "
		"\"udrm run --connect %s -- PROGRAM\"\n",
		host.path, host.path);
	while (sigwait(&stop, &sig))
		;
	host_stop(&host);
	remove_runtime(runtime);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return 0;
}

/* What "udrm info" says about the mode of the process running it. */
static void print_mode(void)
{
	const char *server = getenv("UDRM_SERVER");

	if (server && server[0])
		printf("mode: server (devices shared by every process, served "
		       "at %s%s)\n",
		       server, server_reachable(server) ? "" : ", not reachable");
	else if (getenv("UDRM_TMPDIR"))
		printf("mode: in-process (each process has devices of its "
		       "own)\n");
	else
		printf("mode: none (not under \"udrm run\"; the devices below "
		       "are what it would make)\n");
}

/* DRM_IOCTL_VERSION through the embedding API, as a program would see it. */
static int device_version(struct udrm_device *dev, char *out, size_t len)
{
	enum udrm_node_type type = UDRM_NODE_PRIMARY;
	struct drm_version v;
	struct udrm_file *file;
	char date[64] = "";
	int ret;

	if (udrm_device_minor(dev, type) < 0)
		type = UDRM_NODE_RENDER;
	ret = udrm_file_open(dev, type, O_RDWR, &file);
	if (ret)
		return ret;
	memset(&v, 0, sizeof(v));
	v.date = date;
	v.date_len = sizeof(date) - 1;
	ret = udrm_file_ioctl(file, DRM_IOCTL_VERSION, &v);
	udrm_file_close(file);
	if (ret < 0)
		return ret;
	if (v.date_len >= sizeof(date))
		v.date_len = sizeof(date) - 1;
	date[v.date_len] = '\0';
	snprintf(out, len, "%d.%d.%d (%s)", v.version_major, v.version_minor,
		 v.version_patchlevel, date);
	return 0;
}

static void print_node(struct udrm_device *dev, enum udrm_node_type type,
		       bool *first)
{
	int minor = udrm_device_minor(dev, type);
	char name[32];

	if (minor < 0)
		return;
	udrm_node_name(type, minor, name, sizeof(name));
	printf("%s%s (%d:%d)", *first ? "" : ", ", name, UDRM_DRM_MAJOR, minor);
	*first = false;
}

static int cmd_info(int argc, char **argv)
{
	const char *config = NULL;
	struct udrm_config *cfg;
	size_t i, n;
	int first, ret, status = 0;

	first = parse_options(argc, argv, 2, &config, false, NULL);
	if (first < 0)
		return EXIT_USAGE;
	config = config_path(config);
	cfg = load_config(config);
	if (!cfg)
		return EXIT_USAGE;
	print_mode();
	printf("configuration: %s\n", config ? config : "(default)");
	n = udrm_config_device_count(cfg);
	for (i = 0; i < n; i++) {
		const struct udrm_device_desc *desc =
			udrm_config_device(cfg, i);
		struct udrm_device *dev;
		char version[128];
		bool none = true;

		ret = udrm_device_create(desc, &dev);
		if (ret) {
			printf("device %zu: %s: cannot create: %s\n", i,
			       desc->driver, strerror(-ret));
			status = 1;
			continue;
		}
		printf("device %zu: %s\n", i, udrm_device_driver_name(dev));
		printf("  description: %s\n", udrm_device_driver_desc(dev));
		ret = device_version(dev, version, sizeof(version));
		printf("  version: %s\n", ret ? strerror(-ret) : version);
		printf("  nodes: ");
		print_node(dev, UDRM_NODE_PRIMARY, &none);
		print_node(dev, UDRM_NODE_RENDER, &none);
		printf("%s\n", none ? "none" : "");
		printf("  bus id: %s\n", udrm_device_unique(dev));
		printf("  privileged: %s\n",
		       (desc->flags & UDRM_DEVICE_PRIVILEGED) ? "yes" : "no");
		if (desc->options && desc->options[0]) {
			const char *p = desc->options;

			printf("  options:");
			while (*p) {
				size_t len = strcspn(p, "\n");

				printf(" %.*s", (int)len, p);
				p += len;
				if (*p)
					p++;
			}
			printf("\n");
		}
		udrm_device_destroy(dev);
	}
	udrm_config_free(cfg);
	return status;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc, argv);
	if (!strcmp(cmd, "info"))
		return cmd_info(argc, argv);
	if (!strcmp(cmd, "serve"))
		return cmd_serve(argc, argv);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") ||
	    !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "udrm: unknown command %s\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
