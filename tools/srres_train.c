/* srres-train: trains an SRResNet on videos and images (MSE or L1 loss, Adam) and writes a
 * model file srres-video and the srresnet filter load. The loop, as in llm.c: sample a
 * batch, forward, zero_grad, backward, update; validation, logging and checkpoints around it.
 *
 * This file holds main, the signals and what keeps the MPI processes in step; the parts live
 * in tools/train/, a file an idea: options.c (the command line), checkpoint.c (what a
 * checkpoint records of a run), resume.c (a run started from a checkpoint or --init's
 * model), log.c (the CSV log), outputs.c (the files written, checked before they are). */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/log.h>
#include <libavutil/mem.h>

#include "cli.h"
#include "distributed.h"
#include "evaluate.h"
#include "input_list.h"
#include "openblas_core.h"
#include "patch_sampler.h"
#include "run_metadata.h"
#include "same_file.h"
#include "srres.h"
#include "train/train.h"

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

static void format_duration(char *buf, size_t n, double s)
{
    long t = s > 0 && s < 1e9 ? (long)(s + 0.5) : 0;
    snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
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
    parse_args(&o, &inputs, &vals, given, argc, argv, D.rank);
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
            resumed_vals(model, o.resume, &vals, D.rank);
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
                                    sizeof(resumed_output), o.output, "-o", D.rank);
        /* Carried on alone, the run writes its checkpoint where it did; given another
         * output, it is another run, checkpointed beside that output. */
        if (!given[OPT_CKPT] && !given['o'])
            o.checkpoint = resumed_path(model, "train.checkpoint", o.resume, resumed_checkpoint,
                                        sizeof(resumed_checkpoint), o.checkpoint, "--checkpoint",
                                        D.rank);
        /* Its log likewise ("" for none): a run stopped and resumed alone logged nothing more.
         * A device or FIFO (a terminal, a pipe) was its session's, not the run's. */
        if (!given[OPT_LOG] && !given['o']) {
            o.log = resumed_path(model, "train.log", o.resume, resumed_log, sizeof(resumed_log),
                                 NULL, NULL, D.rank);
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
    check_writable(o.output, D.rank);
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
    check_writable(o.checkpoint, D.rank);
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
    run_log log = {.f = o.log && D.rank == 0 ? open_log(o.log, o.resume ? step : -1) : NULL,
                   .path = o.log};
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
                sync_log(&log, tty && !o.quiet);
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
        if (log.f && (validate || step % o.log_every == 0 || step == o.steps) &&
            fprintf(log.f, "%ld,%.6g,%.6g,%.4g,%.4f,%.5f,%.2f,%.1f\n", step, loss, lr_now, norm,
                    validate ? last_val.psnr : NAN, validate ? last_val.ssim : NAN, rate,
                    elapsed) < 0)
            drop_log(&log, tty && !o.quiet);
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
            sync_log(&log, tty && !o.quiet);
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
                sync_log(&log, tty && !o.quiet);
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
    close_log(&log);
    if ((log.dropped || checkpoint_failed) && !status)
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
