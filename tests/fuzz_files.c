/*
 * fuzz_files — a libFuzzer harness for the header-value parsers the
 * request parser never reaches: files_parse_range, files_parse_date,
 * files_none_match, files_if_range and files_accepts_gzip (files.c), and
 * http_has_token (request.c). Each input is one field value, given to
 * every parser; its first byte picks the file size, ETag and time they
 * are asked about. When a result breaks the parser's contract (files.h,
 * request.h) the harness calls abort(); AddressSanitizer and UBSan catch
 * the rest. Built against the newest step by tests/fuzz.sh:
 *
 *     make fuzz FUZZ_SECONDS=60    (needs clang with libFuzzer)
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "files.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define VALUE_MAX 4096 /* bytes of a value tried; longer inputs are cut */

/* Unless ok, stop the fuzzer, naming the line of the rule broken: the
 * input is saved. */
static void check(int ok, int line)
{
    if (!ok) {
        fprintf(stderr, "fuzz_files: the check at tests/fuzz_files.c:%d failed\n", line);
        abort();
    }
}

/* ---- ranges ---- */

/* The representation sizes tried, picked by the input's first byte. */
static off_t pick_size(unsigned sel)
{
    static const long long sizes[] = { 0, 1, 0 /* sel / 8 */, 100, 1000000,
                                       1LL << 31, 1LL << 62, LLONG_MAX };
    long long s = sizes[sel % 8];

    if (sel % 8 == 2)
        s = (long long)(sel / 8);
    if (sizeof(off_t) < sizeof(long long) && s > LONG_MAX) /* 32-bit off_t */
        s = LONG_MAX;
    return (off_t)s;
}

/* Parse value[0..len) for size; check the result's contract, and that a
 * range found comes back the same when written out plainly. */
static void check_range(const char *value, size_t len, off_t size)
{
    off_t first = -7, last = -7, f2, l2;
    char canon[64];
    int r = files_parse_range(value, len, size, &first, &last), n;

    check(r == RANGE_NONE || r == RANGE_OK || r == RANGE_UNSATISFIABLE, __LINE__);
    if (memchr(value, ',', len) != NULL) /* several ranges: all of it */
        check(r == RANGE_NONE, __LINE__);
    if (r != RANGE_OK)
        return;
    check(size > 0 && 0 <= first && first <= last && last < size, __LINE__);
    n = snprintf(canon, sizeof canon, "bytes=%lld-%lld", (long long)first, (long long)last);
    check(files_parse_range(canon, (size_t)n, size, &f2, &l2) == RANGE_OK, __LINE__);
    check(f2 == first && l2 == last, __LINE__);
}

/* What "bytes=a-b" (b < 0: "bytes=a-"; a < 0: "bytes=-b") must give for
 * size, worked out by arithmetic; compared with files_parse_range. */
static void check_range_numbers(long long a, long long b, off_t size)
{
    char v[64];
    off_t first = 0, last = 0;
    int n, r, want;
    long long want_first = 0, want_last = (long long)size - 1;

    if (a < 0)
        n = snprintf(v, sizeof v, "bytes=-%lld", b);
    else if (b < 0)
        n = snprintf(v, sizeof v, "bytes=%lld-", a);
    else
        n = snprintf(v, sizeof v, "bytes=%lld-%lld", a, b);
    if (a < 0) { /* the last b bytes */
        want = b == 0 || size == 0 ? RANGE_UNSATISFIABLE : RANGE_OK;
        want_first = b < (long long)size ? (long long)size - b : 0;
    } else if (b >= 0 && b < a) {
        want = RANGE_NONE;
    } else {
        want = a >= (long long)size ? RANGE_UNSATISFIABLE : RANGE_OK;
        want_first = a;
        if (b >= 0 && b < want_last)
            want_last = b;
    }
    r = files_parse_range(v, (size_t)n, size, &first, &last);
    check(r == want, __LINE__);
    if (r == RANGE_OK)
        check(first == want_first && last == want_last, __LINE__);
}

/* Two numbers from the input's bytes, of all magnitudes, for
 * check_range_numbers: as given, and cut down to the size's scale. */
static void fuzz_range_numbers(const uint8_t *p, size_t len, off_t size)
{
    uint64_t x = 0, y = 0;

    if (len < 16)
        return;
    memcpy(&x, p, 8);
    memcpy(&y, p + 8, 8);
    x &= INT64_MAX;
    y &= INT64_MAX;
    check_range_numbers((long long)x, (long long)y, size);
    check_range_numbers((long long)(x % 2048), (long long)(y % 2048), size);
    check_range_numbers((long long)(x % 2048), -1, size);
    check_range_numbers(-1, (long long)(y % 2048), size);
    check_range_numbers(-1, (long long)y, size);
}

/* ---- dates ---- */

