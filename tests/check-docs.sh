#!/usr/bin/env bash
# make check-docs: the docs still match the code.
#  - every code block after <!-- from: PATH --> is a verbatim, contiguous
#    piece of PATH;
#  - every relative link in README.md and docs/*.md resolves;
#  - every step directory has its page, with COURSE.md's sections in order.
set -u
cd "$(dirname "$0")/.."
errors=0 excerpts=0 links=0
err() {
    echo "check-docs: $*" >&2
    errors=$((errors + 1))
}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Excerpts: awk writes block K of a page to $tmp/K and "K PATH LINE" to a list.
for page in docs/*.md; do
    rm -f "$tmp"/*
    awk -v dir="$tmp" '
        want == 1 && /^```/ { n++; inblock = 1; want = 0; print n, src, NR > (dir "/list"); next }
        want == 1 && !/^[[:space:]]*$/ { print "0 " src " " NR > (dir "/list"); want = 0 }
        inblock && /^```[[:space:]]*$/ { inblock = 0; next }
        inblock { print > (dir "/" n); next }
        match($0, /^<!-- from: [^ ]+ -->$/) { src = substr($0, 12, length($0) - 15); want = 1 }
    ' "$page"
    [ -f "$tmp/list" ] || continue
    while read -r k src line; do
        if [ "$k" = 0 ]; then
            err "$page:$line: no code block right after <!-- from: $src -->"
        elif [ ! -f "$src" ]; then
            err "$page:$line: excerpt from $src, which does not exist"
        else
            excerpts=$((excerpts + 1))
            block=$(cat "$tmp/$k") code=$(cat "$src")
            [[ $code == *"$block"* ]] ||
                err "$page:$line: this excerpt is no longer in $src, verbatim"
        fi
    done <"$tmp/list"
done

# Relative links: [text](target), target without a scheme or a leading #.
for page in README.md docs/*.md; do
    [ -f "$page" ] || continue
    while IFS= read -r target; do
        target=${target%%#*}
        [ -n "$target" ] || continue
        links=$((links + 1))
        [ -e "$(dirname "$page")/$target" ] || err "$page: broken link to $target"
    done < <(grep -o '\]([^)]*)' "$page" | sed 's/^](//; s/)$//; s/ .*//' |
        grep -Ev '^(https?:|mailto:|#)')
done

# Step pages and their sections.
sections="What you'll learn|Run it|How it works|What changed since the previous step|Try it|Pitfalls|Exercises|Further reading"
for dir in step[0-9][0-9]-*/; do
    page=docs/${dir%/}.md
    if [ ! -f "$page" ]; then
        err "$dir has no page $page"
        continue
    fi
    got=$(sed -n 's/^## //p' "$page" | grep -xE "$sections" | tr '\n' '|')
    [ "$got" = "$sections|" ] || err "$page: its sections are not COURSE.md's, in order: ${got%|}"
done

if [ "$errors" -gt 0 ]; then
    echo "check-docs: $errors problem(s)" >&2
    exit 1
fi
echo "check-docs: $excerpts excerpts and $links links checked, all current"
