/* srres-train: trains an SRResNet on videos and images (MSE or L1 loss, Adam) and writes a
 * model file srres-video and the srresnet filter load. The loop, as in llm.c: sample a
 * batch, forward, zero_grad, backward, update; validation, logging and checkpoints around it.
 *
 * This file holds main, the run's phases in order (set up the model, the outputs, the
 * inputs and the training; the steps; the end), the signals and what keeps the MPI processes
 * in step. The parts live in tools/train/, a file an idea: options.c (the command line),
 * checkpoint.c (what a checkpoint records of a run), resume.c (a run started from a
 * checkpoint or --init's model), outputs.c (the files written, checked before they are),
 * inputs.c (the sampler's inputs, and what is said of them), loop.c (the steps), log.c (the
 * CSV log); train.h holds the run they share. */
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/log.h>
#include <libavutil/mem.h>

#include "cli.h"
#include "distributed.h"
#include "openblas_core.h"
#include "run_metadata.h"
#include "srres.h"
#include "train/train.h"

/* The signal handler's state, file-static here and nowhere else: the other parts ask
 * through stop_requested and training_started. Atomic: a handler runs on whichever thread
 * the kernel picks (a loader or an OpenBLAS worker too). Lock-free, so a handler may use
 * it. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal flag needs lock-free atomics");
static atomic_int stop_signal;
static atomic_int first_sender; /* 0: no signal yet; 1: the first from mpirun; 2: elsewhere */
static atomic_int training;     /* set as the first step starts */
static dist D;                  /* this process's rank among D.size (1 without mpirun);
                                   the run's d is a copy */

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

int stop_requested(void)
{
    return atomic_load(&stop_signal);
}

void training_started(void)
{
    atomic_store(&training, 1);
}

static void hash_option(void *h, const char *key, int opt, const char *value)
{
    (void)opt;
    hash_text(h, key);
    hash_text(h, value);
}

/* For an error every process meets alike: the others wait for rank 0, which says it once
 * and ends them all (each saying it too interleaved their lines). */
void leave_it_to_rank_0(void)
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
    char rest[160]; /* the inputs, network and position */
    snprintf(rest, sizeof(rest), "%s %d %d %d %zu %ld %" PRIu64 " %d", o->inputs_id, o->scale,
             o->blocks, o->channels, params, step, round, offset);
    hash_text(&h, rest);
    if (!dist_agree(h)) {
        leave_it_to_rank_0();
        cli_die("the MPI processes were given different runs (options, inputs or --resume "
                "checkpoint): give them all the same command line");
    }
}

/* The stop signals to on_signal, and those a run survives ignored. */
static void catch_signals(void)
{
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
}

/* The command line into r: the options, the inputs and the validation files. */
static void read_command_line(run *r, int argc, char **argv)
{
    options *o = &r->o;
    parse_args(o, &r->inputs, &r->vals, r->given, argc, argv, r->d.rank);
    if (!r->inputs.count)
        cli_die("no inputs: give videos, images or folders of them (see --help)");
    if (o->resume && o->init)
        cli_die("--resume and --init exclude each other");
    inputs_id(&r->inputs, o->inputs_id, sizeof(o->inputs_id));
    if (r->d.rank)
        o->quiet = 1; /* rank 0 speaks, validates and writes for all */
}

/* The network and its optimiser: a checkpoint's (--resume), or new (from --init's tensors
 * where they match, else random). */
static void set_up_model(run *r)
{
    options *o = &r->o;
    srres_error e;
    if (o->resume) {
        resume_run(r);
    } else {
        srres_model *from = o->init ? cli_load_model(o->init) : NULL;
        if (from)
            take_init_network(o, from, r->given);
        srres_config cfg = {o->scale, o->blocks, o->channels, o->image_skip, o->prelu_per_channel};
        if (srres_model_create(&cfg, &r->model, &e) != SRRES_OK)
            cli_die("%s", e.message);
        srres_model_init_random(r->model, o->seed);
        if (from) {
            int n = srres_model_copy_matching(r->model, from);
            srres_model_free(from);
            if (!n)
                cli_die("%s: no tensor matches this model's names and shapes", o->init);
            if (!o->quiet)
                fprintf(stderr, "srres-train: %d tensor%s initialised from %s\n", n,
                        n == 1 ? "" : "s", o->init);
        }
        if (srres_adam_init(&r->adam, srres_model_num_params(r->model), &e) != SRRES_OK)
            cli_die("%s", e.message);
    }
    /* The cosine schedule falls from --lr to --lr-min: a floor above the peak would make it
     * climb. The default floor gives way to a lower --lr. */
    if (!o->resume && o->lr_min > o->lr) {
        if (r->given[OPT_LR_MIN])
            cli_die("--lr-min %g is above --lr %g: the schedule falls from --lr to --lr-min",
                    o->lr_min, o->lr);
        o->lr_min = o->lr;
    }
}

/* What the steps need besides the model and the inputs: the processes agreeing on the run,
 * the trainer of this process's share of a batch, the validation set and the log; said in
 * one line. */
