/*
 * test_files — unit tests for the pure functions of a step's files.c
 * (step04-static-files and later): HTTP dates, entity-tag matching, Range,
 * Accept-Encoding, Content-Type and URL encoding; and mapping paths to
 * files, in a temporary tree of files, directories and symlinks. The
 * expected values come from RFC 9110 (§5.6.7 dates, §13.1 preconditions,
 * §14 ranges, §12.5.3 Accept-Encoding) and RFC 3986 (§5.2.4 dot
 * segments), not from the code.
 *
 *     make build/test-files-step04 && build/test-files-step04
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "files.h"
#include "unit.h"

static void test_dates(void)
{
    /* RFC 9110 §5.6.7: the same instant in the three formats. */
    static const char *const same[] = {
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    };
    static const char *const invalid[] = {
        "", "yesterday", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT ", "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sun Nov 6 08:49:37 1994", "Sun, 06 Nov 19x4 08:49:37 GMT",
        "Tue, 31 Feb 2026 08:49:37 GMT", "Sun, 29 Feb 2026 08:49:37 GMT",
        "Thu, 31 Apr 2026 08:49:37 GMT", "Mon, 29 Feb 2100 00:00:00 GMT",
    };
    time_t t;

    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        t = 0;
        check(files_parse_date(same[i], strlen(same[i]), &t) == 0 && t == 784111777,
              "the date of RFC 9110's example, 784111777", "files_parse_date", same[i]);
    }
    check(files_parse_date("Thu, 01 Jan 1970 00:00:00 GMT", 29, &t) == 0 && t == 0, "the epoch",
          "files_parse_date", "1970");
    check(files_parse_date("Thu, 29 Feb 2024 23:59:59 GMT", 29, &t) == 0 && t == 1709251199,
          "a leap day", "files_parse_date", "2024-02-29");
    check(files_parse_date("Tue, 29 Feb 2000 00:00:00 GMT", 29, &t) == 0 && t == 951782400,
          "a leap day of a year divisible by 400", "files_parse_date", "2000-02-29");
    check(files_parse_date("Thursday, 01-Jan-70 00:00:00 GMT", 32, &t) == 0 && t == 0,
          "RFC 850, year 70 is 1970", "files_parse_date", "70");
    check(files_parse_date("Saturday, 01-Jan-00 00:00:00 GMT", 32, &t) == 0 && t == 946684800,
          "RFC 850, year 00 is 2000", "files_parse_date", "00");
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        check(files_parse_date(invalid[i], strlen(invalid[i]), &t) < 0, "not a date",
              "files_parse_date", invalid[i]);
}

static void test_none_match(void)
{
    static const char etag[] = "\"1f-5f5e1000\"";
    static const char *const match[] = {
        "\"1f-5f5e1000\"", "W/\"1f-5f5e1000\"", "*", " * ", "\"a\", \"1f-5f5e1000\"",
        "\"a\",W/\"1f-5f5e1000\"", "\"a\" , \"b\" ,\"1f-5f5e1000\"",
    };
    static const char *const no_match[] = {
        "", "\"1f-5f5e1001\"", "1f-5f5e1000", "\"1f-5f5e1000", "w/\"1f-5f5e1000\"",
        "\"a\" \"1f-5f5e1000\"", "**", "\"a\", *",
    };

    for (size_t i = 0; i < sizeof match / sizeof match[0]; i++)
        check(files_none_match(match[i], strlen(match[i]), etag) == 1, "If-None-Match matches",
              "files_none_match", match[i]);
    for (size_t i = 0; i < sizeof no_match / sizeof no_match[0]; i++)
        check(files_none_match(no_match[i], strlen(no_match[i]), etag) == 0,
              "If-None-Match does not match", "files_none_match", no_match[i]);
    /* If-Range: strong comparison only, or exactly the date. */
    check(files_if_range(etag, strlen(etag), etag, 784111777) == 1, "If-Range, same ETag",
          "files_if_range", etag);
    check(files_if_range("W/\"1f-5f5e1000\"", 15, etag, 784111777) == 0, "If-Range, weak",
          "files_if_range", "W/");
    check(files_if_range("Sun, 06 Nov 1994 08:49:37 GMT", 29, etag, 784111777) == 1,
          "If-Range, same date", "files_if_range", "date");
    check(files_if_range("Sun, 06 Nov 1994 08:49:38 GMT", 29, etag, 784111777) == 0,
          "If-Range, other date", "files_if_range", "date");
}

