/* train.h: what srres-train's parts (tools/train/) share, the functions they call across
 * files, under the file that holds them. */
#ifndef SRRES_TRAIN_TRAIN_H
#define SRRES_TRAIN_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
void resumed_vals(const srres_model *m, const char *path, input_list *vals, int rank);
const char *resumed_path(const srres_model *m, const char *key, const char *path, char *buf,
                         size_t n, const char *fallback, const char *opt, int rank);
void take_init_network(options *o, const srres_model *from, const char *given);
void check_resumed_options(const srres_model *m, const options *o, const char *path,
                           const char *given);
long meta_long(const srres_model *m, const char *path, const char *key, long lo, long hi);
void restore_run(const srres_model *m, options *o, const char *path, const char *given,
                 uint64_t *round, int *offset, double *seconds);

/* log.c */
FILE *open_log(const char *path, long resumed_step);
void drop_log(run_log *log, int progress_line);
void sync_log(run_log *log, int progress_line);
void close_log(run_log *log);

/* outputs.c */
void check_writable(const char *path, int rank);
void check_paths_apart(const options *o, const input_list *inputs, const input_list *vals);
void check_no_earlier_run(const options *o, const srres_model *resumed);
void warn_validation_trained_on(const input_list *inputs, const input_list *vals);

#endif