static void set_up_training(run *r)
{
    const options *o = &r->o;
    srres_error e;
    char err[512];
    check_ranks_agree(o, srres_model_num_params(r->model), r->step, r->round, r->offset);
    if (o->batch % r->d.size) {
        leave_it_to_rank_0();
        /* A resume cannot take another --batch (it is refused): the count must change. */
        if (o->resume)
            cli_die("%s: its run's --batch %d does not split evenly over %d processes; resume "
                    "it on a number of processes that divides %d",
                    o->resume, o->batch, r->d.size, o->batch);
        cli_die("--batch %d does not split evenly over %d processes", o->batch, r->d.size);
    }
    r->local = o->batch / r->d.size;
    if (srres_trainer_create_kernel(r->model, r->local, o->patch, o->threads, o->kernel, &r->tr,
                                    &e) != SRRES_OK)
        cli_die("%s", e.message);
    if (r->vals.count && o->val_crop > 0 && o->val_crop < eval_min_side(o->scale))
        cli_die("--val-crop %d is too small to score at x%d: at least %d", o->val_crop, o->scale,
                eval_min_side(o->scale));
    if (r->vals.count && r->d.rank == 0) {
        if (eval_set_load(&r->val, (const char *const *)r->vals.paths, r->vals.count, o->scale,
                          o->val_crop, err, sizeof(err)) < 0 ||
            eval_resampler(&r->val, RESAMPLE_BICUBIC, NULL, &r->bicubic, err, sizeof(err)) < 0)
            cli_die("%s", err);
        srres_params p = srres_default_params();
        p.threads = o->threads;
        p.kernel = SRRES_KERNEL_BASELINE; /* shares the trainer's layers: no conversion */
        if (srres_ctx_create(r->model, &p, &r->val_ctx, &e) != SRRES_OK)
            cli_die("%s", e.message);
    }
    r->log.path = o->log;
    if (o->log && r->d.rank == 0)
        r->log.f = open_log(o->log, o->resume ? r->step : -1);
    char net[128];
    if (!o->quiet)
        fprintf(stderr,
                "srres-train: %s, %zu parameters; %d input%s; %s step %ld of %ld%s\n",
                cli_network(net, sizeof(net), srres_model_config(r->model)),
                srres_model_num_params(r->model), r->inputs.count - r->skipped,
                r->inputs.count - r->skipped == 1 ? "" : "s", o->resume ? "resuming at" : "from",
                r->step, o->steps, r->d.size > 1 ? "; data parallel over MPI ranks" : "");
}

/* The run's end: stopped by a signal, its checkpoint; done, its model written. Returns the
 * exit status. */
static int finish(run *r)
{
    const options *o = &r->o;
    srres_error e;
    int status = 0;
    /* A signal during the last step stops nothing: the run is done, and writes its model. */
    if (r->stopping && r->step < o->steps) {
        if (r->d.rank == 0) {
            if (r->saved != r->step) {
                sampler_position(r->smp, &r->round, &r->offset);
                sync_log(&r->log, r->tty && !o->quiet);
                save_checkpoint(r->model, &r->adam, o, r->round, r->offset, o->checkpoint,
                                r->elapsed, r->saved, r->saved_in);
            }
            fprintf(stderr, "srres-train: stopped by signal at step %ld; checkpoint %s "
                            "(continue with --resume %s)\n",
                    r->step, o->checkpoint, o->checkpoint);
        }
        status = 128 + (stop_signal ? stop_signal : SIGTERM);
    } else if (r->d.rank == 0) {
        if (r->adam.avg)
            memcpy(srres_model_params(r->model), r->adam.avg,
                   sizeof(float) * srres_model_num_params(r->model));
        run_metadata_strip(r->model);
        char desc[256];
        snprintf(desc, sizeof(desc),
                 "srres-train: %ld step%s, batch %d, LR patch %d, %s loss, lr %g (%s), "
                 "seed %" PRIu64 "%s, %.0f s",
                 o->steps, o->steps == 1 ? "" : "s", o->batch, o->patch, loss_names[o->loss], o->lr,
                 sched_names[o->sched], o->seed, r->adam.avg ? ", weights' moving average" : "",
                 r->elapsed);
        set_meta(r->model, "training", "%s", desc);
        set_meta(r->model, "trained_on", "%s", o->trained_on);
        /* The last step's checkpoint holds the finished run, which a resume writes again. */
        if (srres_model_save(r->model, o->output, o->dtype, &e) != SRRES_OK) {
            if (!r->saved_in)
                cli_die("%s; no checkpoint holds the run", e.message);
            cli_die("%s; checkpoint %s at step %ld holds the run (--resume %s %s)", e.message,
                    r->saved_in, r->saved, r->saved_in,
                    r->saved == r->step ? "writes the model" : "carries it on");
        }
        if (!o->quiet)
            fprintf(stderr, "srres-train: wrote %s after %ld step%s in %.0f s%s\n", o->output,
                    r->step, r->step == 1 ? "" : "s", r->elapsed,
                    r->val.count ? "" : " (no --val: not validated)");
    }
    close_log(&r->log);
    if ((r->log.dropped || r->checkpoint_failed) && !status)
        status = 1;
    return status;
}

static void free_run(run *r)
{
    eval_set_free(&r->val);
    srres_ctx_free(r->val_ctx);
    srres_trainer_free(r->tr);
    sampler_free(r->smp);
    srres_adam_release(&r->adam);
    srres_model_free(r->model);
    input_list_free(&r->inputs);
    input_list_free(&r->vals);
    av_free(r->o.val_rec);
    av_free(r->o.trained_on);
}

int main(int argc, char **argv)
{
    cli_std_fds();
    openblas_core_choose(argv);
    D = dist_init(&argc, &argv);
    cli_init("srres-train", dist_fail);
    catch_signals();
    /* Our messages name the file and the problem; libav's are left out, its "fatal" ones too
     * (MJPEG's "No JPEG data found in image" for a picture that is only our line's error),
     * but not an assertion's line before it aborts the process. */
    av_log_set_level(AV_LOG_PANIC);
    run r = {.d = D, .last_val = {NAN, NAN}};
    read_command_line(&r, argc, argv);
    set_up_model(&r);
    choose_outputs(&r);
    open_inputs(&r);
    set_up_training(&r);
    train_steps(&r);
    say_damaged_inputs(&r);
    say_waited(&r);
    int status = finish(&r);
    free_run(&r);
    dist_finalize();
    return status;
}
