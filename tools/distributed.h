/* distributed.h: data-parallel training across processes with Open MPI (mpirun -n N
 * srres-train ...). Built without MPI, it is one process and every call is trivial. */
#ifndef SRRES_DISTRIBUTED_H
#define SRRES_DISTRIBUTED_H

#include <stddef.h>
#include <stdint.h>

typedef struct dist {
    int rank, size;
} dist;

/* Starts MPI when the build has it (and the program runs under mpirun). */
dist dist_init(int *argc, char ***argv);
void dist_finalize(void);

/* Every rank's v becomes the mean over ranks (one contiguous buffer, one call). */
void dist_mean(float *v, size_t n);
double dist_mean_scalar(double v);

/* 1 if every rank passed the same v. */
int dist_agree(uint64_t v);

/* The largest v any rank passed. */
int dist_max(int v);

/* Ends every rank (after an error on one). */
void dist_abort(int status);

#endif
