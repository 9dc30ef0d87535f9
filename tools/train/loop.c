/* loop.c: srres-train's steps, as in llm.c: sample a batch, forward, zero_grad, backward,
 * update; the learning rate's schedule, and validation, the log's rows, the progress line and
 * checkpoints around them. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "distributed.h"
#include "train.h"

/* The steps' own state: their buffers, and what the progress line and the log show. */
typedef struct loop {
    float *lr, *hr; /* the global batch: its LR patches and their HR targets */
    float *held;    /* the weights, while their average is validated (NULL: none is) */
    float *params;
    size_t np, lr_patch, hr_patch;
    double diverged; /* the loss past which the run has diverged */
    double start, ema, ema_norm;
    /* patches/s, counted from mark[0] (step, time) and updated every step; mark[0] takes
     * mark[1]'s place every 5 s, so the rate spans the last 5 to 10 s. The first step
     * waits for the loaders' first round: the marks start at its end. */
    struct {
        long step;
        double t;
    } mark[2];
    double rate;
    /* the step just taken: its loss (the mean over the processes), its gradient's norm and
     * its learning rate */
    float loss;
    double norm, lr_now;
} loop;

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

double learning_rate(const options *o, long step)
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

/* ---- The steps ------------------------------------------------------------------------- */

/* All ranks stop at the same step, or the next reduction would wait forever. */
static int stop_agreed(const run *r)
{
    return r->d.size > 1 ? dist_mean_scalar(stop_requested() ? 1 : 0) > 0 : stop_requested() != 0;
}

/* The next global batch into s->lr and s->hr; a batch that cannot be read ends the run, at a
 * checkpoint. */
