#!/usr/bin/env bats
# steps: 05-
# Persistent connections (RFC 9112 §9.3): several requests on one
# connection, one after another or pipelined (§9.3.2), each answered whole
# and in order; who closes, when, and what the response says about it.

load helpers
load www
load keepalive

@test "keepalive: two requests on one connection, one after the other" {
    start_server -d "$WWW"
    talk "$(req GET /notes.txt)$NEXT$(req GET /data.json 'Connection: close')" -s "$NEXT"
    expect_responses 2
    check_file 1 notes.txt
    check_file 2 data.json close
}

@test "keepalive: ten requests on one connection, one after the other" {
    start_server -d "$WWW"
    local files=(notes.txt data.json index.html SHOUT.TXT logo.svg empty.txt notes.txt big.txt data.json) text="" i
    for f in "${files[@]}"; do text+="$(req GET "/$f")$NEXT"; done
    talk "$text$(req GET /notes.txt 'Connection: close')" -s "$NEXT"
    expect_responses 10
    for i in "${!files[@]}"; do
        check_file $((i + 1)) "${files[i]}" || fail "response $((i + 1))"
    done
    check_file 10 notes.txt close
}

@test "keepalive: pipelined requests in one write are answered in order" {
    start_server -d "$WWW"
    request "$(req GET /notes.txt)$(req HEAD /data.json)$(req GET /missing)$(req GET /big.txt)$(req GET /data.json 'Connection: close')"
    split_responses 2
    expect_responses 5
    check_file 1 notes.txt
    pick 2 # HEAD: GET's headers, no body
    [ "$(status_line)" = "HTTP/1.1 200 OK" ] || fail "response 2: $(status_line)"
    [ "$(header Content-Length)" = 43 ] || fail "HEAD's Content-Length: $(header Content-Length)"
    [ ! -s "$BODY" ] || fail "a body for HEAD"
    pick 3
    check_keepalive "HTTP/1.1 404 Not Found"
    check_file 4 big.txt
    check_file 5 data.json close
}

@test "keepalive: 206, 304, 404, 405 and 416 keep the connection" {
    start_server -d "$WWW"
    local size
    size=$(wc -c <"$WWW/notes.txt")
    size=$((size))
    talk "$(req GET /notes.txt 'Range: bytes=0-4')$(req GET /notes.txt 'If-None-Match: *')$(req GET /missing)$(req DELETE /notes.txt)$(req GET /notes.txt "Range: bytes=$size-")$(req GET /notes.txt 'Connection: close')"
    expect_responses 6
    pick 1
    check_keepalive "HTTP/1.1 206 Partial Content"
    [ "$(header Content-Range)" = "bytes 0-4/$size" ] || fail "Content-Range: $(header Content-Range)"
    head -c 5 "$WWW/notes.txt" | cmp - "$BODY"
    # A 304 has no body (RFC 9110 §15.4.5): the next response follows its
    # head at once.
    pick 2
    check_head "HTTP/1.1 304 Not Modified"
    keeps_connection
    [ ! -s "$BODY" ] || fail "a 304 with a body"
    pick 3
    check_keepalive "HTTP/1.1 404 Not Found"
    pick 4
    check_keepalive "HTTP/1.1 405 Method Not Allowed"
    pick 5
    check_keepalive "HTTP/1.1 416 Range Not Satisfiable"
    [ "$(header Content-Range)" = "bytes */$size" ] || fail "Content-Range: $(header Content-Range)"
    check_file 6 notes.txt close
}

@test "keepalive: a 400 from the path rules closes the connection; what follows is not answered" {
    start_server -d "$WWW"
    for path in '/a%5cb' '/../notes.txt'; do
        talk "$(req GET "$path")$(req GET /data.json)"
        expect_responses 1 || fail "GET $path"
        pick 1
        check_closing "HTTP/1.1 400 Bad Request" || fail "GET $path"
    done
}

@test "keepalive: requests split across writes anywhere are reassembled" {
    start_server -d "$WWW"
    # Writes of 1, 2, 3, 5 and 7 bytes cut every line, CRLF and request
    # boundary somewhere.
    local text
    text="$(req GET /notes.txt)$(req GET /data.json 'Connection: close')"
    talk "$text" -c 1
    expect_responses 2
    check_file 1 notes.txt
    check_file 2 data.json close
    sed 's/^Date: .*/Date: -/' "$T/stream" >"$T/want"
    for size in 2 3 5 7; do
        request "$text" -c "$size"
        sed 's/^Date: .*/Date: -/' "$RESPONSE" | cmp - "$T/want" || fail "writes of $size bytes"
    done
}

