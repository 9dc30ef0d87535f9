/* key_set.h: a growing sorted set of 64-bit keys, each held once: the trainer's damaged
 * frames, per source and per file. Zero-initialised is empty. */
#ifndef SRRES_KEY_SET_H
#define SRRES_KEY_SET_H

#include <stdint.h>

typedef struct key_set {
    int64_t *keys; /* sorted */
    int n, size;
} key_set;

/* The place of the first key >= key (n where there is none). */
int key_set_find(const key_set *s, int64_t key);
/* Adds key unless held. Returns 0, or -1 out of memory (the set as it was). */
int key_set_add(key_set *s, int64_t key);
void key_set_free(key_set *s);

#endif
