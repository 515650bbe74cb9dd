/*
 * jigstore.h -- the jiggler's setting kept across restarts: one small JSON
 * file, {"enabled": BOOL, "interval": SEC}, written whole on every change
 * (a temporary file, fsync, rename, fsync of the directory) on a worker
 * thread, so the event loop never waits on the disk and a crash leaves
 * the old file or the new one.  Writes are ordered: a later setting is
 * never overwritten by an earlier one that finished late.
 */
#ifndef HIDD_JIGSTORE_H
#define HIDD_JIGSTORE_H

/*
 * Reads path into *enabled and *interval: 1 when it held a setting, 0 when
 * there is none (path NULL or "", or no file), -EINVAL with error_set()
 * when the file is not a setting (the caller starts with the defaults).
 */
int jigstore_load(const char *path, int *enabled, long long *interval);
/* Starts writing the setting to path on a worker thread; failures are
 * logged (the setting in memory stays).  path NULL or "": nothing. */
void jigstore_save(const char *path, int enabled, long long interval);
/* Waits until every write started has finished (at stop, after the
 * loop: the last setting is on disk before hidd exits). */
void jigstore_wait(void);

#endif
