#!/usr/bin/env bash
# make bench: the course's servers against nginx and lighttpd, measured in
# the same run with wrk, printed as ratios. Never part of make test: timings
# depend on the machine; ratios taken in one run on one machine do not.
#
#     bash tests/bench.sh 04 [05 ...]        (BENCH_SECONDS=5, BENCH_ROUNDS=3)
#
# (a) a 1 KiB file over 50 keep-alive connections, requests/s
# (b) the same with Connection: close, requests/s
# (c) a 100 MiB file over 4 connections, MB/s
# Each round runs every server once per scenario, alternating, so a busy
# moment hurts them all alike; the table shows the median of the rounds.
set -u
cd "$(dirname "$0")/.."
seconds=${BENCH_SECONDS:-5} rounds=${BENCH_ROUNDS:-3}
if ! command -v wrk >/dev/null 2>&1; then
    echo "bench: needs wrk (Debian: apt install wrk; macOS: brew install wrk)" >&2
    exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX") || exit 1
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
mkdir -p "$work/www"
head -c 1024 /dev/zero | tr '\0' x >"$work/www/1k.txt"
head -c $((100 << 20)) /dev/zero >"$work/www/100m.bin"

# free_port: a TCP port in 20000-59999 that nothing answers on.
free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
    done
    echo "$port"
}

# wait_port PORT: wait (10 s at most) until something accepts on PORT.
wait_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1 # polling a peer we do not control: there is no banner to read
    done
    return 1
}

names=() ports=()
add_server() { # add_server NAME PORT: it is up and listening
    if wait_port "$2"; then
        names+=("$1") ports+=("$2")
    else
        echo "bench: $1 did not start; skipped" >&2
    fi
}

for n in "$@"; do
    port=$(free_port)
    "./step$n" -d "$work/www" "$port" >/dev/null 2>&1 &
    pids+=($!)
    add_server "step$n" "$port"
done
if command -v nginx >/dev/null 2>&1; then
    port=$(free_port)
    mkdir -p "$work/nginx"
    cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    types { text/plain txt; }
    default_type application/octet-stream;
    server { listen 127.0.0.1:$port; root $work/www; }
}
CONF
    nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>"$work/nginx/stderr" &
    pids+=($!)
    add_server nginx "$port"
else
    echo "bench: nginx not installed (Debian: apt install nginx); no nginx column"
fi
if command -v lighttpd >/dev/null 2>&1; then
    port=$(free_port)
    cat >"$work/lighttpd.conf" <<CONF
server.document-root = "$work/www"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$work/lighttpd-error.log"
server.max-keep-alive-requests = 1000
mimetype.assign = (".txt" => "text/plain")
CONF
    lighttpd -D -f "$work/lighttpd.conf" 2>"$work/lighttpd.stderr" &
    pids+=($!)
    add_server lighttpd "$port"
else
    echo "bench: lighttpd not installed (Debian: apt install lighttpd); no lighttpd column"
fi

# measure SCENARIO PORT: one wrk run; prints requests/s (a, b) or MB/s (c).
measure() {
    local out
    case $1 in
    a) out=$(wrk -t2 -c50 -d"${seconds}s" "http://127.0.0.1:$2/1k.txt") ;;
    b) out=$(wrk -t2 -c50 -d"${seconds}s" -H 'Connection: close' "http://127.0.0.1:$2/1k.txt") ;;
    c) out=$(wrk -t2 -c4 -d"${seconds}s" "http://127.0.0.1:$2/100m.bin") ;;
    esac
    if [ "$1" = c ]; then
        # "Transfer/sec: 1.23GB" -> MB
        echo "$out" | awk '/^Transfer\/sec:/ { v = $2; u = substr(v, length(v) - 1); v += 0;
            if (u == "GB") v *= 1024; else if (u == "KB") v /= 1024; printf "%.0f\n", v }'
    else
        echo "$out" | awk '/^Requests\/sec:/ { printf "%.0f\n", $2 }'
    fi
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'; }

declare -A results
for ((round = 1; round <= rounds; round++)); do
    for scenario in a b c; do
        for i in "${!names[@]}"; do
            results[$scenario,$i]+="$(measure "$scenario" "${ports[$i]}") "
        done
    done
done

echo
echo "make bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sm), $(nproc 2>/dev/null || echo ?) cores;" \
    "wrk, ${seconds} s x $rounds rounds, medians"
printf '%-44s' "scenario"
for name in "${names[@]}"; do printf '%12s' "$name"; done
printf '   ratios\n'
for scenario in a b c; do
    case $scenario in
    a) label="(a) 1 KiB, 50 keep-alive conns (req/s)" ;;
    b) label="(b) 1 KiB, Connection: close (req/s)" ;;
    c) label="(c) 100 MiB, 4 conns (MB/s)" ;;
    esac
    printf '%-44s' "$label"
    declare -A value=()
    for i in "${!names[@]}"; do
        value[$i]=$(echo "${results[$scenario,$i]}" | tr ' ' '\n' | grep . | median)
        printf '%12s' "${value[$i]}"
    done
    printf '  '
    for i in "${!names[@]}"; do
        [[ ${names[$i]} == step* ]] || continue
        for j in "${!names[@]}"; do
            [[ ${names[$j]} == step* ]] && continue
            [ "${value[$j]}" -gt 0 ] 2>/dev/null || continue
            printf ' %s/%s %s' "${names[$i]}" "${names[$j]}" \
                "$(awk -v a="${value[$i]}" -v b="${value[$j]}" 'BEGIN { printf "%.2f", a / b }')"
        done
    done
    echo
    unset value
done