static void test_ranges(void)
{
    static const struct { const char *value; long long size; int kind; long long first, last; } cases[] = {
        { "bytes=0-9", 100, RANGE_OK, 0, 9 },
        { "bytes=10-", 100, RANGE_OK, 10, 99 },
        { "bytes=-10", 100, RANGE_OK, 90, 99 },
        { "bytes=-200", 100, RANGE_OK, 0, 99 },
        { "bytes=0-999", 100, RANGE_OK, 0, 99 },
        { "bytes=99-99", 100, RANGE_OK, 99, 99 },
        { "BYTES=0-0", 100, RANGE_OK, 0, 0 },
        { "bytes= 1-2 ", 100, RANGE_OK, 1, 2 },
        { "bytes=0007-0008", 100, RANGE_OK, 7, 8 },
        { "bytes=100-", 100, RANGE_UNSATISFIABLE, 0, 0 },
        { "bytes=100-200", 100, RANGE_UNSATISFIABLE, 0, 0 },
        { "bytes=-0", 100, RANGE_UNSATISFIABLE, 0, 0 },
        { "bytes=0-", 0, RANGE_UNSATISFIABLE, 0, 0 },
        { "bytes=-5", 0, RANGE_UNSATISFIABLE, 0, 0 },
        { "bytes=0-1,2-3", 100, RANGE_NONE, 0, 0 },
        { "bytes=5-1", 100, RANGE_NONE, 0, 0 },
        { "bytes=abc", 100, RANGE_NONE, 0, 0 },
        { "bytes=", 100, RANGE_NONE, 0, 0 },
        { "bytes=-", 100, RANGE_NONE, 0, 0 },
        { "bytes=1", 100, RANGE_NONE, 0, 0 },
        { "bytes=1-2-3", 100, RANGE_NONE, 0, 0 },
        { "bytes=+1-2", 100, RANGE_NONE, 0, 0 },
        { "bytes=--1", 100, RANGE_NONE, 0, 0 },
        { "items=0-1", 100, RANGE_NONE, 0, 0 },
        /* RFC 9110 §14.1.2: a last-pos past the end means the end, a
         * suffix longer than the file the whole file, however many digits
         * they have; a first-pos past the end cannot be satisfied. */
        { "bytes=0-99999999999999999999", 100, RANGE_OK, 0, 99 },
        { "bytes=-99999999999999999999", 100, RANGE_OK, 0, 99 },
        { "bytes=99999999999999999999-", 100, RANGE_UNSATISFIABLE, 0, 0 },
        { "bytes=99999999999999999999-99999999999999999999", 100, RANGE_UNSATISFIABLE, 0, 0 },
        { "bytes=99999999999999999999-5", 100, RANGE_NONE, 0, 0 },
        /* The last byte is size - 1: a last-pos of size is one past it. */
        { "bytes=0-100", 100, RANGE_OK, 0, 99 },
        { "bytes=5-100", 100, RANGE_OK, 5, 99 },
        { "bytes=-100", 100, RANGE_OK, 0, 99 },
        { "bytes=-99", 100, RANGE_OK, 1, 99 },
        { "bytes=98-", 100, RANGE_OK, 98, 99 },
        { "bytes", 100, RANGE_NONE, 0, 0 },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        off_t first = -1, last = -1;
        int kind = files_parse_range(cases[i].value, strlen(cases[i].value), (off_t)cases[i].size,
                                     &first, &last);
        check(kind == cases[i].kind, "the kind of range", "files_parse_range", cases[i].value);
        if (kind == RANGE_OK && cases[i].kind == RANGE_OK)
            check(first == cases[i].first && last == cases[i].last, "the bytes of the range",
                  "files_parse_range", cases[i].value);
    }
}

