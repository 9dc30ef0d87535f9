#!/usr/bin/env bash
# test_header.sh SOLIB HEADER_DIR: srres.h serves any C or C++ caller, not only C11 ones: it
# compiles cleanly as C89, C99 and C11, with gcc and clang, and as C++98 and C++17 with g++
# and clang++, under -pedantic -Werror (its enums once ended in commas, which C89 and C++98
# reject), and a C++ program links against the library through its extern "C" and gets the
# library's own error message. clang is optional (configure), so without it only gcc's.
set -euo pipefail
solib=$(realpath "$1") include=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
strict=(-pedantic-errors -Wall -Wextra -Werror -I"$include")

cat >"$dir/caller.c" <<'C'
#include "srres.h"
int main(void)
{
    srres_params p = srres_default_params();
    return p.kernel == SRRES_KERNEL_AUTO ? 0 : 1;
}
C
compilers=(gcc) cxx_compilers=(g++)
if command -v clang >/dev/null && command -v clang++ >/dev/null; then
    compilers+=(clang) cxx_compilers+=(clang++)
fi
for cc in "${compilers[@]}"; do
    for std in c89 c99 c11; do
        "$cc" -std=$std "${strict[@]}" -c "$dir/caller.c" -o "$dir/caller.o" ||
            { echo "test_header: srres.h is not $std for $cc" >&2; exit 1; }
    done
done

cat >"$dir/cxx.cpp" <<'CXX'
#include <cstdio>
#include "srres.h"
int main()
{
    srres_model *m = 0;
    srres_error e;
    srres_status s = srres_model_load("/nonexistent/x4.safetensors", &m, &e);
    std::printf("%s|%s\n", srres_status_string(s), e.message);
    return s == SRRES_ERR_IO && m == 0 ? 0 : 1;
}
CXX
for cxx in "${cxx_compilers[@]}"; do
    for std in c++98 c++17; do
        "$cxx" -std=$std "${strict[@]}" "$dir/cxx.cpp" -o "$dir/cxx" "$solib" \
            -Wl,-rpath,"$(dirname "$solib")" ||
            { echo "test_header: srres.h is not $std for $cxx" >&2; exit 1; }
        out=$("$dir/cxx") || { echo "test_header: the $cxx $std caller failed: $out" >&2; exit 1; }
        case $out in
        *"/nonexistent/x4.safetensors"*) ;;
        *) echo "test_header: the $cxx $std caller got no message naming the file: $out" >&2; exit 1 ;;
        esac
    done
done
echo "test_header: srres.h compiles as C89, C99, C11 (${compilers[*]}) and C++98, C++17" \
    "(${cxx_compilers[*]}); a C++ caller links and runs"
