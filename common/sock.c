/*
 * sock.c -- UNIX stream sockets: listen safely, take sockets from systemd,
 * connect with a timeout.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "sock.h"

/* Fills a sockaddr_un for path. */
int
sock_addr(const char *path, struct sockaddr_un *sun, size_t *ret_len)
{
	size_t len = strlen(path);

	if (len == 0)
		return error_set(-EINVAL, "the socket path is empty");
	if (len >= sizeof(sun->sun_path))
		return error_set(-ENAMETOOLONG,
		    "the socket path \"%.40s...\" is %zu bytes long; a UNIX socket path can have at most %zu: choose a shorter one",
		    path, len, sizeof(sun->sun_path) - 1);
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len + 1);
	*ret_len = offsetof(struct sockaddr_un, sun_path) + len + 1;
	return 0;
}

/* Whether something accepts connections on the socket at sun. */
static int
sock_is_live(const struct sockaddr_un *sun, size_t len)
{
	int fd, live;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	live = connect(fd, (const struct sockaddr *)sun, (socklen_t)len) == 0 ||
	    errno == EAGAIN;
	close(fd);
	return live;
}

/* Listens on a UNIX socket at cfg->path. */
int
sock_listen(const struct sock_listen_config *cfg, int *ret_fd)
{
	struct sockaddr_un sun;
	struct stat st;
	struct group *gr = NULL;
	size_t len;
	mode_t old;
	int fd = -1, r;

	if ((r = sock_addr(cfg->path, &sun, &len)) < 0)
		return r;
	if (cfg->group != NULL && (gr = getgrnam(cfg->group)) == NULL)
		return error_set(-EINVAL,
		    "there is no group \"%s\" for the socket: create it or change --socket-group",
		    cfg->group);
	if (lstat(cfg->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return error_set(-EEXIST,
			    "%s exists and is not a socket: remove it or choose another --socket",
			    cfg->path);
		if (sock_is_live(&sun, len))
			return error_set(-EADDRINUSE,
			    "another process listens on %s already: stop it first",
			    cfg->path);
		if (unlink(cfg->path) == -1 && errno != ENOENT)
			return error_set(-errno,
			    "cannot remove the stale socket %s: %s", cfg->path,
			    strerror(errno));
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return error_set(-errno, "socket: %s", strerror(errno));
	/* no moment with wider permissions than asked */
	old = umask(0777 & ~cfg->mode);
	r = bind(fd, (struct sockaddr *)&sun, (socklen_t)len);
	umask(old);
	if (r == -1) {
		r = error_set(-errno, "cannot create the socket %s: %s",
		    cfg->path, strerror(errno));
		goto fail;
	}
	if (chmod(cfg->path, cfg->mode) == -1 ||
	    (gr != NULL && chown(cfg->path, (uid_t)-1, gr->gr_gid) == -1)) {
		r = error_set(-errno, "cannot set the owner or mode of %s: %s",
		    cfg->path, strerror(errno));
		unlink(cfg->path);
		goto fail;
	}
	if (listen(fd, 128) == -1) {
		r = error_set(
		    -errno, "listen on %s: %s", cfg->path, strerror(errno));
		unlink(cfg->path);
		goto fail;
	}
	*ret_fd = fd;
	return 0;
fail:
	close(fd);
	return r;
}

/* Sockets passed by systemd's socket activation. */
int
sock_activation_fds(int *ret_first_fd)
{
	const char *pid_s = getenv("LISTEN_PID");
	const char *fds_s = getenv("LISTEN_FDS");
	char *end;
	long pid, n, i;
	int flags;

	if (pid_s == NULL || fds_s == NULL)
		return 0;
	errno = 0;
	pid = strtol(pid_s, &end, 10);
	if (*end != '\0' || errno != 0 || pid != (long)getpid())
		return 0;
	n = strtol(fds_s, &end, 10);
	if (*end != '\0' || errno != 0 || n <= 0 || n > 64)
		return error_set(-EINVAL, "bad LISTEN_FDS \"%s\"", fds_s);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	for (i = 0; i < n; i++) {
		int fd = 3 + (int)i;

		if ((flags = fcntl(fd, F_GETFL)) == -1)
			return error_set(-EBADF,
			    "LISTEN_FDS says %ld, but fd %d is not open", n,
			    fd);
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	*ret_first_fd = 3;
	return (int)n;
}

/* Connects to a UNIX socket within timeout_ms; the fd is non-blocking. */
int
sock_connect(const char *path, int timeout_ms, int *ret_fd)
{
	struct sockaddr_un sun;
	struct pollfd pfd;
	socklen_t elen = sizeof(int);
	size_t len;
	int fd, r, err = 0;

	if ((r = sock_addr(path, &sun, &len)) < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return error_set(-errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, (socklen_t)len) == 0)
		goto done;
	if (errno != EAGAIN && errno != EINPROGRESS) {
		r = -errno;
		error_set(r, "cannot connect to %s: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	/* a full backlog: wait for room (Linux reports it as EAGAIN) */
	pfd.fd = fd;
	pfd.events = POLLOUT;
	r = poll(&pfd, 1, timeout_ms);
	if (r == 0 ||
	    (r > 0 &&
		(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1 ||
		    err != 0))) {
		close(fd);
		if (r == 0)
			return error_set(-ETIMEDOUT,
			    "%s did not accept within %d ms", path, timeout_ms);
		return error_set(
		    -err, "cannot connect to %s: %s", path, strerror(err));
	}
	if (r < 0 ||
	    connect(fd, (struct sockaddr *)&sun, (socklen_t)len) == -1) {
		if (errno != EISCONN) {
			r = -errno;
			close(fd);
			return error_set(
			    r, "cannot connect to %s: %s", path, strerror(-r));
		}
	}
done:
	*ret_fd = fd;
	return 0;
}
