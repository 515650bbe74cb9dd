/*
 * test_lun.c -- the order of LUN attribute writes, and the door lock.
 *
 * First against a fake that plays the kernel's rules (ro/cdrom refuse with
 * EBUSY while a medium is in; `file` refuses with EBUSY while the target has
 * locked the door; forced_eject removes it anyway), logging every write.
 * Then against a real directory, with the order of writes observed through
 * inotify (one queue, in the order the kernel saw the closes).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "lun.h"
#include "tap.h"

struct fake {
	char file[4096];
	int ro, cdrom;
	int locked; /* the target's PREVENT MEDIUM REMOVAL */
	int has_forced_eject;
	int refuse_open; /* the next non-empty `file` fails ENOENT */
	char log[4096];
};

static int
fake_write(void *arg, const char *attr, const char *value)
{
	struct fake *f = arg;
	size_t n = strlen(f->log);

	snprintf(f->log + n, sizeof(f->log) - n, "%s=%s;", attr, value);
	if (strcmp(attr, "file") == 0) {
		if (f->locked && f->file[0] != '\0')
			return -EBUSY;
		if (value[0] != '\0' && f->refuse_open) {
			f->refuse_open = 0;
			return -ENOENT;
		}
		snprintf(f->file, sizeof(f->file), "%s", value);
		return 0;
	}
	if (strcmp(attr, "ro") == 0 || strcmp(attr, "cdrom") == 0) {
		if (f->file[0] != '\0')
			return -EBUSY;
		*(attr[0] == 'r' ? &f->ro : &f->cdrom) = value[0] == '1';
		return 0;
	}
	if (strcmp(attr, "forced_eject") == 0) {
		if (!f->has_forced_eject)
			return -ENOENT;
		f->file[0] = '\0';
		f->locked = 0;
		return 0;
	}
	return -ENOENT;
}

static int
fake_read(void *arg, const char *attr, char *buf, size_t len)
{
	struct fake *f = arg;

	if (strcmp(attr, "file") == 0)
		snprintf(buf, len, "%s", f->file);
	else if (strcmp(attr, "ro") == 0)
		snprintf(buf, len, "%d", f->ro);
	else if (strcmp(attr, "cdrom") == 0)
		snprintf(buf, len, "%d", f->cdrom);
	else
		return -ENOENT;
	return 0;
}

static int
fake_exists(void *arg, const char *attr)
{
	struct fake *f = arg;

	if (strcmp(attr, "forced_eject") == 0)
		return f->has_forced_eject;
	return 1;
}

static const struct lun_ops fake_ops = {fake_write, fake_read, fake_exists};

static void
test_fake(void)
{
	struct fake f;
	struct lun *lun;
	struct lun_status st;

	memset(&f, 0, sizeof(f));
	f.has_forced_eject = 1;
	lun_open_ops(&fake_ops, &f, "fake", &lun);

	is_int(lun_mount(lun, "/img/a.iso", 1, 1, 0), 0, "mount as CD");
	is_str(f.log, "file=;cdrom=1;ro=1;file=/img/a.iso;",
	    "remove, cdrom, ro, file");
	is_str(f.file, "/img/a.iso", "medium in");

	f.log[0] = '\0';
	is_int(lun_mount(lun, "/img/b.img", 0, 0, 0), 0, "swap to flash rw");
	is_str(f.log, "file=;cdrom=0;ro=0;file=/img/b.img;",
	    "the swap removes first, then modes, then file");
	ok(!f.ro && !f.cdrom, "flash read-write");

	f.log[0] = '\0';
	is_int(lun_mount(lun, "/img/a.iso", 1, 0, 0), -EINVAL,
	    "CD mode read-write is refused");
	is_str(f.log, "", "nothing written");
	ok(strstr(error_get(), "read-only") != NULL, "says: %s", error_get());

	f.locked = 1;
	f.log[0] = '\0';
	is_int(lun_eject(lun, 0), -EBUSY, "eject while locked: EBUSY");
	ok(strstr(error_get(), "locked by the target") != NULL, "says: %s",
	    error_get());
	is_str(f.file, "/img/b.img", "medium still in");
	lun_status(lun, &st);
	is_int(st.locked, 1, "status: locked by the target");
	ok(st.forced_eject, "status: forced_eject available");

	f.log[0] = '\0';
	is_int(lun_mount(lun, "/img/a.iso", 1, 1, 0), -EBUSY,
	    "mount while locked without force: EBUSY");
	is_str(f.log, "file=;", "only the removal was tried");
	is_str(f.file, "/img/b.img", "old medium untouched");

	f.log[0] = '\0';
	is_int(lun_mount(lun, "/img/a.iso", 1, 1, 1), 0,
	    "forced mount while locked");
	is_str(f.log, "file=;forced_eject=1;cdrom=1;ro=1;file=/img/a.iso;",
	    "plain removal, forced_eject, modes, file");
	lun_status(lun, &st);
	is_int(st.locked, 0, "no longer locked");

	f.locked = 1;
	f.has_forced_eject = 0;
	f.log[0] = '\0';
	is_int(lun_eject(lun, 1), -EBUSY, "forced eject without forced_eject");
	ok(strstr(error_get(), "forced_eject") != NULL, "says: %s",
	    error_get());
	is_str(f.log, "file=;", "nothing else written");

	f.locked = 0;
	f.has_forced_eject = 1;
	f.log[0] = '\0';
	f.refuse_open = 1;
	is_int(lun_mount(lun, "/img/gone.img", 0, 0, 0), -ENOENT,
	    "gadget cannot open the image");
	ok(strstr(error_get(), "/img/gone.img") != NULL, "says: %s",
	    error_get());
	is_str(f.log,
	    "file=;cdrom=0;ro=0;file=/img/gone.img;cdrom=1;ro=1;"
	    "file=/img/a.iso;",
	    "the old medium and modes are put back");
	is_str(f.file, "/img/a.iso", "old medium in again");
	ok(f.cdrom && f.ro, "old modes again");

	f.log[0] = '\0';
	is_int(lun_eject(lun, 0), 0, "plain eject");
	is_str(f.log, "file=;", "one empty write");
	is_str(f.file, "", "no medium");
	lun_close(lun);
}

