/* distributed.c: the few MPI calls data parallelism needs: an all-reduce of the gradient
 * buffer and of the loss. */
#include <stdlib.h>

#include "distributed.h"

#ifdef SRRES_MPI
#include <mpi.h>

dist dist_init(int *argc, char ***argv)
{
    dist d = {0, 1};
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &d.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d.size);
    return d;
}

void dist_finalize(void)
{
    MPI_Finalize();
}

void dist_mean(float *v, size_t n)
{
    int size;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size == 1)
        return;
    /* MPI counts are ints: reduce in chunks. */
    for (size_t off = 0; off < n; off += 1 << 30) {
        int count = (int)(n - off < (size_t)1 << 30 ? n - off : (size_t)1 << 30);
        MPI_Allreduce(MPI_IN_PLACE, v + off, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
    float inv = 1.0f / (float)size;
    for (size_t i = 0; i < n; i++)
        v[i] *= inv;
}

double dist_mean_scalar(double v)
{
    int size;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    return v / size;
}

int dist_agree(uint64_t v)
{
    uint64_t lo = v, hi = v;
    MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    return lo == hi;
}

int dist_max(int v)
{
    MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return v;
}

void dist_abort(int status)
{
    int size;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 1)
        MPI_Abort(MPI_COMM_WORLD, status);
    exit(status);
}

#else

dist dist_init(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return (dist){0, 1};
}

void dist_finalize(void)
{
}

void dist_mean(float *v, size_t n)
{
    (void)v;
    (void)n;
}

double dist_mean_scalar(double v)
{
    return v;
}

int dist_agree(uint64_t v)
{
    (void)v;
    return 1;
}

int dist_max(int v)
{
    return v;
}

void dist_abort(int status)
{
    exit(status);
}

#endif
