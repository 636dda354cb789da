#!/usr/bin/env bats
# steps: 02-
# The HTTP/1.1 message format (RFC 9112): the request head is read whole
# however it arrives, and every response is a well-formed message.

load helpers

# head_of_size N: a valid request head of exactly N bytes, the empty line
# included: the request line, Host, X-Fill fields of 200 bytes, one to fit.
head_of_size() {
    local head line i
    head=$'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n'
    for ((i = 0; $1 - ${#head} > 400; i++)); do
        printf -v line 'X-Fill-%03d: %0186d\r\n' "$i" 0 # 200 bytes
        head+=$line
    done
    # "X-Last: " is 8 bytes and "\r\n\r\n" 4: the value gets the rest.
    printf -v line 'X-Last: %0*d\r\n\r\n' "$(($1 - ${#head} - 12))" 0
    printf '%s' "$head$line"
}

@test "http-format: a response is well formed: status line, CRLFs, Date, Server, Content-Length" {
    start_server
    get /
    check_response "HTTP/1.1 200 OK"
    has_header Content-Type || fail "no Content-Type"
}

@test "http-format: Connection: close is answered with Connection: close and a close" {
    start_server
    get /
    split_response
    [ "$(header Connection)" = close ]
    [ "$CLIENT_STATUS" -eq 0 ]
}

@test "http-format: a request split into 1-byte writes is reassembled" {
    start_server
    request 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' -c 1
    check_response "HTTP/1.1 200 OK"
}

@test "http-format: bare LF line ends are accepted" {
    start_server
    request 'GET / HTTP/1.1\nHost: localhost\nConnection: close\n\n'
    check_response "HTTP/1.1 200 OK"
}

@test "http-format: a client that closes before the empty line gets no answer" {
    start_server
    request 'GET / HTTP/1.1\r\nHost: localhost\r\n' -w
    [ ! -s "$RESPONSE" ] || fail "answered:" "$(cat "$RESPONSE")"
}

@test "http-format: a head of exactly 16384 bytes is read" {
    start_server
    head_of_size 16384 >"$T/req"
    [ "$(wc -c <"$T/req")" -eq 16384 ]
    send <"$T/req"
    check_response "HTTP/1.1 200 OK"
}

@test "http-format: a head of 16385 bytes gets 431 and a close" {
    start_server
    head_of_size 16385 >"$T/req"
    [ "$(wc -c <"$T/req")" -eq 16385 ]
    send <"$T/req"
    [ "$CLIENT_STATUS" -eq 0 ] || fail "client status $CLIENT_STATUS"
    check_error "431 Request Header Fields Too Large" "16384 bytes|16 KiB"
}

@test "http-format: 64 KiB of header lines without an empty line gets 431" {
    start_server
    {
        printf 'GET / HTTP/1.1\r\nHost: localhost\r\n'
        for i in $(seq 330); do printf 'X-Fill-%03d: %0187d\r\n' "$i" 0; done
    } >"$T/req"
    [ "$(wc -c <"$T/req")" -ge 65536 ]
    send <"$T/req"
    [ "$CLIENT_STATUS" -eq 0 ] || fail "client status $CLIENT_STATUS"
    check_error "431 Request Header Fields Too Large" "16384 bytes|16 KiB"
}
