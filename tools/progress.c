/* progress.c: frame N/total, fps, speed (media time per wall time), elapsed and ETA. */
#include <time.h>
#include <unistd.h>

#include "progress.h"

double progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void hms(char *buf, size_t n, double s)
{
    long t = s > 0 && s < 1e8 ? (long)(s + 0.5) : 0;
    snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

void progress_init(progress *p, FILE *out, long total, int quiet)
{
    *p = (progress){out, isatty(fileno(out)), quiet, total, progress_now(), 0, 10.0};
}

void progress_update(progress *p, long frames, double media_seconds)
{
    double t = progress_now(), elapsed = t - p->start;
    if (p->quiet || (!p->tty && t - p->last < p->log_interval) || (p->tty && t - p->last < 0.25))
        return;
    p->last = t;
    double fps = elapsed > 0 ? frames / elapsed : 0;
    char el[32], eta[32] = "?";
    hms(el, sizeof(el), elapsed);
    if (p->total > 0 && fps > 0)
        hms(eta, sizeof(eta), (p->total - frames) / fps);
    char total[32] = "?";
    if (p->total > 0)
        snprintf(total, sizeof(total), "%ld", p->total);
    fprintf(p->out, "%sframe %ld/%s  %.2f fps  speed %.3fx  elapsed %s  ETA %s%s",
            p->tty ? "\r\033[K" : "", frames, total, fps,
            elapsed > 0 ? media_seconds / elapsed : 0, el, eta, p->tty ? "" : "\n");
    fflush(p->out);
}

void progress_finish(progress *p, long frames, double media_seconds, const char *what)
{
    if (p->quiet)
        return;
    double elapsed = progress_now() - p->start;
    char el[32];
    hms(el, sizeof(el), elapsed);
    fprintf(p->out, "%s%s: %ld frame%s (%.2f s of media) in %s, %.2f fps, speed %.3fx\n",
            p->tty ? "\r\033[K" : "", what, frames, frames == 1 ? "" : "s", media_seconds, el,
            elapsed > 0 ? frames / elapsed : 0, elapsed > 0 ? media_seconds / elapsed : 0);
}
