/*
 * lun.h -- one logical unit of the USB mass-storage gadget.
 *
 * On a board the LUN is the configfs directory functions/mass_storage.X/lun.N;
 * in host tests it is a plain directory holding files named like the
 * attributes (a named stand-in: writes truncate there, and nothing ever says
 * EBUSY).  Attributes are reached through a small vtable so unit tests can
 * play the kernel's part, door lock included.
 *
 * Order of a mount, as the kernel requires: remove the medium (write an empty
 * `file`; EBUSY while the target holds the door locked, then `forced_eject`
 * when forcing), set `cdrom` and `ro` (only possible without a medium), then
 * write the image path to `file`.
 */
#ifndef MEDIAD_LUN_H
#define MEDIAD_LUN_H

#include <stddef.h>

struct lun;

struct lun_ops {
	/* Write value (a newline is added) to the attribute: 0 or -errno. */
	int (*write)(void *arg, const char *attr, const char *value);
	/* Read the attribute into buf, NUL-terminated, trailing newline
	 * stripped: 0 or -errno. */
	int (*read)(void *arg, const char *attr, char *buf, size_t len);
	/* 1 when the attribute exists, else 0. */
	int (*exists)(void *arg, const char *attr);
};

struct lun_status {
	char file[4096]; /* "" when no medium */
	int ro;
	int cdrom;
	int forced_eject; /* the kernel has forced_eject */
	int locked;	  /* 1 locked by the target, 0 not, -1 unknown */
};

/* The largest image a stock kernel's CD-ROM emulation handles: its READ TOC
 * answer in MSF form overflows past 255:59:74 (minus the 2 s lead-in). */
#define LUN_CD_MAX_BYTES ((255ULL * 4500 + 59 * 75 + 74 - 150) * 2048)

/* The smallest CD image the kernel takes: 300 blocks of 2048 bytes. */
#define LUN_CD_MIN_BYTES (300 * 2048)

/* A LUN directory (configfs or the plain-directory stand-in). */
int lun_open(const char *dir, struct lun **ret_lun);
/* A LUN on the given attribute backend (tests); arg is passed through. */
int lun_open_ops(
    const struct lun_ops *, void *arg, const char *name, struct lun **ret_lun);
void lun_close(struct lun *); /* NULL is fine */
/* After a gadget rebuild: 1 when the directory was replaced and the new
 * one is held now, else 0. */
int lun_reresolve(struct lun *);
const char *lun_name(const struct lun *); /* the directory */
int lun_is_configfs(const struct lun *);

/*
 * Swap the medium: remove the current one (force: with forced_eject when
 * the target has locked the door), set cdrom/ro, write path.  cdrom implies
 * ro (-EINVAL otherwise).  On failure after the old medium was removed, the
 * old medium and modes are put back where possible.  -EBUSY when locked by
 * the target and not forced.
 */
int lun_mount(struct lun *, const char *path, int cdrom, int ro, int force);
/* Remove the medium; -EBUSY when locked by the target and not forced. */
int lun_eject(struct lun *, int force);
/* What the gadget has now (read live: the target may eject on its own). */
int lun_status(struct lun *, struct lun_status *ret);

#endif
