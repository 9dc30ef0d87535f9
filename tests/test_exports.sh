#!/usr/bin/env bash
# test_exports.sh LIB HEADER: the shared library, or the static archive, exports exactly the
# functions the header declares. Internal names (alloc_floats, conv_forward, ...) once went
# out too: an application's own function of such a name took the shared library's place, and
# failed to link against the archive ("multiple definition").
set -euo pipefail
lib=$1 header=$2
declared=$(grep -o '\bsrres_[a-z0-9_]*(' "$header" | tr -d '(' | sort -u)
case $lib in
*.a) exported=$(nm -g --defined-only "$lib" | awk 'NF == 3 {print $3}' | sort -u) ;;
*) exported=$(nm -D --defined-only "$lib" | awk 'NF == 3 {print $3}' | sort -u) ;;
esac
if [ "$declared" != "$exported" ]; then
    echo "test_exports: $lib exports other functions than $header declares:" >&2
    diff <(echo "$declared") <(echo "$exported") | grep '^[<>]' |
        sed 's/^</  declared, not exported:/; s/^>/  exported, not declared:/' >&2
    exit 1
fi
echo "test_exports: $(echo "$exported" | wc -l) functions, all declared in $header"
