/* srres-train: trains an SRResNet on videos and images (MSE or L1 loss, Adam) and writes a
 * model file srres-video and the srresnet filter load. The loop, as in llm.c: sample a
 * batch, forward, zero_grad, backward, update; validation, logging and checkpoints around it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/avstring.h>
#include <libavutil/bprint.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>

#include "bundled_model.h"
#include "cli.h"
#include "distributed.h"
#include "evaluate.h"
#include "input_list.h"
#include "openblas_core.h"
#include "patch_sampler.h"
#include "run_metadata.h"
#include "same_file.h"
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

/* Atomic: a handler runs on whichever thread the kernel picks (a loader or an OpenBLAS
 * worker too). Lock-free, so a handler may use it. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal flag needs lock-free atomics");
static atomic_int stop_signal;
static atomic_int first_sender; /* 0: no signal yet; 1: the first from mpirun; 2: elsewhere */
static atomic_int training;     /* set as the first step starts */
static dist D;                  /* this process's rank among D.size (1 without mpirun) */

/* The first signal stops the run at the end of its step (or validation) with a checkpoint;
 * a second aborts at once, unsaved, as the first can wait minutes on a large --val set.
 * Under mpirun, where one of the two came from mpirun (this process's parent) and the other
 * not, they are one request come twice: mpirun passes on to its processes what a batch
 * scheduler's cancel, systemd's stop or pkill also sends each of them, and the second
 * aborted the ranks while rank 0 had its checkpoint to write. */
