/*
 * files.h — serving files under a document root: mapping a request path to
 * a file safely, Content-Type by extension, directory listings, and the
 * HTTP rules for validators, conditional requests, ranges and gzip.
 */
#ifndef FILES_H
#define FILES_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* What files_normalize() and files_resolve() return when they fail. */
#define FILES_OK 0
#define FILES_BAD_PATH (-1)    /* not a path this server accepts: 400 */
#define FILES_NOT_FOUND (-2)   /* missing, hidden, or outside the root: 404 */
#define FILES_FORBIDDEN (-3)   /* a directory on the way may not be read: 403 */
#define FILES_ABOVE_ROOT (-4)  /* ".." would climb above the root: 400 */
#define FILES_OPEN_FAILED (-5) /* there, but open() failed: errno says why */

/* What files_parse_range() returns. */
#define RANGE_NONE 0           /* no usable Range: send the whole file (200) */
#define RANGE_OK 1             /* one satisfiable range: send it (206) */
#define RANGE_UNSATISFIABLE 2  /* no byte of it exists: 416 */

/* Clean the decoded request path[0..len) into out (out_size >= PATH_MAX):
 * dot segments removed as RFC 3986 §5.2.4 says and repeated slashes
 * collapsed, "/a//./b/../c" to "/a/c"; a path to a directory keeps its
 * trailing '/' ("/a/b/.." is "/a/"). Returns the length of out, or
 * FILES_BAD_PATH (no leading '/', a backslash, a NUL), FILES_ABOVE_ROOT
 * ("/../x") or FILES_NOT_FOUND (a segment starting with '.', too long). */
long files_normalize(const char *path, size_t len, char *out, size_t out_size);

/* Open what path (from files_normalize()) names beneath the directory
 * root_fd, one component at a time and never through a symlink: a symlink
 * is followed by walking its target from the root again, and only while it
 * stays beneath the root. Writes the path with its symlinks replaced to
 * real (real_size >= PATH_MAX), the open file or directory to *fd (the
 * caller closes it) and what fstat() says of it to *st. Returns FILES_OK,
 * FILES_NOT_FOUND (no such file, or a symlink that leads out of the root,
 * is absolute or loops), FILES_FORBIDDEN, or FILES_OPEN_FAILED (errno says
 * why, *st what it is). */
int files_resolve(int root_fd, const char *path, char *real, size_t real_size, int *fd,
                  struct stat *st);

/* Open FILE.gz beside the file real (from files_resolve()), the same way:
 * a regular file beneath the root. Returns its descriptor (the caller
 * closes it) and sets *st, or returns -1. */
int files_gz_sibling(int root_fd, const char *real, struct stat *st);

/* Return the Content-Type for the file name (or path) name[0..len), by its
 * extension, any case. */
const char *files_mime_type(const char *name, size_t len);

/* Write the strong ETag of a file, "size-mtime" in hex, quotes included. */
void files_etag(char *buf, size_t size, off_t file_size, time_t mtime);

/* Parse an HTTP date in any of the three formats of RFC 9110 §5.6.7.
 * Returns 0 and sets *t, or -1 if value[0..len) is not one. */
int files_parse_date(const char *value, size_t len, time_t *t);

/* Whether an If-None-Match value matches etag: "*", or a list of entity
 * tags one of which equals etag under weak comparison (RFC 9110 §13.1.2). */
int files_none_match(const char *value, size_t len, const char *etag);

/* Whether an If-Range value allows the range: the same strong ETag, or
 * exactly the Last-Modified date (RFC 9110 §13.1.5). */
int files_if_range(const char *value, size_t len, const char *etag, time_t mtime);

/* Parse a Range value (RFC 9110 §14.2) for a representation of size bytes.
 * One range is served: RANGE_OK with *first and *last (inclusive); several
 * or an invalid one give RANGE_NONE; RANGE_UNSATISFIABLE when it starts at
 * or past the end. */
int files_parse_range(const char *value, size_t len, off_t size, off_t *first,
                      off_t *last);

/* Whether an Accept-Encoding value accepts gzip: gzip (or "*") listed with
 * a q-value other than 0 (RFC 9110 §12.5.3). */
int files_accepts_gzip(const char *value, size_t len);

/* Percent-encode s[0..len) into out for a URL: every byte but the
 * unreserved characters and '/'. out needs 3 * len bytes. Returns the
 * bytes written. */
size_t files_url_encode(char *out, const char *s, size_t len);

/* Build the HTML listing of the open directory dir_fd (it stays open),
 * shown at URL path url (decoded, ending in '/'): sorted, dotfiles left
 * out, directories with a trailing '/'. Returns a malloc'd page (the
 * caller frees it) and sets *len, or NULL with errno set. */
char *files_listing(int dir_fd, const char *url, size_t url_len, size_t *len);

#endif
