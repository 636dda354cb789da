#!/usr/bin/env bash
# make bench: the course's servers against nginx and lighttpd, measured in
# the same run, printed as a Markdown table with ratios. Never part of
# make test: timings depend on the machine; ratios taken in one run on one
# machine do not.
#
#     bash tests/bench.sh 04 [05 ...]     (BENCH_SECONDS=5, BENCH_ROUNDS=3,
#                                          BENCH_IDLE=1000; needs build/idle)
#
# (a) a 1 KiB file over 50 keep-alive connections, requests/s (wrk)
# (b) the same with Connection: close, requests/s (wrk)
# (c) a 100 MiB file over 4 connections, MB/s (wrk)
# (d) peak RSS with BENCH_IDLE idle keep-alive connections open (build/idle;
#     Linux: VmHWM in /proc/PID/status)
# Each round runs every server once per scenario, alternating, so a busy
# moment hurts them all alike; the table shows the median of the rounds.
# (d) runs once, first, on servers that have served nothing yet: VmHWM is
# the peak since the process started, and (c) would leave it high.
set -u
cd "$(dirname "$0")/.." || exit 1
seconds=${BENCH_SECONDS:-5} rounds=${BENCH_ROUNDS:-3} idle_conns=${BENCH_IDLE:-1000}
idle=build/idle
# Debian installs nginx and lighttpd in /usr/sbin, which a user's PATH lacks.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
if ! command -v wrk >/dev/null 2>&1; then
    echo "bench: needs wrk (Debian: apt install wrk; macOS: brew install wrk)" >&2
    exit 1
fi
if [ ! -x "$idle" ]; then
    echo "bench: needs $idle (make build/idle)" >&2
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
mkdir -p "$work/www"
head -c 1024 /dev/zero | tr '\0' x >"$work/www/1k.txt"
head -c $((100 << 20)) /dev/zero >"$work/www/100m.bin"

# Every server may hold the idle connections and wrk's at once: raise the
# soft fd limit (the servers inherit it) as far as the hard one allows.
fds=$(ulimit -Hn)
[ "$fds" = unlimited ] || [ "$fds" -gt 8192 ] && fds=8192
ulimit -n "$fds"
if [ "$fds" -lt $((idle_conns + 100)) ]; then
    echo "bench: the fd limit ($fds) is too low for $idle_conns idle connections (ulimit -Hn)" >&2
    exit 1
fi
# Long enough that no server closes an idle connection while (d) opens
# them all and measures, the same for every server.
keepalive=60

# free_port: a TCP port that nothing answers on, in 20000-32767: below the
# ephemeral ports (Linux 32768-60999, macOS 49152-65535), where the
# client side of someone's connection could hold it without answering.
free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 12768))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
    done
    echo "$port"
}

# wait_up PORT PID: wait (10 s at most) until something accepts on PORT
# while process PID runs; fails as soon as PID is gone (it could not bind).
wait_up() {
    for _ in $(seq 100); do
        kill -0 "$2" 2>/dev/null || return 1
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1 # polling a peer we do not control: there is no banner to read
    done
    return 1
}

# serve NAME START: run "START PORT" (which starts the server in the
# background, its stderr in $work/NAME.stderr) on a free port, and add it
# to the servers once it accepts. Another process may take the port first:
# then it tries another, three times at most.
names=() ports=() server_pids=()
serve() {
    local port pid
    for _ in 1 2 3; do
        port=$(free_port)
        "$2" "$port" 2>"$work/$1.stderr"
        pid=$!
        pids+=("$pid")
        if wait_up "$port" "$pid"; then
            names+=("$1") ports+=("$port") server_pids+=("$pid")
            return 0
        fi
        kill "$pid" 2>/dev/null
    done
    echo "bench: $1 did not start; skipped: $(cat "$work/$1.stderr")" >&2
}

