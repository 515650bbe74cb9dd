/*
 * mediactl.c -- mediad from a shell: list, state, upload, download,
 * delete, mount, eject; and fetchd's fetch, fetches, fetch-cancel (images
 * from a URL, over fetchd's socket: --fetchd-socket).
 *
 * The commands over mediad's API description (spec.c); common/tool.c does
 * the options, arguments, --help, the call, --json and the exit status
 * (docs/tools.md).  upload streams the file from disk through
 * client_call_stream() (never whole in memory), hashing it on the way, and
 * checks the daemon's SHA-256 against its own; download streams into
 * FILE.part and renames it when whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "../fetchd/spec.h"
#include "error.h"
#include "spec.h"
#include "tool.h"
#include "xmalloc.h"

/* GET /images as text. */
static void
print_list(const struct tool_call *c, json_t *res)
{
	json_t *img;
	char sz[32], tm[32];
	time_t t;
	size_t i;

	json_array_foreach(json_object_get(res, "images"), i, img)
	{
		t = (time_t)json_integer_value(json_object_get(img, "mtime"));
		strftime(tm, sizeof(tm), "%Y-%m-%d %H:%M", localtime(&t));
		printf("%-40s %12s  %s%s%s\n",
		    json_string_value(json_object_get(img, "name")),
		    tool_size((uint64_t)json_integer_value(
				  json_object_get(img, "size")),
			sz, sizeof(sz)),
		    json_is_null(json_object_get(img, "mtime")) ? "" : tm,
		    json_is_true(json_object_get(img, "mounted")) ? "  mounted"
								  : "",
		    json_is_true(json_object_get(img, "uploading"))
			? "  uploading"
			: "");
	}
	if (i == 0)
		printf("(no images)\n");
}

/* One drive of GET /state as a line. */
static void
print_lun(size_t i, json_t *l)
{
	json_t *v;

	printf("LUN %zu: ", i);
	if (json_is_true(json_object_get(l, "mounted"))) {
		v = json_object_get(l, "image");
		printf("%s as %s, %s",
		    json_is_string(v)
			? json_string_value(v)
			: json_string_value(json_object_get(l, "file")),
		    json_is_true(json_object_get(l, "cdrom")) ? "CD" : "flash",
		    json_is_true(json_object_get(l, "readonly"))
			? "read-only"
			: "read-write");
	} else
		printf("no medium");
	if (json_is_true(json_object_get(l, "locked_by_target")))
		printf(", locked by the target");
	printf("\n");
	if (json_is_string(v = json_object_get(l, "problem")))
		printf("  problem: %s\n", json_string_value(v));
}

/* GET /state as text. */
static void
print_state(const struct tool_call *c, json_t *res)
{
	json_t *st, *l, *u;
	char a[32], b[32];
	size_t i;

	st = json_object_get(res, "store");
	printf("store %s: %s free of %s, %lld images\n",
	    json_string_value(json_object_get(st, "path")),
	    tool_size(
		(uint64_t)json_integer_value(json_object_get(st, "free_bytes")),
		a, sizeof(a)),
	    tool_size((uint64_t)json_integer_value(
			  json_object_get(st, "total_bytes")),
		b, sizeof(b)),
	    (long long)json_integer_value(json_object_get(st, "images")));
	json_array_foreach(json_object_get(res, "luns"), i, l) print_lun(i, l);
	json_array_foreach(json_object_get(res, "uploads"), i, u)
	    printf("uploading %s: %.1f%%\n",
		json_string_value(json_object_get(u, "name")),
		json_real_value(json_object_get(u, "percent")));
}

/* DELETE /images/NAME */
static void
print_delete(const struct tool_call *c, json_t *res)
{
	printf("deleted %s\n", c->text[0]);
}

/* POST /mount */
static void
print_mount(const struct tool_call *c, json_t *res)
{
	printf("LUN %lld: %s mounted as %s, %s\n",
	    apispec_int(c->args, "lun", 0),
	    apispec_string(c->args, "image", ""),
	    apispec_bool(c->args, "cdrom", 1) ? "CD" : "flash drive",
	    apispec_bool(c->args, "readonly", 1) ? "read-only" : "read-write");
}

