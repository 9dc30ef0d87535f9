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
/* Waits for every rank first, so that rank 0 still takes another's late error. */
void dist_finalize(void);

/* Every rank's v becomes the mean over ranks (one contiguous buffer, one call). The training
 * step's reductions, these two block as MPI's own calls do (a 6 MB gradient took twice as
 * long watched, as the calls below are): around them no rank but rank 0 may fail alone, or
 * rank 0 would wait for it forever. */
void dist_mean(float *v, size_t n);
double dist_mean_scalar(double v);

/* 1 if every rank passed the same v. */
int dist_agree(uint64_t v);

/* The largest v any rank passed. */
int dist_max(int v);

/* Ends every rank after an error on one, `line` ("srres-train: ...\n") said once: rank 0
 * prints it and ends the job; another rank hands it to rank 0 and waits, silent. Rank 0
 * takes it while waiting in dist_agree, dist_max or dist_finalize (the failed rank never
 * joins), unless it fails first, as every rank meets most errors alike: then its own line is
 * the one said. */
void dist_fail(int status, const char *line) __attribute__((noreturn));

#endif
