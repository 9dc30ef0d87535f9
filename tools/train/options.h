/* options.h: srres-train's options, as its command line gives them (options.c), and the names
 * their choices take there and in checkpoints. */
#ifndef SRRES_TRAIN_OPTIONS_H
#define SRRES_TRAIN_OPTIONS_H

#include <limits.h>
#include <stdint.h>

#include "input_list.h"
#include "patch_sampler.h"
#include "srres.h"

typedef enum schedule { SCHEDULE_COSINE, SCHEDULE_STEP, SCHEDULE_CONSTANT } schedule;

typedef struct options {
    const char *output, *checkpoint, *resume, *init, *log;
    /* The same three as checkpoints record them: absolute, so that a resume from another
     * folder carries on where the run wrote (relative names were taken from the new one). */
    const char *output_rec, *checkpoint_rec, *log_rec;
    char *val_rec; /* the validation files likewise, one a line ("" none; NULL: unrecordable) */
    int scale, blocks, channels, prelu_per_channel;
    srres_image_skip image_skip;
    long steps;
    int batch, patch, threads, loader_threads;
    srres_kernel kernel; /* not the run's: a resume may take another */
    double lr, lr_min, gamma, clip, average;
    long warmup, step_size;
    schedule sched;
    srres_loss loss;
    uint64_t seed;
    long val_every, checkpoint_every, log_every;
    int val_crop;
    srres_dtype dtype;
    int verbose, quiet, overwrite;
    sampler_options sampler;
    char inputs_id[40]; /* "count:hash" of the inputs' names, kept in checkpoints */
    char *trained_on;   /* every input of the run, its sessions before a resume's too */
    char init_file[PATH_MAX + 64]; /* init: --init's file or bundled model */
} options;

/* The long options' values: given[] (parse_args) is indexed by them, and run_options names
 * them beside the checkpoint keys they set. */
enum {
    OPT_SCALE = 256, OPT_BLOCKS, OPT_CHANNELS, OPT_SKIP, OPT_PRELU, OPT_INIT, OPT_DTYPE,
    OPT_STEPS, OPT_BATCH, OPT_PATCH, OPT_LR, OPT_SCHED, OPT_LR_MIN, OPT_WARMUP, OPT_LR_STEP,
    OPT_LR_GAMMA, OPT_CLIP, OPT_LOSS, OPT_SEED, OPT_THREADS, OPT_KERNEL, OPT_LOADERS, OPT_PPF, OPT_FPR,
    OPT_STRIDE, OPT_HR_SCALE, OPT_AVERAGE, OPT_FLAT_T, OPT_FLAT_P, OPT_DETAIL, OPT_NO_AUG, OPT_VAL,
    OPT_VAL_EVERY, OPT_VAL_CROP, OPT_CKPT, OPT_CKPT_EVERY, OPT_RESUME, OPT_LOG, OPT_LOG_EVERY,
    OPT_END
};

extern const char *const sched_names[3];
extern const char *const loss_names[2];
extern const char *const dtype_names[3];

/* Option opt as the command line spells it, which the messages name (not its key). */
const char *option_name(int opt);

/* The command line into o, the inputs and the validation files, and given[opt] set for every
 * option given; exits on a bad option, and after --help or --version (said by rank 0 alone,
 * `rank` this process's). */
void parse_args(options *o, input_list *inputs, input_list *vals, char *given, int argc,
                char **argv, int rank);

#endif