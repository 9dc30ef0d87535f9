# damage.sh: sourced by the end-to-end tests. damaged_copy SRC DST PERCENT...: DST is SRC
# with 16 bytes overwritten at each PERCENT of its length; a plain mp4 holds its coded
# frames in the first half and its index (moov) at the end, so the percentages choose what
# is damaged.
damaged_copy() {
    local src=$1 dst=$2 size pct
    shift 2
    size=$(stat -c %s "$src")
    cp "$src" "$dst"
    for pct in "$@"; do
        printf '\xff\x00\xa5\x5a%.0s' {1..4} |
            dd of="$dst" bs=1 seek=$((size * pct / 100)) conv=notrunc status=none
    done
}
