/* distributed.c: the few MPI calls data parallelism needs: an all-reduce of the gradient
 * buffer and of the loss, and one rank's fatal error passed to rank 0 to be said once. */
#include <stdlib.h>

#include "distributed.h"

#ifdef SRRES_MPI
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A rank's error on its way to rank 0: its status, one byte, then its line. */
enum { TAG_FAILED = 1, FAILURE_MAX = 9000 };

/* On rank 0, says another rank's error, if one came, and ends the job. */
static void take_failure(void)
{
    int came, n;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, TAG_FAILED, MPI_COMM_WORLD, &came, &st);
    if (!came)
        return;
    MPI_Get_count(&st, MPI_CHAR, &n);
    char msg[FAILURE_MAX + 1] = "";
    MPI_Recv(msg, n < FAILURE_MAX ? n : FAILURE_MAX, MPI_CHAR, st.MPI_SOURCE, TAG_FAILED,
             MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    fputs(msg + 1, stderr);
    MPI_Abort(MPI_COMM_WORLD, (unsigned char)msg[0]);
    exit(1);
}

/* Completes a collective call; rank 0 meanwhile watches for a rank that failed before it,
 * which will never join (a blocking call would wait for it forever). */
static void finish(MPI_Request *req)
{
    int rank, done = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    for (;;) {
        MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (done)
            return;
        if (!rank)
            take_failure();
    }
}

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
    MPI_Request req;
    MPI_Ibarrier(MPI_COMM_WORLD, &req);
    finish(&req);
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
    MPI_Request req[2];
    MPI_Iallreduce(MPI_IN_PLACE, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD, &req[0]);
    finish(&req[0]);
    MPI_Iallreduce(MPI_IN_PLACE, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD, &req[1]);
    finish(&req[1]);
    return lo == hi;
}

int dist_max(int v)
{
    MPI_Request req;
    MPI_Iallreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &req);
    finish(&req);
    return v;
}

void dist_fail(int status, const char *line)
{
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (!rank || size == 1) {
        fputs(line, stderr);
        if (size > 1)
            MPI_Abort(MPI_COMM_WORLD, status);
        exit(status);
    }
    char msg[FAILURE_MAX];
    msg[0] = (char)status;
    snprintf(msg + 1, sizeof(msg) - 1, "%s", line);
    MPI_Send(msg, (int)strlen(msg + 1) + 2, MPI_CHAR, 0, TAG_FAILED, MPI_COMM_WORLD);
    for (;;)
        pause();
}

#else

#include <stdio.h>

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

void dist_fail(int status, const char *line)
{
    fputs(line, stderr);
    exit(status);
}

#endif
