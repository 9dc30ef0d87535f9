/* resume.c: a run started from an earlier one's file. --resume takes back what its
 * checkpoint recorded (checkpoint.c): the run's options, checked against those given again,
 * its position, where it wrote and what it validated on; --init takes its model's network
 * where no option says otherwise. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "same_file.h"
#include "train.h"

/* A resumed run's validation files when no --val is given: its run's. One that is not here
 * (moved, or the run carried to another machine) leaves the run without validation, said in
 * one line as a log gone is (resumed_path): figures on part of the set would not compare. */
static void resumed_vals(const srres_model *m, const char *path, input_list *vals, int rank)
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
            if (rank == 0)
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

/* A path the checkpoint recorded (key), copied into buf; else `fallback`. One in a folder
 * that is not here (the run moved, or was carried to another machine, as srres-model compact
 * is for) is refused naming the option `opt` that names another: "cannot write there" named
 * a folder the user had not given. The log (opt NULL) is worth less than the run's hours, as
 * drop_log has it: the run goes on without one, and says so (by rank 0, `rank` this
 * process's). */
static const char *resumed_path(const srres_model *m, const char *key, const char *path, char *buf,
                                size_t n, const char *fallback, const char *opt, int rank)
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
        if (rank == 0)
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
void take_init_network(options *o, const srres_model *from, const char *given)
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

/* A resumed run: its checkpoint's model and Adam moments, its options (those given again
 * checked), its position, and the files it wrote and validated on unless given anew. */
void resume_run(run *r)
{
    options *o = &r->o;
    srres_error e;
    if (srres_checkpoint_load(o->resume, &r->model, &r->adam, &e) != SRRES_OK)
        cli_die("%s", e.message);
    check_resumed_options(r->model, o, o->resume, r->given);
    /* Other inputs make another stream of patches: allowed (pictures added to a long
     * run, say), but said, as the run no longer equals an uninterrupted one. */
    const char *had = srres_model_get_metadata(r->model, "train.inputs");
    if (had && strcmp(had, o->inputs_id) && !o->quiet)
        fprintf(stderr, "srres-train: %s: its run had other inputs (%.*s then, %d now); the "
                        "patches go on from another stream than an uninterrupted run's\n",
                o->resume, (int)strcspn(had, ":"), had, r->inputs.count);
    restore_run(r->model, o, o->resume, r->given, &r->round, &r->offset, &r->seconds_before);
    if (!r->given[OPT_VAL])
        resumed_vals(r->model, o->resume, &r->vals, r->d.rank);
    /* Another --steps stretches a cosine schedule over the new length: a finished run
     * carried on climbs back from --lr-min, which its loss showed at once and nothing
     * said. */
    long ran_to = meta_long(r->model, o->resume, "train.steps", 1, LONG_MAX),
         at = (long)r->adam.step;
    options before = *o;
    before.steps = ran_to;
    double was = learning_rate(&before, at), now_lr = learning_rate(o, at);
    if (o->sched == SCHEDULE_COSINE && was != now_lr && !o->quiet)
        fprintf(stderr, "srres-train: %s: its cosine schedule ran to step %ld; over %ld steps, "
                        "the rate at step %ld goes from %.3g to %.3g\n",
                o->resume, ran_to, o->steps, at, was, now_lr);
    if (!r->given['o'])
        o->output = resumed_path(r->model, "train.output", o->resume, r->resumed_output,
                                 sizeof(r->resumed_output), o->output, "-o", r->d.rank);
    /* Carried on alone, the run writes its checkpoint where it did; given another
     * output, it is another run, checkpointed beside that output. */
    if (!r->given[OPT_CKPT] && !r->given['o'])
        o->checkpoint = resumed_path(r->model, "train.checkpoint", o->resume,
                                     r->resumed_checkpoint, sizeof(r->resumed_checkpoint),
                                     o->checkpoint, "--checkpoint", r->d.rank);
    /* Its log likewise ("" for none): a run stopped and resumed alone logged nothing more.
     * A device or FIFO (a terminal, a pipe) was its session's, not the run's. */
    if (!r->given[OPT_LOG] && !r->given['o']) {
        o->log = resumed_path(r->model, "train.log", o->resume, r->resumed_log,
                              sizeof(r->resumed_log), NULL, NULL, r->d.rank);
        if (o->log && (!*o->log || special_file(o->log)))
            o->log = NULL;
    }
    const srres_config *cfg = srres_model_config(r->model);
    o->scale = cfg->scale;
    o->blocks = cfg->blocks;
    o->channels = cfg->channels;
    o->image_skip = cfg->image_skip;
    r->step = (long)r->adam.step;
    /* At exactly --steps the run is complete: it writes its model without a step more, so
     * rerunning a finished run gives its model again. */
    if (r->step > o->steps)
        cli_die("%s: the checkpoint is at step %ld; give --steps of at least that", o->resume,
                r->step);
}
