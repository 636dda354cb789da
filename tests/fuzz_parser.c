/*
 * fuzz_parser — a libFuzzer harness for the request parser of one step.
 * It parses each input whole and split in two (where its first byte says),
 * and stops with abort() when the two disagree or a view points outside
 * the input; AddressSanitizer and UBSan catch the rest.
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
    return 0;
}
