/*
 * mediactl.c -- the command-line tool for mediad's socket.
 *
 *	mediactl [--socket PATH] [--json] COMMAND ...
 *	  list | state | upload FILE [NAME] [--overwrite] | delete NAME
 *	  mount NAME [--flash] [--rw] [--force] [--lun N] | eject [--force]
 *	  download NAME [FILE]
 *
 * Exit 0 on success, 1 on an error reply (its message is printed), 2 when
 * the daemon cannot be reached.  upload streams the file from disk (never
 * whole in memory), hashing it on the way, and checks the daemon's SHA-256
 * against its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "client.h"
#include "error.h"
#include "xmalloc.h"

#define MEDIACTL_TIMEOUT_MS 30000
#define MEDIACTL_CHUNK	    (1024 * 1024)

static const char *sock_path = "/run/kaputtkvm/mediad.sock";
static int json_out;

/* Usage on stderr; exit 2 (a usage error is not an error reply). */
static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
	    "usage: mediactl [--socket PATH] [--json] COMMAND\n"
	    "  list                          images in the store\n"
	    "  state                         mounts, store, uploads\n"
	    "  upload FILE [NAME] [--overwrite]\n"
	    "                                stream FILE into the store\n"
	    "  delete NAME                   delete an image\n"
	    "  mount NAME [--flash] [--rw] [--force] [--lun N]\n"
	    "                                mount as CD (default) or flash\n"
	    "  eject [--force] [--lun N]     remove the medium\n"
	    "  download NAME [FILE]          copy an image out of the store\n");
	exit(2);
}

/* Percent-encode a name for a URL path. */
static char *
mediactl_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(strlen(s) * 3 + 1), *o = out;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL)
			*o++ = (char)c;
		else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

/* Print an error reply's message; returns the exit code. */
static int
mediactl_error(int status, json_t *reply, const char *body)
{
	json_t *msg =
	    json_object_get(json_object_get(reply, "error"), "message");

	if (json_is_string(msg))
		fprintf(stderr, "mediactl: %s\n", json_string_value(msg));
	else
		fprintf(stderr, "mediactl: HTTP %d: %.200s\n", status,
		    body ? body : "");
	return 1;
}

/* Print the raw reply for --json. */
static void
mediactl_print_json(json_t *reply)
{
	char *s = json_dumps(reply, JSON_INDENT(2));

	printf("%s\n", s ? s : "null");
	free(s);
}

/* One JSON request; *ret_result borrows from *ret_reply on success. */
static int
mediactl_call(const char *method, const char *target, json_t *body,
    struct client_reply *rep, json_t **ret_result)
{
	int r;

	r = client_call(
	    sock_path, method, target, body, MEDIACTL_TIMEOUT_MS, rep);
	json_decref(body);
	if (r < 0) {
		fprintf(stderr, "mediactl: cannot reach mediad at %s: %s\n",
		    sock_path, error_get() ? error_get() : strerror(-r));
		return 2;
	}
	if (json_out && rep->json != NULL)
		mediactl_print_json(rep->json);
	if (rep->status != 200 ||
	    !json_is_true(json_object_get(rep->json, "ok")))
		return json_out
		    ? 1
		    : mediactl_error(rep->status, rep->json, rep->body);
	*ret_result = json_object_get(rep->json, "result");
	return 0;
}

/* A byte count for people. */
static const char *
mediactl_size(uint64_t n, char *buf, size_t len)
{
	if (n >= (1ULL << 30))
		snprintf(buf, len, "%.2f GiB", n / 1073741824.0);
	else if (n >= (1ULL << 20))
		snprintf(buf, len, "%.1f MiB", n / 1048576.0);
	else
		snprintf(buf, len, "%" PRIu64 " B", n);
	return buf;
}

