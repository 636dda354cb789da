/*
 * test_chunked — table-driven unit tests for the chunked-body decoder
 * (RFC 9112 §7.1) of step05-keepalive/request.c and its copies in later
 * steps. Every body is decoded whole, split in two at every byte, and fed
 * one byte at a time: all must agree on the result, the decoded data and
 * the bytes left after the body, and every error must give its status for
 * the expected reason. Each call gets a buffer malloc'd to the exact size,
 * so under SANITIZE=1 AddressSanitizer catches any access past its end.
 *
 *     make build/test-chunked-step05 && build/test-chunked-step05
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "unit.h"

#define DONE 0      /* the body ends in the input */
#define MORE (-1)   /* HTTP_INCOMPLETE: the body goes on */
#define WITH_LEN(s) s, sizeof s - 1 /* for inputs with a NUL byte inside */

/* Pieces of the decoder's messages that several error cases expect. */
#define NOT_HEX "a chunk size that is not a hex number"
#define BARE_LF "a bare LF in a chunked body"
#define WRONG_SIZE "chunk data longer or shorter than its size"
#define TOO_LARGE "the body is larger than"
#define LONG_LINE "a chunk-size line longer than"
#define LONG_TRAILER "the trailer section is larger than"
#define BAD_EXT "a chunk extension that is not ;name or ;name=value"
#define CTL_EXT "a control byte"
#define END_WS "whitespace at the end of a chunk-size line"
#define FRAMING "the chunked framing (size lines, extensions, trailers) exceeds the data by"

struct chunked_case {
    const char *name;
    const char *input;
    size_t len;       /* 0: strlen(input) */
    int status;       /* DONE, MORE, or the error status */
    const char *data; /* DONE, MORE: the decoded data; NULL: not checked */
    size_t data_len;  /* 0: strlen(data) */
    const char *rest; /* DONE: the bytes after the body */
    const char *error; /* an error: a piece of the message (required); else NULL */
};

