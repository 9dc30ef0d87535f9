/* checkpoint.c: what a checkpoint records of a run besides its weights and Adam moments, so
 * that --resume carries it on exactly: the options that define it (run_options), where it
 * writes, its validation files, its inputs and its position; and the checkpoint's writing. */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/avstring.h>
#include <libavutil/bprint.h>

#include "cli.h"
#include "same_file.h"
#include "train.h"

/* The options that define a run are stored in checkpoints so --resume continues it exactly;
 * these are the "train.*" metadata keys. */
void set_meta(srres_model *m, const char *key, const char *fmt, ...)
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

const char *get_meta(const srres_model *m, const char *key, const char *path)
{
    const char *v = srres_model_get_metadata(m, key);
    if (!v)
        cli_die("%s: not a srres-train checkpoint (no '%s')", path, key);
    return v;
}

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

void run_options(const options *o, run_option_fn *put, void *ctx)
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

int is_utf8(const char *s)
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
const char *recorded_name(const char *path, char *buf, size_t n)
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
char *recorded_vals(const input_list *vals)
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

/* FNV-1a of s and its terminating zero into *h. */
void hash_text(uint64_t *h, const char *s)
{
    for (;; s++) {
        *h = (*h ^ (uint8_t)*s) * 0x100000001b3ull;
        if (!*s)
            break;
    }
}

/* The inputs as a run knows them: their number and a hash of their names, which stay the
 * same when the files move (input_list_name is a path's shortest distinct tail). */
void inputs_id(const input_list *inputs, char *buf, size_t n)
{
    uint64_t h = HASH_START;
    for (int i = 0; i < inputs->count; i++)
        hash_text(&h, input_list_name(inputs, i));
    snprintf(buf, n, "%d:%016" PRIx64, inputs->count, h);
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
char *run_inputs(const srres_model *resumed, const input_list *inputs, const sampler *smp)
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

/* The run at the sampler's position (round, offset): the next patch it trains on. */
int write_checkpoint(srres_model *m, const srres_adam *adam, const options *o, uint64_t round,
                     int offset, const char *path, double seconds, srres_error *err)
{
    store_run(m, o, round, offset, seconds);
    return srres_checkpoint_save(m, adam, path, err);
}

/* The checkpoint the run stops at. A write that fails (a full disk) leaves the last
 * checkpoint as it was, the one at step `saved` in saved_in (NULL: none yet): the line names
 * it, so that the run is not taken for lost. */
void save_checkpoint(srres_model *m, const srres_adam *adam, const options *o, uint64_t round,
                     int offset, const char *path, double seconds, long saved, const char *saved_in)
{
    srres_error err;
    if (write_checkpoint(m, adam, o, round, offset, path, seconds, &err) == SRRES_OK)
        return;
    if (saved_in)
        cli_die("%s; checkpoint %s at step %ld is as it was (continue from it with --resume %s)",
                err.message, saved_in, saved, saved_in);
    cli_die("%s", err.message);
}