/* Write a file in dir. */
static void
put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs(text, fp);
	fclose(fp);
}

/* Read a file of dir into buf. */
static const char *
get(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "r")) == NULL)
		return "(missing)";
	n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* The names of IN_CLOSE_WRITE events queued so far, joined by ','. */
static void
events(int ifd, char *out, size_t outlen)
{
	char buf[8192]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	struct inotify_event *ev;
	ssize_t n;
	char *p;
	size_t o = 0;

	out[0] = '\0';
	while ((n = read(ifd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (struct inotify_event *)p;
			if (ev->len > 0 && o < outlen)
				o += snprintf(out + o, outlen - o, "%s%s",
				    o ? "," : "", ev->name);
		}
	}
}

static void
test_dir(void)
{
	char dir[] = "/tmp/test-lun-XXXXXX", buf[256];
	char order[512], path[PATH_MAX];
	struct lun *lun = NULL;
	struct lun_status st;
	int ifd;

	if (mkdtemp(dir) == NULL)
		abort();
	put(dir, "ro", "0\n");
	is_int(lun_open(dir, &lun), -ENOENT,
	    "a directory without file/cdrom "
	    "is refused");
	ok(strstr(error_get(), "lun.N") != NULL, "says: %s", error_get());
	put(dir, "file", "\n");
	put(dir, "cdrom", "0\n");
	is_int(lun_open(dir, &lun), 0, "LUN directory opens");
	ok(!lun_is_configfs(lun), "it is the stand-in, not configfs");

	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ok(ifd >= 0 && inotify_add_watch(ifd, dir, IN_CLOSE_WRITE) >= 0,
	    "inotify watch");
	is_int(lun_mount(lun, "/srv/images/debian.iso", 1, 1, 0), 0,
	    "mount as CD");
	events(ifd, order, sizeof(order));
	is_str(order, "file,cdrom,ro,file", "write order seen by inotify");
	is_str(get(dir, "file", buf, sizeof(buf)), "/srv/images/debian.iso\n",
	    "file holds the path");
	is_str(get(dir, "cdrom", buf, sizeof(buf)), "1\n", "cdrom=1");
	is_str(get(dir, "ro", buf, sizeof(buf)), "1\n", "ro=1");
	is_int(lun_status(lun, &st), 0, "status");
	is_str(st.file, "/srv/images/debian.iso", "status: file");
	ok(st.cdrom && st.ro, "status: cdrom, ro");
	ok(!st.forced_eject, "status: no forced_eject here");

	is_int(lun_mount(lun, "/srv/images/disk.img", 0, 0, 0), 0,
	    "swap to flash read-write");
	events(ifd, order, sizeof(order));
	is_str(order, "file,cdrom,ro,file", "same order on a swap");
	is_str(get(dir, "ro", buf, sizeof(buf)), "0\n", "ro=0");
	is_int(lun_eject(lun, 0), 0, "eject");
	events(ifd, order, sizeof(order));
	is_str(order, "file", "eject writes file only");
	is_str(get(dir, "file", buf, sizeof(buf)), "\n",
	    "file is empty (truncated in the stand-in)");

	/* Symlinked attributes are not followed. */
	snprintf(path, sizeof(path), "%s/ro", dir);
	unlink(path);
	if (symlink("/dev/null", path) != 0)
		abort();
	is_int(lun_mount(lun, "/srv/images/x.iso", 1, 1, 0), -ELOOP,
	    "a symlinked attribute is refused");
	is_int(lun_status(lun, &st) < 0, 1, "status cannot read it either");
	unlink(path);

	/* A FIFO stand-in without a reader fails instead of blocking. */
	put(dir, "ro", "0\n");
	snprintf(path, sizeof(path), "%s/file", dir);
	unlink(path);
	if (mkfifo(path, 0600) != 0)
		abort();
	is_int(lun_eject(lun, 0), -ENXIO, "FIFO without reader: ENXIO");

	lun_close(lun);
	close(ifd);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		diag("could not remove %s", dir);
}

int
main(void)
{
	test_fake();
	test_dir();
	return tap_done();
}
