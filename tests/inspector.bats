#!/usr/bin/env bats
# steps: 03-03
# step03's request inspector: every valid request gets 200 and a report of
# what was parsed, one field a line, in the format of the step03 issue.

load helpers

@test "inspector: the report of a POST, byte for byte" {
    start_server
    request 'POST /a%20b?x=1 HTTP/1.1\r\nHost: localhost:8000\r\nContent-Length: 5\r\n\r\nhello'
    check_response "HTTP/1.1 200 OK"
    [ "$(header Content-Type)" = "text/plain; charset=utf-8" ]
    [ "$(header Connection)" = close ]
    printf '%s\n' 'method: POST' 'target: /a%20b?x=1' 'path: /a b' 'query: x=1' \
        'version: HTTP/1.1' 'header: Host: localhost:8000' 'header: Content-Length: 5' \
        'body-length: 5' '' >"$T/expected"
    printf 'hello' >>"$T/expected"
    cmp "$T/expected" "$BODY" || fail "report:" "$(cat "$BODY")"
}

@test "inspector: a GET without a query or body: no query line, no blank line" {
    start_server
    request 'GET /x HTTP/1.0\r\nUser-Agent: t\r\n\r\n'
    check_response "HTTP/1.1 200 OK"
    printf '%s\n' 'method: GET' 'target: /x' 'path: /x' 'version: HTTP/1.0' \
        'header: User-Agent: t' 'body-length: 0' >"$T/expected"
    cmp "$T/expected" "$BODY" || fail "report:" "$(cat "$BODY")"
}

@test "inspector: headers in the order received, names as sent, values trimmed" {
    start_server
    request 'GET / HTTP/1.1\r\nx-B: 2\r\nHOST:   h  \r\nA-a:\t1\r\nConnection: close\r\n\r\n'
    check_response "HTTP/1.1 200 OK"
    grep '^header: ' "$BODY" >"$T/headers"
    printf '%s\n' 'header: x-B: 2' 'header: HOST: h' 'header: A-a: 1' 'header: Connection: close' >"$T/expected"
    cmp "$T/expected" "$T/headers" || fail "$(cat "$T/headers")"
}

@test "inspector: percent-decoding and absolute-form" {
    start_server
    request 'GET http://example.com/caf%C3%A9/%7euser/a%2Fb?q=%20 HTTP/1.1\r\nHost: a\r\n\r\n'
    check_response "HTTP/1.1 200 OK"
    grep -qx $'path: /caf\xc3\xa9/~user/a/b' "$BODY" || fail "$(cat "$BODY")"
    grep -qx 'query: q=%20' "$BODY" || fail "$(cat "$BODY")"
}

@test "inspector: HEAD gets GET's headers and no body" {
    start_server
    request 'GET /h HTTP/1.1\r\nHost: a\r\n\r\n'
    split_response
    grep -v '^Date: ' "$HEAD" >"$T/get-head"
    request 'HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n'
    split_response
    [ ! -s "$BODY" ] || fail "HEAD got a body:" "$(cat "$BODY")"
    # The reports differ only in the method's name, a letter apart: GET/HEAD.
    [ "$(header Content-Length)" -eq $(($(sed -n 's/^Content-Length: \([0-9]*\)\r$/\1/p' "$T/get-head") + 1)) ]
    diff <(grep -v -e '^Date: ' -e '^Content-Length: ' "$HEAD") <(grep -v '^Content-Length: ' "$T/get-head")
}

@test "inspector: a body sent in pieces is read whole before the answer" {
    start_server
    request 'PUT /p HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789' -c 7
    check_response "HTTP/1.1 200 OK"
    [ "$(tail -c 10 "$BODY")" = 0123456789 ]
    grep -qx 'body-length: 10' "$BODY"
}

@test "inspector: curl's upload with Expect: 100-continue gets its report" {
    start_server
    head -c 2000 /dev/zero | tr '\0' x >"$T/upload"
    run curl -sS --max-time 5 -H 'Expect: 100-continue' --data-binary @"$T/upload" -w '%{http_code}' \
        -o "$T/out" "http://127.0.0.1:$PORT/up"
    [ "$status" -eq 0 ]
    [ "$output" = 200 ]
    grep -qx 'body-length: 2000' "$T/out"
}

@test "inspector: one log line per request" {
    start_server
    get /logged
    await_output '^127\.0\.0\.1:[0-9]+ "GET /logged HTTP/1\.1" 200 [0-9]+$'
}
