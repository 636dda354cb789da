#!/usr/bin/env bash
# make fuzz: run libFuzzer, SECONDS per harness, on the parser of each step
# given (tests/fuzz_parser.c); and on the newest of them, the last given,
# also on the header-value parsers of files.c and request.c
# (tests/fuzz_files.c) and on a whole connection through server.c
# (tests/fuzz_conn.c), when the step has them.
#
#     bash tests/fuzz.sh clang 60 step03-parser step04-static-files ...
set -u
cd "$(dirname "$0")/.."
cc=$1 seconds=$2
shift 2
if [ "$#" -eq 0 ]; then
    echo "fuzz: no step has a parser yet"
    exit 0
fi
probe=$(mktemp -d) || exit 1
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$probe/p.c"
if ! "$cc" -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" 2>/dev/null; then
    if [ "${CI:-}" = true ]; then
        echo "fuzz: $cc cannot build a libFuzzer target (.ci/run should install clang)" >&2
        exit 1
    fi
    echo "fuzz: skipped: $cc with libFuzzer is not installed (Debian: apt install clang)"
    exit 0
fi
status=0
for dir in "$@"; do
    n=${dir%%-*}
    bin=build/fuzz-parser-$n corpus=build/fuzz-corpus-$n
    mkdir -p "$corpus"
    "$cc" -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=all -I "$dir" -o "$bin" tests/fuzz_parser.c "$dir/request.c" || exit 1
    echo "fuzz: $dir for $seconds s"
    if ! "$bin" -max_total_time="$seconds" -max_len=20000 -dict=tests/fuzz-http.dict \
        -artifact_prefix=build/ -print_final_stats=1 "$corpus" tests/fuzz-corpus >"build/fuzz-$n.log" 2>&1; then
        tail -n 40 "build/fuzz-$n.log"
        echo "fuzz: $dir: a crash; the input is saved in build/ (see the log above)" >&2
        status=1
    else
        grep -E '^stat::number_of_executed_units|^Done' "build/fuzz-$n.log" | tail -n 2
    fi
done

# harness NAME MAX_LEN SOURCES...: build tests/fuzz_NAME.c with SOURCES of
# the newest step, $dir, and run it from tests/fuzz-corpus-NAME. Paths
# are absolute: the server may change directory to its root while the
# fuzzer runs. An input that takes 30 s is a hang, saved like a crash.
harness() {
    local name=$1 max_len=$2 n=${dir%%-*}
    local bin=build/fuzz-$name-$n corpus=$PWD/build/fuzz-corpus-$name-$n log=build/fuzz-$name-$n.log
    shift 2
    mkdir -p "$corpus"
    "$cc" -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=all -I "$dir" -o "$bin" "tests/fuzz_$name.c" "$@" || exit 1
    echo "fuzz: $dir, $name, for $seconds s"
    if ! "$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=30 \
        -dict="$PWD/tests/fuzz-http.dict" -artifact_prefix="$PWD/build/fuzz-$name-$n-" \
        -print_final_stats=1 "$corpus" "$PWD/tests/fuzz-corpus-$name" >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "fuzz: $dir, $name: a crash; the input is saved as build/fuzz-$name-$n-* (see the log above)" >&2
        status=1
    else
        grep -E '^stat::number_of_executed_units|^Done' "$log" | tail -n 2
    fi
}
dir=${!#}
if grep -qs files_parse_range "$dir/files.h" && grep -qs http_has_token "$dir/request.h"; then
    harness files 4097 "$dir/files.c" "$dir/request.c"
fi
# fuzz_conn.c includes server.c, main() renamed, and links the rest.
if grep -qs poll_round "$dir/server.c"; then
    others=()
    for f in "$dir"/*.c; do
        [ "$f" = "$dir/server.c" ] || others+=("$f")
    done
    harness conn 40000 "${others[@]}"
fi
exit "$status"