/* Write t in the three formats of RFC 9110 §5.6.7 (C locale: the program
 * never calls setlocale). The year is written with 4 digits, which %Y
 * does not promise below 1000. rfc850 is "" outside 1970-2069, which its
 * two-digit year cannot name. */
static void format_dates(time_t t, char *imf, char *rfc850, char *asc, size_t size)
{
    static const char *const days[] = { "Sunday", "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday" };
    struct tm tm;
    char day_mon[32], hms[16];
    int year;

    check(gmtime_r(&t, &tm) != NULL, __LINE__);
    year = tm.tm_year + 1900;
    check(year >= 0 && year <= 9999 && tm.tm_wday >= 0 && tm.tm_wday < 7, __LINE__);
    strftime(hms, sizeof hms, "%H:%M:%S", &tm);
    strftime(day_mon, sizeof day_mon, "%a, %d %b", &tm);
    snprintf(imf, size, "%s %04d %s GMT", day_mon, year, hms);
    rfc850[0] = '\0';
    if (year >= 1970 && year <= 2069) {
        strftime(day_mon, sizeof day_mon, "%d-%b-", &tm);
        snprintf(rfc850, size, "%s, %s%02d %s GMT", days[tm.tm_wday], day_mon, year % 100, hms);
    }
    strftime(day_mon, sizeof day_mon, "%a %b", &tm);
    snprintf(asc, size, "%s %2d %s %04d", day_mon, tm.tm_mday, hms, year);
}

#define TIME_MIN (-62167219200LL) /* 0000-01-01 00:00:00 GMT */
#define TIME_MAX 253402300800LL    /* 10000-01-01 00:00:00: 9999-12-31 23:59:60 */

/* A date that parses must lie in years 0-9999 (a leap second may end
 * the last one), and t written in each format must parse back to t.
 * Returns what files_parse_date returned. */
static int check_date(const char *value, size_t len, time_t *t)
{
    char imf[64], rfc850[64], asc[64];
    time_t again;
    int r = files_parse_date(value, len, t);

    check(r == 0 || r == -1, __LINE__);
    if (r < 0)
        return r;
    check((long long)*t >= TIME_MIN && (long long)*t <= TIME_MAX, __LINE__);
    if ((long long)*t == TIME_MAX) /* no 4-digit year can write it */
        return r;
    format_dates(*t, imf, rfc850, asc, sizeof imf);
    /* An IMF-fixdate names the time it was parsed as (a leap second aside;
     * the day name is not checked). */
    if (len == 29 && value[3] == ',' && memcmp(value + 23, "60", 2) != 0)
        check(memcmp(imf + 3, value + 3, 26) == 0, __LINE__);
    check(strlen(imf) == 29 && files_parse_date(imf, 29, &again) == 0 && again == *t, __LINE__);
    check(strlen(asc) == 24 && files_parse_date(asc, 24, &again) == 0 && again == *t, __LINE__);
    if (rfc850[0] != '\0')
        check(files_parse_date(rfc850, strlen(rfc850), &again) == 0 && again == *t, __LINE__);
    return r;
}

/* ---- validators ---- */

/* If value[0..len) starts with an entity-tag ([W/]"..."), copy the tag
 * alone to tag (NUL-terminated) and return 1; else 0. */
static int leading_tag(const char *value, size_t len, char *tag, size_t size)
{
    const char *p = value, *end = value + len, *close;

    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (end - p >= 2 && p[0] == 'W' && p[1] == '/')
        p += 2;
    if (p == end || *p != '"' || (close = memchr(p + 1, '"', (size_t)(end - p - 1))) == NULL ||
        (size_t)(close + 1 - p) >= size || memchr(p, '\0', (size_t)(close + 1 - p)) != NULL)
        return 0;
    memcpy(tag, p, (size_t)(close + 1 - p));
    tag[close + 1 - p] = '\0';
    return 1;
}

static char joined[2 * VALUE_MAX + 64];

/* joined = a + b + c; returns its length. */
static size_t join(const char *a, size_t a_len, const char *b, const char *c)
{
    size_t n = a_len;

    memcpy(joined, a, a_len);
    memcpy(joined + n, b, strlen(b));
    n += strlen(b);
    memcpy(joined + n, c, strlen(c));
    return n + strlen(c);
}

/* If-None-Match and If-Range against the ETag etag and the time mtime; a
 * date in value (parsed, at *t) when have_date. */
