/*
 * request.h — an HTTP/1.1 request-head parser (RFC 9112) that allocates
 * nothing: it reads the caller's buffer in place and returns views into it;
 * and a decoder for chunked request bodies that works on the bytes as they
 * arrive.
 */
#ifndef REQUEST_H
#define REQUEST_H

#include <stddef.h>

#define HTTP_LINE_MAX 8192      /* bytes in the request line; more gets 414 */
#define HTTP_HEAD_MAX 16384     /* bytes in the request head; more gets 431 */
#define HTTP_FIELDS_MAX 100     /* header fields in a request; more gets 431 */
#define HTTP_BODY_MAX (1 << 20) /* bytes in a request body; more gets 413 */
#define HTTP_CHUNK_LINE_MAX 1024 /* bytes in a chunk-size line with its
                                    extensions (CRLF not counted); more gets 400 */
#define HTTP_CHUNK_FRAMING_MAX 65536 /* bytes of chunk-size lines, extensions
                           and trailers in one body beyond its data; more gets 400 */

/* What http_parse_request() returns when there is no complete, valid head. */
#define HTTP_INCOMPLETE (-1) /* the head has not ended yet: read more, call again */
#define HTTP_ERROR (-2)      /* the request is invalid: answer req->status */

/* One header field; both views point into the parsed buffer. */
struct http_header {
    const char *name;  /* as sent, e.g. "Host"; not NUL-terminated */
    size_t name_len;   /* bytes */
    const char *value; /* without the whitespace around it */
    size_t value_len;  /* bytes */
};

/* A parsed request head. The caller sets the three "in" fields; the parser
 * fills the rest. Every const char * view points into the parsed buffer or
 * into path_buf, and none is NUL-terminated: use it with its length. */
struct http_request {
    char *path_buf;              /* in: where the decoded path goes */
    size_t path_size;            /* in: its size; HTTP_LINE_MAX is always enough */
    struct http_header *headers; /* in: room for the header fields */
    size_t max_headers;          /* in: how many fit; more gets 431 */
    size_t num_headers;          /* out: how many the request has */

    const char *method;  /* "GET", "POST", ... (case-sensitive) */
    size_t method_len;
    const char *target;  /* the request-target as sent, e.g. "/a%20b?x=1" */
    size_t target_len;
    const char *path;    /* the target's path, percent-decoded: "/a b" */
    size_t path_len;
    const char *query;   /* what follows '?' (not decoded); NULL if no '?' */
    size_t query_len;
    int version_major;   /* HTTP/1.1: 1 */
    int version_minor;   /* HTTP/1.1: 1 */
    long long content_length; /* bytes of body; -1 if no Content-Length */
    int chunked;         /* 1: the body is Transfer-Encoding: chunked */

    int status;          /* after HTTP_ERROR: 400, 413, 414, 431, 501 or 505 */
    char error[160];     /* after HTTP_ERROR: one line saying what was wrong */
};

/* Where a chunked body's decoder is (RFC 9112 §7.1). Zero it (or call
 * http_chunked_init) before the body's first byte. */
struct http_chunked {
    int state;               /* which part of the body comes next (request.c) */
    unsigned long long left; /* bytes of chunk data still to come */
    size_t line_len;         /* bytes of the size line so far */
    size_t trailer_len;      /* bytes of the trailer section so far */
    size_t framing_len;      /* bytes that were not chunk data so far: size
                                lines and CRLFs, trailer section */
    long long body_len;      /* bytes of chunk data decoded so far */
    int status;              /* after HTTP_ERROR: 400, 413 or 431 */
    char error[160];         /* after HTTP_ERROR: one line saying what was wrong */
};

/* Parse the request head at the start of buf[0..len). last_len is len at
 * the previous call for this request (0 the first time): the search for the
 * head's end resumes there. The result does not depend on how the bytes
 * were split between calls. Returns the head's length in bytes (up to and
 * including its empty line), HTTP_INCOMPLETE, or HTTP_ERROR with
 * req->status and req->error set. */
int http_parse_request(const char *buf, size_t len, size_t last_len,
                       struct http_request *req);

/* Start decoding a new chunked body with dec. */
void http_chunked_init(struct http_chunked *dec);

/* Decode the next bytes of a chunked body, buf[0..*len), in place: the
 * chunk data moves to the start of buf and *len becomes its length. Feed
 * the body in pieces of any size. Returns HTTP_INCOMPLETE when every byte
 * was used and the body goes on; at its end (trailer section read), the
 * number of bytes that came after it, which now start at buf + *len; or
 * HTTP_ERROR with dec->status and dec->error set. */
int http_decode_chunked(struct http_chunked *dec, char *buf, size_t *len);

/* Whether a field called name (any case) lists token (any case) in its
 * comma-separated value, e.g. http_has_token(req, "Connection", "close"). */
int http_has_token(const struct http_request *req, const char *name, const char *token);

/* Return the first header field called name (any case), or NULL. */
const struct http_header *http_find_header(const struct http_request *req,
                                           const char *name);

/* Whether p[0..n) equals the NUL-terminated s, ignoring ASCII case
 * (field names, and many field values, are case-insensitive). */
int http_equals_nocase(const char *p, size_t n, const char *s);

/* Return the reason phrase of status (RFC 9110 §15), e.g. "Not Found". */
const char *http_reason(int status);

#endif