static void on_signal(int sig, siginfo_t *info, void *context)
{
    /* Before the first step there is nothing to save, so the run ends at once: start-up
     * may take minutes (probing many inputs) or wait on a FIFO (--log) for good. By the
     * signal itself, not an exit status: a shell running a script stops it only for a child
     * that a SIGINT killed, taking an exit of 130 for a program that handled Ctrl-C. */
    if (!atomic_load(&training)) {
        static const char said[] = "srres-train: stopped by signal before the first step: "
                                   "nothing trained, nothing saved\n";
        if (!D.rank) {
            ssize_t ignored = write(2, said, sizeof(said) - 1);
            (void)ignored;
        }
        sigset_t this;
        sigemptyset(&this);
        sigaddset(&this, sig);
        signal(sig, SIG_DFL);
        pthread_sigmask(SIG_UNBLOCK, &this, NULL);
        raise(sig);
        _exit(128 + sig);
    }
    int sender = info->si_pid == getppid() ? 1 : 2, first = 0;
    if (atomic_compare_exchange_strong(&first_sender, &first, sender)) {
        atomic_store(&stop_signal, sig);
        return;
    }
    if (D.size > 1 && first != sender)
        return;
    /* Said by rank 0, as everything is: a second signal comes to every process alike (pkill,
     * a scheduler's cancel), and each said it. One that came to another process alone ends
     * the job all the same, and mpirun names that process and its signal. */
    static const char said[] = "srres-train: aborted by a second signal: nothing saved since "
                               "the last checkpoint\n";
    if (!D.rank) {
        ssize_t ignored = write(2, said, sizeof(said) - 1);
        (void)ignored;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The share of the time since the first batch that steps spent waiting for the loaders. */
static double waited_share(double waited, double fed_from, double t)
{
    return fed_from && t - fed_from > 1 ? waited / (t - fed_from) : 0;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: srres-train [options] INPUT...\n"
        "Trains an SRResNet on videos, images and folders of them; writes a model file.\n"
        "\n"
        "model:\n"
        "  -o, --output FILE          model to write (default srres.safetensors)\n"
        "      --scale N              2, 3, 4 or 8 (default 4)\n"
        "      --blocks N             residual blocks (default 16)\n"
        "      --channels N           feature channels (default 64)\n"
        "      --image-skip MODE      none or nearest (default none)\n"
        "      --prelu MODE           channel or shared slopes (default channel)\n"
        "      --init FILE            start from a model's (or checkpoint's) matching tensors,\n"
        "                             or a bundled model's (x4, x2-fast, ...); the options\n"
        "                             above not given are its (--init x2 --scale 4: x2 -> x4)\n"
        "      --dtype TYPE           f32, f16 or bf16 for the output (default f32)\n"
        "training:\n"
        "      --steps N              optimiser steps (default 10000)\n"
        "      --batch N              patches per step (default 16)\n"
        "      --patch N              LR patch side (default 24)\n"
        "      --lr X                 peak learning rate (default 5e-4)\n"
        "      --lr-schedule S        cosine, step or constant (default cosine)\n"
        "      --lr-min X             cosine floor, at most --lr (default 1e-6, or --lr if\n"
        "                             lower)\n"
        "      --warmup N             linear warm-up steps (default 200)\n"
        "      --lr-step N            step schedule: decay every N steps (default 2000)\n"
        "      --lr-gamma X           step schedule: factor (default 0.5)\n"
        "      --clip X               clip the gradient norm to X (default 0 = off)\n"
        "      --average D            keep the weights' moving average, decay D in (0, 1)\n"
        "                             (e.g. 0.999), from the weights at the start; it is\n"
        "                             validated (the log's val columns) and written (default\n"
        "                             off; with --resume, starts or changes the checkpoint's)\n"
        "      --loss L               mse or l1 (default mse)\n"
        "      --seed N               seed of initialisation and sampling (default 1)\n"
        "      --threads N            compute threads (default: one per CPU it may use; per\n"
        "                             process under mpirun, where each process takes\n"
        "                             --batch / N patches)\n"
        "      --kernel K             auto, avx2 or baseline (default auto: AVX-512, else\n"
        "                             AVX2 + FMA, else im2col + OpenBLAS)\n"
        "data:\n"
        "      --loader-threads N     decoding threads (default 1)\n"
        "      --patches-per-frame N  patches cut from each decoded frame (default 8)\n"
        "      --frames-per-round N   frames whose patches are shuffled together (default 64)\n"
        "      --frame-stride N       use every Nth frame of a video (default 1)\n"
        "      --hr-scale MIN[:MAX]   downscale frames by a random factor first (default 1;\n"
        "                             a frame is scaled no smaller than a patch allows)\n"
        "      --flat-threshold X     luma variance of a flat patch (default 64)\n"
        "      --flat-skip P          probability of redrawing a flat patch (default 0.75)\n"
        "      --detail-draws N       draw N patches, train on the most detailed (default 1)\n"
        "      --no-augment           no flips or rotations\n"
        "validation and output:\n"
        "      --val FILE|DIR         held-out images (repeatable)\n"
        "      --val-every N          validate every N steps (default 500)\n"
        "      --val-crop N           centre crop of validation images, HR side (default 384)\n"
        "      --checkpoint FILE      checkpoint path (default OUTPUT.ckpt)\n"
        "      --checkpoint-every N   (default 500; the last step writes one too)\n"
        "      --resume FILE          continue a checkpoint's run: its options, and its output,\n"
        "                             dtype, --val files and (with no -o) checkpoint file and\n"
        "                             log unless given\n"
        "                             (exactly, unless made compact by srres-model compact)\n"
        "      --log FILE             CSV: step,loss,lr,grad_norm,val_psnr,val_ssim,patches_per_s,\n"
        "                             seconds\n"
        "      --log-every N          steps between --log rows, and between progress lines\n"
        "                             when not on a terminal (default 100)\n"
        "  -y                         write over the model, checkpoint and log of an earlier\n"
        "                             run (refused otherwise; --resume carries a run on)\n"
        "  -v, --verbose              also print every input's size and frame count\n"
        "  -q, --quiet                print nothing but errors\n"
        "  -h, --help / --version\n");
}

enum {
    OPT_SCALE = 256, OPT_BLOCKS, OPT_CHANNELS, OPT_SKIP, OPT_PRELU, OPT_INIT, OPT_DTYPE,
    OPT_STEPS, OPT_BATCH, OPT_PATCH, OPT_LR, OPT_SCHED, OPT_LR_MIN, OPT_WARMUP, OPT_LR_STEP,
    OPT_LR_GAMMA, OPT_CLIP, OPT_LOSS, OPT_SEED, OPT_THREADS, OPT_KERNEL, OPT_LOADERS, OPT_PPF, OPT_FPR,
    OPT_STRIDE, OPT_HR_SCALE, OPT_AVERAGE, OPT_FLAT_T, OPT_FLAT_P, OPT_DETAIL, OPT_NO_AUG, OPT_VAL,
    OPT_VAL_EVERY, OPT_VAL_CROP, OPT_CKPT, OPT_CKPT_EVERY, OPT_RESUME, OPT_LOG, OPT_LOG_EVERY,
    OPT_END
};

static const struct option long_options[] = {
    {"output", required_argument, 0, 'o'}, {"scale", required_argument, 0, OPT_SCALE},
    {"blocks", required_argument, 0, OPT_BLOCKS}, {"channels", required_argument, 0, OPT_CHANNELS},
    {"image-skip", required_argument, 0, OPT_SKIP}, {"prelu", required_argument, 0, OPT_PRELU},
    {"init", required_argument, 0, OPT_INIT}, {"dtype", required_argument, 0, OPT_DTYPE},
    {"steps", required_argument, 0, OPT_STEPS}, {"batch", required_argument, 0, OPT_BATCH},
    {"patch", required_argument, 0, OPT_PATCH}, {"lr", required_argument, 0, OPT_LR},
    {"lr-schedule", required_argument, 0, OPT_SCHED}, {"lr-min", required_argument, 0, OPT_LR_MIN},
    {"warmup", required_argument, 0, OPT_WARMUP}, {"lr-step", required_argument, 0, OPT_LR_STEP},
    {"lr-gamma", required_argument, 0, OPT_LR_GAMMA}, {"clip", required_argument, 0, OPT_CLIP},
    {"average", required_argument, 0, OPT_AVERAGE},
    {"loss", required_argument, 0, OPT_LOSS}, {"seed", required_argument, 0, OPT_SEED},
    {"threads", required_argument, 0, OPT_THREADS}, {"kernel", required_argument, 0, OPT_KERNEL},
    {"loader-threads", required_argument, 0, OPT_LOADERS},
    {"patches-per-frame", required_argument, 0, OPT_PPF},
    {"frames-per-round", required_argument, 0, OPT_FPR},
    {"frame-stride", required_argument, 0, OPT_STRIDE},
    {"hr-scale", required_argument, 0, OPT_HR_SCALE},
    {"flat-threshold", required_argument, 0, OPT_FLAT_T},
    {"flat-skip", required_argument, 0, OPT_FLAT_P},
    {"detail-draws", required_argument, 0, OPT_DETAIL}, {"no-augment", no_argument, 0, OPT_NO_AUG},
    {"val", required_argument, 0, OPT_VAL}, {"val-every", required_argument, 0, OPT_VAL_EVERY},
    {"val-crop", required_argument, 0, OPT_VAL_CROP},
    {"checkpoint", required_argument, 0, OPT_CKPT},
    {"checkpoint-every", required_argument, 0, OPT_CKPT_EVERY},
    {"resume", required_argument, 0, OPT_RESUME}, {"log", required_argument, 0, OPT_LOG},
    {"log-every", required_argument, 0, OPT_LOG_EVERY}, {"verbose", no_argument, 0, 'v'},
    {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'},
    {"version", no_argument, 0, 'V'}, {0, 0, 0, 0},
};

static const char *const skip_names[] = {"none", "nearest"};
static const char *const sched_names[] = {"cosine", "step", "constant"};
static const char *const loss_names[] = {"mse", "l1"};
static const char *const dtype_names[] = {"f32", "f16", "bf16"};

/* ---- Checkpointed state --------------------------------------------------------------- */

/* The options that define a run are stored in checkpoints so --resume continues it exactly;
 * these are the "train.*" metadata keys. */
static void set_meta(srres_model *m, const char *key, const char *fmt, ...)
{
    AVBPrint value;
    av_bprint_init(&value, 0, AV_BPRINT_SIZE_UNLIMITED);
    va_list ap;
    va_start(ap, fmt);
    av_vbprintf(&value, fmt, ap);
    va_end(ap);
    if (!av_bprint_is_complete(&value))
        cli_die("out of memory for the metadata %s", key);
    srres_error err;
    int status = srres_model_set_metadata(m, key, value.str, &err);
    av_bprint_finalize(&value, NULL);
    if (status != SRRES_OK)
        cli_die("%s", err.message);
}

static const char *get_meta(const srres_model *m, const char *key, const char *path)
{
    const char *v = srres_model_get_metadata(m, key);
    if (!v)
        cli_die("%s: not a srres-train checkpoint (no '%s')", path, key);
    return v;
}

/* Receives one of a run's options: its "train.*" key, the command-line option that sets it
 * (0 for --steps, which a resumed run may change) and its value as checkpoints hold it. */
typedef void run_option_fn(void *ctx, const char *key, int opt, const char *value);

static void put_option(run_option_fn *put, void *ctx, const char *key, int opt,
                       const char *fmt, ...)
{
    char value[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    put(ctx, key, opt, value);
}

static void run_options(const options *o, run_option_fn *put, void *ctx)
{
    put_option(put, ctx, "train.steps", 0, "%ld", o->steps);
    put_option(put, ctx, "train.batch", OPT_BATCH, "%d", o->batch);
    put_option(put, ctx, "train.patch", OPT_PATCH, "%d", o->patch);
    put_option(put, ctx, "train.lr", OPT_LR, "%.17g", o->lr);
    put_option(put, ctx, "train.lr_min", OPT_LR_MIN, "%.17g", o->lr_min);
    put_option(put, ctx, "train.warmup", OPT_WARMUP, "%ld", o->warmup);
    put_option(put, ctx, "train.schedule", OPT_SCHED, "%s", sched_names[o->sched]);
    put_option(put, ctx, "train.lr_step", OPT_LR_STEP, "%ld", o->step_size);
    put_option(put, ctx, "train.lr_gamma", OPT_LR_GAMMA, "%.17g", o->gamma);
    put_option(put, ctx, "train.clip", OPT_CLIP, "%.17g", o->clip);
    put_option(put, ctx, "train.loss", OPT_LOSS, "%s", loss_names[o->loss]);
    put_option(put, ctx, "train.seed", OPT_SEED, "%" PRIu64, o->seed);
    put_option(put, ctx, "train.patches_per_frame", OPT_PPF, "%d", o->sampler.patches_per_frame);
    put_option(put, ctx, "train.frames_per_round", OPT_FPR, "%d", o->sampler.frames_per_round);
    put_option(put, ctx, "train.frame_stride", OPT_STRIDE, "%d", o->sampler.frame_stride);
    put_option(put, ctx, "train.hr_scale_min", OPT_HR_SCALE, "%.17g", o->sampler.hr_scale_min);
    put_option(put, ctx, "train.hr_scale_max", OPT_HR_SCALE, "%.17g", o->sampler.hr_scale_max);
    put_option(put, ctx, "train.flat_threshold", OPT_FLAT_T, "%.17g", o->sampler.flat_threshold);
    put_option(put, ctx, "train.flat_skip", OPT_FLAT_P, "%.17g", o->sampler.flat_skip);
    put_option(put, ctx, "train.detail_draws", OPT_DETAIL, "%d", o->sampler.detail_draws);
    put_option(put, ctx, "train.augment", OPT_NO_AUG, "%d", o->sampler.augment);
}

static void put_metadata(void *m, const char *key, int opt, const char *value)
{
    (void)opt;
    set_meta(m, key, "%s", value);
}

static int is_utf8(const char *s)
{
    const uint8_t *p = (const uint8_t *)s, *end = p + strlen(s);
    int32_t code;
    while (p < end)
        if (av_utf8_decode(&code, &p, end, 0) < 0)
            return 0;
    return 1;
}

/* path as checkpoints record it, in buf: its folder resolved to an absolute name, unless
 * that name is not UTF-8 text (the name given then). */
static const char *recorded_name(const char *path, char *buf, size_t n)
{
    return resolve_folder(path, buf, n) && is_utf8(buf) ? buf : path;
}

static void store_run(srres_model *m, const options *o, uint64_t round, int offset,
                      double seconds)
{
    run_options(o, put_metadata, m);
    /* Where the run writes, so that --resume alone carries on writing there. */
    set_meta(m, "train.output", "%s", o->output_rec);
    set_meta(m, "train.checkpoint", "%s", o->checkpoint_rec);
    /* Its log too, so that a resume knows it from another run's ("": none; a name that is
     * not UTF-8 goes unrecorded, and any log is then taken as the run's, as before). */
    if (!o->log || is_utf8(o->log_rec))
        set_meta(m, "train.log", "%s", o->log ? o->log_rec : "");
    set_meta(m, "train.inputs", "%s", o->inputs_id);
    set_meta(m, "train.dtype", "%s", dtype_names[o->dtype]);
    set_meta(m, "train.round", "%" PRIu64, round);
    set_meta(m, "train.offset", "%d", offset);
    set_meta(m, "train.seconds", "%.1f", seconds);
    set_meta(m, "train.checkpoint_every", "%ld", o->checkpoint_every);
    set_meta(m, "train.log_every", "%ld", o->log_every);
    set_meta(m, "train.val_every", "%ld", o->val_every);
    set_meta(m, "train.val_crop", "%d", o->val_crop);
    if (o->val_rec)
        set_meta(m, "train.val", "%s", o->val_rec);
    set_meta(m, "train.trained_on", "%s", o->trained_on);
}

/* The validation files as checkpoints record them, so that --resume alone validates as its
 * run did: each file (a folder's as found at the start, so the figures stay comparable) by
 * absolute name, one a line. NULL if a name is not UTF-8 or holds a line break: the set goes
 * unrecorded, and a resume validates on none unless given --val, as before. */
static char *recorded_vals(const input_list *vals)
{
    AVBPrint b;
    av_bprint_init(&b, 0, AV_BPRINT_SIZE_UNLIMITED);
    for (int i = 0; i < vals->count; i++) {
        char buf[PATH_MAX + 256];
        const char *name = recorded_name(vals->paths[i], buf, sizeof(buf));
        if (!is_utf8(name) || strchr(name, '\n')) {
            av_bprint_finalize(&b, NULL);
            return NULL;
        }
        av_bprintf(&b, "%s%s", i ? "\n" : "", name);
    }
    char *text;
    if (av_bprint_finalize(&b, &text) < 0)
        cli_die("out of memory for the metadata train.val");
    return text;
}

/* A resumed run's validation files when no --val is given: its run's. One that is not here
 * (moved, or the run carried to another machine) leaves the run without validation, said in
 * one line as a log gone is (resumed_path): figures on part of the set would not compare. */
static void resumed_vals(const srres_model *m, const char *path, input_list *vals)
{
    const char *was = srres_model_get_metadata(m, "train.val");
    char err[PATH_MAX + 64];
    for (const char *p = was; p && *p;) {
        size_t n = strcspn(p, "\n");
        char name[PATH_MAX];
        if (n >= sizeof(name))
            cli_die("%s: metadata 'train.val' holds a name too long", path);
        memcpy(name, p, n);
        name[n] = 0;
        if (input_list_add(vals, name, err, sizeof(err)) < 0) {
            if (D.rank == 0)
                fprintf(stderr,
                        "srres-train: %s: its run validated on %s; it goes on without "
                        "validation (give --val FILE to validate)\n",
                        path, err);
            input_list_free(vals);
            return;
        }
        p += n + (p[n] == '\n');
    }
}

#define HASH_START 0xcbf29ce484222325ull

/* FNV-1a of s and its terminating zero into *h. */
static void hash_text(uint64_t *h, const char *s)
{
    for (;; s++) {
        *h = (*h ^ (uint8_t)*s) * 0x100000001b3ull;
        if (!*s)
            break;
    }
}

/* The inputs as a run knows them: their number and a hash of their names, which stay the
 * same when the files move (input_list_name is a path's shortest distinct tail). */
static void inputs_id(const input_list *inputs, char *buf, size_t n)
{
    uint64_t h = HASH_START;
    for (int i = 0; i < inputs->count; i++)
        hash_text(&h, input_list_name(inputs, i));
    snprintf(buf, n, "%d:%016" PRIx64, inputs->count, h);
}

static void hash_option(void *h, const char *key, int opt, const char *value)
{
    (void)opt;
    hash_text(h, key);
    hash_text(h, value);
}

/* For an error every process meets alike: the others wait for rank 0, which says it once
 * and ends them all (each saying it too interleaved their lines). */
static void leave_it_to_rank_0(void)
{
    if (D.rank)
        for (;;)
            pause();
}

/* Under mpirun every process must run the same run, or it fails without a word: other
 * --steps leave a process waiting in a reduction forever, another network garbles the
 * gradients' sum, other inputs or another checkpoint train on a mix of batches nobody
 * asked for. Their options, inputs, network and position must agree. */
static void check_ranks_agree(const options *o, size_t params, long step, uint64_t round,
                              int offset)
{
    uint64_t h = HASH_START;
    run_options(o, hash_option, &h);
    char run[160];
    snprintf(run, sizeof(run), "%s %d %d %d %zu %ld %" PRIu64 " %d", o->inputs_id, o->scale,
             o->blocks, o->channels, params, step, round, offset);
    hash_text(&h, run);
    if (!dist_agree(h)) {
        leave_it_to_rank_0();
        cli_die("the MPI processes were given different runs (options, inputs or --resume "
                "checkpoint): give them all the same command line");
    }
}

/* A path the checkpoint recorded (key), copied into buf; else `fallback`. One in a folder
 * that is not here (the run moved, or was carried to another machine, as srres-model compact
 * is for) is refused naming the option `opt` that names another: "cannot write there" named
 * a folder the user had not given. The log (opt NULL) is worth less than the run's hours, as
 * drop_log has it: the run goes on without one, and says so. */
static const char *resumed_path(const srres_model *m, const char *key, const char *path,
                                char *buf, size_t n, const char *fallback, const char *opt)
{
    const char *was = srres_model_get_metadata(m, key);
    if (!was)
        return fallback;
    if (snprintf(buf, n, "%s", was) >= (int)n)
        cli_die("%s: metadata '%s' is too long", path, key);
    char folder[PATH_MAX];
    if (!*buf || resolve_folder(buf, folder, sizeof(folder)))
        return buf;
    if (!opt) {
        if (D.rank == 0)
            fprintf(stderr,
                    "srres-train: %s: its run logged to %s, in a folder that is not here; it "
                    "goes on without a log (give --log FILE for one)\n",
                    path, buf);
        return NULL;
    }
    cli_die("%s: its run wrote %s, in a folder that is not here (the run moved, or came from "
            "another machine); give %s FILE",
            path, buf, opt);
}

/* A resumed run keeps its checkpoint's options: one given again must be the same, or the run
 * would silently not be the one asked for. */
typedef struct given_options {
    const srres_model *m;
    const char *path;
    const char *given; /* given[opt]: the option is on the command line */
} given_options;

static const char *shown(char *buf, size_t n, const char *value)
{
    char *end;
    double x = strtod(value, &end);
    if (end != value && !*end)
        snprintf(buf, n, "%g", x);
    else
        snprintf(buf, n, "%s", value);
    return buf;
}

/* Option opt as the command line spells it, which the messages name (not its key). */
static const char *option_name(int opt)
{
    for (const struct option *l = long_options; l->name; l++)
        if (l->val == opt)
            return l->name;
    return "?";
}

static void check_given(void *ctx, const char *key, int opt, const char *value)
{
    const given_options *g = ctx;
    const char *held = srres_model_get_metadata(g->m, key);
    char a[64], b[64];
    if (!opt || !g->given[opt] || !held || !strcmp(held, value))
        return;
    const char *keeps = "a resumed run keeps its options (start another with --init to change "
                        "them)";
    if (opt == OPT_NO_AUG)
        cli_die("%s: its run flips and turns its patches, so --no-augment cannot be given; %s",
                g->path, keeps);
    const char *part = !strcmp(key, "train.hr_scale_min")   ? " minimum"
                       : !strcmp(key, "train.hr_scale_max") ? " maximum"
                                                            : "";
    cli_die("%s: its run has --%s%s %s, not %s as given; %s", g->path, option_name(opt), part,
            shown(a, sizeof(a), held), shown(b, sizeof(b), value), keeps);
}

/* The PReLU slopes of a loaded model, which its config does not tell (prelu_per_channel
 * describes models created here): "channel" or "shared" if its tensors are those of a model
 * created so, else "mixed". */
static const char *prelu_slopes(const srres_model *m)
{
    for (int per_channel = 1; per_channel >= 0; per_channel--) {
        srres_config cfg = *srres_model_config(m);
        cfg.prelu_per_channel = per_channel;
        srres_model *made;
        srres_error e;
        if (srres_model_create(&cfg, &made, &e) != SRRES_OK)
            cli_die("%s", e.message);
        int same = srres_model_same_layout(m, made);
        srres_model_free(made);
        if (same)
            return per_channel ? "channel" : "shared";
    }
    return "mixed";
}

/* The network of --init's model where no option says otherwise: "--init x2-fast" goes on
 * training x2-fast, where it built the default 16x64 x4 without its image skip and took one
 * tensor of it; "--init x2 --scale 4" still starts an x4 from the x2. */
static void take_init_network(options *o, const srres_model *from, const char *given)
{
    const srres_config *c = srres_model_config(from);
    if (!given[OPT_SCALE])
        o->scale = c->scale;
    if (!given[OPT_BLOCKS])
        o->blocks = c->blocks;
    if (!given[OPT_CHANNELS])
        o->channels = c->channels;
    if (!given[OPT_SKIP])
        o->image_skip = c->image_skip;
    if (!given[OPT_PRELU])
        o->prelu_per_channel = strcmp(prelu_slopes(from), "shared") != 0;
}

static void check_resumed_options(const srres_model *m, const options *o, const char *path,
                                  const char *given)
{
    const srres_config *c = srres_model_config(m);
    const char *slopes = prelu_slopes(m);
    char net[128];
    if ((given[OPT_SCALE] && o->scale != c->scale) ||
        (given[OPT_BLOCKS] && o->blocks != c->blocks) ||
        (given[OPT_CHANNELS] && o->channels != c->channels) ||
        (given[OPT_SKIP] && o->image_skip != c->image_skip) ||
        (given[OPT_PRELU] && strcmp(slopes, o->prelu_per_channel ? "channel" : "shared")))
        cli_die("%s: its model is %s, %s PReLU slopes, not the one given; a resumed run keeps "
                "its model",
                path, cli_network(net, sizeof(net), c), slopes);
    run_options(o, check_given, &(given_options){m, path, given});
}

/* Checkpoint values, each checked with the file and key named if it is wrong. */
static const char *meta_label(char *buf, size_t n, const char *path, const char *key)
{
    snprintf(buf, n, "%s: metadata '%s'", path, key);
    return buf;
}

static long meta_long(const srres_model *m, const char *path, const char *key, long lo, long hi)
{
    char label[4200];
    return cli_long(meta_label(label, sizeof(label), path, key), get_meta(m, key, path), lo, hi);
}

static double meta_double(const srres_model *m, const char *path, const char *key, double lo,
                          double hi)
{
    char label[4200];
    return cli_double(meta_label(label, sizeof(label), path, key), get_meta(m, key, path), lo,
                      hi);
}

static int meta_choice(const srres_model *m, const char *path, const char *key,
                       const char *const *names, int n)
{
    char label[4200];
    return cli_choice(meta_label(label, sizeof(label), path, key), get_meta(m, key, path),
                      names, n);
}

static uint64_t meta_u64(const srres_model *m, const char *path, const char *key)
{
    const char *v = get_meta(m, key, path);
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end)
        cli_die("%s: metadata '%s': '%s' is not an unsigned integer", path, key, v);
    return x;
}

/* An option that changes no step (how often the run checkpoints, logs and validates, and its
 * validation crop): the checkpoint's, so that --resume alone goes on as the run did, unless
 * given anew (or the checkpoint is from before it was kept). */
static long kept_option(const srres_model *m, const char *path, const char *key, int given,
                        long value, long lo, long hi)
{
    return given || !srres_model_get_metadata(m, key) ? value : meta_long(m, path, key, lo, hi);
}

static void restore_run(const srres_model *m, options *o, const char *path, const char *given,
                        uint64_t *round, int *offset, double *seconds)
{
    if (!given[OPT_STEPS])
        o->steps = meta_long(m, path, "train.steps", 1, LONG_MAX);
    o->batch = (int)meta_long(m, path, "train.batch", 1, 4096);
    o->patch = (int)meta_long(m, path, "train.patch", 1, 4096);
    o->lr = meta_double(m, path, "train.lr", 0, 1);
    o->lr_min = meta_double(m, path, "train.lr_min", 0, 1);
    o->warmup = meta_long(m, path, "train.warmup", 0, LONG_MAX);
    o->sched = meta_choice(m, path, "train.schedule", sched_names, 3);
    o->step_size = meta_long(m, path, "train.lr_step", 1, LONG_MAX);
    o->gamma = meta_double(m, path, "train.lr_gamma", 0, 1);
    o->clip = meta_double(m, path, "train.clip", 0, 1e30);
    o->loss = meta_choice(m, path, "train.loss", loss_names, 2);
    o->seed = meta_u64(m, path, "train.seed");
    sampler_options *s = &o->sampler;
    s->patches_per_frame = (int)meta_long(m, path, "train.patches_per_frame", 1, 4096);
    s->frames_per_round = (int)meta_long(m, path, "train.frames_per_round", 1, 1 << 20);
    s->frame_stride = (int)meta_long(m, path, "train.frame_stride", 1, 1 << 20);
    s->hr_scale_min = meta_double(m, path, "train.hr_scale_min", 0, 1);
    s->hr_scale_max = meta_double(m, path, "train.hr_scale_max", 0, 1);
    s->flat_threshold = meta_double(m, path, "train.flat_threshold", 0, 1e9);
    s->flat_skip = meta_double(m, path, "train.flat_skip", 0, 1);
    /* checkpoints from before the option drew every patch once */
    s->detail_draws = srres_model_get_metadata(m, "train.detail_draws")
                          ? (int)meta_long(m, path, "train.detail_draws", 1, 64)
                          : 1;
    s->augment = (int)meta_long(m, path, "train.augment", 0, 1);
    /* checkpoints from before these were kept leave the defaults */
    if (!given[OPT_DTYPE] && srres_model_get_metadata(m, "train.dtype"))
        o->dtype = meta_choice(m, path, "train.dtype", dtype_names, 3);
    *round = meta_u64(m, path, "train.round");
    *offset = (int)meta_long(m, path, "train.offset", 0, INT32_MAX);
    *seconds = meta_double(m, path, "train.seconds", 0, 1e12);
    o->checkpoint_every = kept_option(m, path, "train.checkpoint_every", given[OPT_CKPT_EVERY],
                                      o->checkpoint_every, 1, 1L << 40);
    o->log_every = kept_option(m, path, "train.log_every", given[OPT_LOG_EVERY], o->log_every, 1,
                               1L << 40);
    o->val_every = kept_option(m, path, "train.val_every", given[OPT_VAL_EVERY], o->val_every, 1,
                               1L << 40);
    o->val_crop = (int)kept_option(m, path, "train.val_crop", given[OPT_VAL_CROP], o->val_crop, 0,
                                   1 << 20);
}

/* The CSV log; a resumed run (resumed_step >= 0) goes on with the one it finds, cut after
 * the checkpoint's step: a run killed after its last checkpoint logged steps it redoes. */
static FILE *open_log(const char *path, long resumed_step)
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

/* Set when a write to the log failed: the run went on without it and ends with status 1. */
static int log_dropped;

/* Says once that the log cannot be written (errno says why) and closes it (*log NULL: it
 * is closed already). Training goes on, its hours worth more than their log, and the status
 * tells scripts that the log is short. */
static void drop_log(FILE **log, const char *path, int progress_line)
{
    fprintf(stderr, "%ssrres-train: %s: cannot write the log: %s; training goes on without it "
                    "and will exit with status 1\n",
            progress_line ? "\r\033[K" : "", path, strerror(errno));
    if (log) {
        fclose(*log);
        *log = NULL;
    }
    log_dropped = 1;
}

/* Puts the log's rows on disk before a checkpoint is: a run killed (or a machine lost) after
 * writing the checkpoint had its last rows in stdio's buffer, and the resume went on past
 * them, a gap in the log. Rows past the checkpoint are cut by the resume (open_log). */
static void sync_log(FILE **log, const char *path, int progress_line)
{
    /* A pipe or terminal takes no fsync (EINVAL), and needs none. */
    if (*log && (fflush(*log) || (fsync(fileno(*log)) && errno != EINVAL)))
        drop_log(log, path, progress_line);
}

/* Fails now what srres_model_save and srres_checkpoint_save would refuse after hours of
 * training: a folder, a link that leads nowhere, a folder that takes no files or not this
 * name (a new file is created under its own name and removed; beside an existing one, or
 * the file its link names, where it is saved, another is). A device or FIFO is written in
 * place. */
static void check_writable(const char *path)
{
    /* Rank 0 writes for all; the others would race it for a new file's name. */
    if (D.rank)
        return;
    struct stat st;
    char *target = NULL;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && !(target = realpath(path, NULL)))
        cli_die("%s: cannot follow the link: %s", path, strerror(errno));
    int exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode))
        cli_die("%s: a folder; give the name of the file to write", path);
    if (!exists || S_ISREG(st.st_mode)) {
        const char *file = target ? target : path, *slash = strrchr(file, '/');
        int dir = slash ? (int)(slash - file) : 0;
        char probe[4096];
        /* Its own name tries the name too: one longer than the folder takes failed only when
         * saved, at the first checkpoint. */
        if (exists)
            snprintf(probe, sizeof(probe), "%.*s%s.srres-train-probe-%ld", dir, file,
                     slash ? "/" : "", (long)getpid());
        else
            snprintf(probe, sizeof(probe), "%s", file);
        int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0)
            cli_die("%s: cannot write there: %s", path, strerror(errno));
        close(fd);
        unlink(probe);
    }
    free(target);
}

