#!/usr/bin/env bash
# test_header.sh SOLIB HEADER_DIR: srres.h serves any C or C++ caller, not only C99 ones: it
# compiles cleanly as C89 and as C++98 under -pedantic (its enums once ended in commas,
# which both reject), and a C++ program links against the library through its extern "C"
# and gets the library's own error message.
set -euo pipefail
solib=$(realpath "$1") include=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
strict=(-pedantic-errors -Wall -Wextra -Werror -I"$include")

cat >"$dir/c89.c" <<'C'
#include "srres.h"
int main(void)
{
    srres_params p = srres_default_params();
    return p.kernel == SRRES_KERNEL_AUTO ? 0 : 1;
}
C
gcc -std=c89 "${strict[@]}" -c "$dir/c89.c" -o "$dir/c89.o" ||
    { echo "test_header: srres.h is not C89" >&2; exit 1; }

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
g++ -std=c++98 "${strict[@]}" "$dir/cxx.cpp" -o "$dir/cxx" "$solib" \
    -Wl,-rpath,"$(dirname "$solib")" || { echo "test_header: srres.h is not C++98" >&2; exit 1; }
out=$("$dir/cxx") || { echo "test_header: the C++ caller failed: $out" >&2; exit 1; }
case $out in
*"/nonexistent/x4.safetensors"*) ;;
*) echo "test_header: the C++ caller got no message naming the file: $out" >&2; exit 1 ;;
esac
echo "test_header: srres.h compiles as C89 and C++98; a C++ caller links and runs"
