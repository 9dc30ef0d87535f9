#!/usr/bin/env bash
# test_build_flags.sh B: a packager's CFLAGS and LDFLAGS (dpkg-buildflags style) add to the
# flags the build needs instead of replacing them, and a change of flags rebuilds what they
# compile (asked of make -n against the built tree B, so nothing is compiled); configure
# refuses a prefix that make, sed or a C string would cut.
set -euo pipefail
b=$1 fails=0
fail() { echo "test_build_flags: $*" >&2; fails=$((fails + 1)); }
dry() { make --no-print-directory -n B="$b" "$@" all; }

lines=$(dry)
if grep -q '^gcc ' <<<"$lines"; then
    fail "the built tree $b is not up to date: make -n compiles"
fi

lines=$(dry CFLAGS="-O1 -Wformat" LDFLAGS="-Wl,-z,relro")
core=$(grep -m1 -- '-c core/model.c' <<<"$lines" || true)
tool=$(grep -m1 -- '-c tools/cli.c' <<<"$lines" || true)
solib=$(grep -m1 -- '-shared' <<<"$lines" || true)
[ -n "$core" ] || fail "a new CFLAGS does not recompile core/model.c"
[ -n "$tool" ] || fail "a new CFLAGS does not recompile tools/cli.c"
for flag in -fPIC -pthread -std=c11 -fvisibility=hidden -Wall -O1 -Wformat; do
    grep -q -- " $flag " <<<"$core " || fail "core/model.c compiled without $flag"
done
for flag in -fPIC -pthread -Wall -O1; do
    grep -q -- " $flag " <<<"$tool " || fail "tools/cli.c compiled without $flag"
done
for flag in -pthread -Wl,-z,relro; do
    grep -q -- " $flag " <<<"$solib " || fail "libsrres.so linked without $flag"
done

# A prefix make, sed or the C string of the data folder would cut or break is refused before
# configure writes anything (run from a copy, so that a configure that takes it writes there).
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp configure "$dir/"
for prefix in '/tmp/a#b' '/tmp/a$b' '/tmp/a|b' '/tmp/a"b' "/tmp/a'b" '/tmp/a b' 'rel/dir'; do
    rm -f "$dir/config.mk"
    if (cd "$dir" && ./configure --prefix="$prefix" >"$dir/said" 2>&1); then
        fail "configure took --prefix=$prefix"
    elif [ "$(wc -l <"$dir/said")" != 1 ] || ! grep -qF -- "--prefix=$prefix:" "$dir/said"; then
        fail "configure refused --prefix=$prefix without one line naming it: $(cat "$dir/said")"
    fi
    [ ! -e "$dir/config.mk" ] || fail "configure wrote config.mk for --prefix=$prefix"
done

[ "$fails" = 0 ] || exit 1
echo "test_build_flags: CFLAGS and LDFLAGS add to the build's own flags; a change rebuilds;"
echo "  configure refuses a prefix make cannot carry"
