/*
 * fetchd.c -- main(): images fetched from http(s) URLs into mediad's store.
 *
 * mediad keeps the store and no network; fetchd has the network and no
 * store: it downloads with libcurl and hands the bytes to mediad's
 * streamed upload on mediad's socket (fetch.h says how).  Options (one
 * struct, defaults in its initializer), the fetcher, the HTTP routes
 * (routes.c over spec.c), then the loop until SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "daemon.h"
#include "error.h"
#include "fetch.h"
#include "log.h"
#include "routes.h"

/*
 * A resume must be under way before mediad drops the silent upload (its
 * timeout, 60 s by default): libcurl notices a stall some 5 s late, so
 * about stall-timeout + 5 + retry delay + connect-timeout, 46 s with the
 * defaults.
 */
struct fetchd_options {
	char *mediad_socket;
	char *ca_file;
	long long max_redirects;
	long long connect_timeout;
	long long stall_timeout;
	long long retries;
	long long retry_delay_ms;
};

static struct fetchd_options opts = {
    .mediad_socket = "/run/kaputtkvm/mediad.sock",
    .max_redirects = 5,
    .connect_timeout = 20,
    .stall_timeout = 20,
    .retries = 5,
    .retry_delay_ms = 1000,
};

static const struct config_option options[] = {
    {"mediad-socket", 0, CONFIG_STRING, &opts.mediad_socket, 0, 0, "PATH",
	"mediad's socket, where the images go (default "
	"/run/kaputtkvm/mediad.sock)",
	NULL},
    {"ca-file", 0, CONFIG_STRING, &opts.ca_file, 0, 0, "FILE",
	"PEM file of the CAs to trust for https (default the system's)", NULL},
    {"max-redirects", 0, CONFIG_INT, &opts.max_redirects, 0, 50, "N",
	"redirects followed (default 5)", NULL},
    {"connect-timeout", 0, CONFIG_INT, &opts.connect_timeout, 1, 600, "SEC",
	"seconds to connect (default 20)", NULL},
    {"stall-timeout", 0, CONFIG_INT, &opts.stall_timeout, 1, 3600, "SEC",
	"seconds a server may send nothing before the connection counts as "
	"dropped (default 20)",
	NULL},
    {"retries", 0, CONFIG_INT, &opts.retries, 0, 100, "N",
	"resumes (with Range) after a dropped connection (default 5)", NULL},
    {"retry-delay-ms", 0, CONFIG_INT, &opts.retry_delay_ms, 0, 60000, "MS",
	"wait before a resume (default 1000)", NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};

static const struct config_spec spec = {"fetchd",
    "images fetched from http(s) URLs into mediad's store", options, NULL,
    NULL};

static void
fetchd_config(struct fetch_config *fc)
{
	fc->mediad_socket = opts.mediad_socket;
	fc->ca_file = opts.ca_file;
	fc->max_redirects = opts.max_redirects;
	fc->connect_timeout = opts.connect_timeout;
	fc->stall_timeout = opts.stall_timeout;
	fc->retries = opts.retries;
	fc->retry_delay_ms = opts.retry_delay_ms;
}

/* Options, the fetcher, the routes, then the loop until SIGTERM. */
int
main(int argc, char **argv)
{
	struct config_common common = {0};
	struct http_server_config hc = {0};
	struct fetch_config fc = {0};
	struct routes_ctx ctx = {0};
	struct http_route *routes = NULL;
	struct daemon *d = NULL;
	int r, rc = 1;

	log_init("fetchd");
	signal(SIGPIPE, SIG_IGN);
	if ((r = config_load(&spec, &common, argc, argv)) != 0)
		return r > 0 ? 0 : 1;
	fetchd_config(&fc);
	if (common.check_config) {
		printf("fetchd: configuration OK\n");
		rc = 0;
		goto out;
	}
	routes = api_http_routes(routes_table);
	if ((r = daemon_start(&spec, &common, &hc, routes, &ctx, &d)) < 0) {
		log_warnx("%s", error_get());
		goto out;
	}
	if ((r = fetcher_new(daemon_base(d), &fc, &ctx.fetcher)) < 0) {
		log_warnx("%s", error_get());
		goto out;
	}
	log_info("images go to %s", fc.mediad_socket);
	daemon_ready(d);
	daemon_run(d);
	rc = 0;
out:
	fetcher_free(ctx.fetcher); /* drops running fetches: mediad keeps
				      nothing of them */
	daemon_free(d);
	free(routes);
	config_free(&spec, &common);
	return rc;
}
