#!/usr/bin/env bats
# steps: 04-
# Validators and conditional requests (RFC 9110 §13), ranges (§14) and
# precompressed files (§8.4, §12.5.3).

load helpers
load www

# validators: fetch /notes.txt and set ETAG and LAST_MODIFIED.
validators() {
    get /notes.txt
    check_response "HTTP/1.1 200 OK"
    ETAG=$(header ETag)
    LAST_MODIFIED=$(header Last-Modified)
}

# check_304: a 304 with Date, Server, ETag, Last-Modified and no body.
check_304() {
    check_head "HTTP/1.1 304 Not Modified" || return 1
    [ ! -s "$BODY" ] || fail "a 304 with a body" || return 1
    [ "$(header ETag)" = "$ETAG" ] || fail "ETag: $(header ETag)" || return 1
    [ "$(header Last-Modified)" = "$LAST_MODIFIED" ] || fail "Last-Modified: $(header Last-Modified)"
}

@test "conditional: If-None-Match with the ETag gets 304" {
    start_server -d "$WWW"
    validators
    get /notes.txt "If-None-Match: $ETAG"
    check_304
}

@test "conditional: If-None-Match compares weakly, takes lists and *" {
    start_server -d "$WWW"
    validators
    for value in "W/$ETAG" "\"nope\", $ETAG" "\"a\" ,W/$ETAG , \"b\"" '*'; do
        get /notes.txt "If-None-Match: $value"
        check_304 || fail "If-None-Match: $value"
    done
    get /notes.txt 'If-None-Match: "other"'
    check_response "HTTP/1.1 200 OK"
}

@test "conditional: If-None-Match wins over If-Modified-Since" {
    start_server -d "$WWW"
    validators
    get /notes.txt 'If-None-Match: "other"' "If-Modified-Since: $LAST_MODIFIED"
    check_response "HTTP/1.1 200 OK"
}

@test "conditional: If-Modified-Since in all three date formats gets 304" {
    start_server -d "$WWW"
    validators
    local t rfc850 asctime
    t=$(mtime "$WWW/notes.txt")
    rfc850=$(utc_date "$RFC850_DATE" "$t")
    asctime=$(utc_date "$ASCTIME_DATE" "$t")
    for value in "$LAST_MODIFIED" "$rfc850" "$asctime" "$(http_date $((t + 3600)))"; do
        get /notes.txt "If-Modified-Since: $value"
        check_304 || fail "If-Modified-Since: $value"
    done
}

@test "conditional: an older or invalid If-Modified-Since gets 200" {
    start_server -d "$WWW"
    validators
    local t
    t=$(mtime "$WWW/notes.txt")
    for value in "$(http_date $((t - 1)))" "yesterday" "Thu, 31 Feb 2026 25:00:00 GMT" "$LAST_MODIFIED x"; do
        get /notes.txt "If-Modified-Since: $value"
        check_response "HTTP/1.1 200 OK" || fail "If-Modified-Since: $value"
    done
}

@test "ranges: bytes=a-b, a- and -n get 206 with Content-Range and those bytes" {
    start_server -d "$WWW"
    local size
    size=$(wc -c <"$WWW/notes.txt" | tr -d ' ')
    while read -r spec first last; do
        get /notes.txt "Range: bytes=$spec"
        check_response "HTTP/1.1 206 Partial Content" || fail "Range: bytes=$spec"
        [ "$(header Content-Range)" = "bytes $first-$last/$size" ] || fail "$spec: $(header Content-Range)"
        tail -c +$((first + 1)) "$WWW/notes.txt" | head -c $((last - first + 1)) | cmp - "$BODY" ||
            fail "$spec: the wrong bytes"
    done <<LIST
0-9 0 9
5- 5 $((size - 1))
-5 $((size - 5)) $((size - 1))
0-999 0 $((size - 1))
-999 0 $((size - 1))
$((size - 1))-$((size - 1)) $((size - 1)) $((size - 1))
0-$size 0 $((size - 1))
0-$((size - 1)) 0 $((size - 1))
-$size 0 $((size - 1))
0-99999999999999999999999 0 $((size - 1))
-99999999999999999999999 0 $((size - 1))
LIST
}