static const struct chunked_case cases[] = {
    /* valid bodies */
    { "empty body", "0\r\n\r\n", 0, DONE, "", 0, "", NULL },
    { "one chunk", "5\r\nhello\r\n0\r\n\r\n", 0, DONE, "hello", 0, "", NULL },
    { "several chunks", "5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n", 0, DONE, "hello world", 0, "", NULL },
    { "upper-case hex", "A\r\n0123456789\r\n0\r\n\r\n", 0, DONE, "0123456789", 0, "", NULL },
    { "lower-case hex", "a\r\n0123456789\r\n0\r\n\r\n", 0, DONE, "0123456789", 0, "", NULL },
    { "two hex digits", "1F\r\n0123456789abcdef0123456789abcde\r\n0\r\n\r\n", 0, DONE, "0123456789abcdef0123456789abcde", 0, "", NULL },
    { "leading zeros", "0005\r\nhello\r\n000\r\n\r\n", 0, DONE, "hello", 0, "", NULL },
    { "100 leading zeros are no overflow",
      "00000000000000000000000000000000000000000000000000"
      "00000000000000000000000000000000000000000000000001\r\nx\r\n0\r\n\r\n", 0, DONE, "x", 0, "", NULL },
    { "an extension without a value", "5;flag\r\nhello\r\n0\r\n\r\n", 0, DONE, "hello", 0, "", NULL },
    { "an extension with a value", "5;name=value\r\nhello\r\n0;last=1\r\n\r\n", 0, DONE, "hello", 0, "", NULL },
    { "several extensions", "5;a=1;b;c=2\r\nhello\r\n0\r\n\r\n", 0, DONE, "hello", 0, "", NULL },
    { "a quoted-string value", "5;q=\"a;b=\\\"c\\\" \"\r\nhello\r\n0\r\n\r\n", 0, DONE, "hello", 0, "", NULL },
    { "whitespace before ';' (BWS)", "5 ;a=b\r\nhello\r\n0\t;x\r\n\r\n", 0, DONE, "hello", 0, "", NULL },
    /* RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name
     * [ BWS "=" BWS chunk-ext-val ] ); a name is a token, a value a token
     * or a quoted-string (RFC 9110 §5.6.2, §5.6.4) */
    { "a name alone", "5;name\r\nhello\r\n0\r\n\r\n", 0, DONE, "hello", 0, "", NULL },
    { "BWS around ';' and '='", "5 ; name = value\r\nhello\r\n0\t;\tx\t=\t\"y\"\r\n\r\n", 0, DONE, "hello", 0, "", NULL },
    { "a quoted-pair, then a token value", "5;a=\"quoted \\\" string\";b=tok\r\nhello\r\n0\r\n\r\n", 0, DONE, "hello", 0, "", NULL },
    { "BWS after a quoted-string, before ';'", "5;a=\"x\" ;b\r\nhello\r\n0\r\n\r\n", 0, DONE, "hello", 0, "", NULL },
    { "an empty quoted-string", "5;a=\"\"\r\nhello\r\n0\r\n\r\n", 0, DONE, "hello", 0, "", NULL },
    { "a quoted backslash", "5;a=\"\\\\\"\r\nhello\r\n0\r\n\r\n", 0, DONE, "hello", 0, "", NULL },
    { "HTAB, obs-text and ';' in a quoted-string", "5;a=\"\tcaf\xc3\xa9;b=c\"\r\nhello\r\n0\r\n\r\n", 0, DONE, "hello", 0, "", NULL },
    { "every tchar in a name and a value", "5;!#$%&'*+-.^_`|~09azAZ=!#$%&'*+-.^_`|~09azAZ\r\nhello\r\n0\r\n\r\n", 0, DONE, "hello", 0, "", NULL },
    { "a trailer field", "5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n", 0, DONE, "hello", 0, "", NULL },
    { "several trailer fields", "5\r\nhello\r\n0\r\nA: 1\r\nB: 2\r\nC:\r\n\r\n", 0, DONE, "hello", 0, "", NULL },
    { "data holding CRLFs and a size line", "9\r\n\r\n0\r\n\r\n\r\n\r\n0\r\n\r\n", 0, DONE, "\r\n0\r\n\r\n\r\n", 0, "", NULL },
    { "data holding NUL bytes", WITH_LEN("3\r\na\0b\r\n0\r\n\r\n"), DONE, "a\0b", 3, "", NULL },

    /* bytes after the body: the next request, pipelined */
    { "a request after the body", "5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n", 0, DONE, "hello", 0, "GET / HTTP/1.1\r\n\r\n", NULL },
    { "one byte after the body", "0\r\n\r\nG", 0, DONE, "", 0, "G", NULL },
    { "after trailers", "1\r\nx\r\n0\r\nA: 1\r\n\r\nGET", 0, DONE, "x", 0, "GET", NULL },
    { "another chunked body after it", "0\r\n\r\n0\r\n\r\n", 0, DONE, "", 0, "0\r\n\r\n", NULL },

    /* not yet complete */
    { "nothing", "", 0, MORE, "", 0, NULL, NULL },
    { "a size alone", "5", 0, MORE, "", 0, NULL, NULL },
    { "half a chunk", "5\r\nhel", 0, MORE, "hel", 0, NULL, NULL },
    { "a chunk without its CRLF", "5\r\nhello", 0, MORE, "hello", 0, NULL, NULL },
    { "the last chunk without the empty line", "5\r\nhello\r\n0\r\n", 0, MORE, "hello", 0, NULL, NULL },
    { "half the empty line", "0\r\n\r", 0, MORE, "", 0, NULL, NULL },
    { "a trailer without the empty line", "0\r\nA: 1\r\n", 0, MORE, "", 0, NULL, NULL },

    /* errors; RFC 9112 §7.1: chunk-size = 1*HEXDIG, then CRLF; the data is
     * exactly that many bytes, then CRLF */
    { "no digit", "\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, NOT_HEX },
    { "an extension without a size", ";a=b\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, NOT_HEX },
    { "not hex", "g\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, NOT_HEX },
    { "hex then not hex", "5g\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL,
      "an invalid byte 0x67 in a chunk-size line" },
    { "a 0x prefix", "0x5\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL,
      "an invalid byte 0x78 in a chunk-size line" },
    { "a sign", "+5\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, NOT_HEX },
    { "a minus", "-1\r\nx\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, NOT_HEX },
    { "whitespace before the size", " 5\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, NOT_HEX },
    { "a bare LF after the size", "5\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, BARE_LF },
    { "a bare CR after the size", "5\rhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL,
      "a CR without its LF in a chunked body" },
    { "a bare LF after an extension", "5;a=b\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, BARE_LF },
    /* After the data the decoder cannot tell a bare LF or CR from a wrong
     * size: "hello\n" and "hell" + "\r\n" are alike at the sixth byte. */
    { "a bare LF after the data", "5\r\nhello\n0\r\n\r\n", 0, 400, NULL, 0, NULL,
      "(no CRLF after it)" },
    { "a bare CR after the data", "5\r\nhello\r0\r\n\r\n", 0, 400, NULL, 0, NULL,
      "(no CRLF after it)" },
    { "more data than the size", "5\r\nhello!\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, WRONG_SIZE },
    { "more data than the size, a CR", "5\r\nhello\r\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL,
      WRONG_SIZE },
    { "less data than the size", "5\r\nhell\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, WRONG_SIZE },
    { "two bytes less data than the size", "5\r\nhel\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL,
      WRONG_SIZE },
    { "a bare LF after the last chunk", "0\n\r\n", 0, 400, NULL, 0, NULL, BARE_LF },
    { "a bare LF as the empty line", "0\r\n\n", 0, 400, NULL, 0, NULL, BARE_LF },
    { "a bare LF after a trailer", "0\r\nA: 1\n\r\n", 0, 400, NULL, 0, NULL, BARE_LF },

    /* errors in chunk extensions: the grammar above, strictly; a lenient
     * parser and a strict one in front of it would frame the body apart */
    { "';' with no name", "5;\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, BAD_EXT },
    { "';' at the end", "5;a=b;\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, BAD_EXT },
    { "';' with no name on the last chunk", "5\r\nhello\r\n0;\r\n\r\n", 0, 400, NULL, 0, NULL, BAD_EXT },
    { "a '[' in a name", "5;bad[=x\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, BAD_EXT },
    { "a ',' in a name", "5;a,b\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, BAD_EXT },
    { "a quoted name", "5;\"a\"\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, BAD_EXT },
    { "no name before '='", "5;=x\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, BAD_EXT },
    { "'=' with no value", "5;a=\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, BAD_EXT },
    { "'=' twice", "5;a=b=c\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, BAD_EXT },
    { "a space inside a name", "5;a b\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, BAD_EXT },
    { "a space inside a token value", "5;a=b c\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, BAD_EXT },
    { "obs-text in a token value", "5;a=caf\xc3\xa9\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, BAD_EXT },
    { "a quoted-string not closed", "5;a=\"x\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, BAD_EXT },
    { "text after a quoted-string", "5;a=\"x\"y\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, BAD_EXT },
    /* BWS comes only before ';' or '=': never at the end of the line */
    { "whitespace after the size, no extension", "5 \r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, END_WS },
    { "whitespace after a name", "5;a \r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, END_WS },
    { "whitespace after a value", "5;a=b\t\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, END_WS },
    { "a control byte in a value", "5;a=\x01\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, CTL_EXT },
    { "a control byte in a quoted-string", "5;a=\"\x1b\"\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, CTL_EXT },
    { "a control byte after a backslash", "5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, CTL_EXT },
    { "DEL in a name", "5;a\x7f\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, CTL_EXT },
    { "NUL in a token value", WITH_LEN("5;a=b\0c\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, NULL, CTL_EXT },
    { "a bare LF in a quoted-string", "5;a=\"x\ny\"\r\nhello\r\n0\r\n\r\n", 0, 400, NULL, 0, NULL, BARE_LF },

    { "a size over 1 MiB", "100001\r\nhello", 0, 413, NULL, 0, NULL, TOO_LARGE },
    { "a size of 2^64", "10000000000000000\r\nhello", 0, 413, NULL, 0, NULL, TOO_LARGE },
    { "an overflowing size", "FFFFFFFFFFFFFFFFFFFFFFFF\r\nhello", 0, 413, NULL, 0, NULL,
      TOO_LARGE },
};

/* Cases too long to write out, built by build_long_cases(). */
static struct chunked_case long_cases[32];
static size_t n_long_cases;

static void add_long(const char *name, const char *input, size_t len, int status,
                     const char *data, size_t data_len, const char *error)
{
    struct chunked_case c = { name, input, len, status, data, data_len, status == DONE ? "" : NULL, error };
    long_cases[n_long_cases++] = c;
}

/* The strings given, up to a NULL, joined in a malloc'd buffer (never
 * freed) of *len bytes. */
static char *join(size_t *len, ...)
{
    va_list ap;
    const char *s;
    char *buf;

    *len = 0;
    va_start(ap, len);
    while ((s = va_arg(ap, const char *)) != NULL)
        *len += strlen(s);
    va_end(ap);
    buf = malloc(*len + 1);
    *len = 0;
    va_start(ap, len);
    while ((s = va_arg(ap, const char *)) != NULL) {
        memcpy(buf + *len, s, strlen(s));
        *len += strlen(s);
    }
    va_end(ap);
    buf[*len] = '\0';
    return buf;
}


/* size bytes of 'a', malloc'd, never freed. */
static char *bytes(size_t size)
{
    char *p = malloc(size + 1);
    memset(p, 'a', size);
    p[size] = '\0';
    return p;
}

/* A body of 1-byte chunks, each "1;e=aaa...\r\nx\r\n" with a size line
 * of 996 bytes (the last one 5 to 1004), then "0\r\n", trailer and the
 * empty line, whose bytes other than chunk data (its framing) outnumber the
 * data by excess, at least 2000. Returns it malloc'd, never freed; *len
 * gets its length, *data (malloc'd) the data and *data_len its length. */
static char *framed_body(size_t excess, const char *trailer, size_t *len, char **data,
                         size_t *data_len)
{
    size_t rest = excess - strlen("0\r\n\r\n") - strlen(trailer), line;
    char *buf = malloc(2 * excess), *p = buf;

    *data_len = 0;
    while (rest > 0) {
        /* the last chunk gets what is left: 5 to 1004 bytes of line */
        line = rest >= 1000 + 8 ? 996 : rest - 3;
        memcpy(p, "1;e=", 4);
        memset(p + 4, 'a', line - 4);
        memcpy(p + line, "\r\nx\r\n", 5);
        p += line + 5;
        rest -= line + 3; /* 4 bytes of CRLFs, less the x of data */
        ++*data_len;
    }
    p += sprintf(p, "0\r\n%s\r\n", trailer);
    *len = (size_t)(p - buf);
    *data = malloc(*data_len);
    memset(*data, 'x', *data_len);
    return buf;
}

/* Size lines with their CRLFs, the CRLF after each chunk's data, and the
 * trailer section count toward one bound for the whole body, beyond its
 * data: at it, fine; one byte more, 400. */
static void build_framing_cases(void)
{
    size_t len, data_len, max = HTTP_CHUNK_FRAMING_MAX;
    char *in, *data, *trailer = bytes(8 * 1024);

    in = framed_body(max, "", &len, &data, &data_len);
    add_long("framing at the bound (1-byte chunks, long extensions)", in, len, DONE, data,
             data_len, NULL);
    in = framed_body(max + 1, "", &len, &data, &data_len);
    add_long("framing one byte over the bound", in, len, 400, NULL, 0, FRAMING);
    free(data);
    memcpy(trailer, "X-T: ", 5);
    memcpy(trailer + 8 * 1024 - 2, "\r\n", 2);
    in = framed_body(max, trailer, &len, &data, &data_len);
    add_long("framing at the bound, an 8 KiB trailer in it", in, len, DONE, data, data_len,
             NULL);
    in = framed_body(max + 1, trailer, &len, &data, &data_len);
    add_long("a trailer that takes the framing over the bound", in, len, 400, NULL, 0, FRAMING);
    free(data);
    free(trailer);
    /* 20,000 chunks of 16 bytes: 120,000 bytes of framing, more than the
     * bound alone, but far less than the 320,000 bytes of data. */
    in = malloc(20000 * 22 + 5);
    data = malloc(20000 * 16);
    for (size_t i = 0; i < 20000; i++) {
        memcpy(in + 22 * i, "10\r\n0123456789abcdef\r\n", 22);
        memcpy(data + 16 * i, "0123456789abcdef", 16);
    }
    memcpy(in + 20000 * 22, "0\r\n\r\n", 5);
    add_long("many small chunks: much framing, more data", in, 20000 * 22 + 5, DONE, data,
             20000 * 16, NULL);
}

static void build_long_cases(void)
{
    size_t len, max = HTTP_BODY_MAX, line = HTTP_CHUNK_LINE_MAX;
    char *mib = bytes(max), *half = bytes(max / 2), *ext, *trailer, *in;

    /* a 1 MiB body: in one chunk, in two; one byte more: 413 */
    in = join(&len, "100000\r\n", mib, "\r\n0\r\n\r\n", NULL);
    add_long("1 MiB in one chunk", in, len, DONE, mib, max, NULL);
    in = join(&len, "80000\r\n", half, "\r\n80000\r\n", half, "\r\n0\r\n\r\n", NULL);
    add_long("1 MiB in two chunks", in, len, DONE, mib, max, NULL);
    in = join(&len, "80000\r\n", half, "\r\n80001\r\nhello", NULL);
    add_long("1 MiB + 1 in two chunks", in, len, 413, NULL, 0, TOO_LARGE);
    in = join(&len, "80000\r\n", half, "\r\n80000\r\n", half, "\r\n1\r\nx\r\n0\r\n\r\n", NULL);
    add_long("1 MiB + 1 in three chunks", in, len, 413, NULL, 0, TOO_LARGE);
    free(half);

    /* a size line of HTTP_CHUNK_LINE_MAX bytes, extensions included (CRLF
     * not counted), then one more */
    ext = bytes(line);
    memcpy(ext, "1;e=", 4);
    in = join(&len, ext, "\r\nx\r\n0\r\n\r\n", NULL);
    add_long("a size line at the limit", in, len, DONE, "x", 1, NULL);
    free(ext);
    ext = bytes(line + 1);
    memcpy(ext, "1;e=", 4);
    in = join(&len, ext, "\r\nx\r\n0\r\n\r\n", NULL);
    add_long("a size line over the limit", in, len, 400, NULL, 0, LONG_LINE);
    free(ext);
    ext = bytes(64 * 1024);
    memcpy(ext, "1;e=", 4);
    add_long("64 KiB of extension, no line end", ext, 64 * 1024, 400, NULL, 0, LONG_LINE);
    ext = bytes(line + 1);
    memset(ext, '0', line);
    ext[line] = '1';
    in = join(&len, ext, "\r\nx\r\n0\r\n\r\n", NULL);
    add_long("a size of 1025 leading zeros", in, len, 400, NULL, 0, LONG_LINE);
    free(ext);

    /* a trailer section of HTTP_HEAD_MAX bytes with its empty line: fine
     * however the limit counts that line; 3 bytes more: 431 */
    trailer = bytes(HTTP_HEAD_MAX - 4);
    memcpy(trailer, "X-T: ", 5);
    in = join(&len, "1\r\nx\r\n0\r\n", trailer, "\r\n\r\n", NULL);
    add_long("a trailer section at the limit", in, len, DONE, "x", 1, NULL);
    free(trailer);
    trailer = bytes(HTTP_HEAD_MAX - 1);
    memcpy(trailer, "X-T: ", 5);
    in = join(&len, "1\r\nx\r\n0\r\n", trailer, "\r\n\r\n", NULL);
    add_long("a trailer section over the limit", in, len, 431, NULL, 0, LONG_TRAILER);
    free(trailer);
    trailer = bytes(64 * 1024);
    memcpy(trailer, "0\r\nX-T: ", 8);
    add_long("64 KiB of trailer, no line end", trailer, 64 * 1024, 431, NULL, 0,
             LONG_TRAILER);
    build_framing_cases();
}

/* ---- running a case ---- */


/* What decoding a body gave. */
struct outcome {
    int r;             /* DONE, MORE or HTTP_ERROR */
    int status;        /* after HTTP_ERROR */
    char error[160];   /* after HTTP_ERROR */
    char *data;        /* the decoded data (malloc'd) */
    size_t data_len;
    char *rest;        /* DONE: the bytes after the body (malloc'd) */
    size_t rest_len;
};

/* Decode input[0..len) fed in pieces that end at cuts[0..n) (the last is
 * len), each from an exact-size copy. zero: start from a zeroed struct
 * instead of http_chunked_init(). */
static void decode(const char *input, size_t len, const size_t *cuts, size_t n, int zero,
                   struct outcome *out)
{
    struct http_chunked dec;
    size_t from = 0;

    if (zero)
        memset(&dec, 0, sizeof dec);
    else
        http_chunked_init(&dec);
    memset(out, 0, sizeof *out);
    out->data = malloc(len + 1);
    out->r = MORE;
    for (size_t i = 0; i < n && out->r == MORE; from = cuts[i++]) {
        size_t piece = cuts[i] - from, got = piece;
        char *copy = malloc(piece > 0 ? piece : 1);
        int r;

        memcpy(copy, input + from, piece);
        r = http_decode_chunked(&dec, copy, &got);
        if (r == HTTP_ERROR) {
            out->r = HTTP_ERROR;
            out->status = dec.status;
            snprintf(out->error, sizeof out->error, "%s", dec.error);
        } else if (r != HTTP_INCOMPLETE && (r < 0 || got + (size_t)r > piece)) {
            out->r = 999; /* impossible lengths */
        } else if (got > piece) {
            out->r = 998;
        } else {
            memcpy(out->data + out->data_len, copy, got);
            out->data_len += got;
            if (r >= 0) { /* the rest of this piece, then the input's rest */
                out->r = DONE;
                out->rest = malloc(len + 1);
                memcpy(out->rest, copy + got, (size_t)r);
                out->rest_len = (size_t)r + (len - cuts[i]);
                memcpy(out->rest + r, input + cuts[i], len - cuts[i]);
            }
        }
        free(copy);
    }
}

static void release(struct outcome *o)
{
    free(o->data);
    free(o->rest);
}

/* Whether two outcomes agree: result, status, message, data and rest. */
static int same(const struct outcome *a, const struct outcome *b)
{
    if (a->r != b->r)
        return 0;
    if (a->r == HTTP_ERROR)
        return a->status == b->status && strcmp(a->error, b->error) == 0;
    return a->data_len == b->data_len && memcmp(a->data, b->data, a->data_len) == 0 &&
           (a->r != DONE || (a->rest_len == b->rest_len && memcmp(a->rest, b->rest, a->rest_len) == 0));
}

static void check_expected(const struct chunked_case *c, const struct outcome *o)
{
    char what[256];

    if (c->status == DONE || c->status == MORE) {
        size_t dlen = c->data_len > 0 ? c->data_len : strlen(c->data);
        snprintf(what, sizeof what, "result %d (status %d: %s)", o->r, o->status, o->error);
        check(o->r == c->status, c->name, "whole", what);
        check(o->data_len == dlen && memcmp(o->data, c->data, dlen) == 0, c->name, "whole", "the decoded data");
        if (c->status == DONE && o->r == DONE)
            check(o->rest_len == strlen(c->rest) && memcmp(o->rest, c->rest, o->rest_len) == 0, c->name, "whole",
                  "the bytes after the body");
        return;
    }
    snprintf(what, sizeof what, "status %d, got result %d status %d", c->status, o->r, o->status);
    check(o->r == HTTP_ERROR && o->status == c->status, c->name, "whole", what);
    /* The reason is checked too: a 400 for the wrong fault must fail. */
    if (c->error == NULL || c->error[0] == '\0')
        check(0, c->name, "whole", "the case gives no piece of the error message to expect");
    else if (o->r == HTTP_ERROR)
        check(strstr(o->error, c->error) != NULL, c->name, "whole", o->error);
}

static void run_case(const struct chunked_case *c)
{
    size_t len = c->len > 0 || c->input[0] == '\0' ? c->len : strlen(c->input);
    size_t cuts[2], *ones = malloc((len > 0 ? len : 1) * sizeof *ones);
    struct outcome whole, part;
    char what[64];

    /* Whole, from a zeroed struct (the header allows both starts). */
    cuts[0] = len;
    decode(c->input, len, cuts, 1, 1, &whole);
    check_expected(c, &whole);
    /* Split in two at every byte; the long cases only near their ends and
     * at 64 places between (every split of 1 MiB would take hours). */
    for (size_t k = 1; k < len; k++) {
        if (len > 8192 && k > 64 && len - k > 64 && k % (len / 64) != 0)
            continue;
        cuts[0] = k;
        cuts[1] = len;
        decode(c->input, len, cuts, 2, 0, &part);
        snprintf(what, sizeof what, "split at %zu", k);
        check(same(&whole, &part), c->name, what, part.r == HTTP_ERROR ? part.error : "a different result");
        release(&part);
    }
    /* One byte at a time, as a slow client sends it. */
    for (size_t k = 0; k < len; k++)
        ones[k] = k + 1;
    decode(c->input, len, ones, len, 0, &part);
    check(same(&whole, &part), c->name, "byte by byte", part.r == HTTP_ERROR ? part.error : "a different result");
    release(&part);
    release(&whole);
    free(ones);
}

int main(void)
{
    size_t n = sizeof cases / sizeof cases[0];

    build_long_cases();
    for (size_t i = 0; i < n; i++)
        run_case(&cases[i]);
    for (size_t i = 0; i < n_long_cases; i++)
        run_case(&long_cases[i]);
    printf("chunked: %zu cases, %d checks: %d passed, %d failed\n", n + n_long_cases, checks,
           checks - failures, failures);
    return failures > 0;
}
