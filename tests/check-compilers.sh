#!/usr/bin/env bash
# make check-compilers: every step builds warning-free (-Werror) with gcc,
# clang and musl-gcc, and with the by-hand line at the top of its server.c.
# A compiler that is missing is skipped with a message, except under CI
# (CI=true), where .ci/run installs them all and a missing one fails.
#
#     bash tests/check-compilers.sh step01-socket step02-http-format ...
set -u
cd "$(dirname "$0")/.."
flags="-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Werror -O2"
out=build/compilers
mkdir -p "$out"
failed=0 built=0

for cc in gcc clang musl-gcc; do
    if ! command -v "$cc" >/dev/null 2>&1; then
        if [ "${CI:-}" = true ]; then
            echo "check-compilers: $cc is missing (.ci/run should install it)" >&2
            failed=1
        else
            echo "check-compilers: skipped $cc: not installed (Debian: apt install ${cc/musl-gcc/musl-tools})"
        fi
        continue
    fi
    for dir in "$@"; do
        # shellcheck disable=SC2086
        if "$cc" $flags -o "$out/$cc-${dir%%-*}" "$dir"/*.c; then
            built=$((built + 1))
        else
            echo "check-compilers: $dir does not build with $cc -Werror" >&2
            failed=1
        fi
    done
done

# The line a student types: "cc ..." in the top comment, run in a copy of
# the directory so nothing is left behind, with -Werror added.
for dir in "$@"; do
    line=$(sed -n '1,30{s/^ \* *\(cc .*\)$/\1/p;}' "$dir/server.c" | head -n 1)
    if [ -z "$line" ]; then
        echo "check-compilers: $dir/server.c has no 'cc ...' line in its top comment" >&2
        failed=1
        continue
    fi
    rm -rf "$out/byhand" && cp -R "$dir" "$out/byhand"
    if (cd "$out/byhand" && eval "$line -Werror") && [ -x "$out/byhand/server" ]; then
        built=$((built + 1))
    else
        echo "check-compilers: the by-hand line in $dir/server.c fails: $line" >&2
        failed=1
    fi
done
rm -rf "$out/byhand"
[ "$failed" -eq 0 ] && echo "check-compilers: $built builds, no warnings"
exit "$failed"
