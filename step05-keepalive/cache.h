/*
 * cache.h — files recently opened for a request path, kept open for the
 * rest of the second: a file asked for 10,000 times a second is looked up
 * and opened once a second instead of 10,000 times.
 */
#ifndef CACHE_H
#define CACHE_H

#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

#define CACHE_SLOTS 64       /* entries (and open files) at most */
#define CACHE_PATH_MAX 256   /* bytes of a request path the cache keeps; longer ones are not kept */

/* What a request path led to, the last time it was looked up. */
struct cache_entry {
    char path[CACHE_PATH_MAX]; /* the cleaned request path (files_normalize()) */
    size_t path_len;           /* bytes; 0: the slot is empty */
    int gzip;                  /* 1: looked up for a client that accepts gzip */
    time_t when;               /* the second of the lookup: valid during it alone */
    int fd;                    /* the file served (FILE or FILE.gz), open */
    struct stat st;            /* what fstat() said of it */
    const char *type;          /* its Content-Type (a string constant) */
    int is_gz;                 /* 1: fd is FILE.gz */
    int has_gz;                /* 1: FILE.gz exists (responses vary on Accept-Encoding) */
};

/* Return the entry for path[0..len) and gzip if its lookup was made during
 * second now and its file has kept its size and modification time since,
 * or NULL. The entry stays the cache's: use it at once. */
const struct cache_entry *cache_find(const char *path, size_t len, int gzip, time_t now);

/* Remember that path[0..len) led to *e (all but its path field). From now
 * on the cache owns e->fd and closes it when the entry is replaced or
 * expires. Returns 0, or -1 when the path is too long to keep (the caller
 * still owns the fd). */
int cache_store(const char *path, size_t len, const struct cache_entry *e);

/* Close the files of every entry made before second now (all, with now
 * = -1), so that a file deleted or replaced is not held open. Returns how
 * many entries are left. */
size_t cache_expire(time_t now);

#endif
