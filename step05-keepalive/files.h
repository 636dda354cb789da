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

/* What files_resolve() returns. */
#define FILES_OK 0
#define FILES_BAD_PATH (-1)  /* not a path this server accepts: 400 */
#define FILES_NOT_FOUND (-2) /* missing, hidden, or outside the root: 404 */
#define FILES_FORBIDDEN (-3) /* a directory on the way may not be searched: 403 */

/* What files_parse_range() returns. */
#define RANGE_NONE 0           /* no usable Range: send the whole file (200) */
#define RANGE_OK 1             /* one satisfiable range: send it (206) */
#define RANGE_UNSATISFIABLE 2  /* no byte of it exists: 416 */

/* Map the decoded request path[0..len) to a file under root, which must be
 * a real path (from realpath()) and the working directory: paths are
 * looked up from there, not from "/" (main() calls chdir(root)). Writes
 * the real path of the file relative to root to out ("." for root itself;
 * out_size >= PATH_MAX) and what stat() says of it to *st. Returns
 * FILES_OK, FILES_BAD_PATH (no leading '/', a backslash), FILES_NOT_FOUND
 * (a segment starting with '.', no such file, a symlink that leads out of
 * root) or FILES_FORBIDDEN. */
int files_resolve(const char *root, const char *path, size_t len, char *out,
                  size_t out_size, struct stat *st);

/* Find FILE.gz beside file (a path from files_resolve()): a regular file
 * whose real path is under root too. Returns FILES_OK and writes its path
 * relative to root to out (out_size >= PATH_MAX), or FILES_NOT_FOUND. */
int files_gz_sibling(const char *root, const char *file, char *out, size_t out_size);

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

/* Build the HTML listing of directory dir, shown at URL path url (decoded,
 * ending in '/'): sorted, dotfiles left out, directories with a trailing
 * '/'. Returns a malloc'd page (the caller frees it) and sets *len, or
 * NULL with errno set. */
char *files_listing(const char *dir, const char *url, size_t url_len, size_t *len);

#endif
