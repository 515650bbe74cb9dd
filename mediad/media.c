/*
 * media.c -- the rules between the image store and the LUNs, and the
 * remembered mounts.
 *
 * What is mounted is read live from the LUN (`file` holds the path of the
 * file the gadget holds; the target may eject on its own).  That path is
 * the one the file was opened through, printed from the reader's view: when
 * mediad ran in a private mount namespace (systemd's ProtectSystem= with
 * StateDirectory=) and restarted, the kernel prints it relative to the old
 * namespace's bind mount -- "/NAME" instead of store/NAME.  So an image
 * counts as mounted when the path is store/NAME, or when it is NAME below a
 * tail of the store's path and store/NAME is the very file mediad mounted
 * (the device and inode it recorded then).  What mediad mounted last, with
 * that device and inode, is remembered in the state file, written whole to
 * a temporary file, fsynced and renamed over the old one, so a crash or
 * power cut leaves either the old or the new state, never a torn one.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "lun.h"
#include "media.h"
#include "name.h"
#include "store.h"
#include "xmalloc.h"

struct media_lun {
	struct lun *lun;
	char *image; /* what mediad mounted; NULL: none */
	int cdrom, ro;
	int have_ino; /* image's device and inode when mounted are known */
	dev_t dev;
	ino_t ino;
	char *missing;	  /* remembered image gone from the store */
	char *problem;	  /* why a restore or save failed */
	int mode_changed; /* CD <-> flash since the last mount */
};

struct media {
	struct store *store;
	struct media_lun *luns;
	size_t nluns;
	char *state_path;
	int allow_large_cd;
	struct media_counters c;
};

/* Replace a malloc'ed string. */
static void
media_setstr(char **dst, const char *src)
{
	free(*dst);
	*dst = src != NULL ? xstrdup(src) : NULL;
}

