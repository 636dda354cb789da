#!/usr/bin/env bats
# steps: 05-
# Chunked transfer coding (RFC 9112 §7.1) both ways: request bodies are
# decoded and skipped, so the next request on the connection is found
# exactly; a broken body gets its error and a close, and nothing after it
# is taken for a request (§11.2, request smuggling). Directory listings go
# to HTTP/1.1 clients chunked.

load helpers
load www
load keepalive

# after_body BODY: a GET of /notes.txt with the chunked BODY (escapes kept
# for request()), then a pipelined GET of /data.json that asks to close.
after_body() {
    printf '%s' "$(req GET /notes.txt 'Transfer-Encoding: chunked')$1$(req GET /data.json 'Connection: close')"
}

# body_accepted BODY: the request is answered and so is the next one.
body_accepted() {
    talk "$(after_body "$1")"
    expect_responses 2 || return 1
    check_file 1 notes.txt || return 1
    check_file 2 data.json close
}

# refused TEXT STATUS-LINE REGEX: TEXT gets one response, the error
# STATUS-LINE (check_error), and a close: what follows is not answered.
refused() {
    talk "$1" || return 1
    expect_responses 1 || return 1
    pick 1 || return 1
    check_error "$2" "$3"
}

# body_refused BODY STATUS-LINE REGEX: after_body BODY is refused with
# STATUS-LINE, and REGEX matches the line saying why.
body_refused() {
    refused "$(after_body "$1")" "$2" "$3"
}

@test "chunked: valid bodies are skipped and the next request answered" {
    start_server -d "$WWW"
    local body
    for body in '5\r\nhello\r\n0\r\n\r\n' \
        '0\r\n\r\n' \
        'A\r\n0123456789\r\na\r\n0123456789\r\n1\r\nx\r\n0\r\n\r\n' \
        '0005\r\nhello\r\n000\r\n\r\n' \
        '2\r\n\r\n\r\n22\r\nGET /missing HTTP/1.1\r\nHost: a\r\n\r\n\r\n0\r\n\r\n'; do
        body_accepted "$body" || fail "body: $body"
    done
}

@test "chunked: extensions are ignored, trailers discarded" {
    start_server -d "$WWW"
    local body
    for body in '5;name=value\r\nhello\r\n0;last\r\n\r\n' \
        '5 ;q="a;b=\\"c\\""\r\nhello\r\n0\r\n\r\n' \
        '5 ; name = value\r\nhello\r\n0\t;\tx\r\n\r\n' \
        '5;a="quoted \\" string";b=tok\r\nhello\r\n0\r\n\r\n' \
        '5\r\nhello\r\n0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n'; do
        body_accepted "$body" || fail "body: $body"
    done
}

@test "chunked: Expect: 100-continue gets 100 Continue, then the chunks" {
    start_server -d "$WWW"
    talk "$(req GET /notes.txt 'Transfer-Encoding: chunked' 'Expect: 100-continue')$NEXT"'5\r\nhello\r\n0\r\n\r\n'"$(req GET /data.json 'Connection: close')" -s "$NEXT"
    expect_responses 3
    printf 'HTTP/1.1 100 Continue\r\n\r\n' | cmp - "$T/resp.1" || fail "first:" "$(cat "$T/resp.1")"
    check_file 2 notes.txt
    check_file 3 data.json close
}

@test "chunked: invalid sizes and framing get 400 and a close" {
    start_server -d "$WWW"
    local body why
    while IFS='|' read -r body why; do
        body_refused "$body" "400 Bad Request" "$why" || fail "body: ${body:0:60}"
    done <<CASES
zz\r\nhello\r\n0\r\n\r\n|not a hex number
\r\nhello\r\n0\r\n\r\n|not a hex number
-1\r\nhello\r\n0\r\n\r\n|not a hex number
0x5\r\nhello\r\n0\r\n\r\n|invalid byte 0x78
5\nhello\r\n0\r\n\r\n|bare LF
5\r\nhelloXY0\r\n\r\n|longer or shorter than its size
5\r\nhello\n0\r\n\r\n|longer or shorter than its size
5\r\nhell\r\n0\r\n\r\n|longer or shorter than its size
1;$(printf '%01030d' 0)\r\nx\r\n0\r\n\r\n|longer than 1024 bytes
CASES
}

