/*
 * test_request — table-driven unit tests for the request parser of one step
 * (step03-parser/request.c and its copies in later steps), and from step05
 * on for http_has_token() on a parsed head. Every case is parsed whole,
 * split in two at every byte, and fed one byte at a time; all must agree.
 * Each parse reads a buffer malloc'd to the exact size, so under
 * SANITIZE=1 AddressSanitizer catches any read past the end.
 *
 *     make build/test-request-step03 && build/test-request-step03
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "unit.h"

#define OK 200         /* the case parses */
#define MORE (-1)      /* HTTP_INCOMPLETE: the case needs more bytes */
#define NONE "\x01"    /* .query: there must be no '?' at all */

struct parser_case {
    const char *name;
    const char *input;
    size_t len;           /* 0: strlen(input) */
    int status;           /* OK, MORE, or the error status */
    size_t extra;         /* OK: bytes after the head (a body) */
    const char *method;   /* OK: what must be parsed; NULL: not checked */
    const char *path;
    const char *query;
    int minor;            /* OK: the version's minor digit */
    long long length;     /* OK: Content-Length, -1 for none */
    size_t headers;       /* OK: how many fields */
    const char *error;    /* an error: a piece of the message; NULL: not checked */
};

#define H11 " HTTP/1.1\r\nHost: a\r\n\r\n"
#define WITH_LEN(s) s, sizeof s - 1 /* for inputs with a NUL byte inside */
/* Slots in each header array given to the parser, which may use
 * HTTP_FIELDS_MAX: one spare, so a parser that misses the limit fails a
 * check here instead of writing past the array and crashing the test. */
#define FIELD_ROOM (HTTP_FIELDS_MAX + 1)