# start_step PORT: ./step$n; the access log (stdout) is a cost the peers
# do not pay (access_log off), so it goes nowhere.
start_step() {
    local args=(-d "$work/www")
    [ $((10#$n)) -lt 5 ] || args+=(-t "$keepalive") # -t came with keep-alive
    "./step$n" "${args[@]}" "$1" >/dev/null &
}

# "user": root's workers would otherwise run as nobody, who may not read
# $work (403); anyone else gets a warning that it is ignored.
start_nginx() {
    mkdir -p "$work/nginx"
    cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
user $(id -un) $(id -gn);
worker_rlimit_nofile $fds;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections $((fds / 2)); }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000;
    keepalive_timeout ${keepalive}s;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    types { text/plain txt; }
    default_type application/octet-stream;
    server { listen 127.0.0.1:$1; root $work/www; }
}
CONF
    nginx -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
}

start_lighttpd() {
    cat >"$work/lighttpd.conf" <<CONF
server.document-root = "$work/www"
server.bind = "127.0.0.1"
server.port = $1
server.errorlog = "$work/lighttpd-error.log"
server.max-fds = $fds
server.max-connections = $((fds / 2))
server.max-keep-alive-requests = 1000
server.max-keep-alive-idle = $keepalive
mimetype.assign = (".txt" => "text/plain")
CONF
    lighttpd -D -f "$work/lighttpd.conf" &
}

for n in "$@"; do
    serve "step$n" start_step
done
for peer in nginx lighttpd; do
    if command -v "$peer" >/dev/null 2>&1; then
        serve "$peer" "start_$peer"
    else
        echo "bench: $peer not installed (Debian: apt install $peer); no $peer column"
    fi
done

# ---- (a), (b), (c): wrk ----

# measure SCENARIO PORT NAME: one wrk run; prints requests/s (a, b) or
# MB/s (c), or nothing if the run failed (error responses count as failed).
measure() {
    local out
    case $1 in
    a) out=$(wrk -t2 -c50 -d"${seconds}s" "http://127.0.0.1:$2/1k.txt") ;;
    b) out=$(wrk -t2 -c50 -d"${seconds}s" -H 'Connection: close' "http://127.0.0.1:$2/1k.txt") ;;
    c) out=$(wrk -t2 -c4 -d"${seconds}s" "http://127.0.0.1:$2/100m.bin") ;;
    esac
    if [[ $out == *"Non-2xx or 3xx responses:"* ]]; then
        echo "bench: ($1) $3: a run failed: $(echo "$out" | grep -o 'Non-2xx.*')" >&2
        return
    fi
    if [ "$1" = c ]; then
        # "Transfer/sec: 1.23GB" -> MB
        echo "$out" | awk '/^Transfer\/sec:/ { v = $2; u = substr(v, length(v) - 1); v += 0;
            if (u == "GB") v *= 1024; else if (u == "KB") v /= 1024; printf "%.0f\n", v }'
    else
        echo "$out" | awk '/^Requests\/sec:/ { printf "%.0f\n", $2 }'
    fi
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'; }

# ---- (d): idle connections ----

# vm_kib PID FIELD: the FIELD (VmHWM, VmRSS) of process PID in KiB.
vm_kib() {
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null
}

# idle_peak NAME PORT PID: open idle_conns keep-alive connections with
# build/idle and, while they are all open, set peak to the server's peak
# RSS in KiB (empty if it could not hold them). nginx: the worker's, the
# process that holds the connections; its master's goes in nginx_master.
idle_peak() {
    local pid=$3 line status=0 from to idle_pid
    peak=
    if [ "$1" = nginx ]; then
        nginx_master=$(vm_kib "$pid" VmHWM)
        pid=$(pgrep -P "$pid" | head -n 1)
    fi
    coproc IDLE { "$idle" -n "$idle_conns" "$2" /1k.txt 2>"$work/idle.stderr"; }
    # Once idle exits, bash reaps it, closes its fds and unsets IDLE and
    # IDLE_PID (set -u would then stop the script): keep them now ($!
    # stays). Empty if idle is gone already: then (d) fails below.
    from=${IDLE[0]:-} to=${IDLE[1]:-} idle_pid=$!
    if [ -n "$from" ] && IFS= read -r -t 120 line <&"$from" &&
        [ "$line" = "ready $idle_conns" ]; then
        peak=$(vm_kib "$pid" VmHWM)
    fi
    [ -z "$to" ] || eval "exec $to>&-" # idle's stdin ends: it checks its connections and exits
    wait "$idle_pid" || status=$?
    if [ "$status" -ne 0 ] || [ -z "$peak" ]; then
        echo "bench: (d) $1 failed: $(cat "$work/idle.stderr")" >&2
        peak=
    fi
}

