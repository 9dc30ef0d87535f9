/* frame_queue.h: a bounded, blocking FIFO between pipeline threads (pthreads). Items are
 * pointers with a kind tag (e.g. an AVFrame or an AVPacket); they leave in the order they
 * came, and a full queue blocks its producers, which bounds memory. */
#ifndef SRRES_FRAME_QUEUE_H
#define SRRES_FRAME_QUEUE_H

typedef struct frame_queue frame_queue;

/* depth >= 1 items; `producers` threads each call frame_queue_close once when done. */
frame_queue *frame_queue_create(int depth, int producers);

/* Frees the queue; items still inside go to free_item (may be NULL). */
void frame_queue_free(frame_queue *q, void (*free_item)(void *item, int kind));

/* Blocks while full. Returns 0, or -1 if the queue was aborted (the item is not taken). */
int frame_queue_push(frame_queue *q, void *item, int kind);

/* Blocks while empty. Returns 1 with an item, 0 when every producer closed and the queue
 * is drained, -1 if aborted. `waited` (may be NULL) gets the seconds spent blocked. */
int frame_queue_pop(frame_queue *q, void **item, int *kind, double *waited);

/* One producer is done. */
void frame_queue_close(frame_queue *q);

/* Wakes every waiter; pushes and pops fail from now on. */
void frame_queue_abort(frame_queue *q);

/* The most items it ever held (for checking bounded memory). */
int frame_queue_high_water(frame_queue *q);

#endif