static void test_gzip(void)
{
    static const char *const yes[] = {
        "gzip", "GZIP", "x-gzip", "deflate, gzip", "gzip;q=0.5", "gzip; q=1", "*", "br, *;q=0.1",
        " gzip , br", "gzip;q=0.001",
    };
    static const char *const no[] = {
        "", "identity", "deflate, br", "gzip;q=0", "gzip;q=0.0", "gzip; q=0.000", "*;q=0",
        "gzip;q=0, *", "gzipx", "xgzip",
    };

    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        check(files_accepts_gzip(yes[i], strlen(yes[i])) == 1, "accepts gzip", "files_accepts_gzip",
              yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        check(files_accepts_gzip(no[i], strlen(no[i])) == 0, "does not accept gzip",
              "files_accepts_gzip", no[i]);
}

static void test_types_and_urls(void)
{
    static const char *const types[][2] = {
        { "/a/index.html", "text/html; charset=utf-8" }, { "X.HTM", "text/html; charset=utf-8" },
        { "s.css", "text/css; charset=utf-8" }, { "a.js", "text/javascript; charset=utf-8" },
        { "m.mjs", "text/javascript; charset=utf-8" }, { "d.json", "application/json" },
        { "server.c", "text/plain; charset=utf-8" }, { "files.h", "text/plain; charset=utf-8" },
        { "p.PNG", "image/png" }, { "j.jpeg", "image/jpeg" }, { "v.mp4", "video/mp4" },
        { "f.woff2", "font/woff2" }, { "a.wasm", "application/wasm" },
        { "Makefile", "application/octet-stream" }, { "a.tar.gz", "application/octet-stream" },
        { "/dir.html/file", "application/octet-stream" }, { "noext.", "application/octet-stream" },
    };
    char out[64];
    size_t n;

    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        check(strcmp(files_mime_type(types[i][0], strlen(types[i][0])), types[i][1]) == 0,
              "Content-Type", "files_mime_type", types[i][0]);
    n = files_url_encode(out, "/a b/caf\xc3\xa9?#%&\r\n~-._", 20);
    check(n == strlen("/a%20b/caf%C3%A9%3F%23%25%26%0D%0A~-._") &&
              memcmp(out, "/a%20b/caf%C3%A9%3F%23%25%26%0D%0A~-._", n) == 0,
          "URL encoding", "files_url_encode", "/a b/café?#%&\\r\\n~-._");
}

static void test_normalize(void)
{
    /* RFC 3986 §5.2.4 removes dot segments; the rest is this server's rule:
     * repeated slashes collapse, a directory keeps its trailing '/'. */
    static const struct { const char *path; long status; const char *out; } cases[] = {
        { "/", 1, "/" },
        { "//", 1, "/" },
        { "/a//b", 1, "/a/b" },
        { "/a/b/c/./../../g", 1, "/a/g" }, /* RFC 3986's own example */
        { "/./a.txt", 1, "/a.txt" },
        { "/dir/../a.txt", 1, "/a.txt" },
        { "/a/b/", 1, "/a/b/" },
        { "/a/b/.", 1, "/a/b/" },
        { "/a/./", 1, "/a/" },
        { "/a/b/..", 1, "/a/" },
        { "/a/..", 1, "/" },
        { "/..", FILES_ABOVE_ROOT, NULL },
        { "/../a.txt", FILES_ABOVE_ROOT, NULL },
        { "/a/../../b", FILES_ABOVE_ROOT, NULL },
        { "/.git/HEAD", FILES_NOT_FOUND, NULL },
        { "/a/.env", FILES_NOT_FOUND, NULL },
        { "/...", FILES_NOT_FOUND, NULL },
        { "/..a", FILES_NOT_FOUND, NULL },
        { "a.txt", FILES_BAD_PATH, NULL },
        { "", FILES_BAD_PATH, NULL },
        { "/a\\b", FILES_BAD_PATH, NULL },
    };
    char out[PATH_MAX], long_path[PATH_MAX + 2];
    long n;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        n = files_normalize(cases[i].path, strlen(cases[i].path), out, sizeof out);
        if (cases[i].out != NULL)
            check(n == (long)strlen(cases[i].out) && strcmp(out, cases[i].out) == 0,
                  cases[i].out, "files_normalize", cases[i].path);
        else
            check(n == cases[i].status, "refused", "files_normalize", cases[i].path);
    }
    check(files_normalize("/a\0b", 4, out, sizeof out) == FILES_BAD_PATH, "refused",
          "files_normalize", "/a%00b");
    memset(long_path, 'a', sizeof long_path);
    long_path[0] = '/';
    check(files_normalize(long_path, sizeof long_path, out, sizeof out) == FILES_NOT_FOUND,
          "refused", "files_normalize", "a path longer than PATH_MAX");
}

/* A tree to resolve paths in, under a new temporary directory: the
 * root, and beside it what must never be reached from it. */