/* Write the remembered mounts atomically. */
static int
media_save(struct media *m)
{
	json_t *root, *arr, *e;
	char *text = NULL, *tmp = NULL, *dirc = NULL;
	size_t i, len;
	ssize_t n;
	int fd = -1, dfd, r = 0;

	arr = json_array();
	for (i = 0; i < m->nluns; i++) {
		e = json_pack("{s:s, s:o, s:b, s:b}", "dir",
		    lun_name(m->luns[i].lun), "image",
		    m->luns[i].image ? json_string(m->luns[i].image)
				     : json_null(),
		    "cdrom", m->luns[i].cdrom, "readonly", m->luns[i].ro);
		if (m->luns[i].image != NULL && m->luns[i].have_ino) {
			json_object_set_new(
			    e, "dev", json_integer((json_int_t)m->luns[i].dev));
			json_object_set_new(
			    e, "ino", json_integer((json_int_t)m->luns[i].ino));
		}
		json_array_append_new(arr, e);
	}
	root = json_pack("{s:i, s:o}", "version", 1, "luns", arr);
	text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	len = strlen(text);
	xasprintf(&tmp, "%s.tmp", m->state_path);
	if ((fd = open(tmp,
		 O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		 0644)) == -1) {
		r = -errno;
		goto out;
	}
	if ((n = write(fd, text, len)) == -1 || (size_t)n != len ||
	    write(fd, "\n", 1) != 1) {
		r = n == -1 ? -errno : -EIO;
		goto out;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		r = -errno;
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, m->state_path) == -1) {
		r = -errno;
		goto out;
	}
	dirc = xstrdup(m->state_path);
	if ((dfd = open(dirname(dirc), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		fsync(dfd);
		close(dfd);
	}
out:
	if (fd != -1) {
		close(fd);
		unlink(tmp);
	}
	if (r < 0)
		r = error_set(r, "cannot write the state file %s: %s",
		    m->state_path, strerror(-r));
	free(text);
	free(tmp);
	free(dirc);
	return r;
}

/* Remember the mounts; a failure shows in /state of every LUN touched. */
static void
media_remember(struct media *m, struct media_lun *ml)
{
	if (media_save(m) < 0)
		media_setstr(&ml->problem, error_get());
	else
		media_setstr(&ml->problem, NULL);
}

/* The store path of name; free it. */
static char *
media_path(struct media *m, const char *name)
{
	char *p;

	xasprintf(&p, "%s/%s", store_path(m->store), name);
	return p;
}

/* Record the device and inode of what a LUN now holds. */
static void
media_set_ino(struct media_lun *ml, const struct stat *sb)
{
	ml->have_ino = 1;
	ml->dev = sb->st_dev;
	ml->ino = sb->st_ino;
}

/*
 * The image name of the path a LUN reports, or NULL when it is not one of
 * the store's (see the top of this file): store/NAME, or "/NAME" or
 * "/TAIL/NAME" with /TAIL a tail of the store's path ("/images") when
 * store/NAME has the device and inode recorded when ml mounted NAME.
 */
static const char *
media_image_of(struct media *m, const struct media_lun *ml, const char *file)
{
	const char *dir = store_path(m->store), *slash, *name;
	size_t n = strlen(dir), plen;
	struct stat sb;

	if (file[0] != '/' || (slash = strrchr(file, '/')) == NULL)
		return NULL;
	name = slash + 1;
	if (name_check(name, strlen(name)) < 0)
		return NULL;
	plen = (size_t)(slash - file);
	if (plen == n && strncmp(file, dir, n) == 0)
		return name;
	/* differently rooted: a tail of the store's path, at a '/' */
	if (plen > n || strncmp(dir + n - plen, file, plen) != 0)
		return NULL;
	if (ml->image == NULL || strcmp(ml->image, name) != 0 ||
	    !ml->have_ino || store_stat(m->store, name, &sb) < 0) {
		error_clear();
		return NULL;
	}
	return sb.st_dev == ml->dev && sb.st_ino == ml->ino ? name : NULL;
}

/* Restore one LUN's remembered mount. */
static void
media_restore_lun(
    struct media *m, struct media_lun *ml, const char *image, int cdrom, int ro)
{
	struct lun_status st;
	struct stat sb;
	const char *img;
	char *path, *msg;

	media_setstr(&ml->image, image);
	ml->cdrom = cdrom;
	ml->ro = ro;
	if (store_stat(m->store, image, &sb) < 0) {
		media_setstr(&ml->missing, image);
		xasprintf(&msg,
		    "the image '%s' mounted before the restart is "
		    "no longer in the store: mount another image",
		    image);
		free(ml->problem);
		ml->problem = msg;
		return;
	}
	if (lun_status(ml->lun, &st) == 0 &&
	    (img = media_image_of(m, ml, st.file)) != NULL &&
	    strcmp(img, image) == 0 && st.cdrom == cdrom && st.ro == ro) {
		/* the gadget kept it: leave the target alone */
		if (!ml->have_ino) {
			media_set_ino(ml, &sb);
			media_remember(m, ml);
		}
		return;
	}
	path = media_path(m, image);
	if (lun_mount(ml->lun, path, cdrom, ro, 0) < 0) {
		xasprintf(&msg, "could not restore '%s': %s", image,
		    error_get() ? error_get() : "unknown error");
		free(ml->problem);
		ml->problem = msg;
	} else {
		media_set_ino(ml, &sb);
		media_remember(m, ml);
	}
	free(path);
}

/* Read the state file and restore what it says. */
static void
media_restore(struct media *m)
{
	json_error_t jerr;
	json_t *root, *arr, *e, *img, *dev, *ino;
	const char *dir;
	size_t i, j;
	char *msg;
	int cdrom, ro;

	if (access(m->state_path, F_OK) == -1 && errno == ENOENT)
		return;
	root = json_load_file(m->state_path, 0, &jerr);
	arr = root ? json_object_get(root, "luns") : NULL;
	if (!json_is_array(arr)) {
		xasprintf(&msg,
		    "the state file %s is unreadable (%s): "
		    "nothing was restored",
		    m->state_path, root ? "no 'luns' array" : jerr.text);
		for (i = 0; i < m->nluns; i++)
			media_setstr(&m->luns[i].problem, msg);
		free(msg);
		json_decref(root);
		return;
	}
	json_array_foreach(arr, j, e)
	{
		dir = json_string_value(json_object_get(e, "dir"));
		img = json_object_get(e, "image");
		cdrom = json_is_true(json_object_get(e, "cdrom"));
		ro = json_is_true(json_object_get(e, "readonly"));
		dev = json_object_get(e, "dev");
		ino = json_object_get(e, "ino");
		if (dir == NULL || !json_is_string(img))
			continue;
		for (i = 0; i < m->nluns; i++) {
			if (strcmp(lun_name(m->luns[i].lun), dir) != 0)
				continue;
			m->luns[i].have_ino =
			    json_is_integer(dev) && json_is_integer(ino);
			m->luns[i].dev = (dev_t)json_integer_value(dev);
			m->luns[i].ino = (ino_t)json_integer_value(ino);
			media_restore_lun(
			    m, &m->luns[i], json_string_value(img), cdrom, ro);
		}
	}
	json_decref(root);
	error_clear();
}

/* Open everything and restore the remembered mounts. */
int
media_open(const struct media_config *cfg, struct media **ret_media)
{
	struct media *m;
	size_t i;
	int r;

	if (cfg->nluns == 0)
		return error_set(-EINVAL,
		    "no LUN: give --lun DIR (the mass-storage lun.0 directory in configfs)");
	m = xcalloc(1, sizeof(*m));
	m->allow_large_cd = cfg->allow_large_cd;
	if ((r = store_open(cfg->images, cfg->reserve, &m->store)) < 0)
		goto fail;
	m->luns = xcalloc(cfg->nluns, sizeof(*m->luns));
	for (i = 0; i < cfg->nluns; i++) {
		if ((r = lun_open(cfg->luns[i], &m->luns[i].lun)) < 0)
			goto fail;
		m->nluns++;
	}
	if (cfg->state_file != NULL)
		m->state_path = xstrdup(cfg->state_file);
	else
		xasprintf(&m->state_path, "%s/.mediad-state.json",
		    store_path(m->store));
	media_restore(m);
	*ret_media = m;
	return 0;
fail:
	media_close(m);
	return r;
}

/*
 * The gadget was rebuilt underneath us (kaputtkvm-gadget teardown + setup):
 * a LUN directory replaced by a new, empty one.  Hold the new one and put
 * back what mediad had mounted there, as at a start.
 */
void
media_poll(struct media *m)
{
	struct media_lun *ml;
	char *image;
	size_t i;

	for (i = 0; i < m->nluns; i++) {
		ml = &m->luns[i];
		if (lun_reresolve(ml->lun) != 1)
			continue;
		if (ml->image == NULL) {
			log_info("LUN %s was made again (gadget rebuilt)",
			    lun_name(ml->lun));
			continue;
		}
		log_info(
		    "LUN %s was made again (gadget rebuilt): mounting '%s' again",
		    lun_name(ml->lun), ml->image);
		image = xstrdup(ml->image);
		media_setstr(&ml->problem, NULL);
		media_restore_lun(m, ml, image, ml->cdrom, ml->ro);
		if (ml->problem != NULL)
			log_warnx("LUN %s: %s", lun_name(ml->lun), ml->problem);
		free(image);
	}
	error_clear();
}

/* Close; the gadget keeps its media. */
void
media_close(struct media *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nluns; i++) {
		lun_close(m->luns[i].lun);
		free(m->luns[i].image);
		free(m->luns[i].missing);
		free(m->luns[i].problem);
	}
	free(m->luns);
	store_close(m->store);
	free(m->state_path);
	free(m);
}

