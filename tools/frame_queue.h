/* frame_queue.h: a bounded, blocking FIFO between pipeline threads (pthreads). Items are
 * pointers with a kind tag (e.g. an AVFrame or an AVPacket) and a size in bytes; they leave
 * in the order they came, and a full queue blocks its producers, which bounds memory. */
#ifndef SRRES_FRAME_QUEUE_H
#define SRRES_FRAME_QUEUE_H

#include <stddef.h>

typedef struct frame_queue frame_queue;

/* At most depth >= 1 items, holding at most max_bytes (0: any number) by the sizes they are
 * pushed with, except that an item alone may hold more (it would wait forever). `producers`
 * threads each call frame_queue_close once when done. */
frame_queue *frame_queue_create(int depth, size_t max_bytes, int producers);

/* Frees the queue; items still inside go to free_item (may be NULL). */
void frame_queue_free(frame_queue *q, void (*free_item)(void *item, int kind));

/* Blocks while full: while the queue holds depth items, or while it and the item's bytes
 * would hold more than max_bytes. Returns 0, or -1 if the queue was aborted (the item is not
 * taken). */
int frame_queue_push(frame_queue *q, void *item, int kind, size_t bytes);

/* Blocks while empty. Returns 1 with an item, 0 when every producer closed and the queue
 * is drained, -1 if aborted. `waited` (may be NULL) gets the seconds spent blocked. */
int frame_queue_pop(frame_queue *q, void **item, int *kind, double *waited);

/* One producer is done. */
void frame_queue_close(frame_queue *q);

/* Wakes every waiter; pushes and pops fail from now on. */
void frame_queue_abort(frame_queue *q);

/* The most items it ever held, and the most bytes (for checking bounded memory). */
int frame_queue_high_water(frame_queue *q);
size_t frame_queue_high_bytes(frame_queue *q);

#endif