static const char *const tree_dirs[] = { "root", "root/dir", "root-secret", "root/gz-dir.txt.gz" };
static const char *const tree_files[] = {
    "outside.txt", "outside.txt.gz", "root-secret/file.txt", "root/a.txt", "root/.hidden",
    "root/dir/b.txt", "root/dir/index.html", "root/g.txt", "root/h.txt", "root/h.txt.gz",
    "root/gz-dir.txt",
};
static const char *const tree_links[][2] = {
    { "root/in-link", "a.txt" },           { "root/dir-link", "dir" },
    { "root/dir/up-link", "../a.txt" },    { "root/out-link", "../outside.txt" },
    { "root/sibling-link", "../root-secret/file.txt" },
    { "root/dir/deep-out", "../../outside.txt" },
    { "root/loop1", "loop2" },             { "root/loop2", "loop1" },
    { "root/dot-link", ".hidden" },        { "root/chain1", "chain2" },
    { "root/chain2", "dir-link/b.txt" },   { "root/g.txt.gz", "../outside.txt.gz" },
    { "root/abs-link", NULL }, /* made in make_tree: the full name of root/a.txt */
    { "root/abs-root-link", "/a.txt" }, /* "/" is the machine's root, not the server's */
};

/* Make a UNIX socket at root/sock in top, the way a server would. Returns
 * 0 or -1. */
static int make_socket(const char *top)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM, 0), ok;

    if (fd < 0 || (size_t)snprintf(addr.sun_path, sizeof addr.sun_path, "%.1024s/root/sock",
                                   top) >= sizeof addr.sun_path) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    ok = bind(fd, (struct sockaddr *)&addr, sizeof addr);
    close(fd);
    return ok;
}

/* Make the tree in a new directory; its name goes to top. Returns 0 or -1. */
static int make_tree(char *top, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    char path[PATH_MAX], target[PATH_MAX];
    int fd;

    snprintf(top, size, "%.1024s/test-files.XXXXXX", tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
    if (mkdtemp(top) == NULL)
        return -1;
    for (size_t i = 0; i < sizeof tree_dirs / sizeof tree_dirs[0]; i++) {
        snprintf(path, sizeof path, "%.1024s/%.1024s", top, tree_dirs[i]);
        if (mkdir(path, 0755) < 0)
            return -1;
    }
    for (size_t i = 0; i < sizeof tree_files / sizeof tree_files[0]; i++) {
        snprintf(path, sizeof path, "%.1024s/%.1024s", top, tree_files[i]);
        if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0 ||
            write(fd, tree_files[i], strlen(tree_files[i])) < 0 || close(fd) < 0)
            return -1;
    }
    for (size_t i = 0; i < sizeof tree_links / sizeof tree_links[0]; i++) {
        snprintf(path, sizeof path, "%.1024s/%.1024s", top, tree_links[i][0]);
        snprintf(target, sizeof target, "%.1024s/root/a.txt", top);
        if (symlink(tree_links[i][1] != NULL ? tree_links[i][1] : target, path) < 0)
            return -1;
    }
    snprintf(path, sizeof path, "%.1024s/root/fifo", top);
    if (mkfifo(path, 0644) < 0)
        return -1;
    return make_socket(top);
}

/* Remove what make_tree() made, in reverse. */
static void remove_tree(const char *top)
{
    char path[PATH_MAX];

    snprintf(path, sizeof path, "%.1024s/root/fifo", top);
    unlink(path);
    snprintf(path, sizeof path, "%.1024s/root/sock", top);
    unlink(path);
    for (size_t i = sizeof tree_links / sizeof tree_links[0]; i-- > 0;) {
        snprintf(path, sizeof path, "%.1024s/%.1024s", top, tree_links[i][0]);
        unlink(path);
    }
    for (size_t i = sizeof tree_files / sizeof tree_files[0]; i-- > 0;) {
        snprintf(path, sizeof path, "%.1024s/%.1024s", top, tree_files[i]);
        unlink(path);
    }
    for (size_t i = sizeof tree_dirs / sizeof tree_dirs[0]; i-- > 0;) {
        snprintf(path, sizeof path, "%.1024s/%.1024s", top, tree_dirs[i]);
        rmdir(path);
    }
    rmdir(top);
}

/* Whether the open file fd holds exactly the text want (the name it was
 * made with, in make_tree()). */
static int holds(int fd, const char *want)
{
    char buf[256];
    ssize_t n = pread(fd, buf, sizeof buf, 0);

    return n == (ssize_t)strlen(want) && memcmp(buf, want, (size_t)n) == 0;
}