/* The store. */
struct store *
media_store(struct media *m)
{
	return m->store;
}

/* How many LUNs. */
size_t
media_nluns(const struct media *m)
{
	return m->nluns;
}

/* The counters. */
const struct media_counters *
media_counters(const struct media *m)
{
	return &m->c;
}

/* Check a LUN index. */
static int
media_check_lun(const struct media *m, size_t lun)
{
	if (lun >= m->nluns)
		return error_set(-EINVAL,
		    "there is no LUN %zu: this mediad has %zu (0 to %zu)", lun,
		    m->nluns, m->nluns - 1);
	return 0;
}

/* Which LUN but skip has name, and whether read-only there; -1: none. */
static int
media_find(struct media *m, const char *name, size_t skip, int *ret_ro)
{
	struct lun_status st;
	const char *img;
	size_t i;

	for (i = 0; i < m->nluns; i++) {
		if (i == skip)
			continue;
		if (lun_status(m->luns[i].lun, &st) < 0) {
			/* Unreadable: trust what mediad did last. */
			if (m->luns[i].image == NULL ||
			    strcmp(m->luns[i].image, name) != 0)
				continue;
			st.ro = m->luns[i].ro;
		} else if ((img = media_image_of(m, &m->luns[i], st.file)) ==
			NULL ||
		    strcmp(img, name) != 0)
			continue;
		if (ret_ro != NULL)
			*ret_ro = st.ro;
		return (int)i;
	}
	error_clear();
	return -1;
}