/* Refuses, before anything is written, a run that would write over a file it reads or
 * write two of its files into one (each would destroy the other): the model, the checkpoint
 * and the log are three files, none of them a training or validation input, and the log is
 * not the --init or --resume model either. Devices and FIFOs (/dev/null) may be given twice. */
static void check_paths_apart(const options *o, const input_list *inputs,
                              const input_list *vals)
{
    const struct {
        const char *what, *path;
    } out[] = {{"-o", o->output}, {"--checkpoint", o->checkpoint}, {"--log", o->log}};
    const input_list *read[] = {inputs, vals};
    for (int i = 0; i < 3; i++) {
        if (!out[i].path)
            continue;
        for (int r = 0; r < 2; r++)
            for (int k = 0; k < read[r]->count; k++)
                if (same_file(out[i].path, read[r]->paths[k]))
                    cli_die("%s: %s names %s file %s; the run would write over it",
                            out[i].path, out[i].what, r ? "the validation" : "the input",
                            read[r]->paths[k]);
        for (int j = 0; j < i; j++)
            if (out[j].path && !special_file(out[i].path) && same_file(out[i].path, out[j].path))
                cli_die("%s: %s and %s name the same file; give them different names",
                        out[i].path, out[j].what, out[i].what);
    }
    const char *models[] = {o->init, o->resume};
    for (int k = 0; k < 2; k++)
        if (o->log && models[k] && same_file(o->log, models[k]))
            cli_die("%s: --log names the %s file; the run would write over it", o->log,
                    k ? "--resume" : "--init");
}

