# Loaded, after helpers, by the test files of persistent connections
# (step05 on): several requests and responses on one connection.

# What separates the requests of one `send -s "$NEXT"` (tests/client.c -s):
# the client sends the next request once the previous one is answered.
NEXT='<next>'

# talk TEXT [CLIENT-OPTIONS...]: send TEXT (escapes expanded) on one
# connection, expect the server to close it, and split what came back into
# single responses (split_responses).
talk() {
    request "$@" || return 1
    split_responses
}

# split_responses [HEADS]: $RESPONSE, a stream of responses, into
# $T/resp.1, $T/resp.2, ... by their Content-Length or chunked framing
# (tests/client.c -S); HEADS lists the numbers of those that answer HEAD
# (e.g. 2,5). N_RESPONSES is how many. Fails if bytes are left that are no
# whole response.
split_responses() {
    rm -f "$T"/resp.*
    cp "$RESPONSE" "$T/stream"
    N_RESPONSES=$("$CLIENT" -S "$T/resp." -H "${1:-0}" <"$T/stream") ||
        fail "the responses do not split:" "$(od -c "$T/stream" | tail -n 20)"
}

# pick I: response I of the stream becomes $RESPONSE, split into $HEAD and
# $BODY, for check_response and the other helpers.
pick() {
    [ -f "$T/resp.$1" ] || fail "no response $1 (there are $N_RESPONSES)" || return 1
    cp "$T/resp.$1" "$RESPONSE"
    split_response
}

# expect_responses N: the stream held exactly N responses.
expect_responses() {
    [ "$N_RESPONSES" -eq "$1" ] ||
        fail "$N_RESPONSES responses, want $1:" "$(grep -a '^HTTP/' "$T/stream")"
}

# check_keepalive STATUS-LINE [TIMEOUT]: check_response, and the response
# keeps the connection (keeps_connection).
check_keepalive() {
    check_response "$1" || return 1
    keeps_connection "${2:-5}"
}

# keeps_connection [TIMEOUT]: the response says it keeps the connection:
# Connection: keep-alive, Keep-Alive: timeout=TIMEOUT (default 5).
keeps_connection() {
    [ "$(header Connection)" = keep-alive ] || fail "Connection: $(header Connection)" || return 1
    [ "$(header Keep-Alive)" = "timeout=${1:-5}" ] || fail "Keep-Alive: $(header Keep-Alive)"
}

# check_closing STATUS-LINE: check_response, and the response announces the
# close (closes_connection).
check_closing() {
    check_response "$1" || return 1
    closes_connection
}

# check_file I PATH [close]: response I is a 200 with the bytes of
# $WWW/PATH, keeping the connection, or closing it if "close" follows.
check_file() {
    pick "$1" || return 1
    if [ "${3:-}" = close ]; then
        check_closing "HTTP/1.1 200 OK" || return 1
    else
        check_keepalive "HTTP/1.1 200 OK" || return 1
    fi
    cmp "$WWW/$2" "$BODY" || fail "response $1 is not $2"
}
