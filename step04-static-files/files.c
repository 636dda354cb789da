/*
 * files.c — map request paths to files under a document root, and the
 * HTTP rules for serving them (RFC 9110 §8.8 validators, §13 conditional
 * requests, §14 ranges, §12.5.3 Accept-Encoding).
 */

#include "files.h"
#include "request.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LISTING_MAX 10000 /* entries shown in a directory listing */
#define FILES_HOPS_MAX 40  /* symlinks followed in one lookup, as Linux allows */
#define STEP_SYMLINK 1     /* open_step(): the name is a symlink */

/* ---- small helpers ---- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Skip spaces and tabs (OWS) from p up to end. */
static const char *skip_ows(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* ---- mapping paths to files ---- */

long files_normalize(const char *path, size_t len, char *out, size_t out_size)
{
    size_t n = 0, i = 0, start;
    int dir = 0; /* 1: the path names a directory, so out ends with '/' */

    if (len == 0 || path[0] != '/' || memchr(path, '\\', len) != NULL ||
        memchr(path, '\0', len) != NULL)
        return FILES_BAD_PATH;
    while (i < len) {
        for (start = i; i < len && path[i] != '/'; i++)
            ;
        if (i - start == 1 && path[start] == '.') { /* the same directory */
            dir = 1;
        } else if (i - start == 2 && memcmp(path + start, "..", 2) == 0) {
            if (n == 0) /* nothing above the root to go back to */
                return FILES_ABOVE_ROOT;
            while (out[--n] != '/') /* drop the last segment */
                ;
            dir = 1;
        } else if (i > start) {
            /* Every other segment starting with '.' is hidden: ".git", ".env". */
            if (path[start] == '.' || n + (i - start) + 3 > out_size)
                return FILES_NOT_FOUND;
            out[n++] = '/';
            memcpy(out + n, path + start, i - start);
            n += i - start;
            dir = 0;
        }
        if (i < len) /* the '/' after the segment: a directory if it ends the path */
            dir = ++i == len;
    }
    if (n == 0 || dir)
        out[n++] = '/';
    out[n] = '\0';
    return (long)n;
}

/* Open name in the directory dir without following a symlink (O_NOFOLLOW);
 * every component but the last must be a directory. If that fails,
 * fstatat() says why: a symlink (STEP_SYMLINK, its target read into
 * link[0..link_size)), no such name (FILES_NOT_FOUND), a directory that may
 * not be searched (FILES_FORBIDDEN), or there but not to be opened
 * (FILES_OPEN_FAILED, errno from openat(), *st what it is). Returns
 * FILES_OK with *fd. */
static int open_step(int dir, const char *name, int last, int *fd, struct stat *st,
                     char *link, size_t link_size)
{
    /* O_NONBLOCK: a FIFO opens at once instead of waiting for a writer. */
    int flags = O_RDONLY | O_NOFOLLOW | O_NOCTTY | (last ? O_NONBLOCK : O_DIRECTORY);
    int open_errno;
    ssize_t n;

    if ((*fd = openat(dir, name, flags)) >= 0)
        return FILES_OK;
    open_errno = errno;
    /* Ask the name itself: O_NOFOLLOW fails on a symlink with ELOOP (Linux,
     * macOS) or EMLINK (FreeBSD), and a missing file must stay a 404 when
     * the server is out of descriptors (EMFILE). */
    if (fstatat(dir, name, st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == EACCES ? FILES_FORBIDDEN : FILES_NOT_FOUND;
    if (S_ISLNK(st->st_mode)) {
        n = readlinkat(dir, name, link, link_size);
        if (n <= 0 || (size_t)n >= link_size)
            return FILES_NOT_FOUND;
        link[n] = '\0';
        return STEP_SYMLINK;
    }
    if (!last && !S_ISDIR(st->st_mode)) /* "/notes.txt/x" */
        return FILES_NOT_FOUND;
    errno = open_errno;
    return !last && open_errno == EACCES ? FILES_FORBIDDEN : FILES_OPEN_FAILED;
}

/* Put the target of the symlink at path[start..end) in its place and clean
 * the result again: path[0..start) + target + path[end..]. The target must
 * be relative and stay beneath the root, as Linux's openat2() with
 * RESOLVE_BENEATH asks. Returns 0 or FILES_NOT_FOUND. */
static int splice_link(char *path, size_t size, size_t start, size_t end, const char *target)
{
    char joined[PATH_MAX];
    int n;

    if (target[0] == '/') /* a full name: it starts outside the root */
        return FILES_NOT_FOUND;
    n = snprintf(joined, sizeof joined, "%.*s%s%s", (int)start, path, target, path + end);
    if (n < 0 || (size_t)n >= sizeof joined || files_normalize(joined, (size_t)n, path, size) < 0)
        return FILES_NOT_FOUND;
    return 0;
}

int files_resolve(int root_fd, const char *path, char *real, size_t real_size, int *fd,
                  struct stat *st)
{
    char link[PATH_MAX], sep;
    size_t start = 1, end;
    int dir = root_fd, hops = 0, rc, last, saved_errno;

    if (real_size < PATH_MAX || strlen(path) >= real_size)
        return FILES_NOT_FOUND;
    strcpy(real, path);
    for (;;) { /* open each component of real, from start, in dir */
        end = start + strcspn(real + start, "/");
        last = real[end] == '\0' || real[end + 1] == '\0';
        sep = real[end];
        real[end] = '\0';
        rc = open_step(dir, end == start ? "." : real + start, last, fd, st, link, sizeof link);
        real[end] = sep;
        saved_errno = errno;
        if (dir != root_fd)
            close(dir);
        errno = saved_errno;
        dir = root_fd;
        if (rc == STEP_SYMLINK) { /* walk the new path from the root again */
            if (++hops > FILES_HOPS_MAX || splice_link(real, real_size, start, end, link) < 0)
                return FILES_NOT_FOUND;
            start = 1;
        } else if (rc != FILES_OK) {
            return rc;
        } else if (!last) {
            dir = *fd;
            start = end + 1;
        } else {
            break;
        }
    }
    /* What was opened is what is served: ask the open file what it is. */
    if (fstat(*fd, st) < 0 || (real[strlen(real) - 1] == '/' && !S_ISDIR(st->st_mode))) {
        close(*fd); /* "/notes.txt/" names no file */
        return FILES_NOT_FOUND;
    }
    return FILES_OK;
}

int files_gz_sibling(int root_fd, const char *real, struct stat *st)
{
    char gz[PATH_MAX], gz_real[PATH_MAX];
    int n = snprintf(gz, sizeof gz, "%s.gz", real), fd;

    if (n < 0 || (size_t)n >= sizeof gz ||
        files_resolve(root_fd, gz, gz_real, sizeof gz_real, &fd, st) != FILES_OK)
        return -1;
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- Content-Type ---- */

const char *files_mime_type(const char *name, size_t len)
{
    static const struct { const char *ext, *type; } types[] = {
        { "html", "text/html; charset=utf-8" }, { "htm", "text/html; charset=utf-8" },
        { "css", "text/css; charset=utf-8" }, { "js", "text/javascript; charset=utf-8" },
        { "mjs", "text/javascript; charset=utf-8" }, { "json", "application/json" },
        { "txt", "text/plain; charset=utf-8" }, { "md", "text/markdown; charset=utf-8" },
        { "c", "text/plain; charset=utf-8" }, { "h", "text/plain; charset=utf-8" },
        { "xml", "application/xml" }, { "svg", "image/svg+xml" },
        { "png", "image/png" }, { "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
        { "gif", "image/gif" }, { "webp", "image/webp" }, { "ico", "image/x-icon" },
        { "pdf", "application/pdf" }, { "wasm", "application/wasm" },
        { "mp4", "video/mp4" }, { "webm", "video/webm" }, { "mp3", "audio/mpeg" },
        { "ogg", "audio/ogg" }, { "wav", "audio/wav" }, { "woff", "font/woff" },
        { "woff2", "font/woff2" }, { "zip", "application/zip" },
    };
    size_t dot = len;

    while (dot > 0 && name[dot - 1] != '.' && name[dot - 1] != '/')
        dot--;
    if (dot > 0 && name[dot - 1] == '.')
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (http_equals_nocase(name + dot, len - dot, types[i].ext))
                return types[i].type;
    return "application/octet-stream";
}

/* ---- validators and conditional requests ---- */

void files_etag(char *buf, size_t size, off_t file_size, time_t mtime)
{
    snprintf(buf, size, "\"%llx-%llx\"", (unsigned long long)file_size,
             (unsigned long long)mtime);
}

/* Days since 1970-01-01 of a date in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil): timegm() is not in POSIX. */
static long long days_from_civil(long long y, int m, int d)
{
    long long era, yoe, doy;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* Parse n digits at p (a leading space counts as 0 where space_ok). */
static int digits(const char *p, int n, int space_ok)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (space_ok && i == 0 && p[i] == ' ')
            continue;
        if (!is_digit(p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* Month "Jan".."Dec" at p, as 1-12, or -1. */
static int month(const char *p)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

    for (int i = 0; i < 12; i++)
        if (memcmp(p, names + 3 * i, 3) == 0)
            return i + 1;
    return -1;
}

/* Build *t from the parts; returns 0 or -1 if one is out of range (a
 * 31 February too). hms points at "HH:MM:SS". */
static int make_time(int year, int mon, int day, const char *hms, time_t *t)
{
    static const int month_days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int h = digits(hms, 2, 0), m = digits(hms + 3, 2, 0), s = digits(hms + 6, 2, 0);
    int leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);

    if (year < 0 || mon < 1 || day < 1 || day > month_days[mon - 1] ||
        (mon == 2 && day == 29 && !leap) || h < 0 || h > 23 || m < 0 || m > 59 ||
        s < 0 || s > 60 || hms[2] != ':' || hms[5] != ':')
        return -1;
    *t = (time_t)(days_from_civil(year, mon, day) * 86400 + h * 3600 + m * 60 + s);
    return 0;
}

int files_parse_date(const char *v, size_t n, time_t *t)
{
    const char *comma = memchr(v, ',', n);

    /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
    if (n == 29 && comma == v + 3 && memcmp(v + 4, " ", 1) == 0 && v[7] == ' ' &&
        v[11] == ' ' && v[16] == ' ' && memcmp(v + 25, " GMT", 4) == 0)
        return make_time(digits(v + 12, 4, 0), month(v + 8), digits(v + 5, 2, 0), v + 17, t);
    /* obsolete RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year
     * is taken as 1970-2069. */
    if (comma != NULL && (size_t)(v + n - comma) == 24 && comma[1] == ' ' &&
        comma[4] == '-' && comma[8] == '-' && comma[11] == ' ' &&
        memcmp(comma + 20, " GMT", 4) == 0) {
        int yy = digits(comma + 9, 2, 0);
        return make_time(yy < 0 ? -1 : yy < 70 ? 2000 + yy : 1900 + yy, month(comma + 5),
                         digits(comma + 2, 2, 0), comma + 12, t);
    }
    /* obsolete asctime(): "Sun Nov  6 08:49:37 1994" */
    if (n == 24 && comma == NULL && v[3] == ' ' && v[7] == ' ' && v[10] == ' ' &&
        v[19] == ' ')
        return make_time(digits(v + 20, 4, 0), month(v + 4), digits(v + 8, 2, 1), v + 11, t);
    return -1;
}

int files_none_match(const char *value, size_t len, const char *etag)
{
    const char *p = value, *end = value + len;
    size_t etag_len = strlen(etag);

    p = skip_ows(p, end);
    if (end - p >= 1 && *p == '*' && skip_ows(p + 1, end) == end)
        return 1;
    while (p < end) {
        const char *tag, *close;

        if (end - p >= 2 && p[0] == 'W' && p[1] == '/') /* weak comparison */
            p += 2;
        if (p == end || *p != '"' || (close = memchr(p + 1, '"', (size_t)(end - p - 1))) == NULL)
            return 0; /* not an entity-tag: no match */
        tag = p;
        p = close + 1;
        if ((size_t)(p - tag) == etag_len && memcmp(tag, etag, etag_len) == 0)
            return 1;
        p = skip_ows(p, end);
        if (p < end && *p++ != ',')
            return 0;
        p = skip_ows(p, end);
    }
    return 0;
}

int files_if_range(const char *value, size_t len, const char *etag, time_t mtime)
{
    time_t t;

    if (len > 0 && value[0] == '"') /* an entity-tag: strong comparison */
        return len == strlen(etag) && memcmp(value, etag, len) == 0;
    return files_parse_date(value, len, &t) == 0 && t == mtime;
}

/* ---- ranges ---- */

/* Parse a decimal at *p into *v, moving *p past it. A number too large
 * for a long long is still a valid one (RFC 9110 §14.1.2): it becomes
 * LLONG_MAX, past the end of any file. Returns 0, or -1 if there is no
 * digit. */
static int parse_offset(const char **p, const char *end, long long *v)
{
    const char *start = *p;

    for (*v = 0; *p < end && is_digit(**p); (*p)++)
        *v = *v > (LLONG_MAX - (**p - '0')) / 10 ? LLONG_MAX : *v * 10 + (**p - '0');
    return *p == start ? -1 : 0;
}

int files_parse_range(const char *value, size_t len, off_t size, off_t *first,
                      off_t *last)
{
    const char *p = value + 6, *end = value + len;
    long long a, b = -1;

    /* One range only; several would need a multipart/byteranges body, and
     * RFC 9110 §14.2 lets a server ignore Range and send it all instead. */
    if (len < 6 || !http_equals_nocase(value, 6, "bytes=") || memchr(value, ',', len) != NULL)
        return RANGE_NONE;
    p = skip_ows(p, end);
    if (p < end && *p == '-') { /* "-n": the last n bytes */
        p++;
        if (parse_offset(&p, end, &b) < 0 || skip_ows(p, end) != end)
            return RANGE_NONE;
        if (b == 0 || size == 0)
            return RANGE_UNSATISFIABLE;
        *first = b < (long long)size ? size - (off_t)b : 0;
        *last = size - 1;
        return RANGE_OK;
    }
    if (parse_offset(&p, end, &a) < 0 || p == end || *p++ != '-')
        return RANGE_NONE;
    if (p < end && is_digit(*p) && parse_offset(&p, end, &b) < 0)
        return RANGE_NONE;
    if (skip_ows(p, end) != end || (b >= 0 && b < a))
        return RANGE_NONE;
    if (a >= (long long)size)
        return RANGE_UNSATISFIABLE;
    *first = (off_t)a;
    *last = b < 0 || b >= (long long)size ? size - 1 : (off_t)b;
    return RANGE_OK;
}

/* ---- content coding ---- */

/* Whether the parameters after a coding, p[0..n) (";q=0.5"), give q = 0. */
static int q_is_zero(const char *p, const char *end)
{
    p = skip_ows(p, end);
    if (p == end || *p != ';')
        return 0;
    p = skip_ows(p + 1, end);
    if (end - p < 3 || !http_equals_nocase(p, 1, "q") || p[1] != '=')
        return 0;
    for (p += 2; p < end && (*p == '0' || *p == '.'); p++)
        ;
    return skip_ows(p, end) == end;
}

int files_accepts_gzip(const char *value, size_t len)
{
    const char *p = value, *end = value + len;
    int gzip = -1, star = -1; /* -1: not listed; 0: q=0; 1: accepted */

    while (p < end) {
        const char *elem_end = memchr(p, ',', (size_t)(end - p)), *name, *name_end;

        if (elem_end == NULL)
            elem_end = end;
        name = skip_ows(p, elem_end);
        for (name_end = name; name_end < elem_end && *name_end != ';' &&
                              *name_end != ' ' && *name_end != '\t'; name_end++)
            ;
        if (http_equals_nocase(name, (size_t)(name_end - name), "gzip") ||
            http_equals_nocase(name, (size_t)(name_end - name), "x-gzip"))
            gzip = !q_is_zero(name_end, elem_end);
        else if (name_end - name == 1 && *name == '*')
            star = !q_is_zero(name_end, elem_end);
        p = elem_end < end ? elem_end + 1 : end;
    }
    return gzip >= 0 ? gzip : star == 1;
}

/* ---- directory listings ---- */

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read the names in the open directory dir_fd, but dotfiles, into a
 * malloc'd, sorted array of malloc'd strings, directories with a '/'
 * added. dir_fd stays open. Returns the count, or -1 with errno set. */
static long read_names(int dir_fd, char ***names)
{
    int fd = dup(dir_fd); /* closedir() closes the one fdopendir() was given */
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    struct dirent *e;
    long n = 0;

    *names = malloc(LISTING_MAX * sizeof **names);
    if (d == NULL || *names == NULL)
        goto fail;
    while (n < LISTING_MAX && (e = readdir(d)) != NULL) {
        struct stat st;
        size_t len = strlen(e->d_name);
        int is_dir;

        if (e->d_name[0] == '.')
            continue;
        is_dir = fstatat(dirfd(d), e->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
        if (((*names)[n] = malloc(len + 2)) == NULL)
            goto fail;
        memcpy((*names)[n], e->d_name, len);
        (*names)[n][len] = '/';
        (*names)[n][len + (size_t)is_dir] = '\0';
        n++;
    }
    closedir(d);
    qsort(*names, (size_t)n, sizeof **names, compare_names);
    return n;
fail:
    while (n > 0)
        free((*names)[--n]);
    free(*names);
    if (d != NULL)
        closedir(d);
    else if (fd >= 0)
        close(fd);
    return -1;
}

/* Append s[0..n) to page, HTML-escaped (escape_html) or percent-encoded
 * for a URL (all but unreserved characters and '/'). Returns the bytes
 * written; page must have room for 6 * n (the worst case, "&quot;"). */
static size_t put(char *page, const char *s, size_t n, int escape_html)
{
    static const char hex[] = "0123456789ABCDEF";
    char *o = page;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *ref = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;"
                        : c == '"' ? "&quot;" : c == '\'' ? "&#39;" : NULL;
        if (escape_html && ref != NULL) {
            o += sprintf(o, "%s", ref);
        } else if (escape_html || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   is_digit((char)c) || strchr("-._~/", c) != NULL) {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    return (size_t)(o - page);
}

size_t files_url_encode(char *out, const char *s, size_t len)
{
    return put(out, s, len, 0);
}

char *files_listing(int dir_fd, const char *url, size_t url_len, size_t *len)
{
    static const char bottom[] = "</ul>\n</body>\n</html>\n";
    char **names, *page;
    size_t size = 512 + 12 * url_len, n = 0;
    long count = read_names(dir_fd, &names);

    if (count < 0)
        return NULL;
    for (long i = 0; i < count; i++)
        size += 32 + 12 * strlen(names[i]); /* a link and its text, escaped */
    if ((page = malloc(size)) != NULL) {
        n += (size_t)sprintf(page, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                                   "<meta charset=\"utf-8\">\n<title>Index of ");
        n += put(page + n, url, url_len, 1);
        n += (size_t)sprintf(page + n, "</title>\n</head>\n<body>\n<h1>Index of ");
        n += put(page + n, url, url_len, 1);
        n += (size_t)sprintf(page + n, "</h1>\n<ul>\n");
        if (url_len > 1)
            n += (size_t)sprintf(page + n, "<li><a href=\"../\">../</a></li>\n");
        for (long i = 0; i < count; i++) {
            size_t name_len = strlen(names[i]);
            n += (size_t)sprintf(page + n, "<li><a href=\"");
            n += put(page + n, names[i], name_len, 0);
            n += (size_t)sprintf(page + n, "\">");
            n += put(page + n, names[i], name_len, 1);
            n += (size_t)sprintf(page + n, "</a></li>\n");
        }
        memcpy(page + n, bottom, sizeof bottom - 1);
        *len = n + sizeof bottom - 1;
    }
    for (long i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return page;
}