/* mediactl list */
static int
cmd_list(void)
{
	struct client_reply rep = {0};
	json_t *res, *img;
	char sz[32], tm[32];
	time_t t;
	size_t i;
	int rc;

	if ((rc = mediactl_call("GET", "/images", NULL, &rep, &res)) != 0 ||
	    json_out)
		goto out;
	json_array_foreach(json_object_get(res, "images"), i, img)
	{
		t = (time_t)json_integer_value(json_object_get(img, "mtime"));
		strftime(tm, sizeof(tm), "%Y-%m-%d %H:%M", localtime(&t));
		printf("%-40s %12s  %s%s%s\n",
		    json_string_value(json_object_get(img, "name")),
		    mediactl_size((uint64_t)json_integer_value(
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
out:
	client_reply_free(&rep);
	return rc;
}

/* mediactl state */
static int
cmd_state(void)
{
	struct client_reply rep = {0};
	json_t *res, *st, *l, *u, *v;
	char a[32], b[32];
	size_t i;
	int rc;

	if ((rc = mediactl_call("GET", "/state", NULL, &rep, &res)) != 0 ||
	    json_out)
		goto out;
	st = json_object_get(res, "store");
	printf("store %s: %s free of %s, %lld images\n",
	    json_string_value(json_object_get(st, "path")),
	    mediactl_size(
		(uint64_t)json_integer_value(json_object_get(st, "free_bytes")),
		a, sizeof(a)),
	    mediactl_size((uint64_t)json_integer_value(
			      json_object_get(st, "total_bytes")),
		b, sizeof(b)),
	    (long long)json_integer_value(json_object_get(st, "images")));
	json_array_foreach(json_object_get(res, "luns"), i, l)
	{
		printf("LUN %zu: ", i);
		if (json_is_true(json_object_get(l, "mounted"))) {
			v = json_object_get(l, "image");
			printf("%s as %s, %s",
			    json_is_string(v)
				? json_string_value(v)
				: json_string_value(json_object_get(l, "file")),
			    json_is_true(json_object_get(l, "cdrom")) ? "CD"
								      : "flash",
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
	json_array_foreach(json_object_get(res, "uploads"), i, u)
	    printf("uploading %s: %.1f%%\n",
		json_string_value(json_object_get(u, "name")),
		json_real_value(json_object_get(u, "percent")));
out:
	client_reply_free(&rep);
	return rc;
}

/* mediactl delete NAME */
static int
cmd_delete(const char *name)
{
	struct client_reply rep = {0};
	json_t *res;
	char *enc = mediactl_encode(name), *target;
	int rc;

	xasprintf(&target, "/images/%s", enc);
	if ((rc = mediactl_call("DELETE", target, NULL, &rep, &res)) == 0 &&
	    !json_out)
		printf("deleted %s\n", name);
	client_reply_free(&rep);
	free(target);
	free(enc);
	return rc;
}

/* mediactl mount / eject */
static int
cmd_mount(const char *name, int flash, int rw, int force, long lun)
{
	struct client_reply rep = {0};
	json_t *res, *body;
	int rc;

	if (name != NULL)
		body = json_pack("{s:s, s:b, s:b, s:b, s:i}", "image", name,
		    "cdrom", !flash, "readonly", !rw, "force", force, "lun",
		    (int)lun);
	else
		body = json_pack("{s:b, s:i}", "force", force, "lun", (int)lun);
	rc =
	    mediactl_call("POST", name ? "/mount" : "/eject", body, &rep, &res);
	if (rc == 0 && !json_out) {
		if (name != NULL)
			printf("LUN %ld: %s mounted as %s, %s\n", lun, name,
			    flash ? "flash drive" : "CD",
			    rw ? "read-write" : "read-only");
		else
			printf("LUN %ld: ejected\n", lun);
	}
	client_reply_free(&rep);
	return rc;
}

/* Connect to the daemon's socket. */
static int
mediactl_connect(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(sock_path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Send all of buf. */
static int
mediactl_send(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Read what the daemon answered into *buf (until close, or a whole interim
 * "100 Continue" when want_continue); 0, or -ETIMEDOUT.
 */
static int
mediactl_read(
    int fd, char **buf, size_t *len, int want_continue, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	size_t cap = *len + 65536;
	ssize_t n;
	char *end;

	*buf = xreallocarray(*buf, cap + 1, 1);
	for (;;) {
		if (want_continue &&
		    (end = memmem(*buf, *len, "\r\n\r\n", 4)) != NULL)
			return 0;
		if (poll(&pfd, 1, timeout_ms) == 0)
			return -ETIMEDOUT;
		if ((n = read(fd, *buf + *len, cap - *len)) <= 0)
			break;
		*len += (size_t)n;
		(*buf)[*len] = '\0';
		if (*len == cap) {
			if (cap > (1 << 20))
				break;
			cap *= 2;
			*buf = xreallocarray(*buf, cap + 1, 1);
		}
	}
	(*buf)[*len] = '\0';
	return 0;
}

/* Parse "HTTP/1.1 NNN ..." and the body after the head. */
static int
mediactl_parse(const char *buf, int *ret_status, json_t **ret_json)
{
	const char *body;

	if (strncmp(buf, "HTTP/1.", 7) != 0 || strlen(buf) < 12)
		return -EPROTO;
	*ret_status = atoi(buf + 9);
	body = strstr(buf, "\r\n\r\n");
	*ret_json = body ? json_loads(body + 4, 0, NULL) : NULL;
	return 0;
}

/* mediactl upload FILE [NAME] */
static int
cmd_upload(const char *file, const char *name, int overwrite)
{
	unsigned char md[32];
	unsigned int mdlen = 0, i;
	char hex[65], *enc = NULL, *head = NULL, *buf = NULL;
	char *reply = NULL, *path = NULL, a[32];
	EVP_MD_CTX *ctx = NULL;
	struct stat st;
	struct timespec t0, t1;
	uint64_t sent = 0;
	size_t rlen = 0;
	ssize_t n;
	json_t *js = NULL, *res;
	double secs;
	int fd = -1, sfd = -1, status = 0, r, rc = 1;
	int tty = isatty(2);

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "mediactl: %s: %s\n", file,
		    fd == -1 ? strerror(errno) : "not a regular file");
		goto out;
	}
	if (name == NULL) {
		path = xstrdup(file);
		name = basename(path);
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if ((sfd = mediactl_connect()) < 0) {
		fprintf(stderr, "mediactl: cannot reach mediad at %s: %s\n",
		    sock_path, strerror(-sfd));
		rc = 2;
		goto out;
	}
	enc = mediactl_encode(name);
	xasprintf(&head,
	    "PUT /images/%s%s HTTP/1.1\r\nHost: localhost\r\n"
	    "User-Agent: mediactl\r\nConnection: close\r\nX-KaputtKVM: 1\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Length: %lld\r\nExpect: 100-continue\r\n\r\n",
	    enc, overwrite ? "?overwrite=1" : "", (long long)st.st_size);
	if ((r = mediactl_send(sfd, head, strlen(head))) < 0 ||
	    (r = mediactl_read(sfd, &reply, &rlen, 1, MEDIACTL_TIMEOUT_MS)) <
		0) {
		fprintf(stderr, "mediactl: %s: %s\n", sock_path, strerror(-r));
		rc = 2;
		goto out;
	}
	if (strncmp(reply, "HTTP/1.1 100", 12) != 0)
		goto answer; /* refused before the body */
	rlen = 0;
	ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	buf = xmalloc(MEDIACTL_CHUNK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sent < (uint64_t)st.st_size) {
		if ((n = read(fd, buf, MEDIACTL_CHUNK)) <= 0) {
			fprintf(stderr, "mediactl: %s: %s\n", file,
			    n ? strerror(errno) : "shrank while uploading");
			goto out;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		if ((r = mediactl_send(sfd, buf, (size_t)n)) < 0)
			break; /* refused midway: read why */
		sent += (uint64_t)n;
		if (tty &&
		    (sent % (64 << 20) < (uint64_t)n ||
			sent == (uint64_t)st.st_size))
			fprintf(stderr, "\r%s: %5.1f%%", name,
			    100.0 * sent / st.st_size);
	}
	if (tty)
		fprintf(stderr, "\n");
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
	shutdown(sfd, SHUT_WR);
	mediactl_read(sfd, &reply, &rlen, 0, 600000);
answer:
	if (mediactl_parse(reply, &status, &js) < 0) {
		fprintf(stderr, "mediactl: the reply is not HTTP\n");
		goto out;
	}
	if (json_out && js != NULL)
		mediactl_print_json(js);
	if (status != 200 || !json_is_true(json_object_get(js, "ok"))) {
		rc = json_out ? 1 : mediactl_error(status, js, reply);
		goto out;
	}
	res = json_object_get(js, "result");
	if (sent != (uint64_t)st.st_size ||
	    strcmp(hex,
		json_string_value(json_object_get(res, "sha256")) ?: "") != 0) {
		fprintf(stderr,
		    "mediactl: SHA-256 mismatch: sent %s, mediad "
		    "stored %s\n",
		    hex, json_string_value(json_object_get(res, "sha256")));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (!json_out)
		printf("stored %s: %s in %.1f s (%.1f MiB/s), sha256 %s\n",
		    name, mediactl_size(sent, a, sizeof(a)), secs,
		    secs > 0 ? sent / 1048576.0 / secs : 0.0, hex);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (sfd >= 0)
		close(sfd);
	EVP_MD_CTX_free(ctx);
	json_decref(js);
	free(buf);
	free(reply);
	free(head);
	free(enc);
	free(path);
	return rc;
}

/* mediactl download NAME [FILE]: stream an image into FILE (default NAME). */
static int
cmd_download(const char *name, const char *file)
{
	char *enc = mediactl_encode(name), *head = NULL, *buf = NULL, *end;
	char *tmp = NULL, a[32];
	long long want = -1;
	uint64_t got = 0;
	size_t len = 0;
	ssize_t n;
	json_t *js = NULL;
	int sfd, fd = -1, status, r, rc = 1;

	if (file == NULL)
		file = name;
	if ((sfd = mediactl_connect()) < 0) {
		fprintf(stderr, "mediactl: cannot reach mediad at %s: %s\n",
		    sock_path, strerror(-sfd));
		free(enc);
		return 2;
	}
	xasprintf(&head,
	    "GET /images/%s HTTP/1.1\r\nHost: localhost\r\n"
	    "User-Agent: mediactl\r\nConnection: close\r\n\r\n",
	    enc);
	buf = xmalloc(MEDIACTL_CHUNK);
	if ((r = mediactl_send(sfd, head, strlen(head))) < 0) {
		fprintf(stderr, "mediactl: %s: %s\n", sock_path, strerror(-r));
		rc = 2;
		goto out;
	}
	/* The head first; whatever follows it is body. */
	while ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL) {
		if (len == MEDIACTL_CHUNK ||
		    (n = read(sfd, buf + len, MEDIACTL_CHUNK - len)) <= 0) {
			fprintf(stderr, "mediactl: no reply from mediad\n");
			goto out;
		}
		len += (size_t)n;
	}
	*end = '\0';
	if (strncmp(buf, "HTTP/1.", 7) != 0 || strlen(buf) < 12) {
		fprintf(stderr, "mediactl: the reply is not HTTP\n");
		goto out;
	}
	status = atoi(buf + 9);
	if (status != 200) {
		memmove(buf, end + 4, len - (size_t)(end + 4 - buf));
		len -= (size_t)(end + 4 - buf);
		buf[len < MEDIACTL_CHUNK ? len : MEDIACTL_CHUNK - 1] = '\0';
		js = json_loads(buf, 0, NULL);
		rc = mediactl_error(status, js, buf);
		goto out;
	}
	if ((end - buf) > 0) {
		char *cl = strcasestr(buf, "\r\nContent-Length:");

		if (cl != NULL)
			want = strtoll(cl + 17, NULL, 10);
	}
	/* Into a temporary file first: a broken download leaves no FILE. */
	xasprintf(&tmp, "%s.part", file);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) ==
	    -1) {
		fprintf(stderr, "mediactl: %s: %s\n", tmp, strerror(errno));
		goto out;
	}
	n = (ssize_t)(len - (size_t)(end + 4 - buf));
	memmove(buf, end + 4, (size_t)n);
	do {
		if (n > 0 && write(fd, buf, (size_t)n) != n) {
			fprintf(
			    stderr, "mediactl: %s: %s\n", tmp, strerror(errno));
			goto out;
		}
		got += (uint64_t)(n > 0 ? n : 0);
	} while ((n = read(sfd, buf, MEDIACTL_CHUNK)) > 0);
	if (n < 0 || (want >= 0 && got != (uint64_t)want)) {
		fprintf(stderr,
		    "mediactl: the download of %s broke off after "
		    "%" PRIu64 " bytes\n",
		    name, got);
		goto out;
	}
	if (fsync(fd) == -1 || close(fd) == -1 || rename(tmp, file) == -1) {
		fd = -1;
		fprintf(stderr, "mediactl: %s: %s\n", file, strerror(errno));
		goto out;
	}
	fd = -1;
	if (!json_out)
		printf("downloaded %s to %s (%s)\n", name, file,
		    mediactl_size(got, a, sizeof(a)));
	rc = 0;
out:
	if (fd != -1) {
		close(fd);
		unlink(tmp);
	}
	close(sfd);
	json_decref(js);
	free(tmp);
	free(buf);
	free(head);
	free(enc);
	return rc;
}

/* Global options, then a command and its own options. */
int
main(int argc, char **argv)
{
	static const struct option gopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const struct option copts[] = {
	    {"overwrite", no_argument, NULL, 'o'},
	    {"flash", no_argument, NULL, 'f'},
	    {"rw", no_argument, NULL, 'w'},
	    {"force", no_argument, NULL, 'F'},
	    {"lun", required_argument, NULL, 'l'},
	    {NULL, 0, NULL, 0},
	};
	const char *cmd;
	char *end;
	long lun = 0;
	int c, overwrite = 0, flash = 0, rw = 0, force = 0;

	while ((c = getopt_long(argc, argv, "+s:jh", gopts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock_path = optarg;
			break;
		case 'j':
			json_out = 1;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", copts, NULL)) != -1) {
		switch (c) {
		case 'o':
			overwrite = 1;
			break;
		case 'f':
			flash = 1;
			break;
		case 'w':
			rw = 1;
			break;
		case 'F':
			force = 1;
			break;
		case 'l':
			lun = strtol(optarg, &end, 10);
			if (*end != '\0' || lun < 0 || lun > 63)
				usage();
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "list") == 0 && argc == 0)
		return cmd_list();
	if (strcmp(cmd, "state") == 0 && argc == 0)
		return cmd_state();
	if (strcmp(cmd, "upload") == 0 && (argc == 1 || argc == 2))
		return cmd_upload(
		    argv[0], argc == 2 ? argv[1] : NULL, overwrite);
	if (strcmp(cmd, "delete") == 0 && argc == 1)
		return cmd_delete(argv[0]);
	if (strcmp(cmd, "mount") == 0 && argc == 1)
		return cmd_mount(argv[0], flash, rw, force, lun);
	if (strcmp(cmd, "download") == 0 && (argc == 1 || argc == 2))
		return cmd_download(argv[0], argc == 2 ? argv[1] : NULL);
	if (strcmp(cmd, "eject") == 0 && argc == 0)
		return cmd_mount(NULL, 0, 0, force, lun);
	usage();
}