/* An earlier run's files can be hours of CPU: a run does not write over them unless told
 * (-y). A resumed run's own files are its to write: the checkpoint it resumes, and the model,
 * checkpoint and log it recorded (the log it cuts to the checkpoint's step; a checkpoint from
 * before logs were recorded takes any). An empty file (mktemp's) holds nothing to lose, and
 * devices and FIFOs are not kept. */
static void check_no_earlier_run(const options *o, const srres_model *resumed)
{
    const struct {
        const char *what, *path, *key;
    } out[] = {{"checkpoint", o->checkpoint, "train.checkpoint"},
               {"model", o->output, "train.output"},
               {"log", o->log, "train.log"}};
    for (int i = 0; i < 3 && !o->overwrite; i++) {
        struct stat st;
        if (!out[i].path || stat(out[i].path, &st) != 0 || !S_ISREG(st.st_mode) || !st.st_size)
            continue;
        if (o->resume) {
            const char *was = srres_model_get_metadata(resumed, out[i].key);
            if (same_file(out[i].path, o->resume) || (was && *was && same_file(out[i].path, was)) ||
                (!was && out[i].path == o->log))
                continue;
        }
        if (!o->resume && out[i].path == o->checkpoint)
            cli_die("%s: already exists (an earlier run's checkpoint: --resume %s carries that "
                    "run on); use -y to start this one over it",
                    out[i].path, out[i].path);
        cli_die("%s: already exists; use -y to write this run's %s over it", out[i].path,
                out[i].what);
    }
}

/* A validation image the run also trains on is not held out, and its figures flatter the
 * model: said, not refused, as a run may mean to watch a picture it learns. */
static void warn_validation_trained_on(const input_list *inputs, const input_list *vals)
{
    for (int v = 0; v < vals->count; v++)
        for (int k = 0; k < inputs->count; k++)
            if (same_file(vals->paths[v], inputs->paths[k])) {
                fprintf(stderr, "srres-train: %s: also a training input (%s), so its validation "
                                "figures are not those of a held-out image\n",
                        vals->paths[v], inputs->paths[k]);
                break;
            }
}

/* Whether n floats are all finite: their sum in double is, as n * FLT_MAX stays far below
 * DBL_MAX. */
static int all_finite(const float *x, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    return isfinite(sum);
}

/* ---- Schedule and progress ------------------------------------------------------------- */

static double learning_rate(const options *o, long step)
{
    if (o->warmup > 0 && step < o->warmup)
        return o->lr * (step + 1) / o->warmup;
    switch (o->sched) {
    case SCHEDULE_COSINE: {
        double span = (double)(o->steps - o->warmup), t = span > 0 ? (step - o->warmup) / span : 1;
        return o->lr_min + 0.5 * (o->lr - o->lr_min) * (1 + cos(M_PI * (t > 1 ? 1 : t)));
    }
    case SCHEDULE_STEP:
        return o->lr * pow(o->gamma, (double)(step / o->step_size));
    case SCHEDULE_CONSTANT:
        break;
    }
    return o->lr;
}

/* Appends a file name to metadata text, which is UTF-8: bytes that are not (a name in
 * Latin-1, say) become U+FFFD rather than costing the run its model at the end. */
static void append_name(AVBPrint *b, const char *name)
{
    const uint8_t *p = (const uint8_t *)name, *end = p + strlen(name);
    while (p < end) {
        const uint8_t *start = p;
        int32_t code;
        if (av_utf8_decode(&code, &p, end, 0) < 0)
            av_bprintf(b, "\xef\xbf\xbd");
        else
            av_bprint_append_data(b, (const char *)start, (unsigned)(p - start));
    }
}

