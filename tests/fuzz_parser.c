/*
 * fuzz_parser — a libFuzzer harness for the request parser of one step.
 * It parses each input whole and split in two (where its first byte says),
 * and stops with abort() when the two disagree or a view points outside
 * the input; AddressSanitizer and UBSan catch the rest. From the step whose
 * request.h defines HTTP_CHUNK_LINE_MAX (step05), it also decodes each
 * input as a chunked body, whole and split in two, which must agree on the
 * result, the data and the bytes after the body.
 *
 *     make fuzz FUZZ_SECONDS=60    (needs clang with libFuzzer)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path_a[HTTP_LINE_MAX], path_b[HTTP_LINE_MAX];
static struct http_header headers_a[HTTP_FIELDS_MAX], headers_b[HTTP_FIELDS_MAX];

static void init(struct http_request *req, char *path, struct http_header *headers)
{
    memset(req, 0, sizeof *req);
    req->path_buf = path;
    req->path_size = HTTP_LINE_MAX;
    req->headers = headers;
    req->max_headers = HTTP_FIELDS_MAX;
}

/* Every view of a parsed request lies inside buf[0..head_len). */
static void check_views(const struct http_request *req, const char *buf, int head_len)
{
    const char *end = buf + head_len;

    if (req->method < buf || req->method + req->method_len > end ||
        req->target < buf || req->target + req->target_len > end ||
        req->path_len > HTTP_LINE_MAX || req->num_headers > HTTP_FIELDS_MAX ||
        (req->query != NULL && (req->query < buf || req->query + req->query_len > end)) ||
        req->content_length > HTTP_BODY_MAX)
        abort();
    for (size_t i = 0; i < req->num_headers; i++)
        if (req->headers[i].name < buf || req->headers[i].value + req->headers[i].value_len > end)
            abort();
}

#ifdef HTTP_CHUNK_LINE_MAX
/* Decode in[0..size) as a chunked body in two pieces, the first of split
 * bytes, into out (size bytes): the data, then the bytes after the body.
 * Returns HTTP_INCOMPLETE, HTTP_ERROR (*status set) or how many bytes
 * follow the body; *data_len gets the data's length. */
static int decode_chunked(const char *in, size_t size, size_t split, char *out,
                          size_t *data_len, int *status)
{
    struct http_chunked dec;
    size_t from = 0, n = 0, len;
    int r = HTTP_INCOMPLETE;

    http_chunked_init(&dec);
    *status = 0;
    for (int piece = 0; piece < 2 && r == HTTP_INCOMPLETE; piece++) {
        size_t end = piece == 0 ? split : size;

        len = end - from;
        memcpy(out + n, in + from, len);
        r = http_decode_chunked(&dec, out + n, &len);
        if (r == HTTP_ERROR) {
            if (dec.status != 400 && dec.status != 413 && dec.status != 431)
                abort();
            *status = dec.status;
            break;
        }
        if (r < HTTP_INCOMPLETE || len > end - from || (r >= 0 && len + (size_t)r > end - from))
            abort();
        if (r >= 0) { /* what follows the body: this piece's rest, then the input's */
            memcpy(out + n + len + r, in + end, size - end);
            r += (int)(size - end);
        }
        n += len;
        from = end;
    }
    *data_len = n;
    return r;
}

static char body_a[20000], body_b[20000];

/* The chunked decoder agrees with itself, whole and split. */
static void fuzz_chunked(const char *buf, size_t size, size_t split)
{
    size_t len_a, len_b;
    int status_a, status_b, ra, rb;

    if (size > sizeof body_a)
        return;
    ra = decode_chunked(buf, size, size, body_a, &len_a, &status_a);
    rb = decode_chunked(buf, size, split, body_b, &len_b, &status_b);
    if (ra != rb || status_a != status_b)
        abort();
    if (ra != HTTP_ERROR && (len_a != len_b || memcmp(body_a, body_b, len_a) != 0))
        abort();
    if (ra >= 0 && memcmp(body_a + len_a, body_b + len_b, (size_t)ra) != 0)
        abort();
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t split = size > 0 ? data[0] % size : 0;
    struct http_request a, b;
    int ra, rb;

    init(&a, path_a, headers_a);
    ra = http_parse_request(buf, size, 0, &a);
    if (ra > (int)size || (ra < 0 && ra != HTTP_INCOMPLETE && ra != HTTP_ERROR))
        abort();
    if (ra >= 0)
        check_views(&a, buf, ra);
    if (ra == HTTP_ERROR && (a.status < 400 || a.status > 599 || a.error[0] == '\0'))
        abort();
    /* The same bytes in two pieces must give the same answer. */
    init(&b, path_b, headers_b);
    rb = http_parse_request(buf, split, 0, &b);
    if (rb == HTTP_INCOMPLETE)
        rb = http_parse_request(buf, size, split, &b);
    if (ra != rb || (ra == HTTP_ERROR && (a.status != b.status || strcmp(a.error, b.error) != 0)))
        abort();
#ifdef HTTP_CHUNK_LINE_MAX
    fuzz_chunked(buf, size, split);
#endif
    return 0;
}
