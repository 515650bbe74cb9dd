/*
 * lun.c -- the mass-storage LUN: mount, eject, read back.
 *
 * The kernel's rules (see docs/hardware.md): `ro` and `cdrom` change only while
 * no medium is present; writing `file` fails with EBUSY while the target has
 * locked the door (SCSI PREVENT MEDIUM REMOVAL, e.g. /dev/sr0 open) and a
 * medium is present; `forced_eject` (Linux 6.1+) removes it regardless.
 * Attribute files are opened O_NONBLOCK | O_NOFOLLOW relative to the LUN
 * directory: a FIFO stand-in without a reader fails instead of blocking the
 * loop, and a symlink is never followed.  A gadget rebuilt underneath us
 * (kaputtkvm-gadget teardown + setup) removes the directory we hold and
 * makes a new one at the same path: lun_reresolve() notices (device and
 * inode) and opens the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "error.h"
#include "lun.h"
#include "xmalloc.h"

#define LUN_CONFIGFS_MAGIC 0x62656570
#define LUN_ETOOSMALL	   525 /* the kernel's own "file too small" */

struct lun {
	const struct lun_ops *ops;
	void *arg;
	char *name;
	int dirfd; /* directory backend, else -1 */
	dev_t dir_dev;
	ino_t dir_ino;
	int configfs;
	int locked; /* -1 unknown */
};

/* Write an attribute file of the directory backend. */
static int
lun_dir_write(void *arg, const char *attr, const char *value)
{
	struct lun *lun = arg;
	char *buf;
	ssize_t n;
	size_t len;
	int fd, flags, r = 0;

	/* configfs ignores truncation; the stand-in needs it. */
	flags = O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC |
	    (lun->configfs ? 0 : O_TRUNC);
	if ((fd = openat(lun->dirfd, attr, flags)) == -1)
		return -errno;
	len = xasprintf(&buf, "%s\n", value);
	if ((n = write(fd, buf, len)) == -1)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	free(buf);
	if (close(fd) == -1 && r == 0)
		r = -errno;
	return r;
}