@test "keepalive: Connection: close in any form closes; what follows is not answered" {
    start_server -d "$WWW"
    for value in close CLOSE 'foo, close' ' keep-alive , Close ' ; do
        talk "$(req GET /notes.txt "Connection: $value")$(req GET /data.json)"
        expect_responses 1 || fail "Connection: $value"
        check_file 1 notes.txt close || fail "Connection: $value"
    done
    # Two Connection fields are one list (RFC 9110 §5.3).
    talk "$(req GET /notes.txt 'Connection: foo' 'Connection: close')$(req GET /data.json)"
    expect_responses 1
    check_file 1 notes.txt close
    # "closed" is another token.
    talk "$(req GET /notes.txt 'Connection: closed')$(req GET /data.json 'Connection: close')"
    expect_responses 2
    check_file 1 notes.txt
}

@test "keepalive: HTTP/1.0 closes unless it asks for keep-alive" {
    start_server -d "$WWW"
    talk 'GET /notes.txt HTTP/1.0\r\n\r\nGET /data.json HTTP/1.0\r\n\r\n'
    expect_responses 1
    check_file 1 notes.txt close
    talk 'GET /notes.txt HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET /data.json HTTP/1.0\r\n\r\nGET /x HTTP/1.0\r\n\r\n'
    expect_responses 2
    check_file 1 notes.txt
    check_file 2 data.json close
    # close wins over keep-alive, in one field or two (RFC 9112 §9.3, §9.6).
    for fields in 'Connection: close, keep-alive' 'Connection: keep-alive\r\nConnection: close'; do
        talk "GET /notes.txt HTTP/1.0\r\n$fields\r\n\r\nGET /data.json HTTP/1.0\r\n\r\n"
        expect_responses 1 || fail "$fields"
        check_file 1 notes.txt close || fail "$fields"
    done
}

@test "keepalive: -t 1: an idle connection is closed with nothing sent" {
    start_server -d "$WWW" -t 1
    send -t 5 </dev/null
    [ "$CLIENT_STATUS" -eq 0 ] || fail "client status $CLIENT_STATUS (3: not closed within 5 s)"
    [ ! -s "$RESPONSE" ] || fail "sent:" "$(cat "$RESPONSE")"
    [ $((T1 - T0)) -ge 1 ] || fail "closed before the timeout"
    # Idle again after a response: the same.
    talk "$(req GET /notes.txt)" -t 5
    expect_responses 1
    pick 1
    check_keepalive "HTTP/1.1 200 OK" 1
    cmp "$WWW/notes.txt" "$BODY"
    [ $((T1 - T0)) -ge 1 ] || fail "closed before the timeout"
}

@test "keepalive: -t 1: a partial request gets 408 and a close" {
    start_server -d "$WWW" -t 1
    request 'GET /notes.txt HTTP/1.1\r\nHost: a\r\n' -t 5
    check_error "408 Request Timeout" "."
    [ $((T1 - T0)) -ge 1 ] || fail "408 before the timeout"
}

@test "keepalive: a Content-Length body on a GET is skipped, never taken for a request" {
    start_server -d "$WWW"
    # The body looks like a request: answering it would be request smuggling.
    local body='GET /missing HTTP/1.1\r\nHost: a\r\n\r\n' bytes
    printf -v bytes '%b' "$body"
    talk "$(req GET /notes.txt "Content-Length: ${#bytes}")$body$(req POST /data.json 'Content-Length: 5')hello$(req GET /data.json 'Connection: close')"
    expect_responses 3
    check_file 1 notes.txt
    pick 2
    check_keepalive "HTTP/1.1 405 Method Not Allowed"
    check_file 3 data.json close
}

@test "keepalive: the 1000th request on a connection is answered with a close" {
    start_server -d "$WWW"
    local i text=""
    for ((i = 0; i < 1000; i++)); do text+=$'GET /notes.txt HTTP/1.1\r\nHost: a\r\n\r\n'; done
    printf '%s' "$text" >"$T/req"
    send -t 10 <"$T/req"
    [ "$CLIENT_STATUS" -eq 0 ] || fail "client status $CLIENT_STATUS: no close after 1000 responses"
    split_responses
    expect_responses 1000
    check_file 1 notes.txt
    check_file 1000 notes.txt close
    # The 998 between are the first one, but for the Date.
    local first expected=""
    IFS= read -r -d '' first < <(sed 's/^Date: .*/Date: -/' "$T/resp.1") || true
    for ((i = 2; i < 1000; i++)); do expected+=$first; done
    cat "$T"/resp.{2..999} | sed 's/^Date: .*/Date: -/' | cmp - <(printf '%s' "$expected") ||
        fail "responses 2-999 differ from the first"
}