static const struct parser_case cases[] = {
    /* valid requests */
    { "simple GET", "GET /" H11, 0, OK, 0, "GET", "/", NONE, 1, -1, 1, NULL },
    { "HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", 0, OK, 0, "GET", "/", NONE, 0, -1, 0, NULL },
    { "bare LF line ends", "GET / HTTP/1.1\nHost: a\n\n", 0, OK, 0, "GET", "/", NONE, 1, -1, 1, NULL },
    { "mixed line ends", "GET / HTTP/1.1\r\nHost: a\n\r\n", 0, OK, 0, "GET", "/", NONE, 1, -1, 1, NULL },
    { "one empty line first (CRLF)", "\r\nGET /" H11, 0, OK, 0, "GET", "/", NONE, 1, -1, 1, NULL },
    { "one empty line first (LF)", "\nGET /" H11, 0, OK, 0, "GET", "/", NONE, 1, -1, 1, NULL },
    { "query", "GET /a?x=1&y=2" H11, 0, OK, 0, "GET", "/a", "x=1&y=2", 1, -1, 1, NULL },
    { "empty query", "GET /a?" H11, 0, OK, 0, "GET", "/a", "", 1, -1, 1, NULL },
    { "query is not decoded", "GET /a?q=%20" H11, 0, OK, 0, "GET", "/a", "q=%20", 1, -1, 1, NULL },
    { "percent-decoded space", "GET /a%20b" H11, 0, OK, 0, "GET", "/a b", NONE, 1, -1, 1, NULL },
    { "lower-case hex", "GET /a%2fb" H11, 0, OK, 0, "GET", "/a/b", NONE, 1, -1, 1, NULL },
    { "upper-case hex", "GET /a%2Fb" H11, 0, OK, 0, "GET", "/a/b", NONE, 1, -1, 1, NULL },
    { "%25 is a percent sign", "GET /100%25" H11, 0, OK, 0, "GET", "/100%", NONE, 1, -1, 1, NULL },
    { "UTF-8 escapes", "GET /caf%C3%A9" H11, 0, OK, 0, "GET", "/caf\xc3\xa9", NONE, 1, -1, 1, NULL },
    { "absolute-form", "GET http://example.com/x?y" H11, 0, OK, 0, "GET", "/x", "y", 1, -1, 1, NULL },
    { "absolute-form, no path", "GET http://example.com" H11, 0, OK, 0, "GET", "/", NONE, 1, -1, 1, NULL },
    { "absolute-form, query, no path", "GET http://example.com?q" H11, 0, OK, 0, "GET", "/", "q", 1, -1, 1, NULL },
    { "absolute-form, scheme in capitals", "GET HTTP://example.com/x" H11, 0, OK, 0, "GET", "/x", NONE, 1, -1, 1, NULL },
    { "absolute-form with a port", "GET http://example.com:8080/p" H11, 0, OK, 0, "GET", "/p", NONE, 1, -1, 1, NULL },
    { "HTTP/1.2 is served as 1.x", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 0, OK, 0, "GET", "/", NONE, 2, -1, 1, NULL },
    { "HEAD", "HEAD /" H11, 0, OK, 0, "HEAD", "/", NONE, 1, -1, 1, NULL },
    { "POST with a body", "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 0, OK, 5, "POST", "/f", NONE, 1, 5, 2, NULL },
    { "PUT", "PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 0, OK, 0, "PUT", "/f", NONE, 1, 0, 2, NULL },
    { "DELETE", "DELETE /f" H11, 0, OK, 0, "DELETE", "/f", NONE, 1, -1, 1, NULL },
    { "whitespace around a value", "GET / HTTP/1.1\r\nHost: \t a \t\r\n\r\n", 0, OK, 0, "GET", "/", NONE, 1, -1, 1, NULL },
    { "tab inside a value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\tb\r\n\r\n", 0, OK, 0, "GET", "/", NONE, 1, -1, 2, NULL },
    { "obs-text in a value", "GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n", 0, OK, 0, "GET", "/", NONE, 1, -1, 2, NULL },
    { "empty value", "GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n", 0, OK, 0, "GET", "/", NONE, 1, -1, 2, NULL },
    { "field names ignore case", "GET / HTTP/1.1\r\nhOST: a\r\n\r\n", 0, OK, 0, "GET", "/", NONE, 1, -1, 1, NULL },
    { "token characters in a name", "GET / HTTP/1.1\r\nHost: a\r\nX-!#$%&'*+.^_`|~9: v\r\n\r\n", 0, OK, 0, "GET", "/", NONE, 1, -1, 2, NULL },
    { "Content-Length 0", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 0, OK, 0, "POST", "/", NONE, 1, 0, 2, NULL },
    { "leading zeros are decimal", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 010\r\n\r\n0123456789", 0, OK, 10, "POST", "/", NONE, 1, 10, 2, NULL },
    { "equal Content-Lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\nx", 0, OK, 1, "POST", "/", NONE, 1, 1, 3, NULL },
    { "Content-Length at the limit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n", 0, OK, 0, "POST", "/", NONE, 1, 1048576, 2, NULL },
    { "empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", 0, OK, 0, "GET", "/", NONE, 1, -1, 1, NULL },
    { "Host with a port", "GET / HTTP/1.1\r\nHost: localhost:8000\r\n\r\n", 0, OK, 0, "GET", "/", NONE, 1, -1, 1, NULL },
    { "Host as an IPv6 literal", "GET / HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n", 0, OK, 0, "GET", "/", NONE, 1, -1, 1, NULL },
    { "Host with sub-delims", "GET / HTTP/1.1\r\nHost: a-b_c~d.e!$&'()*+;=\r\n\r\n", 0, OK, 0, "GET", "/", NONE, 1, -1, 1, NULL },
    { "visible ASCII in the target", "GET /a<b>\"{}|\\^`@:!$&'()*+,;=~" H11, 0, OK, 0, "GET", "/a<b>\"{}|\\^`@:!$&'()*+,;=~", NONE, 1, -1, 1, NULL },
    { "pipelined bytes after the head", "GET /" H11 "GET /", 0, OK, 5, "GET", "/", NONE, 1, -1, 1, NULL },

    /* not yet complete */
    { "nothing", "", 0, MORE, 0, NULL, NULL, NULL, 0, 0, 0, NULL },
    { "a CR alone", "\r", 0, MORE, 0, NULL, NULL, NULL, 0, 0, 0, NULL },
    { "a request line alone", "GET / HTTP/1.1\r\n", 0, MORE, 0, NULL, NULL, NULL, 0, 0, 0, NULL },
    { "no empty line yet", "GET / HTTP/1.1\r\nHost: a\r\n", 0, MORE, 0, NULL, NULL, NULL, 0, 0, 0, NULL },
    { "half an empty line", "GET / HTTP/1.1\r\nHost: a\r\n\r", 0, MORE, 0, NULL, NULL, NULL, 0, 0, 0, NULL },

    /* the request line */
    { "empty request line", "\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "empty request line" },
    { "two empty lines first", "\r\n\r\nGET /" H11, 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "empty request line" },
    { "two spaces after the method", "GET  /" H11, 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "more than one space" },
    { "two spaces before the version", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "version" },
    { "a space first", " GET /" H11, 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "more than one space" },
    { "a tab as separator", "GET\t/" H11, 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, NULL },
    { "a space after the version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "version" },
    { "no version (HTTP/0.9 style)", "GET /\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "METHOD SP TARGET" },
    { "a method alone", "GET\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, NULL },
    { "a bad character in the method", "G@T /" H11, 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "method" },
    { "methods are case-sensitive", "get /" H11, 0, 501, 0, NULL, NULL, NULL, 0, 0, 0, "get" },
    { "an unknown method", "BREW /" H11, 0, 501, 0, NULL, NULL, NULL, 0, 0, 0, "BREW is not implemented" },
    { "OPTIONS *", "OPTIONS *" H11, 0, 501, 0, NULL, NULL, NULL, 0, 0, 0, NULL },
    { "CONNECT", "CONNECT a.example:443" H11, 0, 501, 0, NULL, NULL, NULL, 0, 0, 0, NULL },
    { "* is for OPTIONS only", "GET *" H11, 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "OPTIONS" },
    { "a target without /", "GET a" H11, 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "start with /" },
    { "a fragment", "GET /a#b" H11, 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "#" },
    { "a control byte in the target", "GET /a\x01" "b" H11, 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "control" },
    { "DEL in the target", "GET /a\x7f" H11, 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "control" },
    { "NUL in the target", WITH_LEN("GET /a\0b" H11), 400, 0, NULL, NULL, NULL, 0, 0, 0, "control" },
    { "another scheme", "GET ftp://a/b" H11, 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, NULL },
    { "absolute-form without a host", "GET http:///x" H11, 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "host" },
    { "absolute-form with userinfo", "GET http://u@a/x" H11, 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "host" },
    { "a lone %", "GET /a%" H11, 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "%XX" },
    { "one hex digit", "GET /a%4" H11, 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "%XX" },
    { "not hex", "GET /a%zz" H11, 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "%XX" },
    { "half hex", "GET /a%4g" H11, 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "%XX" },
    { "%00", "GET /a%00b" H11, 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "%00" },

    /* the version */
    { "HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 0, 505, 0, NULL, NULL, NULL, 0, 0, 0, "HTTP/2.0" },
    { "HTTP/3.0", "GET / HTTP/3.0\r\n\r\n", 0, 505, 0, NULL, NULL, NULL, 0, 0, 0, NULL },
    { "HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", 0, 505, 0, NULL, NULL, NULL, 0, 0, 0, NULL },
    { "lower-case http", "GET / http/1.1\r\nHost: a\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "version" },
    { "no minor version", "GET / HTTP/1\r\nHost: a\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "version" },
    { "two-digit minor", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "version" },
    { "two-digit major", "GET / HTTP/11.1\r\nHost: a\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "version" },
    { "letters for digits", "GET / HTTP/a.b\r\nHost: a\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "version" },

    /* line ends */
    { "a bare CR in the request line", "GET / HTTP/1.1\rHost: a\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "bare CR" },
    { "a bare CR in a value", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "bare CR" },
    { "CR CR LF", "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "bare CR" },

    /* header fields */
    { "whitespace before the colon", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nContent-Length : 5\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "whitespace before the colon in header line 3" },
    { "a tab before the colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "whitespace before the colon in header line 1" },
    { "whitespace first (obs-fold)", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "folding" },
    { "a folded value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "header line 3" },
    { "no colon", "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "no colon in header line 2" },
    { "an empty name", "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "empty field name" },
    { "a space in a name", "GET / HTTP/1.1\r\nHost: a\r\nX Y: v\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "field name" },
    { "a separator in a name", "GET / HTTP/1.1\r\nHost: a\r\nX(Y): v\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "field name" },
    { "NUL in a value", WITH_LEN("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"), 400, 0, NULL, NULL, NULL, 0, 0, 0, "control byte" },
    { "a control byte in a value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x1b[31m\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "control byte" },
    { "DEL in a value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "control byte" },

    /* Host */
    { "HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "no Host" },
    { "two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "more than one Host" },
    { "two Hosts in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "more than one Host" },
    { "Host with a slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "invalid Host" },
    { "Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "invalid Host" },
    { "Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "invalid Host" },
    { "Host as a list", "GET / HTTP/1.1\r\nHost: a,b\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "invalid Host" },
    { "Host with an empty port", "GET / HTTP/1.1\r\nHost: a:\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "invalid Host" },
    { "Host with port 65536", "GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "invalid Host" },
    { "Host with a six-digit port", "GET / HTTP/1.1\r\nHost: a:000080\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "invalid Host" },
    { "Host with a bad port", "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "invalid Host" },
    { "Host with an open bracket", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "invalid Host" },

    /* Content-Length and Transfer-Encoding */
    { "Content-Length not a number", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "decimal" },
    { "negative Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "decimal" },
    { "Content-Length with a sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "decimal" },
    { "Content-Length in hex", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "decimal" },
    { "Content-Length with a space inside", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "decimal" },
    { "empty Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "empty Content-Length" },
    { "a Content-Length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "list" },
    { "different Content-Lengths", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "different" },
    { "Content-Length overflow", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "too large" },
    { "Content-Length just past 2^63", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "too large" },
    { "a body over the limit", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n", 0, 413, 0, NULL, NULL, NULL, 0, 0, 0, "1048576" },
#ifdef HTTP_CHUNK_LINE_MAX /* step05 on: chunked bodies are decoded */
    { "Transfer-Encoding: chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 0, OK, 15, "POST", "/", NONE, 1, -1, 2, NULL },
    { "Transfer-Encoding: Chunked", "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n", 0, OK, 0, "GET", "/", NONE, 1, -1, 2, NULL },
    /* RFC 9112 §6.3: chunked not last, the length is unknown: 400 */
    { "Transfer-Encoding: gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "last" },
    { "Transfer-Encoding: chunked, gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "last" },
    { "Transfer-Encoding: gzip, chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, 501, 0, NULL, NULL, NULL, 0, 0, 0, "gzip" },
    { "Transfer-Encoding: chunked, chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "chunked" },
    { "chunked in two Transfer-Encoding fields", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "chunked" },
    { "Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "HTTP/1.0" },
#else
    { "Transfer-Encoding", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 501, 0, NULL, NULL, NULL, 0, 0, 0, "Transfer-Encoding" },
#endif
    { "Transfer-Encoding and Content-Length", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 0, 400, 0, NULL, NULL, NULL, 0, 0, 0, "both" },
};

/* Cases too long to write out, built by build_long_cases(). */
static struct parser_case long_cases[8];
static size_t n_long_cases;

/* A head of exactly size bytes: request_line, Host, then fields up to
 * n_fields in all (or, if 0, fields of 197 bytes while there is room), and
 * a last field that fills it up. Returns a malloc'd buffer, never freed. */
static char *build_head(const char *request_line, size_t size, size_t n_fields, size_t *len)
{
    char *buf = malloc(size + 1);
    size_t n = (size_t)sprintf(buf, "%s\r\nHost: a\r\n", request_line), fields = 1;

    while (n_fields == 0 ? size - n > 400 : fields + 1 < n_fields)
        n += (size_t)sprintf(buf + n, "X-%03zu: %0*d\r\n", fields++, n_fields == 0 ? 188 : 1, 0);
    /* "X-Last: " is 8 bytes and the CRLF CRLF 4: the value gets the rest */
    n += (size_t)sprintf(buf + n, "X-Last: %0*d\r\n\r\n", (int)(size - n - 12), 0);
    *len = n;
    return buf;
}

static void add_long(const char *name, const char *input, size_t len, int status,
                     const char *error)
{
    struct parser_case c = { name, input, len, status, 0, NULL, NULL, NULL, 1, -1, 0, error };
    long_cases[n_long_cases++] = c;
}

static void build_long_cases(void)
{
    size_t max = HTTP_LINE_MAX, len;
    char *line = malloc(max + 600), *head;

    /* "GET /aaa...a HTTP/1.1": exactly HTTP_LINE_MAX bytes, then one more */
    memcpy(line, "GET /", 5);
    memset(line + 5, 'a', max - 14);
    memcpy(line + max - 9, " HTTP/1.1", 10);
    head = build_head(line, 9000, 0, &len);
    add_long("request line at the limit", head, len, OK, NULL);
    memmove(line + 6, line + 5, max - 4);
    head = build_head(line, 9001, 0, &len);
    add_long("request line over the limit", head, len, 414, "8192");
    /* 8700 bytes of target and no line end at all */
    memset(line + 5, 'a', max + 500 - 5);
    add_long("8700 bytes without a line end", line, max + 500, 414, "request line");
    head = build_head("GET / HTTP/1.1", HTTP_HEAD_MAX, 0, &len);
    add_long("head at the limit", head, len, OK, NULL);
    head = build_head("GET / HTTP/1.1", HTTP_HEAD_MAX + 1, 0, &len);
    add_long("head over the limit", head, len, 431, "16384");
    head = build_head("GET / HTTP/1.1", 4000, HTTP_FIELDS_MAX, &len);
    add_long("100 fields", head, len, OK, NULL);
    head = build_head("GET / HTTP/1.1", 4000, HTTP_FIELDS_MAX + 1, &len);
    add_long("101 fields", head, len, 431, "more than 100");
}

/* ---- running a case ---- */


/* Parse input[0..len) from an exact-size copy, so reading past it is caught. */
static int parse_copy(const char *input, size_t len, size_t last_len, struct http_request *req)
{
    char *copy = malloc(len > 0 ? len : 1);
    int r;

    memcpy(copy, input, len);
    r = http_parse_request(copy, len, last_len, req);
    free(copy);  /* the views die here: only status and error are compared */
    return r;
}

static void init(struct http_request *req, char *path, size_t path_size,
                 struct http_header *headers)
{
    memset(req, 0, sizeof *req);
    req->path_buf = path;
    req->path_size = path_size;
    req->headers = headers;
    req->max_headers = HTTP_FIELDS_MAX;
}

/* Whether two results agree: the same return, status and message. */
static int same(int r1, const struct http_request *a, int r2, const struct http_request *b)
{
    return r1 == r2 && (r1 != HTTP_ERROR || (a->status == b->status && strcmp(a->error, b->error) == 0));
}

static void check_fields(const struct parser_case *c, const char *buf, size_t len)
{
    static char path[HTTP_LINE_MAX];
    struct http_header headers[FIELD_ROOM];
    struct http_request req;
    int r;

    init(&req, path, sizeof path, headers);
    r = http_parse_request(buf, len, 0, &req);
    check(r == (int)(len - c->extra), c->name, "whole", "the head length");
    if (r < 0)
        return;
    if (c->method != NULL)
        check(req.method_len == strlen(c->method) && memcmp(req.method, c->method, req.method_len) == 0, c->name, "whole", "method");
    if (c->path != NULL)
        check(req.path_len == strlen(c->path) && memcmp(req.path, c->path, req.path_len) == 0, c->name, "whole", "path");
    if (c->query != NULL && strcmp(c->query, NONE) == 0)
        check(req.query == NULL, c->name, "whole", "no query");
    else if (c->query != NULL)
        check(req.query != NULL && req.query_len == strlen(c->query) && memcmp(req.query, c->query, req.query_len) == 0, c->name, "whole", "query");
    check(req.version_major == 1 && req.version_minor == c->minor, c->name, "whole", "version");
    check(req.content_length == c->length, c->name, "whole", "content length");
    if (c->method != NULL) /* the long cases give no counts */
        check(req.num_headers == c->headers, c->name, "whole", "header count");
#ifdef HTTP_CHUNK_LINE_MAX /* a valid request with Transfer-Encoding is chunked */
    check(req.chunked == (http_find_header(&req, "Transfer-Encoding") != NULL), c->name, "whole", "chunked");
#endif
}

static void run_case(const struct parser_case *c)
{
    static char path[HTTP_LINE_MAX];
    struct http_header headers[FIELD_ROOM];
    struct http_request whole, part;
    size_t len = c->len > 0 ? c->len : strlen(c->input);
    int r, r2;
    char what[64];

    init(&whole, path, sizeof path, headers);
    r = parse_copy(c->input, len, 0, &whole);
    if (c->status == OK) {
        char *copy = malloc(len);
        memcpy(copy, c->input, len);
        check_fields(c, copy, len);
        free(copy);
    } else if (c->status == MORE) {
        check(r == HTTP_INCOMPLETE, c->name, "whole", "incomplete");
    } else {
        snprintf(what, sizeof what, "status %d, got %d", c->status, r == HTTP_ERROR ? whole.status : r);
        check(r == HTTP_ERROR && whole.status == c->status, c->name, "whole", what);
        if (r == HTTP_ERROR && c->error != NULL)
            check(strstr(whole.error, c->error) != NULL, c->name, "whole", whole.error);
    }
    /* Split in two at every byte: the first part may give the answer
     * early, but never a different one. */
    for (size_t k = 1; k < len; k++) {
        init(&part, path, sizeof path, headers);
        r2 = parse_copy(c->input, k, 0, &part);
        if (r2 == HTTP_INCOMPLETE)
            r2 = parse_copy(c->input, len, k, &part);
        snprintf(what, sizeof what, "split at %zu", k);
        check(same(r, &whole, r2, &part), c->name, what, part.error);
    }
    /* One byte at a time, as a slow client sends it. */
    r2 = HTTP_INCOMPLETE;
    for (size_t k = 1; k <= len && r2 == HTTP_INCOMPLETE; k++) {
        init(&part, path, sizeof path, headers);
        r2 = parse_copy(c->input, k, k - 1, &part);
    }
    if (c->status != MORE)
        check(same(r, &whole, r2, &part), c->name, "byte by byte", part.error);
}

/* ---- the field limit ---- */

/* RFC 6585 §5 lets a server refuse too many fields with 431: a head of
 * exactly HTTP_FIELDS_MAX fields parses, all of them kept; one more
 * gets HTTP_ERROR and 431, and the spare slot past the limit stays as it
 * was. Returns the number of cases. */
static size_t test_fields_limit(void)
{
    static char path[HTTP_LINE_MAX];
    struct http_header headers[FIELD_ROOM];
    const struct http_header mark = { "mark", 4, "", 0 };
    struct http_request req;
    size_t len;
    char *head, what[80];
    int r;

    head = build_head("GET / HTTP/1.1", 4000, HTTP_FIELDS_MAX, &len);
    init(&req, path, sizeof path, headers);
    headers[HTTP_FIELDS_MAX] = mark;
    r = parse_copy(head, len, 0, &req);
    snprintf(what, sizeof what, "result %d (status %d), %zu fields", r, req.status, req.num_headers);
    check(r == (int)len && req.num_headers == HTTP_FIELDS_MAX, "HTTP_FIELDS_MAX fields",
          "http_parse_request", what);
    check(headers[HTTP_FIELDS_MAX].name == mark.name, "HTTP_FIELDS_MAX fields",
          "http_parse_request", "wrote past max_headers");
    free(head);
    head = build_head("GET / HTTP/1.1", 4000, HTTP_FIELDS_MAX + 1, &len);
    init(&req, path, sizeof path, headers);
    headers[HTTP_FIELDS_MAX] = mark;
    r = parse_copy(head, len, 0, &req);
    snprintf(what, sizeof what, "result %d (status %d), want HTTP_ERROR and 431", r, req.status);
    check(r == HTTP_ERROR && req.status == 431, "HTTP_FIELDS_MAX + 1 fields", "http_parse_request",
          what);
    check(headers[HTTP_FIELDS_MAX].name == mark.name, "HTTP_FIELDS_MAX + 1 fields",
          "http_parse_request", "wrote past max_headers");
    free(head);
    return 2;
}

/* ---- http_has_token (step05 on) ---- */

/* http_has_token() comes with keep-alive, in the step whose request.h
 * first defines HTTP_CHUNK_LINE_MAX: the Makefile's CHUNKED_STEPS. */
#ifdef HTTP_CHUNK_LINE_MAX
struct token_case {
    const char *fields; /* header lines after Host */
    const char *name;
    const char *token;
    int want;
};

static const struct token_case token_cases[] = {
    { "Connection: close\r\n", "Connection", "close", 1 },
    { "Connection: Close\r\n", "Connection", "close", 1 },
    { "connection: CLOSE\r\n", "Connection", "close", 1 },
    { "Connection: Keep-Alive\r\n", "Connection", "keep-alive", 1 },
    { "Connection: keep-alive\r\n", "Connection", "Keep-Alive", 1 },
    { "Connection: foo, close\r\n", "Connection", "close", 1 },
    { "Connection: close, foo\r\n", "Connection", "close", 1 },
    { "Connection:  close ,x\r\n", "Connection", "close", 1 },
    { "Connection: a ,\t close\t, b\r\n", "Connection", "close", 1 },
    { "Connection: ,, close,\r\n", "Connection", "close", 1 },
    { "Connection: foo\r\nConnection: close\r\n", "Connection", "close", 1 },
    { "Connection: close\r\nConnection: foo\r\n", "Connection", "close", 1 },
    { "Connection: closed\r\n", "Connection", "close", 0 },
    { "Connection: xclose\r\n", "Connection", "close", 0 },
    { "Connection: clos\r\n", "Connection", "close", 0 },
    { "Connection: close-ish\r\n", "Connection", "close", 0 },
    { "Connection: \"close\"\r\n", "Connection", "close", 0 },
    { "Connection: keep-alive\r\n", "Connection", "close", 0 },
    { "Connection:\r\n", "Connection", "close", 0 },
    { "X-Connection: close\r\n", "Connection", "close", 0 },
    { "X: close\r\n", "Connection", "close", 0 },
    { "", "Connection", "close", 0 },
};

/* Parse each case's head from an exact-size copy, kept while
 * http_has_token() reads the views into it, and check the answer.
 * Returns the number of cases. */
static size_t test_has_token(void)
{
    static char path[HTTP_LINE_MAX];
    struct http_header headers[FIELD_ROOM];
    struct http_request req;
    char buf[512], what[64];

    for (size_t i = 0; i < sizeof token_cases / sizeof token_cases[0]; i++) {
        const struct token_case *t = &token_cases[i];
        int n = snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: a\r\n%s\r\n", t->fields);
        char *copy = malloc((size_t)n);

        memcpy(copy, buf, (size_t)n);
        init(&req, path, sizeof path, headers);
        if (http_parse_request(copy, (size_t)n, 0, &req) != n) {
            check(0, t->fields, "http_has_token", "the request does not parse");
        } else {
            snprintf(what, sizeof what, "%s lists %s: want %d", t->name, t->token, t->want);
            check((http_has_token(&req, t->name, t->token) != 0) == t->want, t->fields,
                  "http_has_token", what);
        }
        free(copy);
    }
    return sizeof token_cases / sizeof token_cases[0];
}
#endif

int main(void)
{
    size_t n = sizeof cases / sizeof cases[0];

    build_long_cases();
    for (size_t i = 0; i < n; i++)
        run_case(&cases[i]);
    for (size_t i = 0; i < n_long_cases; i++)
        run_case(&long_cases[i]);
    n += n_long_cases;
    n += test_fields_limit();
#ifdef HTTP_CHUNK_LINE_MAX
    n += test_has_token();
#endif
    printf("parser: %zu cases, %d checks: %d passed, %d failed\n", n, checks,
           checks - failures, failures);
    return failures > 0;
}