/* Read an attribute file of the directory backend. */
static int
lun_dir_read(void *arg, const char *attr, char *buf, size_t len)
{
	struct lun *lun = arg;
	ssize_t n;
	int fd, r = 0;

	if ((fd = openat(lun->dirfd, attr,
		 O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -errno;
	if ((n = read(fd, buf, len - 1)) == -1) {
		r = -errno;
		buf[0] = '\0';
	} else {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
	}
	close(fd);
	return r;
}

/* Whether an attribute exists in the directory backend. */
static int
lun_dir_exists(void *arg, const char *attr)
{
	struct lun *lun = arg;
	struct stat st;

	return fstatat(lun->dirfd, attr, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static const struct lun_ops lun_dir_ops = {
    lun_dir_write,
    lun_dir_read,
    lun_dir_exists,
};

/* The common part of both constructors. */
static struct lun *
lun_new(const struct lun_ops *ops, void *arg, const char *name)
{
	struct lun *lun;

	lun = xcalloc(1, sizeof(*lun));
	lun->ops = ops;
	lun->arg = arg;
	lun->name = xstrdup(name);
	lun->dirfd = -1;
	lun->locked = -1;
	return lun;
}

/* Open the LUN directory at lun->name into lun->dirfd; it must hold
 * `file`, `ro` and `cdrom`. */
static int
lun_dir_open(struct lun *lun)
{
	static const char *const need[] = {"file", "ro", "cdrom"};
	struct statfs sfs;
	struct stat st;
	size_t i;

	if ((lun->dirfd =
		    open(lun->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return error_set(-errno, "cannot open the LUN directory %s: %s",
		    lun->name, strerror(errno));
	lun->configfs = fstatfs(lun->dirfd, &sfs) == 0 &&
	    (unsigned long)sfs.f_type == LUN_CONFIGFS_MAGIC;
	if (fstat(lun->dirfd, &st) == 0) {
		lun->dir_dev = st.st_dev;
		lun->dir_ino = st.st_ino;
	}
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!lun_dir_exists(lun, need[i]))
			return error_set(-ENOENT,
			    "%s has no '%s': give the lun.N directory of a mass_storage function",
			    lun->name, need[i]);
	return 0;
}

/* Open a LUN directory; it must hold `file`, `ro` and `cdrom`. */
int
lun_open(const char *dir, struct lun **ret_lun)
{
	struct lun *lun;
	int r;

	lun = lun_new(&lun_dir_ops, NULL, dir);
	lun->arg = lun;
	if ((r = lun_dir_open(lun)) < 0) {
		lun_close(lun);
		return r;
	}
	*ret_lun = lun;
	return 0;
}

/* 1 when the path now names another directory than the one held and that
 * one is a LUN (then held instead), 0 when it is the same (or gone, or not
 * a LUN yet: a gadget being set up), never blocking: configfs and the
 * stand-in are in memory. */
int
lun_reresolve(struct lun *lun)
{
	struct stat st;
	dev_t olddev = lun->dir_dev;
	ino_t oldino = lun->dir_ino;
	int oldfd = lun->dirfd, oldconfigfs = lun->configfs;

	if (lun->ops != &lun_dir_ops)
		return 0;
	if (stat(lun->name, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    (st.st_dev == lun->dir_dev && st.st_ino == lun->dir_ino))
		return 0;
	if (lun_dir_open(lun) < 0) {
		if (lun->dirfd != -1)
			close(lun->dirfd);
		lun->dirfd = oldfd;
		lun->dir_dev = olddev;
		lun->dir_ino = oldino;
		lun->configfs = oldconfigfs;
		error_clear();
		return 0;
	}
	close(oldfd);
	lun->locked = -1;
	return 1;
}

/* A LUN on a caller's attribute backend. */
int
lun_open_ops(const struct lun_ops *ops, void *arg, const char *name,
    struct lun **ret_lun)
{
	*ret_lun = lun_new(ops, arg, name);
	return 0;
}

/* Close the directory; the gadget keeps its medium. */
void
lun_close(struct lun *lun)
{
	if (lun == NULL)
		return;
	if (lun->dirfd != -1)
		close(lun->dirfd);
	free(lun->name);
	free(lun);
}

/* The LUN's directory, for messages and /state. */
const char *
lun_name(const struct lun *lun)
{
	return lun->name;
}

/* Whether this is the real configfs LUN rather than a stand-in. */
int
lun_is_configfs(const struct lun *lun)
{
	return lun->configfs;
}

/* Remove the medium, forcing it out when asked and the door is locked. */
static int
lun_remove(struct lun *lun, int force)
{
	int r;

	if ((r = lun->ops->write(lun->arg, "file", "")) == 0) {
		lun->locked = 0;
		return 0;
	}
	if (r != -EBUSY)
		return error_set(r, "cannot remove the medium from %s: %s",
		    lun->name, strerror(-r));
	lun->locked = 1;
	if (!force)
		return error_set(-EBUSY,
		    "locked by the target: it keeps the drive's door closed (a program has the drive open); eject it on the target, or eject with force");
	if (!lun->ops->exists(lun->arg, "forced_eject"))
		return error_set(-EBUSY,
		    "locked by the target, and this kernel has no forced_eject (Linux 6.1 and later have it): eject the medium on the target");
	if ((r = lun->ops->write(lun->arg, "forced_eject", "1")) < 0)
		return error_set(r, "forced eject failed: %s", strerror(-r));
	lun->locked = 0;
	return 0;
}

/* Read a 0/1 attribute. */
static int
lun_read_bool(struct lun *lun, const char *attr, int *ret)
{
	char buf[16];
	int r;

	if ((r = lun->ops->read(lun->arg, attr, buf, sizeof(buf))) < 0)
		return r;
	*ret = buf[0] == '1' || buf[0] == 'Y' || buf[0] == 'y';
	return 0;
}

/* Read back the current medium and modes. */
int
lun_status(struct lun *lun, struct lun_status *ret)
{
	struct lun_status st;
	int r;

	memset(&st, 0, sizeof(st));
	if ((r = lun->ops->read(lun->arg, "file", st.file, sizeof(st.file))) <
		0 ||
	    (r = lun_read_bool(lun, "ro", &st.ro)) < 0 ||
	    (r = lun_read_bool(lun, "cdrom", &st.cdrom)) < 0)
		return error_set(
		    r, "cannot read the LUN %s: %s", lun->name, strerror(-r));
	st.forced_eject = lun->ops->exists(lun->arg, "forced_eject");
	st.locked = lun->locked;
	*ret = st;
	return 0;
}

/* Set cdrom then ro; only valid without a medium. */
static int
lun_set_modes(struct lun *lun, int cdrom, int ro)
{
	int r;

	if ((r = lun->ops->write(lun->arg, "cdrom", cdrom ? "1" : "0")) < 0)
		return error_set(r, "cannot set cdrom=%d on %s: %s", cdrom,
		    lun->name, strerror(-r));
	if ((r = lun->ops->write(lun->arg, "ro", ro ? "1" : "0")) < 0)
		return error_set(r, "cannot set ro=%d on %s: %s", ro, lun->name,
		    strerror(-r));
	return 0;
}

/* Swap the medium in the order the kernel needs. */
int
lun_mount(struct lun *lun, const char *path, int cdrom, int ro, int force)
{
	struct lun_status old;
	int r;

	if (cdrom && !ro)
		return error_set(-EINVAL,
		    "CD mode is read-only: mount with readonly true, or as a flash drive (cdrom false) to let the target write");
	if (path == NULL || path[0] == '\0' || strchr(path, '\n') != NULL)
		return error_set(-EINVAL, "no image path to mount");
	if ((r = lun_status(lun, &old)) < 0)
		return r;
	if ((r = lun_remove(lun, force)) < 0)
		return r;
	if ((r = lun_set_modes(lun, cdrom, ro)) < 0)
		goto restore;
	if ((r = lun->ops->write(lun->arg, "file", path)) < 0) {
		if (r == -LUN_ETOOSMALL)
			r = error_set(-EINVAL,
			    "the gadget refused %s: the image is too small (a CD needs at least %d bytes)",
			    path, LUN_CD_MIN_BYTES);
		else
			r = error_set(r, "the gadget could not open %s: %s",
			    path, strerror(-r));
		goto restore;
	}
	return 0;
restore:
	/* Put the previous medium back, quietly: the error says why. */
	if (lun->ops->write(lun->arg, "cdrom", old.cdrom ? "1" : "0") == 0 &&
	    lun->ops->write(lun->arg, "ro", old.ro ? "1" : "0") == 0 &&
	    old.file[0] != '\0')
		lun->ops->write(lun->arg, "file", old.file);
	return r;
}

/* Remove the medium. */
int
lun_eject(struct lun *lun, int force)
{
	return lun_remove(lun, force);
}
