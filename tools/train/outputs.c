/* outputs.c: the files a run writes (model, checkpoint, log), checked before anything is
 * written: that they can be, that none is a file it reads or another of them, and that none
 * holds an earlier run unless -y says so. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "same_file.h"
#include "train.h"

/* Fails now what srres_model_save and srres_checkpoint_save would refuse after hours of
 * training: a folder, a link that leads nowhere, a folder that takes no files or not this
 * name (a new file is created under its own name and removed; beside an existing one, or
 * the file its link names, where it is saved, another is). A device or FIFO is written in
 * place. */
static void check_writable(const char *path, int rank)
{
    /* Rank 0 writes for all; the others would race it for a new file's name. */
    if (rank)
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

/* The files the run writes, named (the checkpoint beside the model unless given) and checked
 * before anything is written; and their names as checkpoints record them. */
void choose_outputs(run *r)
{
    options *o = &r->o;
    /* Fail now, not after hours of training, if the results cannot be written. */
    check_writable(o->output, r->d.rank);
    if (!o->checkpoint) {
        /* OUT.ckpt beside a device would be a file in /dev: asked for rather than made. */
        if (special_file(o->output))
            cli_die("%s: not a regular file, so the checkpoint cannot go beside it as %s.ckpt; "
                    "give --checkpoint FILE",
                    o->output, o->output);
        snprintf(r->default_ckpt, sizeof(r->default_ckpt), "%s.ckpt", o->output);
        o->checkpoint = r->default_ckpt;
    }
    check_writable(o->checkpoint, r->d.rank);
    check_paths_apart(o, &r->inputs, &r->vals);
    check_no_earlier_run(o, r->model);
    if (!o->quiet)
        warn_validation_trained_on(&r->inputs, &r->vals);
    /* Checkpoints record where the run writes, in metadata, which is UTF-8 text. */
    if (!is_utf8(o->output))
        cli_die("%s: checkpoints record the output's name as UTF-8 text; this one is not",
                o->output);
    if (!is_utf8(o->checkpoint))
        cli_die("%s: checkpoints record their own name as UTF-8 text; this one is not",
                o->checkpoint);
    o->output_rec = recorded_name(o->output, r->rec[0], sizeof(r->rec[0]));
    o->checkpoint_rec = recorded_name(o->checkpoint, r->rec[1], sizeof(r->rec[1]));
    o->log_rec = o->log ? recorded_name(o->log, r->rec[2], sizeof(r->rec[2])) : NULL;
}
