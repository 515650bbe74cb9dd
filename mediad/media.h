/*
 * media.h -- mediad's state: the store, the LUNs, and what is mounted.
 *
 * The rules that span the store and the LUNs live here: an image is not
 * deleted or overwritten while mounted, not mounted while an upload to it
 * runs, not mounted read-write on two LUNs.  Each mount and eject is
 * remembered atomically in the state file and restored at start.
 */
#ifndef MEDIAD_MEDIA_H
#define MEDIAD_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct media;
struct store;
struct store_upload;

struct media_config {
	const char *images; /* the store directory */
	char *const *luns;  /* LUN directories */
	size_t nluns;
	const char *state_file; /* NULL: <images>/.mediad-state.json */
	uint64_t reserve;	/* bytes kept free in the store */
	int allow_large_cd;	/* the kernel's CD mode is patched */
};

/* Opens the store and the LUNs and restores the remembered mounts (a
 * restore that fails is reported in the state, not as an error). */
int media_open(const struct media_config *, struct media **ret_media);
void media_close(struct media *); /* NULL is fine */
/* Every second or so: follow a LUN made again by a gadget rebuild, and
 * mount there what was mounted.  Never blocks (configfs). */
void media_poll(struct media *);
struct store *media_store(struct media *);
size_t media_nluns(const struct media *);

/* lun: index; name: an image in the store. */
int media_mount(
    struct media *, size_t lun, const char *name, int cdrom, int ro, int force);
int media_eject(struct media *, size_t lun, int force);
/* The LUN index name is mounted on, or -1. */
int media_mounted(struct media *, const char *name);
int media_delete(struct media *, const char *name);
int media_upload_begin(struct media *, const char *name, uint64_t length,
    int overwrite, const char *peer, struct store_upload **ret_up);
int media_upload_finish(
    struct media *, struct store_upload *, char *ret_sha256);
void media_upload_abort(struct media *, struct store_upload *);

/* JSON for the API (new references). */
json_t *media_list_json(struct media *);
json_t *media_state_json(struct media *);
json_t *media_lun_json(struct media *, size_t lun);
/* Counters for /metrics. */
struct media_counters {
	uint64_t uploads_ok, uploads_failed, bytes_uploaded;
	uint64_t mounts, ejects, refused_locked;
};
const struct media_counters *media_counters(const struct media *);

#endif
