# Loaded, after helpers, by the tests that look at the server process from
# outside through Linux's /proc: its descriptors, memory and CPU time.

# server_fds: how many file descriptors the server has open.
server_fds() {
    local fds=("/proc/$SERVER_PID/fd"/*)
    echo "${#fds[@]}"
}

# server_rss: the server's resident memory in KiB.
server_rss() {
    local key value unit
    while read -r key value unit; do
        [ "$key" != VmRSS: ] || { echo "$value"; return 0; }
    done <"/proc/$SERVER_PID/status"
    fail "no VmRSS in /proc/$SERVER_PID/status"
}

# server_cpu: the CPU time the server has used, in clock ticks (user and
# system, fields 14 and 15 of /proc/PID/stat; the command name before them
# is in parentheses).
server_cpu() {
    local stat fields
    stat=$(<"/proc/$SERVER_PID/stat")
    read -r -a fields <<<"${stat##*) }"
    echo $((fields[11] + fields[12]))
}

# await_fds N: wait (5 s at most, polling every 0.05 s) until the server
# has exactly N file descriptors open.
await_fds() {
    local i
    for ((i = 0; i < 100; i++)); do
        [ "$(server_fds)" -eq "$1" ] && return 0
        sleep 0.05
    done
    fail "the server has $(server_fds) file descriptors open, want $1:" "$(ls -l "/proc/$SERVER_PID/fd")"
}

# need_proc: skip the test where /proc/PID/fd is missing (macOS).
need_proc() {
    [ -d "/proc/$$/fd" ] || skip "needs /proc/PID/fd (Linux) to count the server's descriptors"
}