/* The LUN index name is mounted on, or -1. */
int
media_mounted(struct media *m, const char *name)
{
	return media_find(m, name, SIZE_MAX, NULL);
}

/* Mount an image of the store on a LUN. */
int
media_mount(
    struct media *m, size_t lun, const char *name, int cdrom, int ro, int force)
{
	struct lun_status st;
	struct media_lun *ml;
	struct stat sb;
	char *path;
	int r, other, other_ro = 1;

	if ((r = media_check_lun(m, lun)) < 0)
		return r;
	ml = &m->luns[lun];
	if ((r = store_stat(m->store, name, &sb)) < 0)
		return r;
	if (store_uploading(m->store, name))
		return error_set(-EBUSY,
		    "'%s' is being uploaded: mount it when the upload is complete",
		    name);
	if (cdrom && !ro)
		return error_set(-EINVAL,
		    "CD mode is read-only: mount with readonly true, or as a flash drive (cdrom false) to let the target write");
	if (cdrom && sb.st_size < LUN_CD_MIN_BYTES)
		return error_set(-EINVAL,
		    "'%s' is %lld bytes, too small for CD mode: the kernel needs at least %d (300 blocks of 2048 bytes). Pad the image, or mount it as a flash drive (cdrom false)",
		    name, (long long)sb.st_size, LUN_CD_MIN_BYTES);
	if (cdrom && (uint64_t)sb.st_size > LUN_CD_MAX_BYTES &&
	    !m->allow_large_cd)
		return error_set(-EINVAL,
		    "'%s' is %.2f GiB, too large for CD mode: a stock kernel's CD-ROM emulation handles at most %.2f GiB. Mount it as a flash drive (cdrom false), which most installers boot from, or start mediad with --allow-large-cd on a kernel patched for large CDs",
		    name, sb.st_size / 1073741824.0,
		    LUN_CD_MAX_BYTES / 1073741824.0);
	other = media_find(m, name, lun, &other_ro);
	if (other >= 0 && (!ro || !other_ro))
		return error_set(-EBUSY,
		    "'%s' is mounted on LUN %d: an image can be on two LUNs only when both are read-only",
		    name, other);
	if (lun_status(ml->lun, &st) < 0)
		st.cdrom = cdrom;
	path = media_path(m, name);
	r = lun_mount(ml->lun, path, cdrom, ro, force);
	free(path);
	if (r < 0) {
		if (r == -EBUSY)
			m->c.refused_locked++;
		return r;
	}
	m->c.mounts++;
	media_setstr(&ml->image, name);
	media_set_ino(ml, &sb);
	media_setstr(&ml->missing, NULL);
	ml->mode_changed = st.cdrom != cdrom;
	ml->cdrom = cdrom;
	ml->ro = ro;
	media_remember(m, ml);
	return 0;
}