/* Whether name is an item of list, a trained_on's "a, b, c". */
static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list;; p += 2) {
        if (!strncmp(p, name, n) && (!p[n] || !strncmp(p + n, ", ", 2)))
            return 1;
        if (!(p = strstr(p, ", ")))
            return 0;
    }
}

/* The model's trained_on: every input trained on, however many (a model's card must not lose
 * the end of its list), and, resumed, those of the sessions before, which checkpoints keep: a
 * run resumed on other inputs named only the last session's. Each is named once across
 * sessions; within one, as often as given. */
static char *run_inputs(const srres_model *resumed, const input_list *inputs, const sampler *smp)
{
    const char *before = resumed ? srres_model_get_metadata(resumed, "train.trained_on") : NULL;
    AVBPrint b, name;
    av_bprint_init(&b, 0, AV_BPRINT_SIZE_UNLIMITED);
    av_bprintf(&b, "%s", before ? before : "");
    for (int i = 0; i < inputs->count; i++) {
        if (sampler_file_skipped(smp, i))
            continue;
        av_bprint_init(&name, 0, AV_BPRINT_SIZE_UNLIMITED);
        append_name(&name, input_list_name(inputs, i));
        if (!av_bprint_is_complete(&name))
            cli_die("out of memory for the metadata trained_on");
        if (!before || !listed(before, name.str))
            av_bprintf(&b, "%s%s", b.len ? ", " : "", name.str);
        av_bprint_finalize(&name, NULL);
    }
    char *list;
    if (!av_bprint_is_complete(&b) || av_bprint_finalize(&b, &list) < 0)
        cli_die("out of memory for the metadata trained_on");
    return list;
}

