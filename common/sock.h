/*
 * sock.h -- UNIX sockets: listen safely, take sockets from systemd, connect.
 */
#ifndef KVM_SOCK_H
#define KVM_SOCK_H

#include <stddef.h>
#include <sys/types.h>

struct sock_listen_config {
	const char *path;
	mode_t mode;	   /* 0660 */
	const char *group; /* NULL: leave the group as is */
};

/*
 * Listens on a UNIX stream socket, non-blocking and close-on-exec.  A path
 * that does not fit sun_path is -ENAMETOOLONG; a stale socket file is
 * replaced, but a socket another process still listens on is -EADDRINUSE and
 * left alone; a non-socket file at the path is -EEXIST.  Messages via
 * error_set().
 */
int sock_listen(const struct sock_listen_config *, int *ret_fd);
/*
 * Sockets passed by systemd (LISTEN_PID == getpid(), LISTEN_FDS, starting at
 * fd 3).  Returns how many (0 when not activated); unsets the variables so
 * children do not see them.  Each fd is made non-blocking and close-on-exec.
 */
int sock_activation_fds(int *ret_first_fd);
/* Blocking connect with a timeout in ms; -ENOENT/-ECONNREFUSED when no
 * daemon listens, -ETIMEDOUT. */
int sock_connect(const char *path, int timeout_ms, int *ret_fd);
/* Fill a sockaddr_un; -ENAMETOOLONG when it does not fit. */
struct sockaddr_un;
int sock_addr(const char *path, struct sockaddr_un *, size_t *ret_len);

#endif
