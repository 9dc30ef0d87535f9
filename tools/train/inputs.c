/* inputs.c: the training inputs, opened for the patch sampler, and what is said of them:
 * those left out, given again, drawn at a larger scale or interlaced, at the start (with -v,
 * each one's size and frames), and at the end, their damaged frames. */
#include <stdio.h>

#include "cli.h"
#include "train.h"

/* Inputs too small for a patch, or with no region of that size without transparent pixels,
 * counted into r->skipped. */
static void say_left_out(run *r)
{
    const options *o = &r->o;
    /* They are left out, said in one line each as the folders' other files left out are,
     * with the first few named. */
    int region = sampler_region_side(r->smp);
    for (int why = SAMPLER_TOO_SMALL; why <= SAMPLER_TRANSPARENT; why++) {
        int n = 0;
        for (int i = 0; i < r->inputs.count; i++)
            n += sampler_file_skipped(r->smp, i) == why;
        r->skipped += n;
        if (!n || o->quiet)
            continue;
        fprintf(stderr,
                "srres-train: inputs %s a %dx%d HR patch with its margin%s: %d of %d, "
                "left out (",
                why == SAMPLER_TOO_SMALL ? "too small for" : "with no room for", region, region,
                why == SAMPLER_TOO_SMALL ? "" : " without fully transparent pixels", n,
                r->inputs.count);
        for (int i = 0, named = 0; i < r->inputs.count && named < 3; i++)
            if (sampler_file_skipped(r->smp, i) == why)
                fprintf(stderr, "%s%s", named++ ? ", " : "", input_list_name(&r->inputs, i));
        if (n > 3)
            fprintf(stderr, " and %d more; -v names them", n - 3);
        fprintf(stderr, "; a smaller --patch %s them)\n",
                why == SAMPLER_TOO_SMALL ? "takes" : "may take");
    }
}

/* Inputs drawn from a larger scale than --hr-scale's, and interlaced ones; with -v, every
 * input's size and frames. */
static void say_inputs(const run *r)
{
    const options *o = &r->o;
    int raised = 0;
    double highest = 0;
    for (int i = 0; i < r->inputs.count; i++) {
        double least = sampler_file_scale_min(r->smp, i);
        raised += least > o->sampler.hr_scale_min;
        highest = least > highest ? least : highest;
    }
    if (raised && !o->quiet && r->d.rank == 0)
        fprintf(stderr, "srres-train: inputs too small for a patch at --hr-scale %g: %d of %d, "
                        "drawn from the scale that holds one (up to %.3g; -v names them)\n",
                o->sampler.hr_scale_min, raised, r->inputs.count, highest);
    /* Patches of interlaced frames teach the network the combing of their two fields, as
     * srres-video says of the frames it upscales. */
    for (int i = 0; i < r->inputs.count && !o->quiet && r->d.rank == 0; i++)
        if (sampler_file_interlaced(r->smp, i) && !sampler_file_skipped(r->smp, i))
            fprintf(stderr, "srres-train: %s: interlaced frames, whose patches hold both fields "
                            "(combing and all); deinterlace it first (ffmpeg -vf bwdif)\n",
                    input_list_name(&r->inputs, i));
    if (o->verbose && !o->quiet && r->d.rank == 0)
        for (int i = 0; i < r->inputs.count; i++) {
            int w, h, frames = sampler_file(r->smp, i, &w, &h);
            double least = sampler_file_scale_min(r->smp, i);
            fprintf(stderr, "srres-train: %s: %dx%d, %d frame%s", input_list_name(&r->inputs, i),
                    w, h, frames, frames == 1 ? "" : "s");
            if (sampler_file_skipped(r->smp, i) == SAMPLER_TOO_SMALL)
                fprintf(stderr, ", too small for a patch: left out");
            else if (sampler_file_skipped(r->smp, i))
                fprintf(stderr, ", no room for a patch without transparent pixels: left out");
            else if (least > o->sampler.hr_scale_min)
                /* At or above --hr-scale's maximum, the range is that one scale. */
                fprintf(stderr, least < o->sampler.hr_scale_max ? ", drawn from scale %.3g up"
                                                                : ", drawn at scale %.3g",
                        least);
            fputc('\n', stderr);
        }
}

void open_inputs(run *r)
{
    options *o = &r->o;
    char err[512];
    o->sampler.scale = o->scale;
    o->sampler.patch = o->patch;
    o->sampler.seed = o->seed;
    o->sampler.threads = o->loader_threads;
    if (sampler_create(&r->smp, (const char *const *)r->inputs.paths, r->inputs.count, &o->sampler,
                       err, sizeof(err)) < 0)
        cli_die("%s", err);
    if (!o->quiet)
        input_list_say_skipped(&r->inputs, "srres-train");
    /* A training input given twice is drawn twice as often, which may be meant: said. A
     * validation image would weigh twice in the figures: taken once. */
    int again = input_list_repeats(&r->inputs, 0), val_again = input_list_repeats(&r->vals, 1);
    if (again < 0 || val_again < 0)
        cli_die("out of memory");
    if (again && !o->quiet)
        fprintf(stderr, "srres-train: %d input%s given again (the same file): drawn as often as "
                        "given\n", again, again == 1 ? "" : "s");
    if (val_again && !o->quiet)
        fprintf(stderr, "srres-train: %d --val image%s given again (the same file) left out: "
                        "each is validated once\n", val_again, val_again == 1 ? "" : "s");
    o->val_rec = recorded_vals(&r->vals);
    say_left_out(r);
    say_inputs(r);
    o->trained_on = run_inputs(o->resume ? r->model : NULL, &r->inputs, r->smp);
    if (o->resume)
        sampler_seek(r->smp, r->round, r->offset);
}

void say_damaged_inputs(const run *r)
{
    const options *o = &r->o;
    /* Damaged frames are found as they are read, so they are said at the end, one line an
     * input: a run on a damaged clip went on without a word, part of it never drawn from. */
    for (int i = 0; i < r->inputs.count && !o->quiet && r->d.rank == 0; i++) {
        int w, h, frames = sampler_file(r->smp, i, &w, &h), n = sampler_file_damaged(r->smp, i);
        if (n)
            fprintf(stderr,
                    "srres-train: %s: %d of %d frames damaged, left out (not decoded whole, or "
                    "predicted from one that was not); counted among the frames read, there "
                    "may be more\n",
                    input_list_name(&r->inputs, i), n, frames);
    }
}