@test "chunked: malformed extensions get 400 and a close; the request after is not served" {
    start_server -d "$WWW"
    local body why
    # RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ),
    # a name a token, a value a token or a quoted-string. A server more
    # lenient than a proxy in front of it frames the body apart (§11.2).
    while IFS='|' read -r body why; do
        body_refused "$body" "400 Bad Request" "$why" || fail "body: $body"
    done <<'CASES'
5;bad[=x\r\nhello\r\n0\r\n\r\n|chunk extension that is not ;name or ;name=value
5;\r\nhello\r\n0\r\n\r\n|chunk extension that is not ;name or ;name=value
5;a="x\r\nhello\r\n0\r\n\r\n|chunk extension that is not ;name or ;name=value
5 \r\nhello\r\n0\r\n\r\n|whitespace at the end of a chunk-size line
5;a=\x01\r\nhello\r\n0\r\n\r\n|control byte 0x01 in a chunk extension
CASES
}

@test "chunked: more than 64 KiB of framing (extensions) gets 400 and a close" {
    start_server -d "$WWW"
    local ext chunk body="" i
    # 1-byte chunks, each with a 1000-byte size line: valid one by one,
    # but 70 of them carry 70 KB of framing for 70 bytes of data.
    printf -v ext '%0996d' 0
    chunk="1;e=$ext\r\nx\r\n"
    for ((i = 0; i < 60; i++)); do body+=$chunk; done
    body_accepted "${body}0\r\n\r\n" || fail "60 KB of framing refused"
    for ((i = 60; i < 70; i++)); do body+=$chunk; done
    body_refused "${body}0\r\n\r\n" "400 Bad Request" "framing \(size lines, extensions, trailers\) exceeds the data by more than 65536 bytes"
}

@test "chunked: a body over 1 MiB, or a size that overflows, gets 413 and a close" {
    start_server -d "$WWW"
    body_refused '100001\r\n' "413 Content Too Large" "larger than 1048576 bytes"
    # 2^64 + 5: a size kept in 64 bits without a check would wrap to 5.
    body_refused '10000000000000005\r\nhello\r\n0\r\n\r\n' "413 Content Too Large" "larger than 1048576 bytes"
}

@test "chunked: a trailer section over 16 KiB gets 431 and a close" {
    start_server -d "$WWW"
    body_refused "0\r\nX-Big: $(printf '%017000d' 0)\r\n\r\n" "431 Request Header Fields Too Large" "trailer section is larger"
}

@test "chunked: Transfer-Encoding without chunked last, with another coding, twice, with Content-Length or in HTTP/1.0 closes" {
    start_server -d "$WWW"
    local next
    next=$(req GET /data.json 'Connection: close')
    # Chunked not last: the length cannot be known, 400 (RFC 9112 §6.3).
    refused "$(req POST /notes.txt 'Transfer-Encoding: gzip')$next" "400 Bad Request" "last"
    refused "$(req POST /notes.txt 'Transfer-Encoding: chunked, gzip')0\r\n\r\n$next" "400 Bad Request" "last"
    # Chunked last, another coding before it: 501 (§6.1).
    refused "$(req POST /notes.txt 'Transfer-Encoding: gzip, chunked')0\r\n\r\n$next" "501 Not Implemented" "gzip"
    refused "$(req POST /notes.txt 'Transfer-Encoding: chunked, chunked')0\r\n\r\n$next" "400 Bad Request" "chunked"
    refused "$(req POST /notes.txt 'Transfer-Encoding: chunked' 'Content-Length: 5')0\r\n\r\n$next" \
        "400 Bad Request" "both Transfer-Encoding and Content-Length"
    refused "POST /notes.txt HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$next" "400 Bad Request" "HTTP/1.0"
}

@test "chunked: an HTTP/1.1 listing is chunked and decodes to the HTTP/1.0 one" {
    start_server -d "$WWW"
    # HTTP/1.1, kept open: the listing's end must be found from its chunks.
    talk "$(req GET /noindex/)$(req GET /notes.txt 'Connection: close')"
    expect_responses 2
    pick 1
    check_keepalive "HTTP/1.1 200 OK" # decodes the chunks; no Content-Length beside them
    [ "$(header Transfer-Encoding)" = chunked ] || fail "Transfer-Encoding: $(header Transfer-Encoding)"
    cp "$BODY" "$T/listing-1.1"
    grep -v '^Date: ' "$HEAD" >"$T/head-get"
    check_file 2 notes.txt close
    # HTTP/1.0: Content-Length, the same bytes.
    request 'GET /noindex/ HTTP/1.0\r\n\r\n'
    check_closing "HTTP/1.1 200 OK"
    ! has_header Transfer-Encoding || fail "Transfer-Encoding to HTTP/1.0"
    cmp "$BODY" "$T/listing-1.1" || fail "the decoded listing differs from the HTTP/1.0 one"
    grep -q '<a href="sub/">sub/</a>' "$BODY" || fail "not the listing of /noindex/:" "$(cat "$BODY")"
    # HEAD: GET's headers, no body.
    request "$(req HEAD /noindex/)$(req GET /notes.txt 'Connection: close')"
    split_responses 1
    expect_responses 2
    pick 1
    [ ! -s "$BODY" ] || fail "HEAD of a listing has a body:" "$(head -c 300 "$BODY")"
    grep -v '^Date: ' "$HEAD" | diff "$T/head-get" -
    check_file 2 notes.txt close
}
