/*
 * test_files — unit tests for the pure functions of a step's files.c
 * (step04-static-files and later): HTTP dates, entity-tag matching, Range,
 * Accept-Encoding, Content-Type and URL encoding. The expected values come
 * from RFC 9110 (§5.6.7 dates, §13.1 preconditions, §14 ranges, §12.5.3
 * Accept-Encoding), not from the code.
 *
 *     make build/test-files-step04 && build/test-files-step04
 */
#include <stdio.h>
#include <string.h>

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
        { "bytes=99999999999999999999-", 100, RANGE_NONE, 0, 0 },
        { "bytes=0-99999999999999999999", 100, RANGE_NONE, 0, 0 },
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

int main(void)
{
    char tag[64];

    test_dates();
    test_none_match();
    test_ranges();
    test_gzip();
    test_types_and_urls();
    files_etag(tag, sizeof tag, 31, 1600000000);
    check(strcmp(tag, "\"1f-5f5e1000\"") == 0, "the ETag is \"size-mtime\" in hex", "files_etag",
          tag);
    printf("files: %d checks: %d passed, %d failed\n", checks, checks - failures, failures);
    return failures > 0;
}
