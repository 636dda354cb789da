/*
 * cache.c — a small open-file cache: CACHE_SLOTS entries, each request
 * path hashed to one slot (a newer path takes the slot of an older one).
 *
 * An entry is trusted until its second ends, as long as fstat() says the
 * open file was not written to. So a file that is deleted, renamed over or
 * made unreadable is still served as it was for up to a second, what
 * lighttpd does by default (its stat cache) and nginx's open_file_cache
 * with a validity of one second.
 */

#include "cache.h"

#include <string.h>
#include <unistd.h>

static struct cache_entry slots[CACHE_SLOTS];

/* The slot of a path and gzip: FNV-1a, a simple and well-spread hash. */
static struct cache_entry *slot_of(const char *path, size_t len, int gzip)
{
    unsigned long h = 2166136261u;

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)path[i]) * 16777619u;
    return &slots[(h ^ (unsigned long)gzip) % CACHE_SLOTS];
}

/* Close an entry's file and empty its slot. */
static void drop(struct cache_entry *e)
{
    if (e->path_len > 0)
        close(e->fd);
    e->path_len = 0;
}

const struct cache_entry *cache_find(const char *path, size_t len, int gzip, time_t now)
{
    struct cache_entry *e = slot_of(path, len, gzip);
    struct stat st;

    if (e->path_len != len || e->gzip != gzip || e->when != now ||
        memcmp(e->path, path, len) != 0)
        return NULL;
    /* Written to since (its size or time changed): its ETag and length
     * would be wrong. fstat() asks the open file, without a path lookup. */
    if (fstat(e->fd, &st) < 0 || st.st_size != e->st.st_size || st.st_mtime != e->st.st_mtime) {
        drop(e);
        return NULL;
    }
    return e;
}

int cache_store(const char *path, size_t len, const struct cache_entry *e)
{
    struct cache_entry *slot;

    if (len == 0 || len > sizeof slot->path)
        return -1;
    slot = slot_of(path, len, e->gzip);
    drop(slot);
    *slot = *e;
    memcpy(slot->path, path, len);
    slot->path_len = len;
    return 0;
}

size_t cache_expire(time_t now)
{
    size_t left = 0;

    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        if (slots[i].path_len > 0 && (now < 0 || slots[i].when < now))
            drop(&slots[i]);
        left += slots[i].path_len > 0;
    }
    return left;
}