static void draw_batch(run *r, loop *s)
{
    const options *o = &r->o;
    char err[512];
    /* Every rank draws the same global batch and trains on its own slice of it, so
     * the run is the same for any number of ranks (up to float rounding). */
    double asked = now();
    sampler_position(r->smp, &r->round, &r->offset);
    int failed = sampler_next_batch(r->smp, o->batch, s->lr, s->hr, err, sizeof(err)) < 0;
    /* Every rank draws the same batch, so all fail at it alike (or some alone, each
     * reading its own copy of the files). They learn it together, once rank 0 is done
     * writing the step before's checkpoint: a rank that ended the job on its own cut that
     * write short, or the one below. 2: rank 0 failed, 1: only another did. */
    int failure = dist_max(failed ? (r->d.rank ? 1 : 2) : 0);
    if (failure) {
        /* Rank 0 names the file unless only this rank met it; it ends them all. */
        if (r->d.rank) {
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
        if (r->step > r->saved) {
            sync_log(&r->log, r->tty && !o->quiet);
            save_checkpoint(r->model, &r->adam, o, r->round, r->offset, o->checkpoint,
                            r->seconds_before + (now() - s->start), r->saved, r->saved_in);
            r->saved_in = o->checkpoint;
        }
        /* Right after a checkpoint (or a resume) it holds the run: named all the same,
         * the user need not guess which file to resume. */
        if (r->saved_in)
            cli_die("%s; checkpoint %s at step %ld (continue with --resume %s once the file "
                    "is mended or left out)",
                    err, r->saved_in, r->step, r->saved_in);
        cli_die("%s", err);
    }
    if (r->fed_from)
        r->waited += now() - asked;
    else
        r->fed_from = now();
}

/* Forward, zero_grad, backward, the gradients' mean over the processes, and the update. */
static void take_step(run *r, loop *s)
{
    const options *o = &r->o;
    float loss = srres_trainer_forward(r->tr, s->lr + r->d.rank * r->local * s->lr_patch,
                                       s->hr + r->d.rank * r->local * s->hr_patch, o->loss);
    srres_trainer_zero_grad(r->tr);
    srres_trainer_backward(r->tr);
    float *g = srres_trainer_grads(r->tr);
    dist_mean(g, s->np);
    loss = (float)dist_mean_scalar(loss);
    if (!isfinite(loss) || loss > s->diverged)
        cli_die("the loss became %g at step %ld: the run diverged; lower --lr or set --clip",
                loss, r->step);
    r->stopping = stop_agreed(r);
    double norm = 0;
    for (size_t i = 0; i < s->np; i++)
        norm += (double)g[i] * g[i];
    norm = sqrt(norm);
    s->ema_norm = isnan(s->ema_norm) ? norm : 0.98 * s->ema_norm + 0.02 * norm;
    if (o->clip > 0) {
        if (norm > o->clip)
            for (size_t i = 0; i < s->np; i++)
                g[i] = (float)(g[i] * (o->clip / norm));
    }
    double lr_now = learning_rate(o, r->step);
    srres_adam_update(&r->adam, s->params, g, (float)lr_now);
    /* A finite loss can hide an overflow: a gradient past 1.8e19 makes the second
     * moment infinite, and the weights follow. */
    if (!all_finite(s->params, s->np) || !all_finite(r->adam.m, s->np) ||
        !all_finite(r->adam.v, s->np))
        cli_die("the weights or their Adam moments overflowed at step %ld: the run "
                "diverged; lower --lr or set --clip",
                r->step);
    r->step++;
    s->ema = isnan(s->ema) ? loss : 0.98 * s->ema + 0.02 * loss;
    s->loss = loss;
    s->norm = norm;
    s->lr_now = lr_now;
}

/* patches/s at time t, the step just taken (mark, in loop). */
static void count_rate(const run *r, loop *s, double t)
{
    if (!s->rate) {
        s->rate = r->o.batch / (t - s->start);
        s->mark[0].step = s->mark[1].step = r->step;
        s->mark[0].t = s->mark[1].t = t;
    } else {
        if (t - s->mark[1].t >= 5) {
            s->mark[0] = s->mark[1];
            s->mark[1].step = r->step;
            s->mark[1].t = t;
        }
        s->rate = (r->step - s->mark[0].step) * r->o.batch / (t - s->mark[0].t);
    }
}

/* Validates the step just taken where it is one to (every --val-every, and the last):
 * returns whether it was. */
static int validate_step(run *r, loop *s)
{
    const options *o = &r->o;
    char err[512];
    int validate = r->val.count && (r->step % o->val_every == 0 || r->step == o->steps);
    if (validate) {
        if (s->held) {
            memcpy(s->held, s->params, sizeof(float) * s->np);
            memcpy(s->params, r->adam.avg, sizeof(float) * s->np);
        }
        if (eval_model(&r->val, r->val_ctx, NULL, &r->last_val, err, sizeof(err)) < 0)
            cli_die("%s", err);
        if (s->held)
            memcpy(s->params, s->held, sizeof(float) * s->np);
        if (!o->quiet)
            fprintf(stderr, "%sstep %ld: validation%s PSNR-Y %.3f dB (%+.3f over bicubic), "
                            "SSIM-Y %.4f (%+.4f)\n",
                    r->tty ? "\r\033[K" : "", r->step, s->held ? " of the average" : "",
                    r->last_val.psnr, r->last_val.psnr - r->bicubic.psnr, r->last_val.ssim,
                    r->last_val.ssim - r->bicubic.ssim);
    }
    return validate;
}

/* The step just taken as a row of the log, where it is one to (every --log-every, every
 * validation and the last): `elapsed` is the run's seconds, its sessions before included. */
static void log_step(run *r, const loop *s, int validate, double elapsed)
{
    const options *o = &r->o;
    if (r->log.f && (validate || r->step % o->log_every == 0 || r->step == o->steps) &&
        fprintf(r->log.f, "%ld,%.6g,%.6g,%.4g,%.4f,%.5f,%.2f,%.1f\n", r->step, s->loss, s->lr_now,
                s->norm, validate ? r->last_val.psnr : NAN, validate ? r->last_val.ssim : NAN,
                s->rate, elapsed) < 0)
        drop_log(&r->log, r->tty && !o->quiet);
}

/* The progress line at time t: rewritten every step on a terminal, else a line every
 * --log-every steps. */
static void say_progress(const run *r, const loop *s, double t)
{
    const options *o = &r->o;
    char eta[32];
    format_duration(eta, sizeof(eta),
                    (o->steps - r->step) * o->batch / (s->rate > 0 ? s->rate : 1));
    char starved[48] = "";
    double share = waited_share(r->waited, r->fed_from, t);
    if (share >= 0.1)
        snprintf(starved, sizeof(starved), " (%.0f%% waiting for data)", 100 * share);
    /* The last validation's figure, once there is one. */
    char val_psnr[32] = "";
    if (!isnan(r->last_val.psnr))
        snprintf(val_psnr, sizeof(val_psnr), "  val %.2f dB", r->last_val.psnr);
    if (r->tty)
        fprintf(stderr, "\r\033[Kstep %ld/%ld  loss %.5f  lr %.2e  %.1f patches/s%s  ETA %s%s",
                r->step, o->steps, s->ema, s->lr_now, s->rate, starved, eta, val_psnr);
    else if (r->step % o->log_every == 0)
        fprintf(stderr, "step %ld/%ld loss %.5f lr %.2e |g| %.3g %.1f patches/s%s ETA %s\n",
                r->step, o->steps, s->ema, s->lr_now, s->ema_norm, s->rate, starved, eta);
}

/* The checkpoint of the step just taken, where it is one to (every --checkpoint-every, and
 * the last), written by rank 0; `elapsed` as log_step's. */
static void checkpoint_step(run *r, double elapsed)
{
    const options *o = &r->o;
    /* The last one too: a finished run's checkpoint reruns it at once or, given a larger
     * --steps, carries it on (its Adam moments are not in the model file). One that
     * fails (a full disk, its folder gone) loses nothing yet: the run trains on, said in
     * one line, and tries again at the next, as a stop would lose the steps since the
     * last one for sure. The last step's failing, the model is written all the same and
     * the status is 1. */
    if (r->d.rank == 0 && (r->step % o->checkpoint_every == 0 || r->step == o->steps)) {
        sampler_position(r->smp, &r->round, &r->offset);
        sync_log(&r->log, r->tty && !o->quiet);
        srres_error ce;
        if (write_checkpoint(r->model, &r->adam, o, r->round, r->offset, o->checkpoint, elapsed,
                             &ce) == SRRES_OK) {
            r->saved = r->step;
            r->saved_in = o->checkpoint;
        } else {
            long next = (r->step / o->checkpoint_every + 1) * o->checkpoint_every;
            char was[PATH_MAX + 64] = "no checkpoint written yet";
            if (r->saved_in)
                snprintf(was, sizeof(was), "checkpoint %s at step %ld is as it was", r->saved_in,
                         r->saved);
            if (r->step < o->steps)
                fprintf(stderr,
                        "%ssrres-train: %s; training goes on and tries again at step "
                        "%ld (%s)\n",
                        r->tty && !o->quiet ? "\r\033[K" : "", ce.message,
                        next < o->steps ? next : o->steps, was);
            else
                fprintf(stderr,
                        "%ssrres-train: %s; the model is written without it (%s) "
                        "and the run will exit with status 1\n",
                        r->tty && !o->quiet ? "\r\033[K" : "", ce.message, was);
            r->checkpoint_failed = r->step == o->steps;
        }
    }
}

void train_steps(run *r)
{
    const options *o = &r->o;
    srres_error e;
    loop s = {0};
    size_t hr_side = (size_t)o->patch * o->scale;
    s.lr = malloc(sizeof(float) * o->batch * 3 * o->patch * o->patch);
    s.hr = malloc(sizeof(float) * o->batch * 3 * hr_side * hr_side);
    if (!s.lr || !s.hr)
        cli_die("out of memory");
    s.params = srres_model_params(r->model);
    s.np = srres_model_num_params(r->model);
    if (o->average > 0 && srres_adam_average(&r->adam, s.params, (float)o->average, &e) != SRRES_OK)
        cli_die("%s", e.message);
    /* The average is what is validated and written; the weights wait here meanwhile. */
    s.held = r->adam.avg && r->val.count ? malloc(sizeof(float) * s.np) : NULL;
    if (r->adam.avg && r->val.count && !s.held)
        cli_die("out of memory");
    /* Targets are in [0, 1], so any output in [0, 1] loses at most 1 (MSE or L1): a loss
     * of an output ten times the pixel range off on average (MSE 100, L1 10) is no
     * training step's overshoot but a run gone; it is stopped before its model is written. */
    s.diverged = o->loss == SRRES_LOSS_MSE ? 100 : 10;
    r->tty = isatty(STDERR_FILENO);
    s.start = now();
    s.ema = NAN;
    s.ema_norm = NAN;
    s.lr_patch = (size_t)3 * o->patch * o->patch;
    s.hr_patch = 3 * hr_side * hr_side;
    r->saved = r->step;
    r->saved_in = o->resume;
    training_started();
    while (r->step < o->steps && !r->stopping) {
        draw_batch(r, &s);
        take_step(r, &s);
        double t = now();
        count_rate(r, &s, t);
        int validate = validate_step(r, &s);
        double elapsed = r->seconds_before + (t - s.start);
        log_step(r, &s, validate, elapsed);
        if (!o->quiet)
            say_progress(r, &s, t);
        checkpoint_step(r, elapsed);
        /* A signal that came during this step's validation or checkpoint stops the run at
         * this step (saved just now, or by the stop): one more step would be trained after the
         * user asked to stop, and saved again or lost. */
        if ((validate || r->step % o->checkpoint_every == 0) && r->step < o->steps && !r->stopping)
            r->stopping = stop_agreed(r);
    }
    r->elapsed = r->seconds_before + (now() - s.start);
    if (r->tty && !o->quiet)
        fputc('\n', stderr);
    free(s.lr);
    free(s.hr);
    free(s.held);
}

void say_waited(const run *r)
{
    double share = waited_share(r->waited, r->fed_from, now());
    if (!r->o.quiet && r->d.rank == 0 && share >= 0.1)
        fprintf(stderr, "srres-train: training waited for decoded frames %.0f%% of the time; "
                        "more --loader-threads (now %d) would shorten the run\n",
                100 * share, r->o.loader_threads);
}
