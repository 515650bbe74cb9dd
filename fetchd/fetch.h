/*
 * fetch.h -- images fetched from http(s) URLs into mediad's store.
 *
 * fetchd has the network and no store; mediad has the store and no
 * network.  A fetch is libcurl (the multi interface, on fetchd's libevent
 * loop: nothing blocks) downloading the URL, and a streamed
 * PUT /images/NAME on mediad's socket carrying the bytes as they come.
 * mediad does what it does for any upload: refuses up front what cannot fit
 * (the Content-Length is the server's), hashes on the way, names the file
 * only when every byte is in and, with ?sha256=, only when it matches.  A
 * fetch that fails or is cancelled closes that connection early, so mediad
 * drops the unnamed file: nothing is left behind.
 *
 * A dropped connection is resumed with Range from the byte it stopped at
 * (the server must answer 206 at that offset, with the same total) while
 * the upload to mediad stays open; a server that outpaces mediad is paused
 * (CURL_WRITEFUNC_PAUSE) until mediad's socket drains.
 */
#ifndef FETCHD_FETCH_H
#define FETCHD_FETCH_H

#include <jansson.h>

struct event_base;
struct fetcher;

struct fetch_config {
	const char *mediad_socket;
	const char *ca_file; /* NULL: the system's CAs */
	long max_redirects;
	long connect_timeout; /* seconds */
	long stall_timeout;   /* seconds without a byte */
	long retries;	      /* resumes after a dropped connection */
	long retry_delay_ms;
};

int fetcher_new(
    struct event_base *, const struct fetch_config *, struct fetcher **ret);
void fetcher_free(struct fetcher *); /* cancels what runs; NULL is fine */

/* Start fetching url into the store as name.  sha256: NULL or 64 hex
 * digits.  -EINVAL for a bad URL, name or sha256, -EBUSY when a fetch of
 * name runs, -EAGAIN when too many run; error_set() says which. */
int fetcher_start(struct fetcher *, const char *url, const char *name,
    const char *sha256, int overwrite);
/* Cancel the running fetch of name: -ENOENT when none runs. */
int fetcher_cancel(struct fetcher *, const char *name);
/* {"fetches": [...]}: running ones and the last finished. */
json_t *fetcher_state(struct fetcher *);

/*
 * The URL rules, pure (fuzzed): an absolute http:// or https:// URL with a
 * host, parsed by libcurl's URL parser.  *ret_shown (free()) is the URL
 * without user name and password, for /state and logs.  0, or -EINVAL
 * with error_set() saying what is wrong.
 */
int fetch_url_check(const char *url, char **ret_shown);

/* "bytes FIRST-LAST/TOTAL" of a 206 reply: 0, or -EINVAL.  Pure, fuzzed. */
int fetch_content_range(const char *value, long long *ret_first,
    long long *ret_last, long long *ret_total);

#endif
