#!/usr/bin/env bats
# steps: 03-
# Expect: 100-continue (RFC 9110 §10.1.1): an HTTP/1.1 client that waits
# before sending its body is told to go on; an HTTP/1.0 client never gets
# a 1xx response (§15.2).

load helpers

@test "expect: HTTP/1.1 with Expect: 100-continue gets 100 Continue first" {
    start_server
    request 'POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n' -w
    printf 'HTTP/1.1 100 Continue\r\n\r\n' | cmp - "$RESPONSE" || fail "got:" "$(cat "$RESPONSE")"
}

@test "expect: HTTP/1.0 never gets 100 Continue" {
    start_server
    request 'POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n' -w
    [ ! -s "$RESPONSE" ] || fail "got:" "$(cat "$RESPONSE")"
}

@test "expect: no 100 Continue when the body has already come" {
    start_server
    request 'POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi'
    [[ $(status_line) != "HTTP/1.1 100 Continue" ]] || fail "a needless 100 Continue"
}