/* POST /eject */
static void
print_eject(const struct tool_call *c, json_t *res)
{
	printf("LUN %lld: ejected\n", apispec_int(c->args, "lun", 0));
}

/* An upload's hash and progress line, fed chunk by chunk. */
struct upload {
	EVP_MD_CTX *md;
	const char *name;
	unsigned long long size, sent;
	int tty;
};

/* Each chunk as it is sent. */
static void
upload_chunk(const void *buf, size_t len, void *arg)
{
	struct upload *u = arg;

	EVP_DigestUpdate(u->md, buf, len);
	u->sent += len;
	if (u->tty && (u->sent % (64 << 20) < len || u->sent == u->size))
		fprintf(stderr, "\r%s: %5.1f%%", u->name,
		    100.0 * u->sent / u->size);
}

/* The daemon's answer to an upload, against what was sent. */
static int
upload_check(struct tool_call *c, struct upload *u, json_t *res,
    const struct timespec *t0)
{
	const char *theirs = json_string_value(json_object_get(res, "sha256"));
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	struct timespec t1;
	char hex[2 * EVP_MAX_MD_SIZE + 1] = "", a[32];
	double secs;

	EVP_DigestFinal_ex(u->md, md, &mdlen);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (u->sent != u->size || theirs == NULL || strcmp(hex, theirs) != 0)
		return tool_fail(c,
		    "SHA-256 mismatch: sent %s, mediad stored %s", hex,
		    theirs ? theirs : "nothing");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
	if (!c->json)
		printf("stored %s: %s in %.1f s (%.1f MiB/s), sha256 %s\n",
		    u->name, tool_size(u->sent, a, sizeof(a)), secs,
		    secs > 0 ? u->sent / 1048576.0 / secs : 0.0, hex);
	return TOOL_EXIT_OK;
}

