/* log.c: the CSV log, a row every --log-every steps: opened (a resumed run's cut after its
 * checkpoint's step), put on disk before each checkpoint, and dropped, the run going on
 * without it, when it cannot be written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "train.h"

/* The CSV log; a resumed run (resumed_step >= 0) goes on with the one it finds, cut after
 * the checkpoint's step: a run killed after its last checkpoint logged steps it redoes. */
FILE *open_log(const char *path, long resumed_step)
{
    /* A pipe or terminal is written on, never read back or cut. */
    struct stat st;
    int regular = stat(path, &st) != 0 || S_ISREG(st.st_mode);
    FILE *f = resumed_step >= 0 && regular ? fopen(path, "r+") : NULL;
    if (!f && resumed_step >= 0 && regular && errno != ENOENT)
        cli_die("%s: %s", path, strerror(errno));
    off_t keep = 0;
    if (f) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        /* stdio flushes the log by the buffer, not by the line: a run killed between
         * checkpoints can leave a last line cut short, which goes too. */
        while ((n = getline(&line, &cap, f)) > 0 && line[n - 1] == '\n') {
            char *end;
            long s = strtol(line, &end, 10);
            if (end != line && *end == ',' && s > resumed_step)
                break;
            keep += n;
        }
        free(line);
        if (ferror(f) || ftruncate(fileno(f), keep) != 0 || fseek(f, 0, SEEK_END) != 0)
            cli_die("%s: %s", path, strerror(errno));
    } else if (!(f = fopen(path, regular ? "w" : "a"))) {
        cli_die("%s: %s", path, strerror(errno));
    }
    if (!keep)
        fprintf(f, "step,loss,lr,grad_norm,val_psnr,val_ssim,patches_per_s,seconds\n");
    return f;
}

/* Says once that the log cannot be written (errno says why) and closes it (log->f NULL: it
 * is closed already). Training goes on, its hours worth more than their log, and the status
 * tells scripts that the log is short (log->dropped). */
void drop_log(run_log *log, int progress_line)
{
    fprintf(stderr, "%ssrres-train: %s: cannot write the log: %s; training goes on without it "
                    "and will exit with status 1\n",
            progress_line ? "\r\033[K" : "", log->path, strerror(errno));
    if (log->f) {
        fclose(log->f);
        log->f = NULL;
    }
    log->dropped = 1;
}

/* Puts the log's rows on disk before a checkpoint is: a run killed (or a machine lost) after
 * writing the checkpoint had its last rows in stdio's buffer, and the resume went on past
 * them, a gap in the log. Rows past the checkpoint are cut by the resume (open_log). */
void sync_log(run_log *log, int progress_line)
{
    /* A pipe or terminal takes no fsync (EINVAL), and needs none. */
    if (log->f && (fflush(log->f) || (fsync(fileno(log->f)) && errno != EINVAL)))
        drop_log(log, progress_line);
}

/* Closes the log: one whose last rows fail to be written there is dropped all the same. */
void close_log(run_log *log)
{
    FILE *f = log->f;
    log->f = NULL;
    if (f && fclose(f))
        drop_log(log, 0);
}