declare -A results
if [ -r /proc/self/status ]; then
    for i in "${!names[@]}"; do
        [[ ${names[$i]} == step0[1-4] ]] && continue # they close every connection
        idle_peak "${names[$i]}" "${ports[$i]}" "${server_pids[$i]}"
        results[d,$i]=$peak
    done
else
    echo "bench: (d) reads /proc/PID/status (Linux only); skipped"
fi

for ((round = 1; round <= rounds; round++)); do
    for scenario in a b c; do
        for i in "${!names[@]}"; do
            got=$(measure "$scenario" "${ports[$i]}" "${names[$i]}")
            results[$scenario,$i]+="$got "
        done
    done
done

# ---- the table ----

# The ratios: the newest step over every other server.
last=-1
for i in "${!names[@]}"; do [[ ${names[$i]} != step* ]] || last=$i; done

# row CELL...: one Markdown table row.
row() {
    local cell line="|"
    for cell in "$@"; do line+=" $cell |"; done
    echo "$line"
}

echo
echo "make bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sm), $(nproc 2>/dev/null || echo ?) cores;" \
    "wrk, ${seconds} s x $rounds rounds, medians"
echo
header=(scenario "${names[@]}") rule=(---)
for i in "${!names[@]}"; do rule+=(---:); done
for j in "${!names[@]}"; do
    [ "$last" -ge 0 ] && [ "$j" != "$last" ] || continue
    header+=("${names[$last]}/${names[$j]}") rule+=(---:)
done
row "${header[@]}"
row "${rule[@]}"
for scenario in a b c d; do
    case $scenario in
    a) cells=("(a) 1 KiB, 50 keep-alive connections (req/s)") ;;
    b) cells=("(b) 1 KiB, \`Connection: close\` (req/s)") ;;
    c) cells=("(c) 100 MiB, 4 connections (MB/s)") ;;
    d) cells=("(d) peak RSS, $idle_conns idle keep-alive connections (MiB)") ;;
    esac
    declare -A value=()
    for i in "${!names[@]}"; do
        value[$i]=$(echo "${results[$scenario,$i]:-}" | tr ' ' '\n' | grep . | median)
        if [ "${value[$i]}" -gt 0 ]; then
            if [ "$scenario" = d ]; then
                cells+=("$(awk -v k="${value[$i]}" 'BEGIN { printf "%.1f", k / 1024 }')")
            else
                cells+=("${value[$i]}")
            fi
        else
            cells+=(-)
        fi
    done
    for j in "${!names[@]}"; do
        [ "$last" -ge 0 ] && [ "$j" != "$last" ] || continue
        if [ "${value[$last]}" -gt 0 ] && [ "${value[$j]}" -gt 0 ]; then
            cells+=("$(awk -v a="${value[$last]}" -v b="${value[$j]}" 'BEGIN { printf "%.2f", a / b }')")
        else
            cells+=(-)
        fi
    done
    row "${cells[@]}"
    unset value
done
echo
echo "(d) is VmHWM, the process's peak resident memory, with all $idle_conns connections open" \
    "(each answered one request, then idle); lower is better. step04 closes every connection: -."
if [ -n "${nginx_master:-}" ]; then
    echo "nginx: its worker process, which holds the connections; the master adds" \
        "$(awk -v k="$nginx_master" 'BEGIN { printf "%.1f", k / 1024 }') MiB, mostly pages it shares with the worker."
fi