static void test_resolve(void)
{
    /* What each path opens (the text the file holds, or "" for a
     * directory or the FIFO) and its real path, or why it is refused. */
    static const struct { const char *path; int status; const char *real, *holds; } cases[] = {
        { "/", FILES_OK, "/", "" },
        { "/a.txt", FILES_OK, "/a.txt", "root/a.txt" },
        { "/dir", FILES_OK, "/dir", "" },
        { "/dir/", FILES_OK, "/dir/", "" },
        { "/in-link", FILES_OK, "/a.txt", "root/a.txt" },
        { "/dir-link/b.txt", FILES_OK, "/dir/b.txt", "root/dir/b.txt" },
        { "/dir-link/", FILES_OK, "/dir/", "" },
        { "/dir/up-link", FILES_OK, "/a.txt", "root/a.txt" },
        { "/chain1", FILES_OK, "/dir/b.txt", "root/dir/b.txt" },
        { "/fifo", FILES_OK, "/fifo", "" }, /* opened at once: no writer is waited for */
        { "/a.txt/", FILES_NOT_FOUND, NULL, NULL },
        { "/a.txt/x", FILES_NOT_FOUND, NULL, NULL },
        { "/in-link/", FILES_NOT_FOUND, NULL, NULL },
        { "/missing", FILES_NOT_FOUND, NULL, NULL },
        { "/dir/missing/x", FILES_NOT_FOUND, NULL, NULL },
        { "/out-link", FILES_NOT_FOUND, NULL, NULL },
        { "/sibling-link", FILES_NOT_FOUND, NULL, NULL },
        { "/dir/deep-out", FILES_NOT_FOUND, NULL, NULL },
        { "/abs-link", FILES_NOT_FOUND, NULL, NULL }, /* even to a file inside */
        { "/abs-root-link", FILES_NOT_FOUND, NULL, NULL },
        { "/loop1", FILES_NOT_FOUND, NULL, NULL },
        { "/dot-link", FILES_NOT_FOUND, NULL, NULL },
        { "/sock", FILES_OPEN_FAILED, NULL, NULL }, /* a socket cannot be opened */
    };
    char top[PATH_MAX], real[PATH_MAX], path[PATH_MAX];
    struct stat st;
    int root_fd, fd, status;

    if (make_tree(top, sizeof top) < 0 ||
        (snprintf(path, sizeof path, "%.1024s/root", top), root_fd = open(path, O_RDONLY)) < 0) {
        check(0, "a temporary tree", "make_tree", strerror(errno));
        return;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fd = -1;
        status = files_resolve(root_fd, cases[i].path, real, sizeof real, &fd, &st);
        check(status == cases[i].status, cases[i].real != NULL ? "opened" : "refused",
              "files_resolve", cases[i].path);
        if (status == FILES_OK && cases[i].real != NULL) {
            check(strcmp(real, cases[i].real) == 0, cases[i].real, "files_resolve: real path",
                  cases[i].path);
            check(*cases[i].holds == '\0' ? !S_ISREG(st.st_mode) : holds(fd, cases[i].holds),
                  "the file opened is the one named", "files_resolve", cases[i].path);
        }
        if (status == FILES_OK)
            close(fd);
    }
    /* FILE.gz beside FILE: a regular file beneath the root, or none. */
    fd = files_gz_sibling(root_fd, "/h.txt", &st);
    check(fd >= 0 && S_ISREG(st.st_mode) && holds(fd, "root/h.txt.gz"), "found",
          "files_gz_sibling", "/h.txt");
    if (fd >= 0)
        close(fd);
    check(files_gz_sibling(root_fd, "/g.txt", &st) < 0, "a .gz symlink out of the root is none",
          "files_gz_sibling", "/g.txt");
    check(files_gz_sibling(root_fd, "/gz-dir.txt", &st) < 0, "a .gz directory is none",
          "files_gz_sibling", "/gz-dir.txt");
    check(files_gz_sibling(root_fd, "/a.txt", &st) < 0, "none", "files_gz_sibling", "/a.txt");
    close(root_fd);
    remove_tree(top);
}

int main(void)
{
    char tag[64];

    test_dates();
    test_none_match();
    test_ranges();
    test_gzip();
    test_types_and_urls();
    test_normalize();
    test_resolve();
    files_etag(tag, sizeof tag, 31, 1600000000);
    check(strcmp(tag, "\"1f-5f5e1000\"") == 0, "the ETag is \"size-mtime\" in hex", "files_etag",
          tag);
    printf("files: %d checks: %d passed, %d failed\n", checks, checks - failures, failures);
    return failures > 0;
}