/* mediactl upload FILE [NAME]: PUT /images/NAME from FILE. */
static int
run_upload(struct tool_call *c)
{
	struct upload u = {.tty = isatty(2)};
	struct client_stream st = {.reply_fd = -1,
	    .sent_cb = upload_chunk,
	    .arg = &u,
	    .reply_timeout_ms = 600000};
	struct client_reply rep = {0};
	struct timespec t0;
	struct stat sb;
	json_t *res = NULL;
	char *copy = xstrdup(c->text[0]), *target;
	int r;

	if ((st.body_fd = open(c->text[0], O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(st.body_fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		r = tool_fail(c, "%s: %s", c->text[0],
		    st.body_fd == -1 ? strerror(errno) : "not a regular file");
		goto out;
	}
	posix_fadvise(st.body_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	u.name = c->text[1] ? c->text[1] : basename(copy);
	u.size = st.body_len = (unsigned long long)sb.st_size;
	u.md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(u.md, EVP_sha256(), NULL);
	target = tool_target(c, u.name);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = client_call_stream(
	    c->socket, "PUT", target, &st, c->timeout_ms, &rep);
	free(target);
	if (u.tty && u.sent > 0)
		fputc('\n', stderr);
	if (r < 0 && st.local_error)
		r = tool_fail(c, "%s: %s", c->text[0], error_get());
	else if ((r = tool_reply(c, r, &rep, &res)) == TOOL_EXIT_OK) {
		u.sent = st.sent; /* what the daemon took, not what was read */
		r = upload_check(c, &u, res, &t0);
	}
	EVP_MD_CTX_free(u.md);
	client_reply_free(&rep);
out:
	if (st.body_fd != -1)
		close(st.body_fd);
	free(copy);
	return r;
}

/* mediactl download NAME [FILE]: GET /images/NAME into FILE (or NAME). */
static int
run_download(struct tool_call *c)
{
	const char *file = c->text[1] ? c->text[1] : c->text[0];
	char *target = tool_target(c, c->text[0]), a[32];
	uint64_t n = 0;
	int r;

	r = tool_download(c, target, file, &n);
	if (r == TOOL_EXIT_OK && !c->json && strcmp(file, "-") != 0)
		printf("downloaded %s to %s (%s)\n", c->text[0], file,
		    tool_size(n, a, sizeof(a)));
	free(target);
	return r;
}

/* One fetch of fetchd's GET /state, as a line ending in end. */
static void
print_fetch(FILE *f, json_t *fe, int end)
{
	json_t *len = json_object_get(fe, "length");
	json_t *err = json_object_get(fe, "error");
	char a[32], b[32];

	fprintf(f, "%s %s: %s", json_string_value(json_object_get(fe, "name")),
	    json_string_value(json_object_get(fe, "state")),
	    tool_size(
		(uint64_t)json_integer_value(json_object_get(fe, "received")),
		a, sizeof(a)));
	if (json_is_integer(len))
		fprintf(f, " of %s (%.1f%%)",
		    tool_size((uint64_t)json_integer_value(len), b, sizeof(b)),
		    json_real_value(json_object_get(fe, "percent")));
	if (json_is_string(err))
		fprintf(f, ": %s", json_string_value(err));
	fputc(end, f);
}

/* fetchd's GET /state */
static void
print_fetches(const struct tool_call *c, json_t *res)
{
	json_t *fe;
	size_t i;

	json_array_foreach(json_object_get(res, "fetches"), i, fe)
	    print_fetch(stdout, fe, '\n');
}

/* fetchd's POST /cancel */
static void
print_fetch_cancel(const struct tool_call *c, json_t *res)
{
	printf("cancelled %s\n",
	    json_string_value(json_object_get(c->args, "name")));
}

/* The fetch named name in fetchd's state (borrowed), or NULL. */
static json_t *
fetch_find(json_t *state, const char *name)
{
	json_t *fe;
	size_t i;

	json_array_foreach(json_object_get(state, "fetches"), i, fe)
	{
		if (strcmp(json_string_value(json_object_get(fe, "name")),
			name) == 0)
			return fe;
	}
	return NULL;
}

/* Has the fetch ended (done, failed, cancelled)? */
static int
fetch_ended(json_t *fe)
{
	const char *st = json_string_value(json_object_get(fe, "state"));

	return st != NULL &&
	    (strcmp(st, "done") == 0 || strcmp(st, "failed") == 0 ||
		strcmp(st, "cancelled") == 0);
}

/*
 * fetchd's GET /state until the fetch named name ends; *ret_rep holds the
 * last reply and *ret_fe the fetch in it.  Gives up after --timeout
 * without progress (the fetch goes on in fetchd).  An exit status.
 */
static int
fetch_follow(struct tool_call *c, const char *name,
    struct client_reply *ret_rep, json_t **ret_fe)
{
	long long last = -1, got;
	int r, tty = isatty(STDERR_FILENO), still_ms = 0;
	json_t *res = NULL;

	for (;; client_reply_free(ret_rep), usleep(250 * 1000)) {
		r = client_call(
		    c->socket, "GET", "/state", NULL, c->timeout_ms, ret_rep);
		if (r < 0 || ret_rep->status != 200)
			return tool_reply(c, r, ret_rep, NULL);
		res = json_object_get(ret_rep->json, "result");
		if ((*ret_fe = fetch_find(res, name)) == NULL)
			return tool_fail(c, "fetchd no longer knows %s", name);
		if (fetch_ended(*ret_fe))
			break;
		got = json_integer_value(json_object_get(*ret_fe, "received"));
		still_ms = got == last ? still_ms + 250 : 0;
		last = got;
		if (still_ms >= c->timeout_ms) {
			tool_warn(c,
			    "no progress for %d s: the fetch goes on in fetchd ('%s fetches' shows it)",
			    c->timeout_ms / 1000, c->tool->name);
			return TOOL_EXIT_UNREACHABLE;
		}
		if (tty) { /* on one line, over and over */
			fputs("\r\033[K", stderr);
			print_fetch(stderr, *ret_fe, ' ');
		}
	}
	if (tty && last >= 0)
		fputs("\r\033[K", stderr);
	return TOOL_EXIT_OK;
}

/* mediactl fetch URL NAME: POST /fetch, then its progress to the end. */
static int
run_fetch(struct tool_call *c)
{
	const char *name = json_string_value(json_object_get(c->args, "name"));
	struct client_reply rep = {0};
	json_t *fe = NULL, *err;
	int r, json = c->json;

	c->json = 0; /* the answer to POST is not the result */
	r = client_call(
	    c->socket, "POST", "/fetch", c->args, c->timeout_ms, &rep);
	r = tool_reply(c, r, &rep, NULL);
	client_reply_free(&rep);
	c->json = json;
	if (r != TOOL_EXIT_OK)
		return r;
	if ((r = fetch_follow(c, name, &rep, &fe)) == TOOL_EXIT_OK) {
		if (c->json)
			tool_print_json(fe);
		else
			print_fetch(stdout, fe, '\n');
		err = json_object_get(fe, "error");
		if (strcmp(json_string_value(json_object_get(fe, "state")),
			"done") != 0) {
			tool_warn(c, "%s: %s", name,
			    json_is_string(err) ? json_string_value(err)
						: "not fetched");
			r = TOOL_EXIT_ERROR;
		}
	}
	client_reply_free(&rep);
	return r;
}

static const char *const upload_args[] = {"FILE", "NAME", NULL};
static const char *const fetch_args[] = {"url", "name", NULL};
static const char *const fetch_cancel_args[] = {"name", NULL};
static const char *const name_args[] = {"NAME", NULL};
static const char *const download_args[] = {"NAME", "FILE", NULL};
static const char *const mount_args[] = {"image", NULL};
static const struct tool_word mount_words[] = {
    {"--flash", "cdrom", "false"},
    {"--rw", "readonly", "false"},
    {NULL, NULL, NULL},
};

#define MEDIAD(r) (&mediad_api_routes[MEDIAD_API_##r])
#define FETCHD(r) (&fetchd_api_routes[FETCHD_API_##r])

static const struct tool_peer fetchd = {
    &fetchd_api, "--fetchd-socket", "/run/kaputtkvm/fetchd.sock"};
static const struct tool_peer *const peers[] = {&fetchd, NULL};

static const struct tool_cmd mediactl_cmds[] = {
    {"list", MEDIAD(LIST), .print = print_list},
    {"state", MEDIAD(STATE), .print = print_state},
    {"upload", MEDIAD(UPLOAD), upload_args, 1, .run = run_upload,
	.summary = "Stream FILE into the store as NAME (default FILE's "
		   "name)."},
    {"download", MEDIAD(DOWNLOAD), download_args, 1, .run = run_download,
	.summary = "Copy an image out of the store into FILE (default "
		   "NAME; '-': stdout)."},
    {"delete", MEDIAD(DELETE), name_args, 1, .print = print_delete},
    {"mount", MEDIAD(MOUNT), mount_args, 1, mount_words, .print = print_mount},
    {"eject", MEDIAD(EJECT), .print = print_eject},
    {"fetch", FETCHD(FETCH), fetch_args, 2, .run = run_fetch, .peer = &fetchd,
	.summary = "Have fetchd fetch URL into the store as NAME, and follow "
		   "it to the end (fetchd's socket)."},
    {"fetches", FETCHD(STATE), .print = print_fetches, .peer = &fetchd,
	.summary = "The fetches running and the last ones ended (fetchd)."},
    {"fetch-cancel", FETCHD(CANCEL), fetch_cancel_args, 1,
	.print = print_fetch_cancel, .peer = &fetchd,
	.summary = "Stop the fetch of NAME: nothing of it is kept "
		   "(fetchd)."},
    {NULL, NULL},
};

static const struct tool mediactl = {"mediactl", &mediad_api,
    "/run/kaputtkvm/mediad.sock", 30, mediactl_cmds, peers};

int
main(int argc, char **argv)
{
	return tool_main(&mediactl, argc, argv);
}
