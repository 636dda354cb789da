#!/usr/bin/env bats
# steps: 05-
# Real clients reuse their connections to the server: curl fetching
# several URLs, nginx as a reverse proxy keeping its upstream connections
# alive, and Chromium loading a page and its images. The server's own
# count on SIGTERM ("stopped: N connections, M requests") shows the reuse.

load helpers
load www
load chromium

teardown() {
    stop_nginx
    stop_server
}

# url_path PATH: PATH percent-encoded byte by byte, '/' kept (RFC 3986 §2).
url_path() {
    local s=$1 out="" c i
    for ((i = 0; i < ${#s}; i++)); do
        c=${s:i:1}
        case $c in
        [A-Za-z0-9._~/-]) out+=$c ;;
        *) printf -v c '%%%02X' "'$c" && out+=$c ;;
        esac
    done
    printf '%s\n' "$out"
}

# access_lines: how many access log lines the server wrote to stdout.
access_lines() {
    grep -cE '"[A-Z]+ [^"]* HTTP/1\.[01]" [0-9]{3} ' "$T/stdout"
}

# ---- curl ----

@test "real clients: curl fetches four URLs over one connection, a 404 among them" {
    start_server -d "$WWW"
    local base=http://127.0.0.1:$PORT
    curl -v -s --max-time 10 -w '%{http_code}\n' -o "$T/1" "$base/notes.txt" -o "$T/2" "$base/missing" \
        -o "$T/3" "$base/big.txt" -o "$T/4" "$base/img/dot.png" >"$T/codes" 2>"$T/curl.log" ||
        fail "curl exit $?:" "$(cat "$T/curl.log")"
    [ "$(tr '\n' ' ' <"$T/codes")" = "200 404 200 200 " ] || fail "statuses:" "$(cat "$T/codes")"
    cmp "$T/1" "$WWW/notes.txt"
    cmp "$T/3" "$WWW/big.txt"
    cmp "$T/4" "$WWW/img/dot.png"
    # curl 7.88: "* Re-using existing connection #0 with host 127.0.0.1";
    # newer: "* Re-using existing connection with host 127.0.0.1".
    [ "$(grep -c '^\* Re-using existing connection' "$T/curl.log")" = 3 ] &&
        [ "$(grep -c '^\* Connected to ' "$T/curl.log")" = 1 ] ||
        fail "curl did not reuse its connection for each URL:" "$(cat "$T/curl.log")"
    stop_summary
    [ "$CONNECTIONS $REQUESTS" = "1 4" ] || fail "stopped: $CONNECTIONS connections, $REQUESTS requests; want 1, 4"
}

# ---- nginx ----

# start_nginx: nginx as a reverse proxy in front of the server on PORT,
# keeping up to 8 idle upstream connections (HTTP/1.1, no Connection:
# close passed on), listening on the Unix socket $NGINX_SOCKET: no port to
# choose, so no race with another process for one. Runs as the current
# user, with all its files in $T/nginx. Sets NGINX_PID.
start_nginx() {
    need_tool "Debian: apt install nginx" nginx || return 1
    local dir=$T/nginx
    mkdir -p "$dir"
    NGINX_SOCKET=$dir/sock
    # "user" matters only to root, whose workers would otherwise run as
    # nobody; anyone else gets a warning that it is ignored.
    cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
user $(id -un) $(id -gn);
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    upstream step { server 127.0.0.1:$PORT; keepalive 8; }
    server {
        listen unix:$NGINX_SOCKET;
        location / {
            proxy_pass http://step;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
CONF
    "$TOOL" -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" 2>"$dir/stderr" &
    NGINX_PID=$!
    # nginx writes its pid file once its socket listens.
    for _ in $(seq 100); do
        [ -s "$dir/nginx.pid" ] && return 0
        kill -0 "$NGINX_PID" 2>/dev/null || break
        sleep 0.05 # bounded poll: nginx has no banner to read
    done
    fail "nginx did not start:" "$(cat "$dir/stderr" "$dir/error.log" 2>/dev/null)"
}

stop_nginx() {
    [ -n "${NGINX_PID:-}" ] || return 0
    kill "$NGINX_PID" 2>/dev/null
    wait "$NGINX_PID" 2>/dev/null
    NGINX_PID=
}

# via_nginx CURL-ARGS...: curl through nginx's socket.
via_nginx() {
    curl -s -S --max-time 20 --unix-socket "$NGINX_SOCKET" "$@"
}

@test "real clients: nginx proxies every fixture file byte-identical over one kept upstream connection" {
    start_server -d "$WWW"
    start_nginx
    local f files=() args=() i
    while IFS= read -r -d '' f; do
        files+=("${f#./}")
    done < <(cd "$WWW" && find . -type f -print0)
    for i in "${!files[@]}"; do
        args+=(-o "$T/got.$i" "http://localhost/$(url_path "${files[$i]}")")
    done
    via_nginx -w '%{http_code}\n' "${args[@]}" >"$T/codes" || fail "curl exit $?"
    mapfile -t codes <"$T/codes"
    [ "${#codes[@]}" = "${#files[@]}" ] || fail "${#codes[@]} responses for ${#files[@]} files"
    for i in "${!files[@]}"; do
        f=${files[$i]}
        if [[ /$f == */.* ]]; then # dotfiles are not served; the connection stays
            [ "${codes[$i]}" = 404 ] || fail "/$f: ${codes[$i]}, want 404"
        else
            [ "${codes[$i]}" = 200 ] || fail "/$f: ${codes[$i]}"
            cmp "$T/got.$i" "$WWW/$f" || fail "/$f differs through nginx"
        fi
    done
    # A listing comes to nginx chunked; nginx must decode it to the same body.
    via_nginx -o "$T/listing.nginx" http://localhost/noindex/ || fail "curl exit $?"
    curl -s -S --max-time 10 -o "$T/listing" "http://127.0.0.1:$PORT/noindex/" || fail "curl exit $?"
    cmp "$T/listing.nginx" "$T/listing"
    grep -q 'with%20space\.txt' "$T/listing" || fail "not the listing:" "$(cat "$T/listing")"
    stop_summary
    # nginx asks one at a time, so one upstream connection serves them all;
    # the second connection is the direct fetch of the listing.
    [ "$REQUESTS" = $((${#files[@]} + 2)) ] && [ "$CONNECTIONS" = 2 ] ||
        fail "stopped: $CONNECTIONS connections, $REQUESTS requests;" \
            "want 2 connections, $((${#files[@]} + 2)) requests:" "$(cat "$T/nginx/error.log")"
}

# ---- Chromium ----

@test "real clients: Chromium loads a page and its 12 images over fewer connections than requests" {
    local site=$T/site i page='<!DOCTYPE html><title>Images</title>'
    mkdir "$site"
    for i in $(seq 12); do
        cp "$WWW/img/dot.png" "$site/dot$i.png"
        page+="<img src=\"dot$i.png\" alt=\"\" onload=\"document.title += ' $i'\">"
    done
    printf '%s\n' "$page" >"$site/index.html"
    start_server -d "$site"
    dump_dom "http://127.0.0.1:$PORT/"
    [[ $output =~ \<title\>Images(\ [0-9]+){12}\</title\> ]] ||
        fail "not every image loaded:" "$(grep -o '<title>[^<]*' <<<"$output")"
    stop_summary
    # Chromium opens at most 6 connections to a host (and may open one
    # spare): 13 requests or more need reuse to fit.
    [ "$REQUESTS" = "$(access_lines)" ] ||
        fail "the summary says $REQUESTS requests, the log has $(access_lines)" || return 1
    [ "$REQUESTS" -ge 13 ] && [ "$CONNECTIONS" -lt "$REQUESTS" ] ||
        fail "stopped: $CONNECTIONS connections, $REQUESTS requests:" "$(cat "$T/stdout")"
}
