/* train.h: the state srres-train's parts (tools/train/) share, one run a process, and the
 * functions they call across files, under the file that holds them. */
#ifndef SRRES_TRAIN_TRAIN_H
#define SRRES_TRAIN_TRAIN_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "distributed.h"
#include "evaluate.h"
#include "input_list.h"
#include "patch_sampler.h"
#include "srres.h"

#include "options.h"

/* The CSV log (log.c): rank 0's, where --log is given. */
typedef struct run_log {
    FILE *f;          /* NULL: none, or dropped */
    const char *path; /* --log's */
    int dropped;      /* a write failed: the run went on without it and ends with status 1 */
} run_log;

typedef struct run {
    dist d; /* this process's rank among d.size: main's D, which its signal handler reads */
    options o;
    char given[OPT_END]; /* given[opt]: the option is on the command line */
    input_list inputs, vals;
    srres_model *model;
    srres_adam adam;
    /* The sampler's position (round, offset) as last taken, the step the run is at and the
     * seconds its sessions before this one trained (a resume's). */
    uint64_t round;
    int offset;
    long step;
    double seconds_before;
    sampler *smp;
    int skipped; /* inputs left out: too small, or too transparent, for a patch */
    int local;   /* this rank's share of every global batch */
    srres_trainer *tr;
    eval_set val;       /* rank 0's validation images (val.count 0: none) */
    srres_ctx *val_ctx; /* and the network that is scored on them */
    eval_score bicubic, last_val;
    run_log log;
    int tty; /* standard error is a terminal: the progress line is rewritten */
    /* Seconds the steps after the first waited for the loaders, since the first batch came
     * (fed_from): a run starved of decoded frames (large photographs, one loader) is told
     * so, not left to guess. */
    double waited, fed_from;
    int stopping;          /* a signal stops the run at this step */
    int checkpoint_failed; /* the last step's checkpoint could not be written */
    long saved;            /* the step of the last checkpoint written, or resumed */
    const char *saved_in;  /* and its file (none before a new run's first) */
    double elapsed;        /* the run's seconds when its steps ended, sessions before included */
    /* What o's names point into: a resumed run's recorded ones, the default checkpoint
     * (OUTPUT.ckpt), and the three as checkpoints record them (output_rec, ...). */
    char resumed_output[4096], resumed_checkpoint[4096], resumed_log[4096];
    char default_ckpt[4096];
    char rec[3][PATH_MAX + 256];
} run;

/* checkpoint.c */
void set_meta(srres_model *m, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *get_meta(const srres_model *m, const char *key, const char *path);
/* Receives one of a run's options: its "train.*" key, the command-line option that sets it
 * (0 for --steps, which a resumed run may change) and its value as checkpoints hold it. */
typedef void run_option_fn(void *ctx, const char *key, int opt, const char *value);
void run_options(const options *o, run_option_fn *put, void *ctx);
int is_utf8(const char *s);
const char *recorded_name(const char *path, char *buf, size_t n);
char *recorded_vals(const input_list *vals);
#define HASH_START 0xcbf29ce484222325ull
void hash_text(uint64_t *h, const char *s);
void inputs_id(const input_list *inputs, char *buf, size_t n);
char *run_inputs(const srres_model *resumed, const input_list *inputs, const sampler *smp);
int write_checkpoint(srres_model *m, const srres_adam *adam, const options *o, uint64_t round,
                     int offset, const char *path, double seconds, srres_error *err);
void save_checkpoint(srres_model *m, const srres_adam *adam, const options *o, uint64_t round,
                     int offset, const char *path, double seconds, long saved,
                     const char *saved_in);

/* resume.c */
void take_init_network(options *o, const srres_model *from, const char *given);
void resume_run(run *r);

/* log.c */
FILE *open_log(const char *path, long resumed_step);
void drop_log(run_log *log, int progress_line);
void sync_log(run_log *log, int progress_line);
void close_log(run_log *log);

/* outputs.c */
void choose_outputs(run *r);

/* inputs.c */
/* Opens the inputs for the sampler (at the checkpoint's position, resumed) and says what
 * there is to say of them. */
void open_inputs(run *r);
/* The inputs' damaged frames, found as they were read: said at the end. */
void say_damaged_inputs(const run *r);

/* loop.c */
double learning_rate(const options *o, long step);
/* The steps from r->step to --steps, or to the one a signal stops at (r->stopping). */
void train_steps(run *r);
/* Says that the steps waited long for the loaders, where they did. */
void say_waited(const run *r);

/* srres_train.c */
/* The stop signal that came (0: none yet). */
int stop_requested(void);
/* Marks the first step's start: a signal before it ends the run at once, nothing saved. */
void training_started(void);
void leave_it_to_rank_0(void);

#endif
