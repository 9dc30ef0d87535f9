/* progress.h: the progress report of a long run: one updating line on a terminal, plain log
 * lines otherwise, and a summary at the end. */
#ifndef SRRES_PROGRESS_H
#define SRRES_PROGRESS_H

#include <stdio.h>

typedef struct progress {
    FILE *out;
    int tty, quiet;
    long total;          /* expected frames, 0 if unknown */
    double start, last;  /* wall clock */
    double log_interval; /* seconds between plain log lines */
} progress;

void progress_init(progress *p, FILE *out, long total, int quiet);

/* frames done so far and the media time they cover, in seconds. */
void progress_update(progress *p, long frames, double media_seconds);

/* Ends the updating line and prints the summary. */
void progress_finish(progress *p, long frames, double media_seconds, const char *what);

double progress_now(void);

#endif