/* Remove a LUN's medium. */
int
media_eject(struct media *m, size_t lun, int force)
{
	struct media_lun *ml;
	int r;

	if ((r = media_check_lun(m, lun)) < 0)
		return r;
	ml = &m->luns[lun];
	if ((r = lun_eject(ml->lun, force)) < 0) {
		if (r == -EBUSY)
			m->c.refused_locked++;
		return r;
	}
	m->c.ejects++;
	media_setstr(&ml->image, NULL);
	media_setstr(&ml->missing, NULL);
	media_remember(m, ml);
	return 0;
}

/* Delete an image unless mounted. */
int
media_delete(struct media *m, const char *name)
{
	int r, lun;

	if ((r = name_check(name, strlen(name))) < 0)
		return r;
	if ((lun = media_mounted(m, name)) >= 0)
		return error_set(-EBUSY,
		    "'%s' is mounted on LUN %d: eject it first", name, lun);
	return store_delete(m->store, name);
}

/* Start an upload unless it would replace a mounted image. */
int
media_upload_begin(struct media *m, const char *name, uint64_t length,
    int overwrite, const char *peer, struct store_upload **ret_up)
{
	int r, lun;

	if ((r = name_check(name, strlen(name))) < 0)
		return r;
	if (overwrite && (lun = media_mounted(m, name)) >= 0)
		return error_set(-EBUSY,
		    "'%s' is mounted on LUN %d: eject it before overwriting it",
		    name, lun);
	if ((r = store_upload_begin(
		 m->store, name, length, overwrite, peer, ret_up)) < 0)
		m->c.uploads_failed++;
	return r;
}

/* Finish an upload (frees it either way). */
int
media_upload_finish(struct media *m, struct store_upload *up, char *ret_sha256)
{
	uint64_t n = store_upload_received(up);
	int r;

	if ((r = store_upload_finish(up, ret_sha256)) < 0) {
		m->c.uploads_failed++;
		return r;
	}
	m->c.uploads_ok++;
	m->c.bytes_uploaded += n;
	return 0;
}

/* Abort an upload. */
void
media_upload_abort(struct media *m, struct store_upload *up)
{
	if (up == NULL)
		return;
	m->c.uploads_failed++;
	store_upload_abort(up);
}

/* Monotonic seconds. */
static double
media_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The images with their mounted/uploading flags. */
json_t *
media_list_json(struct media *m)
{
	const struct store_upload *up = NULL;
	struct store_entry *e;
	json_t *arr, *o;
	size_t n, i;
	int lun, found;

	if (store_list(m->store, &e, &n) < 0)
		return NULL;
	arr = json_array();
	for (i = 0; i < n; i++) {
		lun = media_mounted(m, e[i].name);
		o = json_pack("{s:s, s:I, s:I, s:b, s:o, s:b}", "name",
		    e[i].name, "size", (json_int_t)e[i].size, "mtime",
		    (json_int_t)e[i].mtime, "mounted", lun >= 0, "lun",
		    lun >= 0 ? json_integer(lun) : json_null(), "uploading",
		    store_uploading(m->store, e[i].name));
		json_array_append_new(arr, o);
	}
	/* New names being uploaded appear too, so a list shows progress. */
	while ((up = store_upload_next(m->store, up)) != NULL) {
		found = 0;
		for (i = 0; i < n && !found; i++)
			found = strcmp(e[i].name, store_upload_name(up)) == 0;
		if (found)
			continue;
		json_array_append_new(arr,
		    json_pack("{s:s, s:I, s:n, s:b, "
			      "s:n, s:b}",
			"name", store_upload_name(up), "size",
			(json_int_t)store_upload_received(up), "mtime",
			"mounted", 0, "lun", "uploading", 1));
	}
	store_entries_free(e, n);
	return arr;
}