static void format_duration(char *buf, size_t n, double s)
{
    long t = s > 0 && s < 1e9 ? (long)(s + 0.5) : 0;
    snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

/* The run at the sampler's position (round, offset): the next patch it trains on. */
static int write_checkpoint(srres_model *m, const srres_adam *adam, const options *o,
                            uint64_t round, int offset, const char *path, double seconds,
                            srres_error *err)
{
    store_run(m, o, round, offset, seconds);
    return srres_checkpoint_save(m, adam, path, err);
}

/* The checkpoint the run stops at. A write that fails (a full disk) leaves the last
 * checkpoint as it was, the one at step `saved` in saved_in (NULL: none yet): the line names
 * it, so that the run is not taken for lost. */
static void save_checkpoint(srres_model *m, const srres_adam *adam, const options *o,
                            uint64_t round, int offset, const char *path, double seconds,
                            long saved, const char *saved_in)
{
    srres_error err;
    if (write_checkpoint(m, adam, o, round, offset, path, seconds, &err) == SRRES_OK)
        return;
    if (saved_in)
        cli_die("%s; checkpoint %s at step %ld is as it was (continue from it with --resume %s)",
                err.message, saved_in, saved, saved_in);
    cli_die("%s", err.message);
}

/* The command line into o, the inputs and the validation files; exits on a bad option. */
static void parse_args(options *o, input_list *inputs, input_list *vals, char *given, int argc,
                       char **argv)
{
    *o = (options){.output = "srres.safetensors", .scale = 4, .blocks = 16, .channels = 64,
                 .prelu_per_channel = 1, .steps = 10000, .batch = 16, .patch = 24,
                 .lr = 5e-4, .lr_min = 1e-6, .warmup = 200, .step_size = 2000, .gamma = 0.5,
                 .sched = SCHEDULE_COSINE, .loss = SRRES_LOSS_MSE, .seed = 1, .val_every = 500,
                 .checkpoint_every = 500, .log_every = 100, .val_crop = 384,
                 .loader_threads = 1, .sampler = sampler_default_options()};
    char err[512];
    int c;
    static const char shorts[] = ":o:yvqh";
    while ((c = getopt_long(argc, argv, shorts, long_options, NULL)) != -1) {
        if (c > 0 && c < OPT_END)
            given[c] = 1;
        switch (c) {
        case 'o': o->output = cli_file("-o", optarg); break;
        case OPT_SCALE:
            o->scale = (int)cli_long("--scale", optarg, 2, 8);
            if (o->scale != 2 && o->scale != 3 && o->scale != 4 && o->scale != 8)
                cli_die("--scale: %d is not one of 2, 3, 4, 8", o->scale);
            break;
        case OPT_BLOCKS: o->blocks = (int)cli_long("--blocks", optarg, 0, 1024); break;
        case OPT_CHANNELS: o->channels = (int)cli_long("--channels", optarg, 1, 4096); break;
        case OPT_SKIP: o->image_skip = cli_choice("--image-skip", optarg, skip_names, 2); break;
        case OPT_PRELU:
            o->prelu_per_channel = !cli_choice("--prelu", optarg,
                                                (const char *const[]){"channel", "shared"}, 2);
            break;
        case OPT_INIT:
            o->init = bundled_model_resolve(o->init_file, sizeof(o->init_file), "--init", optarg);
            break;
        case OPT_DTYPE: o->dtype = cli_choice("--dtype", optarg, dtype_names, 3); break;
        case OPT_STEPS: o->steps = cli_long("--steps", optarg, 1, 1L << 40); break;
        case OPT_BATCH: o->batch = (int)cli_long("--batch", optarg, 1, 4096); break;
        case OPT_PATCH: o->patch = (int)cli_long("--patch", optarg, 4, 1024); break;
        case OPT_LR: o->lr = cli_double("--lr", optarg, 0, 1); break;
        case OPT_SCHED: o->sched = cli_choice("--lr-schedule", optarg, sched_names, 3); break;
        case OPT_LR_MIN: o->lr_min = cli_double("--lr-min", optarg, 0, 1); break;
        case OPT_WARMUP: o->warmup = cli_long("--warmup", optarg, 0, 1L << 40); break;
        case OPT_LR_STEP: o->step_size = cli_long("--lr-step", optarg, 1, 1L << 40); break;
        case OPT_LR_GAMMA: o->gamma = cli_double("--lr-gamma", optarg, 0, 1); break;
        case OPT_CLIP: o->clip = cli_double("--clip", optarg, 0, 1e30); break;
        case OPT_AVERAGE:
            o->average = cli_double("--average", optarg, 0, 1);
            /* Kept as a float: a decay that rounds to 0 or 1 there is none. */
            if ((float)o->average <= 0 || (float)o->average >= 1.0f)
                cli_die("--average: '%s' is not a decay in (0, 1), e.g. 0.999", optarg);
            break;
        case OPT_LOSS: o->loss = cli_choice("--loss", optarg, loss_names, 2); break;
        case OPT_SEED: o->seed = (uint64_t)cli_long("--seed", optarg, 0, LONG_MAX); break;
        case OPT_THREADS: o->threads = (int)cli_long("--threads", optarg, 0, 1024); break;
        case OPT_KERNEL: o->kernel = cli_kernel(optarg); break;
        case OPT_LOADERS: o->loader_threads = (int)cli_long("--loader-threads", optarg, 1, 64); break;
        case OPT_PPF:
            o->sampler.patches_per_frame = (int)cli_long("--patches-per-frame", optarg, 1, 4096);
            break;
        case OPT_FPR:
            o->sampler.frames_per_round = (int)cli_long("--frames-per-round", optarg, 1, 1 << 20);
            break;
        case OPT_STRIDE:
            o->sampler.frame_stride = (int)cli_long("--frame-stride", optarg, 1, 1 << 20);
            break;
        case OPT_HR_SCALE: {
            char *colon = strchr(optarg, ':');
            if (colon)
                *colon = 0;
            o->sampler.hr_scale_min = cli_double("--hr-scale", optarg, 0.05, 1);
            o->sampler.hr_scale_max = colon ? cli_double("--hr-scale", colon + 1, 0.05, 1)
                                           : o->sampler.hr_scale_min;
            if (o->sampler.hr_scale_max < o->sampler.hr_scale_min)
                cli_die("--hr-scale: MIN is larger than MAX");
            break;
        }
        case OPT_FLAT_T: o->sampler.flat_threshold = cli_double("--flat-threshold", optarg, 0, 1e9); break;
        case OPT_FLAT_P: o->sampler.flat_skip = cli_double("--flat-skip", optarg, 0, 1); break;
        case OPT_DETAIL:
            o->sampler.detail_draws = (int)cli_long("--detail-draws", optarg, 1, 64);
            break;
        case OPT_NO_AUG: o->sampler.augment = 0; break;
        case OPT_VAL:
            if (input_list_add(vals, cli_file("--val", optarg), err, sizeof(err)) < 0)
                cli_die("%s", err);
            break;
        case OPT_VAL_EVERY: o->val_every = cli_long("--val-every", optarg, 1, 1L << 40); break;
        case OPT_VAL_CROP: o->val_crop = (int)cli_long("--val-crop", optarg, 0, 1 << 20); break;
        case OPT_CKPT: o->checkpoint = cli_file("--checkpoint", optarg); break;
        case OPT_CKPT_EVERY: o->checkpoint_every = cli_long("--checkpoint-every", optarg, 1, 1L << 40); break;
        case OPT_RESUME: o->resume = cli_file("--resume", optarg); break;
        case OPT_LOG: o->log = cli_file("--log", optarg); break;
        case OPT_LOG_EVERY: o->log_every = cli_long("--log-every", optarg, 1, 1L << 40); break;
        case 'y': o->overwrite = 1; break;
        case 'v': o->verbose = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h':
        case 'V':
            /* Said once under mpirun, and every rank ends through MPI: mpirun takes a
             * process that exits without it for a failure (status 1, twenty lines). */
            if (!D.rank && c == 'h')
                usage(stdout);
            else if (!D.rank)
                cli_version();
            dist_finalize();
            exit(0);
        default: cli_bad_option(c, argv, shorts);
        }
    }
    for (int i = optind; i < argc; i++)
        if (input_list_add(inputs, argv[i], err, sizeof(err)) < 0)
            cli_die("%s", err);
}

int main(int argc, char **argv)
{
    openblas_core_choose(argv);
    D = dist_init(&argc, &argv);
    cli_init("srres-train", dist_fail);
    /* SA_RESTART: the first signal asks for a checkpoint, so it must not fail the call in
     * progress, a checkpoint's open waiting on a FIFO or a FUSE or network mount, or the log's
     * write to a full pipe, with EINTR (the run ended with 'cannot open: Interrupted system
     * call', losing the steps since the last checkpoint). */
    struct sigaction sa = {.sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_RESTART};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A closed terminal or a dropped ssh session would otherwise lose the steps since the
     * last checkpoint. A run started under nohup, which ignores SIGHUP, was asked to
     * outlive its terminal: it goes on. */
    struct sigaction hup;
    if (sigaction(SIGHUP, NULL, &hup) != 0 || hup.sa_handler != SIG_IGN)
        sigaction(SIGHUP, &sa, NULL);
    /* A log whose reader has gone (--log /dev/stdout | head) or past a file size limit
     * fails to be written, which the run survives (drop_log), rather than kill the run
     * since its last checkpoint without a word. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    /* Our messages name the file and the problem; libav's are left out, its "fatal" ones too
     * (MJPEG's "No JPEG data found in image" for a picture that is only our line's error),
     * but not an assertion's line before it aborts the process. */
    av_log_set_level(AV_LOG_PANIC);
    options o;
    input_list inputs = {0}, vals = {0};
    char given[OPT_END] = {0};
    char err[512];
    parse_args(&o, &inputs, &vals, given, argc, argv);
    if (!inputs.count)
        cli_die("no inputs: give videos, images or folders of them (see --help)");
    if (o.resume && o.init)
        cli_die("--resume and --init exclude each other");
    inputs_id(&inputs, o.inputs_id, sizeof(o.inputs_id));
    if (D.rank)
        o.quiet = 1; /* rank 0 speaks, validates and writes for all */

    srres_error e;
    srres_model *model = NULL;
    srres_adam adam = {0};
    char resumed_output[4096], resumed_checkpoint[4096], resumed_log[4096];
    uint64_t round = 0;
    int offset = 0;
    double seconds_before = 0;
    long step = 0;
    if (o.resume) {
        if (srres_checkpoint_load(o.resume, &model, &adam, &e) != SRRES_OK)
            cli_die("%s", e.message);
        check_resumed_options(model, &o, o.resume, given);
        /* Other inputs make another stream of patches: allowed (pictures added to a long
         * run, say), but said, as the run no longer equals an uninterrupted one. */
        const char *had = srres_model_get_metadata(model, "train.inputs");
        if (had && strcmp(had, o.inputs_id) && !o.quiet)
            fprintf(stderr, "srres-train: %s: its run had other inputs (%.*s then, %d now); the "
                            "patches go on from another stream than an uninterrupted run's\n",
                    o.resume, (int)strcspn(had, ":"), had, inputs.count);
        restore_run(model, &o, o.resume, given, &round, &offset, &seconds_before);
        if (!given[OPT_VAL])
            resumed_vals(model, o.resume, &vals);
        /* Another --steps stretches a cosine schedule over the new length: a finished run
         * carried on climbs back from --lr-min, which its loss showed at once and nothing
         * said. */
        long ran_to = meta_long(model, o.resume, "train.steps", 1, LONG_MAX), at = (long)adam.step;
        options before = o;
        before.steps = ran_to;
        double was = learning_rate(&before, at), now_lr = learning_rate(&o, at);
        if (o.sched == SCHEDULE_COSINE && was != now_lr && !o.quiet)
            fprintf(stderr, "srres-train: %s: its cosine schedule ran to step %ld; over %ld steps, "
                            "the rate at step %ld goes from %.3g to %.3g\n",
                    o.resume, ran_to, o.steps, at, was, now_lr);
        if (!given['o'])
            o.output = resumed_path(model, "train.output", o.resume, resumed_output,
                                    sizeof(resumed_output), o.output, "-o");
        /* Carried on alone, the run writes its checkpoint where it did; given another
         * output, it is another run, checkpointed beside that output. */
        if (!given[OPT_CKPT] && !given['o'])
            o.checkpoint = resumed_path(model, "train.checkpoint", o.resume, resumed_checkpoint,
                                        sizeof(resumed_checkpoint), o.checkpoint, "--checkpoint");
        /* Its log likewise ("" for none): a run stopped and resumed alone logged nothing more.
         * A device or FIFO (a terminal, a pipe) was its session's, not the run's. */
        if (!given[OPT_LOG] && !given['o']) {
            o.log = resumed_path(model, "train.log", o.resume, resumed_log, sizeof(resumed_log),
                                 NULL, NULL);
            if (o.log && (!*o.log || special_file(o.log)))
                o.log = NULL;
        }
        const srres_config *cfg = srres_model_config(model);
        o.scale = cfg->scale;
        o.blocks = cfg->blocks;
        o.channels = cfg->channels;
        o.image_skip = cfg->image_skip;
        step = (long)adam.step;
        /* At exactly --steps the run is complete: it writes its model without a step more, so
         * rerunning a finished run gives its model again. */
        if (step > o.steps)
            cli_die("%s: the checkpoint is at step %ld; give --steps of at least that", o.resume,
                step);
    } else {
        srres_model *from = o.init ? cli_load_model(o.init) : NULL;
        if (from)
            take_init_network(&o, from, given);
        srres_config cfg = {o.scale, o.blocks, o.channels, o.image_skip, o.prelu_per_channel};
        if (srres_model_create(&cfg, &model, &e) != SRRES_OK)
            cli_die("%s", e.message);
        srres_model_init_random(model, o.seed);
        if (from) {
            int n = srres_model_copy_matching(model, from);
            srres_model_free(from);
            if (!n)
                cli_die("%s: no tensor matches this model's names and shapes", o.init);
            if (!o.quiet)
                fprintf(stderr, "srres-train: %d tensor%s initialised from %s\n", n,
                        n == 1 ? "" : "s", o.init);
        }
        if (srres_adam_init(&adam, srres_model_num_params(model), &e) != SRRES_OK)
            cli_die("%s", e.message);
    }
    /* The cosine schedule falls from --lr to --lr-min: a floor above the peak would make it
     * climb. The default floor gives way to a lower --lr. */
    if (!o.resume && o.lr_min > o.lr) {
        if (given[OPT_LR_MIN])
            cli_die("--lr-min %g is above --lr %g: the schedule falls from --lr to --lr-min",
                    o.lr_min, o.lr);
        o.lr_min = o.lr;
    }
    /* Fail now, not after hours of training, if the results cannot be written. */
    check_writable(o.output);
    char default_ckpt[4096];
    if (!o.checkpoint) {
        /* OUT.ckpt beside a device would be a file in /dev: asked for rather than made. */
        if (special_file(o.output))
            cli_die("%s: not a regular file, so the checkpoint cannot go beside it as %s.ckpt; "
                    "give --checkpoint FILE",
                    o.output, o.output);
        snprintf(default_ckpt, sizeof(default_ckpt), "%s.ckpt", o.output);
        o.checkpoint = default_ckpt;
    }
    check_writable(o.checkpoint);
    check_paths_apart(&o, &inputs, &vals);
    check_no_earlier_run(&o, model);
    if (!o.quiet)
        warn_validation_trained_on(&inputs, &vals);
    /* Checkpoints record where the run writes, in metadata, which is UTF-8 text. */
    if (!is_utf8(o.output))
        cli_die("%s: checkpoints record the output's name as UTF-8 text; this one is not",
                o.output);
    if (!is_utf8(o.checkpoint))
        cli_die("%s: checkpoints record their own name as UTF-8 text; this one is not",
                o.checkpoint);
    char rec[3][PATH_MAX + 256];
    o.output_rec = recorded_name(o.output, rec[0], sizeof(rec[0]));
    o.checkpoint_rec = recorded_name(o.checkpoint, rec[1], sizeof(rec[1]));
    o.log_rec = o.log ? recorded_name(o.log, rec[2], sizeof(rec[2])) : NULL;
    o.sampler.scale = o.scale;
    o.sampler.patch = o.patch;
    o.sampler.seed = o.seed;
    o.sampler.threads = o.loader_threads;

    sampler *smp;
    if (sampler_create(&smp, (const char *const *)inputs.paths, inputs.count, &o.sampler, err,
                       sizeof(err)) < 0)
        cli_die("%s", err);
    if (!o.quiet)
        input_list_say_skipped(&inputs, "srres-train");
    /* A training input given twice is drawn twice as often, which may be meant: said. A
     * validation image would weigh twice in the figures: taken once. */
    int again = input_list_repeats(&inputs, 0), val_again = input_list_repeats(&vals, 1);
    if (again < 0 || val_again < 0)
        cli_die("out of memory");
    if (again && !o.quiet)
        fprintf(stderr, "srres-train: %d input%s given again (the same file): drawn as often as "
                        "given\n", again, again == 1 ? "" : "s");
    if (val_again && !o.quiet)
        fprintf(stderr, "srres-train: %d --val image%s given again (the same file) left out: "
                        "each is validated once\n", val_again, val_again == 1 ? "" : "s");
    o.val_rec = recorded_vals(&vals);
    /* Inputs too small for a patch, or with no region of that size without transparent
     * pixels, are left out, said in one line each as the folders' other files left out are,
     * with the first few named. */
    int skipped = 0, region = sampler_region_side(smp);
    for (int why = SAMPLER_TOO_SMALL; why <= SAMPLER_TRANSPARENT; why++) {
        int n = 0;
        for (int i = 0; i < inputs.count; i++)
            n += sampler_file_skipped(smp, i) == why;
        skipped += n;
        if (!n || o.quiet)
            continue;
        fprintf(stderr,
                "srres-train: inputs %s a %dx%d HR patch with its margin%s: %d of %d, "
                "left out (",
                why == SAMPLER_TOO_SMALL ? "too small for" : "with no room for", region, region,
                why == SAMPLER_TOO_SMALL ? "" : " without fully transparent pixels", n,
                inputs.count);
        for (int i = 0, named = 0; i < inputs.count && named < 3; i++)
            if (sampler_file_skipped(smp, i) == why)
                fprintf(stderr, "%s%s", named++ ? ", " : "", input_list_name(&inputs, i));
        if (n > 3)
            fprintf(stderr, " and %d more; -v names them", n - 3);
        fprintf(stderr, "; a smaller --patch %s them)\n",
                why == SAMPLER_TOO_SMALL ? "takes" : "may take");
    }
    int raised = 0;
    double highest = 0;
    for (int i = 0; i < inputs.count; i++) {
        double least = sampler_file_scale_min(smp, i);
        raised += least > o.sampler.hr_scale_min;
        highest = least > highest ? least : highest;
    }
    if (raised && !o.quiet && D.rank == 0)
        fprintf(stderr, "srres-train: inputs too small for a patch at --hr-scale %g: %d of %d, "
                        "drawn from the scale that holds one (up to %.3g; -v names them)\n",
                o.sampler.hr_scale_min, raised, inputs.count, highest);
    /* Patches of interlaced frames teach the network the combing of their two fields, as
     * srres-video says of the frames it upscales. */
    for (int i = 0; i < inputs.count && !o.quiet && D.rank == 0; i++)
        if (sampler_file_interlaced(smp, i) && !sampler_file_skipped(smp, i))
            fprintf(stderr, "srres-train: %s: interlaced frames, whose patches hold both fields "
                            "(combing and all); deinterlace it first (ffmpeg -vf bwdif)\n",
                    input_list_name(&inputs, i));
    if (o.verbose && !o.quiet && D.rank == 0)
        for (int i = 0; i < inputs.count; i++) {
            int w, h, frames = sampler_file(smp, i, &w, &h);
            double least = sampler_file_scale_min(smp, i);
            fprintf(stderr, "srres-train: %s: %dx%d, %d frame%s", input_list_name(&inputs, i),
                    w, h, frames, frames == 1 ? "" : "s");
            if (sampler_file_skipped(smp, i) == SAMPLER_TOO_SMALL)
                fprintf(stderr, ", too small for a patch: left out");
            else if (sampler_file_skipped(smp, i))
                fprintf(stderr, ", no room for a patch without transparent pixels: left out");
            else if (least > o.sampler.hr_scale_min)
                /* At or above --hr-scale's maximum, the range is that one scale. */
                fprintf(stderr, least < o.sampler.hr_scale_max ? ", drawn from scale %.3g up"
                                                               : ", drawn at scale %.3g",
                        least);
            fputc('\n', stderr);
        }
    o.trained_on = run_inputs(o.resume ? model : NULL, &inputs, smp);
    if (o.resume)
        sampler_seek(smp, round, offset);
    check_ranks_agree(&o, srres_model_num_params(model), step, round, offset);
    if (o.batch % D.size) {
        leave_it_to_rank_0();
        /* A resume cannot take another --batch (it is refused): the count must change. */
        if (o.resume)
            cli_die("%s: its run's --batch %d does not split evenly over %d processes; resume "
                    "it on a number of processes that divides %d",
                    o.resume, o.batch, D.size, o.batch);
        cli_die("--batch %d does not split evenly over %d processes", o.batch, D.size);
    }
    int local = o.batch / D.size; /* this rank's share of every global batch */
    srres_trainer *tr;
    if (srres_trainer_create_kernel(model, local, o.patch, o.threads, o.kernel, &tr, &e) !=
        SRRES_OK)
        cli_die("%s", e.message);

    eval_set val = {0};
    srres_ctx *val_ctx = NULL;
    eval_score bicubic = {0, 0}, last_val = {NAN, NAN};
    if (vals.count && o.val_crop > 0 && o.val_crop < eval_min_side(o.scale))
        cli_die("--val-crop %d is too small to score at x%d: at least %d", o.val_crop, o.scale,
                eval_min_side(o.scale));
    if (vals.count && D.rank == 0) {
        if (eval_set_load(&val, (const char *const *)vals.paths, vals.count, o.scale, o.val_crop,
                          err, sizeof(err)) < 0 ||
            eval_resampler(&val, RESAMPLE_BICUBIC, NULL, &bicubic, err, sizeof(err)) < 0)
            cli_die("%s", err);
        srres_params p = srres_default_params();
        p.threads = o.threads;
        p.kernel = SRRES_KERNEL_BASELINE; /* shares the trainer's layers: no conversion */
        if (srres_ctx_create(model, &p, &val_ctx, &e) != SRRES_OK)
            cli_die("%s", e.message);
    }
    FILE *log = o.log && D.rank == 0 ? open_log(o.log, o.resume ? step : -1) : NULL;
    char net[128];
    if (!o.quiet)
        fprintf(stderr,
                "srres-train: %s, %zu parameters; %d input%s; %s step %ld of %ld%s\n",
                cli_network(net, sizeof(net), srres_model_config(model)),
                srres_model_num_params(model), inputs.count - skipped,
                inputs.count - skipped == 1 ? "" : "s", o.resume ? "resuming at" : "from", step,
                o.steps, D.size > 1 ? "; data parallel over MPI ranks" : "");

    size_t hr_side = (size_t)o.patch * o.scale;
    float *lr = malloc(sizeof(float) * o.batch * 3 * o.patch * o.patch);
    float *hr = malloc(sizeof(float) * o.batch * 3 * hr_side * hr_side);
    if (!lr || !hr)
        cli_die("out of memory");
    float *params = srres_model_params(model);
    size_t np = srres_model_num_params(model);
    if (o.average > 0 && srres_adam_average(&adam, params, (float)o.average, &e) != SRRES_OK)
        cli_die("%s", e.message);
    /* The average is what is validated and written; the weights wait here meanwhile. */
    float *held = adam.avg && val.count ? malloc(sizeof(float) * np) : NULL;
    if (adam.avg && val.count && !held)
        cli_die("out of memory");
    /* Targets are in [0, 1], so any output in [0, 1] loses at most 1 (MSE or L1): a loss
     * of an output ten times the pixel range off on average (MSE 100, L1 10) is no
     * training step's overshoot but a run gone; it is stopped before its model is written. */
    double diverged = o.loss == SRRES_LOSS_MSE ? 100 : 10;
    int tty = isatty(STDERR_FILENO);
    double start = now(), ema = NAN, ema_norm = NAN;
    /* patches/s, counted from mark[0] (step, time) and updated every step; mark[0] takes
     * mark[1]'s place every 5 s, so the rate spans the last 5 to 10 s. The first step
     * waits for the loaders' first round: the marks start at its end. */
    struct {
        long step;
        double t;
    } mark[2] = {{0, 0}, {0, 0}};
    double rate = 0;
    /* Seconds the steps after the first waited for the loaders: a run starved of decoded
     * frames (large photographs, one loader) is told so, not left to guess. */
    double waited = 0, fed_from = 0;
    size_t lr_patch = (size_t)3 * o.patch * o.patch, hr_patch = 3 * hr_side * hr_side;
    int stopping = 0, checkpoint_failed = 0;
    long saved = step; /* the step of the last checkpoint written, or resumed */
    const char *saved_in = o.resume; /* and its file (none before a new run's first) */
    atomic_store(&training, 1);
    while (step < o.steps && !stopping) {
        /* Every rank draws the same global batch and trains on its own slice of it, so
         * the run is the same for any number of ranks (up to float rounding). */
        double asked = now();
        sampler_position(smp, &round, &offset);
        int failed = sampler_next_batch(smp, o.batch, lr, hr, err, sizeof(err)) < 0;
        /* Every rank draws the same batch, so all fail at it alike (or some alone, each
         * reading its own copy of the files). They learn it together, once rank 0 is done
         * writing the step before's checkpoint: a rank that ended the job on its own cut that
         * write short, or the one below. 2: rank 0 failed, 1: only another did. */
        int failure = dist_max(failed ? (D.rank ? 1 : 2) : 0);
        if (failure) {
            /* Rank 0 names the file unless only this rank met it; it ends them all. */
            if (D.rank) {
                if (failed && failure == 1)
                    fprintf(stderr, "srres-train: %s\n", err);
                leave_it_to_rank_0();
            }
            if (failure == 1)
                snprintf(err, sizeof(err),
                         "another MPI process could not read its batch (it names the file)");
            /* A file that fails hours in (moved away, damaged past the frames read at the
             * start) keeps the steps since the last checkpoint: the run is checkpointed at
             * the batch that failed, which a resume draws again once the file is mended. */
            if (step > saved) {
                sync_log(&log, o.log, tty && !o.quiet);
                save_checkpoint(model, &adam, &o, round, offset, o.checkpoint,
                                seconds_before + (now() - start), saved, saved_in);
                saved_in = o.checkpoint;
            }
            /* Right after a checkpoint (or a resume) it holds the run: named all the same,
             * the user need not guess which file to resume. */
            if (saved_in)
                cli_die("%s; checkpoint %s at step %ld (continue with --resume %s once the file "
                        "is mended or left out)",
                        err, saved_in, step, saved_in);
            cli_die("%s", err);
        }
        if (fed_from)
            waited += now() - asked;
        else
            fed_from = now();
        float loss = srres_trainer_forward(tr, lr + D.rank * local * lr_patch,
                                           hr + D.rank * local * hr_patch, o.loss);
        srres_trainer_zero_grad(tr);
        srres_trainer_backward(tr);
        float *g = srres_trainer_grads(tr);
        dist_mean(g, np);
        loss = (float)dist_mean_scalar(loss);
        if (!isfinite(loss) || loss > diverged)
            cli_die("the loss became %g at step %ld: the run diverged; lower --lr or set --clip",
                    loss, step);
        /* All ranks stop at the same step, or the next reduction would wait forever. */
        stopping = D.size > 1 ? dist_mean_scalar(stop_signal ? 1 : 0) > 0 : stop_signal != 0;
        double norm = 0;
        for (size_t i = 0; i < np; i++)
            norm += (double)g[i] * g[i];
        norm = sqrt(norm);
        ema_norm = isnan(ema_norm) ? norm : 0.98 * ema_norm + 0.02 * norm;
        if (o.clip > 0) {
            if (norm > o.clip)
                for (size_t i = 0; i < np; i++)
                    g[i] = (float)(g[i] * (o.clip / norm));
        }
        double lr_now = learning_rate(&o, step);
        srres_adam_update(&adam, params, g, (float)lr_now);
        /* A finite loss can hide an overflow: a gradient past 1.8e19 makes the second
         * moment infinite, and the weights follow. */
        if (!all_finite(params, np) || !all_finite(adam.m, np) || !all_finite(adam.v, np))
            cli_die("the weights or their Adam moments overflowed at step %ld: the run "
                    "diverged; lower --lr or set --clip",
                    step);
        step++;
        ema = isnan(ema) ? loss : 0.98 * ema + 0.02 * loss;
        double t = now();
        if (!rate) {
            rate = o.batch / (t - start);
            mark[0].step = mark[1].step = step;
            mark[0].t = mark[1].t = t;
        } else {
            if (t - mark[1].t >= 5) {
                mark[0] = mark[1];
                mark[1].step = step;
                mark[1].t = t;
            }
            rate = (step - mark[0].step) * o.batch / (t - mark[0].t);
        }
        int validate = val.count && (step % o.val_every == 0 || step == o.steps);
        if (validate) {
            if (held) {
                memcpy(held, params, sizeof(float) * np);
                memcpy(params, adam.avg, sizeof(float) * np);
            }
            if (eval_model(&val, val_ctx, NULL, &last_val, err, sizeof(err)) < 0)
                cli_die("%s", err);
            if (held)
                memcpy(params, held, sizeof(float) * np);
            if (!o.quiet)
                fprintf(stderr, "%sstep %ld: validation%s PSNR-Y %.3f dB (%+.3f over bicubic), "
                                "SSIM-Y %.4f (%+.4f)\n",
                        tty ? "\r\033[K" : "", step, held ? " of the average" : "",
                        last_val.psnr, last_val.psnr - bicubic.psnr, last_val.ssim,
                        last_val.ssim - bicubic.ssim);
        }
        double elapsed = seconds_before + (t - start);
        if (log && (validate || step % o.log_every == 0 || step == o.steps) &&
            fprintf(log, "%ld,%.6g,%.6g,%.4g,%.4f,%.5f,%.2f,%.1f\n", step, loss, lr_now, norm,
                    validate ? last_val.psnr : NAN, validate ? last_val.ssim : NAN, rate,
                    elapsed) < 0)
            drop_log(&log, o.log, tty && !o.quiet);
        if (!o.quiet) {
            char eta[32];
            format_duration(eta, sizeof(eta), (o.steps - step) * o.batch / (rate > 0 ? rate : 1));
            char starved[48] = "";
            double share = waited_share(waited, fed_from, t);
            if (share >= 0.1)
                snprintf(starved, sizeof(starved), " (%.0f%% waiting for data)", 100 * share);
            /* The last validation's figure, once there is one. */
            char val_psnr[32] = "";
            if (!isnan(last_val.psnr))
                snprintf(val_psnr, sizeof(val_psnr), "  val %.2f dB", last_val.psnr);
            if (tty)
                fprintf(stderr, "\r\033[Kstep %ld/%ld  loss %.5f  lr %.2e  %.1f patches/s%s  ETA %s%s",
                        step, o.steps, ema, lr_now, rate, starved, eta, val_psnr);
            else if (step % o.log_every == 0)
                fprintf(stderr, "step %ld/%ld loss %.5f lr %.2e |g| %.3g %.1f patches/s%s ETA %s\n",
                        step, o.steps, ema, lr_now, ema_norm, rate, starved, eta);
        }
        /* The last one too: a finished run's checkpoint reruns it at once or, given a larger
         * --steps, carries it on (its Adam moments are not in the model file). One that
         * fails (a full disk, its folder gone) loses nothing yet: the run trains on, said in
         * one line, and tries again at the next, as a stop would lose the steps since the
         * last one for sure. The last step's failing, the model is written all the same and
         * the status is 1. */
        if (D.rank == 0 && (step % o.checkpoint_every == 0 || step == o.steps)) {
            sampler_position(smp, &round, &offset);
            sync_log(&log, o.log, tty && !o.quiet);
            srres_error ce;
            if (write_checkpoint(model, &adam, &o, round, offset, o.checkpoint, elapsed, &ce) ==
                SRRES_OK) {
                saved = step;
                saved_in = o.checkpoint;
            } else {
                long next = (step / o.checkpoint_every + 1) * o.checkpoint_every;
                char was[PATH_MAX + 64] = "no checkpoint written yet";
                if (saved_in)
                    snprintf(was, sizeof(was), "checkpoint %s at step %ld is as it was", saved_in,
                             saved);
                if (step < o.steps)
                    fprintf(stderr,
                            "%ssrres-train: %s; training goes on and tries again at step "
                            "%ld (%s)\n",
                            tty && !o.quiet ? "\r\033[K" : "", ce.message,
                            next < o.steps ? next : o.steps, was);
                else
                    fprintf(stderr,
                            "%ssrres-train: %s; the model is written without it (%s) "
                            "and the run will exit with status 1\n",
                            tty && !o.quiet ? "\r\033[K" : "", ce.message, was);
                checkpoint_failed = step == o.steps;
            }
        }
        /* A signal that came during this step's validation or checkpoint stops the run at
         * this step (saved just now, or by the stop): one more step would be trained after the
         * user asked to stop, and saved again or lost. */
        if ((validate || step % o.checkpoint_every == 0) && step < o.steps && !stopping)
            stopping = D.size > 1 ? dist_mean_scalar(stop_signal ? 1 : 0) > 0 : stop_signal != 0;
    }
    double elapsed = seconds_before + (now() - start);
    if (tty && !o.quiet)
        fputc('\n', stderr);
    /* Damaged frames are found as they are read, so they are said at the end, one line an
     * input: a run on a damaged clip went on without a word, part of it never drawn from. */
    for (int i = 0; i < inputs.count && !o.quiet && D.rank == 0; i++) {
        int w, h, frames = sampler_file(smp, i, &w, &h), n = sampler_file_damaged(smp, i);
        if (n)
            fprintf(stderr,
                    "srres-train: %s: %d of %d frames damaged, left out (not decoded whole, or "
                    "predicted from one that was not); counted among the frames read, there "
                    "may be more\n",
                    input_list_name(&inputs, i), n, frames);
    }
    double share = waited_share(waited, fed_from, now());
    if (!o.quiet && D.rank == 0 && share >= 0.1)
        fprintf(stderr, "srres-train: training waited for decoded frames %.0f%% of the time; "
                        "more --loader-threads (now %d) would shorten the run\n",
                100 * share, o.loader_threads);
    int status = 0;
    /* A signal during the last step stops nothing: the run is done, and writes its model. */
    if (stopping && step < o.steps) {
        if (D.rank == 0) {
            if (saved != step) {
                sampler_position(smp, &round, &offset);
                sync_log(&log, o.log, tty && !o.quiet);
                save_checkpoint(model, &adam, &o, round, offset, o.checkpoint, elapsed, saved,
                                saved_in);
            }
            fprintf(stderr, "srres-train: stopped by signal at step %ld; checkpoint %s "
                            "(continue with --resume %s)\n",
                    step, o.checkpoint, o.checkpoint);
        }
        status = 128 + (stop_signal ? stop_signal : SIGTERM);
    } else if (D.rank == 0) {
        if (adam.avg)
            memcpy(params, adam.avg, sizeof(float) * np);
        run_metadata_strip(model);
        char desc[256];
        snprintf(desc, sizeof(desc),
                 "srres-train: %ld step%s, batch %d, LR patch %d, %s loss, lr %g (%s), "
                 "seed %" PRIu64 "%s, %.0f s",
                 o.steps, o.steps == 1 ? "" : "s", o.batch, o.patch, loss_names[o.loss], o.lr,
                 sched_names[o.sched], o.seed, adam.avg ? ", weights' moving average" : "", elapsed);
        set_meta(model, "training", "%s", desc);
        set_meta(model, "trained_on", "%s", o.trained_on);
        /* The last step's checkpoint holds the finished run, which a resume writes again. */
        if (srres_model_save(model, o.output, o.dtype, &e) != SRRES_OK) {
            if (!saved_in)
                cli_die("%s; no checkpoint holds the run", e.message);
            cli_die("%s; checkpoint %s at step %ld holds the run (--resume %s %s)", e.message,
                    saved_in, saved, saved_in,
                    saved == step ? "writes the model" : "carries it on");
        }
        if (!o.quiet)
            fprintf(stderr, "srres-train: wrote %s after %ld step%s in %.0f s%s\n", o.output, step,
                    step == 1 ? "" : "s", elapsed, val.count ? "" : " (no --val: not validated)");
    }
    if (log && fclose(log))
        drop_log(NULL, o.log, 0);
    if ((log_dropped || checkpoint_failed) && !status)
        status = 1;
    free(lr);
    free(hr);
    free(held);
    eval_set_free(&val);
    srres_ctx_free(val_ctx);
    srres_trainer_free(tr);
    sampler_free(smp);
    srres_adam_release(&adam);
    srres_model_free(model);
    input_list_free(&inputs);
    input_list_free(&vals);
    av_free(o.val_rec);
    av_free(o.trained_on);
    dist_finalize();
    return status;
}
