#!/usr/bin/env bats
# steps: 01-01
# step01's fixed response: one valid HTTP/1.1 message, byte for byte.

load helpers

@test "hello: the response is exactly the fixed HTTP/1.1 message" {
    start_server
    get /
    printf 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 13\r\nConnection: close\r\n\r\nHello, World!' >"$T/expected"
    cmp "$T/expected" "$RESPONSE" || fail "got:" "$(od -c "$RESPONSE")"
}

@test "hello: curl gets Hello, World!" {
    start_server
    run curl -sS --max-time 5 "http://127.0.0.1:$PORT/"
    [ "$status" -eq 0 ]
    [ "$output" = "Hello, World!" ]
}

@test "hello: the server prints the client's address and port" {
    start_server
    get /
    await_output '^Connection from 127\.0\.0\.1:[0-9]+$'
}