static void check_validators(const char *value, size_t len, const char *etag, time_t mtime,
                             int have_date, time_t t)
{
    char tag[VALUE_MAX + 1];
    size_t n;
    int r = files_none_match(value, len, etag);

    check(r == 0 || r == 1, __LINE__);
    /* A list that starts with the ETag matches, whatever follows. */
    n = join(etag, strlen(etag), ", ", "");
    memcpy(joined + n, value, len);
    check(files_none_match(joined, n + len, etag) == 1, __LINE__);
    n = join("W/", 2, etag, ",");
    memcpy(joined + n, value, len);
    check(files_none_match(joined, n + len, etag) == 1, __LINE__);
    if (leading_tag(value, len, tag, sizeof tag)) {
        check(files_none_match(value, len, tag) == 1, __LINE__);
        /* W/"x" is weak, never good for If-Range; it may still end in a
         * date (an RFC 850 day name is not checked). */
        check(files_if_range(value, len, tag, mtime) ==
              (value[0] == '"' ? len == strlen(tag) : have_date && t == mtime), __LINE__);
    }
    r = files_if_range(value, len, etag, mtime);
    check(r == 0 || r == 1, __LINE__);
    if (len > 0 && value[0] == '"')
        check(r == (len == strlen(etag) && memcmp(value, etag, len) == 0), __LINE__);
    else if (have_date)
        check(r == (t == mtime) && files_if_range(value, len, etag, t) == 1 &&
              files_if_range(value, len, etag, t + 1) == 0, __LINE__);
    else
        check(r == 0, __LINE__);
}

/* ---- Accept-Encoding and tokens ---- */

/* The result is 0 or 1, and a later "gzip" element overrides the value's. */
static void check_gzip(const char *value, size_t len)
{
    size_t n;
    int r = files_accepts_gzip(value, len);

    check(r == 0 || r == 1, __LINE__);
    n = join(value, len, ", gzip;q=0", "");
    check(files_accepts_gzip(joined, n) == 0, __LINE__);
    n = join(value, len, ",GZIP", "");
    check(files_accepts_gzip(joined, n) == 1, __LINE__);
    n = join(value, len, ", x-gzip ; q=0.5", "");
    check(files_accepts_gzip(joined, n) == 1, __LINE__);
}

/* Whether the comma-separated list value[0..len) holds token (any case):
 * what request.h says http_has_token does, written out plainly. */
static int list_holds(const char *value, size_t len, const char *token)
{
    size_t start = 0, t_len = strlen(token);

    while (start <= len) {
        size_t stop = start, a, b;

        while (stop < len && value[stop] != ',')
            stop++;
        for (a = start; a < stop && (value[a] == ' ' || value[a] == '\t'); a++)
            ;
        for (b = stop; b > a && (value[b - 1] == ' ' || value[b - 1] == '\t'); b--)
            ;
        if (b - a == t_len && t_len > 0) {
            size_t i = 0;
            for (; i < t_len; i++) {
                char x = value[a + i], y = token[i];
                if (x >= 'A' && x <= 'Z')
                    x = (char)(x - 'A' + 'a');
                if (y >= 'A' && y <= 'Z')
                    y = (char)(y - 'A' + 'a');
                if (x != y)
                    break;
            }
            if (i == t_len)
                return 1;
        }
        start = stop + 1;
    }
    return 0;
}

/* http_has_token on a request whose one field is "Connection: value",
 * for a few tokens and the value's own first element, against list_holds. */
static void check_tokens(const char *value, size_t len)
{
    static const char *const tokens[] = { "close", "keep-alive", "chunked", "Upgrade" };
    struct http_header h = { "connection", 10, value, len };
    struct http_request req;
    char first[64];
    size_t n = 0;

    memset(&req, 0, sizeof req);
    req.headers = &h;
    req.num_headers = 1;
    req.max_headers = 1;
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
        int r = http_has_token(&req, "Connection", tokens[i]);
        check(r == list_holds(value, len, tokens[i]), __LINE__);
        check(http_has_token(&req, "Connectio", tokens[i]) == 0, __LINE__);
    }
    while (n < len && n + 1 < sizeof first && value[n] != ',' && value[n] != '\0') {
        first[n] = value[n];
        n++;
    }
    first[n] = '\0';
    if (n < len && value[n] == '\0')
        return;
    check(http_has_token(&req, "CONNECTION", first) == list_holds(value, len, first), __LINE__);
}

/* ---- the harness ---- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *value = (const char *)data + 1;
    size_t len = size - 1;
    unsigned sel;
    off_t file_size;
    time_t mtime, t = 0;
    char etag[64];
    int have_date;

    if (size == 0)
        return 0;
    if (len > VALUE_MAX)
        len = VALUE_MAX;
    sel = data[0];
    file_size = pick_size(sel);
    mtime = (time_t)784111777 + (time_t)(sel % 3) - 1; /* about Sun, 06 Nov 1994 08:49:37 GMT */
    files_etag(etag, sizeof etag, file_size, mtime);

    check_range(value, len, file_size);
    fuzz_range_numbers(data + 1, len, file_size);
    have_date = check_date(value, len, &t) == 0;
    check_validators(value, len, etag, mtime, have_date, t);
    check_gzip(value, len);
    check_tokens(value, len);
    return 0;
}
