/*
 * ocrd.c -- main(): text read off the screen (issue #19).
 *
 * The target's picture is content a hostile target controls and Tesseract
 * is a large C++ library, so recognition runs here, in a process of its
 * own with no network and a bound on its memory (RLIMIT_AS, and the
 * unit's MemoryMax), not in capd.  Options (one struct, defaults in its
 * initializer), the address-space limit, the reader (reader.h), the HTTP
 * routes (routes.c over spec.c), then the loop until SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "config.h"
#include "daemon.h"
#include "error.h"
#include "log.h"
#include "reader.h"
#include "routes.h"

struct ocrd_options {
	char *capd_socket;
	char *tessdata;
	long long timeout_ms;
	long long snapshot_timeout_ms;
	long long memory_max_mib;
};

static struct ocrd_options opts = {
    .capd_socket = "/run/kaputtkvm/capd.sock",
    .timeout_ms = 10000,
    .snapshot_timeout_ms = 5000,
    .memory_max_mib = 1024,
};

static const struct config_option options[] = {
    {"capd-socket", 0, CONFIG_STRING, &opts.capd_socket, 0, 0, "PATH",
	"capd's socket, where the frames come from (default "
	"/run/kaputtkvm/capd.sock)",
	NULL},
    {"tessdata", 0, CONFIG_STRING, &opts.tessdata, 0, 0, "DIR",
	"Tesseract's language data (default Tesseract's own)", NULL},
    {"timeout-ms", 0, CONFIG_INT, &opts.timeout_ms, 1, 600000, "MS",
	"deadline of Tesseract's part of one recognition (default 10000)",
	NULL},
    {"snapshot-timeout-ms", 0, CONFIG_INT, &opts.snapshot_timeout_ms, 100,
	60000, "MS", "wait for capd's frame (default 5000)", NULL},
    {"memory-max", 0, CONFIG_INT, &opts.memory_max_mib, 0, 1 << 20, "MIB",
	"address space the process may have (RLIMIT_AS), 0 no limit "
	"(default 1024)",
	NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct config_spec spec = {
    "ocrd", "text read off the screen with Tesseract", options, NULL, NULL};

/* Built with AddressSanitizer, whose shadow memory is terabytes of
 * address space: no RLIMIT_AS can hold it (the test build only). */
#if defined(__SANITIZE_ADDRESS__)
#define OCRD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OCRD_ASAN 1
#endif
#endif

/* RLIMIT_AS: Tesseract's allocations fail (and ocrd ends, restarted by
 * systemd) rather than take the device's memory. */
static int
ocrd_limit_memory(long long mib)
{
	struct rlimit rl;

	if (mib == 0)
		return 0;
#ifdef OCRD_ASAN
	log_info("built with AddressSanitizer: no RLIMIT_AS of %lld MiB", mib);
	return 0;
#endif
	rl.rlim_cur = rl.rlim_max = (rlim_t)mib << 20;
	if (setrlimit(RLIMIT_AS, &rl) < 0)
		return error_set(
		    -errno, "RLIMIT_AS of %lld MiB: %s", mib, strerror(errno));
	return 0;
}

/* Options, the limit, the reader, the routes, then the loop. */
int
main(int argc, char **argv)
{
	struct config_common common = {0};
	struct http_server_config hc = {0};
	struct reader_config rc_ = {0};
	struct routes_ctx ctx = {0};
	struct http_route *routes = NULL;
	struct daemon *d = NULL;
	int r, rc = 1;

	log_init("ocrd");
	signal(SIGPIPE, SIG_IGN);
	if ((r = config_load(&spec, &common, argc, argv)) != 0)
		return r > 0 ? 0 : 1;
	rc_.capd_socket = opts.capd_socket;
	rc_.datapath = opts.tessdata;
	rc_.ocr_timeout_ms = (int)opts.timeout_ms;
	rc_.snapshot_timeout_ms = (int)opts.snapshot_timeout_ms;
	if (common.check_config) {
		printf("ocrd: configuration OK\n");
		rc = 0;
		goto out;
	}
	routes = api_http_routes(routes_table);
	if (ocrd_limit_memory(opts.memory_max_mib) < 0 ||
	    daemon_start(&spec, &common, &hc, routes, &ctx, &d) < 0 ||
	    reader_new(daemon_base(d), &rc_, &ctx.reader) < 0) {
		log_warnx("%s", error_get());
		goto out;
	}
	log_info("frames from %s", rc_.capd_socket);
	daemon_ready(d);
	daemon_run(d);
	rc = 0;
out:
	reader_free(ctx.reader);
	daemon_free(d);
	free(routes);
	config_free(&spec, &common);
	return rc;
}
