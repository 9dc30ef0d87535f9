# photo_split.sh: the one definition of our validation split, sourced by
# tools/train_models.sh and tools/evalsets.sh. split_photos DIR sets the arrays val_photos
# (every sixth photograph of DIR from the fourth, in C-locale name order) and
# train_photos (the rest). media/video/make.sh pans its clips over every sixth photograph
# from the first, so no pixel of a validation photograph is ever trained on.
split_photos() {
    local n=0 p
    val_photos=() train_photos=()
    for p in $(LC_ALL=C ls "$1"/*.jpg); do
        n=$((n + 1))
        if [ $((n % 6)) -eq 4 ]; then val_photos+=("$p"); else train_photos+=("$p"); fi
    done
}
