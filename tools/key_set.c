/* key_set.c: see key_set.h. */
#include "key_set.h"

#include <stdlib.h>
#include <string.h>

int key_set_find(const key_set *s, int64_t key)
{
    int lo = 0, hi = s->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (s->keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int key_set_add(key_set *s, int64_t key)
{
    int at = key_set_find(s, key);
    if (at < s->n && s->keys[at] == key)
        return 0;
    if (s->n == s->size) {
        int size = s->size ? 2 * s->size : 16;
        int64_t *grown = realloc(s->keys, sizeof(*grown) * (size_t)size);
        if (!grown)
            return -1;
        s->keys = grown;
        s->size = size;
    }
    memmove(s->keys + at + 1, s->keys + at, sizeof(*s->keys) * (size_t)(s->n - at));
    s->keys[at] = key;
    s->n++;
    return 0;
}

void key_set_free(key_set *s)
{
    free(s->keys);
    *s = (key_set){0};
}