@test "ranges: a range past the end gets 416 with Content-Range: bytes */SIZE" {
    start_server -d "$WWW"
    local size
    size=$(wc -c <"$WWW/notes.txt" | tr -d ' ')
    for spec in "$size-" "$((size + 10))-$((size + 20))" "-0" 99999999999999999999999- \
        99999999999999999999999-99999999999999999999999; do
        get /notes.txt "Range: bytes=$spec"
        check_error "416 Range Not Satisfiable" "past the end" || fail "bytes=$spec"
        [ "$(header Content-Range)" = "bytes */$size" ]
    done
    get /empty.txt "Range: bytes=0-"
    check_error "416 Range Not Satisfiable" "past the end"
    [ "$(header Content-Range)" = "bytes */0" ]
}

@test "ranges: several ranges or invalid syntax get the whole file" {
    start_server -d "$WWW"
    for value in "bytes=0-1,3-4" "bytes=abc" "bytes=5-1" "items=0-1" "bytes=0x1-2" "bytes=--1" "bytes=1-2-3"; do
        get /notes.txt "Range: $value"
        check_response "HTTP/1.1 200 OK" || fail "Range: $value"
        cmp "$WWW/notes.txt" "$BODY"
    done
}

@test "ranges: If-Range with this ETag or date keeps the range, anything else drops it" {
    start_server -d "$WWW"
    validators
    for value in "$ETAG" "$LAST_MODIFIED"; do
        get /notes.txt "Range: bytes=0-3" "If-Range: $value"
        check_response "HTTP/1.1 206 Partial Content" || fail "If-Range: $value"
    done
    for value in '"other"' "W/$ETAG" "Thu, 01 Jan 2004 00:00:00 GMT"; do
        get /notes.txt "Range: bytes=0-3" "If-Range: $value"
        check_response "HTTP/1.1 200 OK" || fail "If-Range: $value"
    done
}

@test "ranges: Range is ignored on HEAD, as on any method but GET (RFC 9110 §14.2)" {
    start_server -d "$WWW"
    request 'HEAD /notes.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=0-3\r\nConnection: close\r\n\r\n'
    check_head "HTTP/1.1 200 OK"
    [ "$(header Content-Length)" = "$(wc -c <"$WWW/notes.txt" | tr -d ' ')" ]
    ! has_header Content-Range || fail "Content-Range: $(header Content-Range)"
    [ ! -s "$BODY" ]
}

@test "gzip: a client that accepts gzip gets FILE.gz, with the type of FILE and Vary" {
    start_server -d "$WWW"
    for value in "gzip" "deflate, gzip;q=0.5" "GZIP" "*" "br;q=1, x-gzip"; do
        get /big.txt "Accept-Encoding: $value"
        check_response "HTTP/1.1 200 OK" || fail "Accept-Encoding: $value"
        cmp "$WWW/big.txt.gz" "$BODY" || fail "Accept-Encoding: $value: not the .gz bytes"
        [ "$(header Content-Encoding)" = gzip ]
        [ "$(header Content-Type)" = "text/plain; charset=utf-8" ]
        [ "$(header Vary)" = Accept-Encoding ]
    done
}

@test "gzip: others get FILE itself, with Vary too" {
    start_server -d "$WWW"
    for value in "" "Accept-Encoding: gzip;q=0" "Accept-Encoding: identity" "Accept-Encoding: *;q=0" \
        "Accept-Encoding: gzip;q=0.000, *"; do
        if [ -n "$value" ]; then get /big.txt "$value"; else get /big.txt; fi
        check_response "HTTP/1.1 200 OK" || fail "$value"
        cmp "$WWW/big.txt" "$BODY" || fail "$value: not the plain bytes"
        ! has_header Content-Encoding || fail "$value: Content-Encoding"
        [ "$(header Vary)" = Accept-Encoding ]
    done
    get /notes.txt "Accept-Encoding: gzip"
    split_response
    ! has_header Vary || fail "Vary on a file without a .gz"
}

@test "gzip: ETags and ranges apply to the bytes sent; curl --compressed decodes" {
    start_server -d "$WWW"
    get /big.txt
    split_response
    local plain
    plain=$(header ETag)
    get /big.txt "Accept-Encoding: gzip" "Range: bytes=0-99"
    check_response "HTTP/1.1 206 Partial Content"
    [ "$(header ETag)" != "$plain" ] || fail "both variants have ETag $plain"
    [ "$(header Content-Range)" = "bytes 0-99/$(wc -c <"$WWW/big.txt.gz" | tr -d ' ')" ]
    head -c 100 "$WWW/big.txt.gz" | cmp - "$BODY"
    run curl -sS --max-time 5 --compressed -o "$T/decoded" "http://127.0.0.1:$PORT/big.txt"
    [ "$status" -eq 0 ]
    cmp "$WWW/big.txt" "$T/decoded"
}