/* One LUN for /state. */
json_t *
media_lun_json(struct media *m, size_t i)
{
	struct media_lun *ml = &m->luns[i];
	struct lun_status st;
	const char *img = NULL;
	json_t *o;

	o = json_pack("{s:I, s:s, s:b}", "lun", (json_int_t)i, "dir",
	    lun_name(ml->lun), "configfs", lun_is_configfs(ml->lun));
	if (lun_status(ml->lun, &st) < 0) {
		json_object_set_new(o, "error", json_string(error_get()));
		error_clear();
		return o;
	}
	img = media_image_of(m, ml, st.file);
	json_object_set_new(o, "mounted", json_boolean(st.file[0] != '\0'));
	json_object_set_new(o, "image", img ? json_string(img) : json_null());
	json_object_set_new(
	    o, "file", st.file[0] ? json_string(st.file) : json_null());
	json_object_set_new(o, "cdrom", json_boolean(st.cdrom));
	json_object_set_new(o, "readonly", json_boolean(st.ro));
	json_object_set_new(o, "locked_by_target",
	    st.locked < 0 ? json_null() : json_boolean(st.locked));
	json_object_set_new(o, "forced_eject", json_boolean(st.forced_eject));
	json_object_set_new(o, "missing_image",
	    ml->missing ? json_string(ml->missing) : json_null());
	json_object_set_new(
	    o, "problem", ml->problem ? json_string(ml->problem) : json_null());
	/* The target learns the device type (CD drive or disk) when it
	 * enumerates the gadget, not when the LUN's mode changes. */
	if (ml->mode_changed)
		json_object_set_new(o, "note",
		    json_string("the mode changed between CD and flash drive: "
				"a running target keeps the device type it "
				"enumerated (its CD drive, or its disk) until "
				"it re-enumerates the USB device (unplug and "
				"replug, or restart the gadget)"));
	if (ml->image != NULL && st.file[0] == '\0' && ml->missing == NULL)
		json_object_set_new(o, "ejected_by_target", json_true());
	return o;
}

/* Everything for GET /state. */
json_t *
media_state_json(struct media *m)
{
	const struct store_upload *up = NULL;
	struct store_space sp;
	struct store_entry *e;
	json_t *luns, *ups, *store;
	double el, now = media_now();
	size_t i, n = 0;
	uint64_t got, len;

	store = json_pack("{s:s}", "path", store_path(m->store));
	if (store_space(m->store, &sp) == 0) {
		json_object_set_new(
		    store, "total_bytes", json_integer((json_int_t)sp.total));
		json_object_set_new(
		    store, "free_bytes", json_integer((json_int_t)sp.avail));
		json_object_set_new(store, "reserve_bytes",
		    json_integer((json_int_t)sp.reserve));
	}
	if (store_list(m->store, &e, &n) == 0)
		store_entries_free(e, n);
	json_object_set_new(store, "images", json_integer((json_int_t)n));
	error_clear();

	ups = json_array();
	while ((up = store_upload_next(m->store, up)) != NULL) {
		got = store_upload_received(up);
		len = store_upload_length(up);
		el = now - store_upload_started(up);
		json_array_append_new(ups,
		    json_pack("{s:s, s:s, s:I, s:I, "
			      "s:f, s:f, s:f}",
			"name", store_upload_name(up), "peer",
			store_upload_peer(up), "received", (json_int_t)got,
			"length", (json_int_t)len, "percent",
			len ? 100.0 * got / len : 100.0, "elapsed_s", el,
			"bytes_per_s", el > 0 ? got / el : 0.0));
	}
	luns = json_array();
	for (i = 0; i < m->nluns; i++)
		json_array_append_new(luns, media_lun_json(m, i));
	return json_pack("{s:o, s:o, s:o, s:I}", "store", store, "uploads", ups,
	    "luns", luns, "cd_max_bytes", (json_int_t)LUN_CD_MAX_BYTES);
}
