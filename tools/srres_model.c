/* srres-model: looks into model files and converts them.
 *   srres-model info FILE...                 configuration, parameters, every metadata key
 *   srres-model convert IN OUT [--dtype T]   rewrite (e.g. F32 -> F16); a trainer checkpoint
 *                                            becomes the model its run writes
 *     [--average-with FILE]...               the mean of IN's weights and each FILE's
 *   srres-model compact IN OUT               a trainer checkpoint at half the size, to resume
 * (an existing OUT only with -y) */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavutil/avstring.h>
#include <libavutil/bprint.h>

#include "bundled_model.h"
#include "cli.h"
#include "openblas_core.h"
#include "run_metadata.h"
#include "srres.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: srres-model info FILE|NAME... (NAME: a bundled model, e.g. x4)\n"
               "       srres-model convert IN OUT [-y] [--dtype f32|f16|bf16 (default f32)]\n"
               "                                  [--description TEXT]\n"
               "                                  [--meta KEY=VALUE]... [--average-with FILE]...\n"
               "       srres-model compact CHECKPOINT OUT [-y]\n"
               "       srres-model --help | --version\n"
               "An existing OUT is refused unless -y is given.\n");
}

/* A model file, or the model a srres-train checkpoint's run writes (its weights' average if
 * it keeps one); NULL, with the message in e, if it cannot be read. `steps` (or NULL) gets
 * whether it is such a checkpoint: its run's steps, else 0. */
static srres_model *try_load(const char *path, long *steps, srres_error *e)
{
    srres_model *m;
    if (srres_model_load(path, &m, e) != SRRES_OK)
        return NULL;
    const char *run_steps = srres_model_get_metadata(m, "train.steps");
    if (steps)
        *steps = run_steps ? strtol(run_steps, NULL, 10) : 0;
    /* A checkpoint's inputs so far become the card's trained_on, as they do in the model its
     * run ends with: a model taken from a checkpoint said nothing of its data. */
    const char *inputs = srres_model_get_metadata(m, "train.trained_on");
    if (inputs && !srres_model_get_metadata(m, "trained_on")) {
        char *copy = strdup(inputs);
        if (!copy || srres_model_set_metadata(m, "trained_on", copy, e) != SRRES_OK)
            cli_die("%s: %s", path, copy ? e->message : "out of memory");
        free(copy);
    }
    run_metadata_strip(m); /* a checkpoint's train.* keys; a model file has none */
    return m;
}

static srres_model *load(const char *path)
{
    srres_error e;
    srres_model *m = try_load(path, NULL, &e);
    if (!m)
        cli_die("%s", e.message);
    return m;
}

/* Metadata is the file's text, not ours: its control characters (a terminal's escape
 * sequences, C1's CSI among them, or a line break that would fake a further key) are shown
 * as \xHH and \u00HH, never sent to the terminal; a backslash of the text is doubled, so
 * that the two read apart. */
static void print_text(const char *s)
{
    for (const char *p = s; *p; p++) {
        int control = cli_control_bytes(p);
        if (*p == '\\')
            fputs("\\\\", stdout);
        else if (control == 1)
            printf("\\x%02x", (unsigned char)*p);
        else if (control == 2)
            printf("\\u%04x", (unsigned char)*++p);
        else
            putchar(*p);
    }
}

static void print_metadata(const char *key, const char *value)
{
    fputs("  ", stdout);
    print_text(key);
    fputs(": ", stdout);
    print_text(value);
    putchar('\n');
}

/* Where a srres-train checkpoint's run stands, which the model it gives does not say: its
 * step and whether that model is the weights' average (nothing, for a file with a run's keys
 * but no optimizer state). */
static void print_checkpoint(const char *path, long steps)
{
    srres_model *m;
    srres_adam adam;
    srres_error e;
    if (srres_checkpoint_load(path, &m, &adam, &e) != SRRES_OK)
        return;
    printf("  checkpoint: srres-train's, at step %lld of %ld; the weights are %s (resume it with "
           "srres-train --resume)\n",
           (long long)adam.step, steps,
           adam.avg ? "their moving average, as the run's model" : "the run's");
    srres_adam_release(&adam);
    srres_model_free(m);
}

/* Prints what path holds; -1 (said) if it cannot be read. */
static int info(const char *path)
{
    long steps;
    srres_error e;
    srres_model *m = try_load(path, &steps, &e);
    if (!m) {
        fprintf(stderr, "srres-model: %s\n", e.message);
        return -1;
    }
    const srres_config *c = srres_model_config(m);
    char net[128];
    printf("%s: %s, variant %s, %zu parameters, %.0f MACs per input pixel\n", path,
           cli_network(net, sizeof(net), c),
           srres_model_variant(m) == SRRES_VARIANT_SRGAN ? "srgan" : "seed",
           srres_model_num_params(m), srres_model_macs_per_pixel(m));
    /* The card's keys first, then any other (--meta KEY=VALUE, another tool's). */
    static const char *const keys[] = {"description", "trained_on", "training"};
    const size_t nkeys = sizeof(keys) / sizeof(keys[0]);
    for (size_t i = 0; i < nkeys; i++) {
        const char *v = srres_model_get_metadata(m, keys[i]);
        if (v)
            print_metadata(keys[i], v);
    }
    for (int i = 0; i < srres_model_metadata_count(m); i++) {
        const char *key = srres_model_metadata_key(m, i);
        size_t k = 0;
        while (k < nkeys && strcmp(key, keys[k]))
            k++;
        if (k == nkeys)
            print_metadata(key, srres_model_get_metadata(m, key));
    }
    srres_model_free(m);
    if (steps)
        print_checkpoint(path, steps);
    return 0;
}

/* What a mean's card is made of: each model's file name and its own card's keys. */
typedef struct mean_card {
    AVBPrint names, training, trained_on;
} mean_card;

/* The length of the name `p` starts with, in a list joined by ", " as srres-train writes
 * trained_on (a name may hold a comma of its own). */
static size_t name_length(const char *p)
{
    const char *sep = strstr(p, ", ");
    return sep ? (size_t)(sep - p) : strlen(p);
}

static int holds_name(const char *list, const char *name, size_t n)
{
    for (const char *p = list; *p;) {
        size_t m = name_length(p);
        if (m == n && !strncmp(p, name, n))
            return 1;
        p += m + (p[m] ? 2 : 0);
    }
    return 0;
}

/* Appends the names of `list` that `out` does not hold yet: each input is named once, as
 * across a resumed run's sessions. */
static void add_inputs(AVBPrint *out, const char *list)
{
    for (const char *p = list; p && *p;) {
        size_t n = name_length(p);
        if (!holds_name(out->str, p, n))
            av_bprintf(out, "%s%.*s", out->len ? ", " : "", (int)n, p);
        p += n + (p[n] ? 2 : 0);
    }
}

static void card_add(mean_card *c, const srres_model *m, const char *path)
{
    const char *name = av_basename(path);
    const char *training = srres_model_get_metadata(m, "training");
    av_bprintf(&c->names, "%s%s", c->names.len ? ", " : "", name);
    /* ". " between them: a training says "; " itself. */
    av_bprintf(&c->training, ". %s%s%s", name, training ? ": " : "", training ? training : "");
    add_inputs(&c->trained_on, srres_model_get_metadata(m, "trained_on"));
}

/* Adds `path`'s weights to m's, for a mean of models (a "model soup": runs that went on
 * from one start land near each other, and their mean can beat each of them). */
static void add_weights(srres_model *m, const char *in, const char *path, mean_card *card)
{
    srres_model *o = load(path);
    if (!srres_model_same_layout(m, o))
        cli_die("%s: not the same network as %s, cannot average them", path, in);
    float *w = srres_model_params(m);
    const float *v = srres_model_params_const(o);
    for (size_t i = 0, n = srres_model_num_params(m); i < n; i++)
        w[i] += v[i];
    card_add(card, o, path);
    srres_model_free(o);
}

static void set_card(srres_model *m, const char *key, const char *value)
{
    srres_error e;
    if (srres_model_set_metadata(m, key, value, &e) != SRRES_OK)
        cli_die("%s", e.message);
}

/* A mean's card says it is one, of which models, trained how and on what: it kept the
 * first model's, which described that model alone. Keys given with --description or --meta
 * are left as given. */
static void write_mean_card(srres_model *m, const mean_card *c, int models, int description_given,
                            int training_given, int trained_on_given)
{
    AVBPrint text;
    av_bprint_init(&text, 0, AV_BPRINT_SIZE_UNLIMITED);
    const char *first = srres_model_get_metadata(m, "description");
    av_bprintf(&text, "The mean of the weights of %d models: %s", models, c->names.str);
    if (first)
        av_bprintf(&text, " (the first: %s)", first);
    if (!av_bprint_is_complete(&text) || !av_bprint_is_complete(&c->training) ||
        !av_bprint_is_complete(&c->trained_on))
        cli_die("out of memory");
    if (!description_given)
        set_card(m, "description", text.str);
    av_bprint_clear(&text);
    av_bprintf(&text, "the mean of the weights of %d models%s", models, c->training.str);
    if (!av_bprint_is_complete(&text))
        cli_die("out of memory");
    if (!training_given)
        set_card(m, "training", text.str);
    if (!trained_on_given && c->trained_on.len)
        set_card(m, "trained_on", c->trained_on.str);
    av_bprint_finalize(&text, NULL);
}

/* An existing file is not written over unless -y says so: a model written over a checkpoint
 * (convert run.ckpt run.ckpt, or a slip of the names) took its run's optimizer state and
 * options without a word. Devices and FIFOs keep nothing to lose. */
static void refuse_existing(const char *path, int overwrite)
{
    struct stat st;
    if (!overwrite && stat(path, &st) == 0 && S_ISREG(st.st_mode))
        cli_die("%s: already exists; use -y to overwrite", path);
}

/* The whole checkpoint, run options included, so srres-train --resume goes on from it. */
static void compact(const char *in, const char *out)
{
    srres_model *m;
    srres_adam adam;
    srres_error e;
    if (srres_checkpoint_load(in, &m, &adam, &e) != SRRES_OK)
        cli_die("%s", e.message);
    if (srres_checkpoint_save_compact(m, &adam, out, &e) != SRRES_OK)
        cli_die("%s", e.message);
    srres_adam_release(&adam);
    srres_model_free(m);
}

int main(int argc, char **argv)
{
    cli_std_fds();
    cli_init("srres-model", NULL);
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) /* after --, -h is a file's name */
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        }
    if (argc > 1 && !strcmp(argv[1], "--version")) {
        if (argc > 2)
            cli_not_an_option(argv[2], "--version takes nothing after it");
        openblas_core_choose(argv); /* the kernels the other tools run with, not Prescott's */
        cli_version();
        return 0;
    }
    /* As the other tools: status 1 for what is missing, 2 for a word that is no option. */
    if (argc < 2)
        cli_die("give a command: info, convert or compact (see --help)");
    if (argv[1][0] == '-')
        cli_not_an_option(argv[1], "give a command first: info, convert or compact");
    if (!strcmp(argv[1], "info")) {
        int first = 2 + (argc > 2 && !strcmp(argv[2], "--")); /* as the other tools take -- */
        if (argc <= first)
            cli_die("info: give model files");
        /* Every file is shown, an unreadable one said and the status made 1, as srres-eval
         * scores every image it can. */
        char file[PATH_MAX + 64], err[PATH_MAX + 768];
        int status = 0;
        for (int i = first; i < argc; i++) {
            const char *path = bundled_model_lookup(file, sizeof(file), "info", argv[i], err,
                                                    sizeof(err));
            if (!path)
                fprintf(stderr, "srres-model: %s\n", err);
            if (!path || info(path) < 0)
                status = 1;
        }
        return status;
    }
    if (!strcmp(argv[1], "compact")) {
        int overwrite = argc == 5 && !strcmp(argv[4], "-y");
        if (argc != 4 && !overwrite)
            cli_die("compact: give a checkpoint and the file to write (and -y to overwrite it)");
        refuse_existing(cli_file("compact", argv[3]), overwrite);
        compact(cli_file("compact", argv[2]), argv[3]);
        return 0;
    }
    if (strcmp(argv[1], "convert"))
        cli_die("%s: not a command: info, convert or compact (see --help)", argv[1]);
    if (argc < 4)
        cli_die("convert: give the model to read and the file to write");
    static const char *const dtypes[] = {"f32", "f16", "bf16"};
    srres_dtype dtype = SRRES_DTYPE_F32;
    cli_file("convert", argv[3]);
    srres_model *m = load(cli_file("convert", argv[2]));
    srres_error e;
    int models = 1, description_given = 0, training_given = 0, trained_on_given = 0;
    int overwrite = 0;
    mean_card card;
    av_bprint_init(&card.names, 0, AV_BPRINT_SIZE_UNLIMITED);
    av_bprint_init(&card.training, 0, AV_BPRINT_SIZE_UNLIMITED);
    av_bprint_init(&card.trained_on, 0, AV_BPRINT_SIZE_UNLIMITED);
    card_add(&card, m, argv[2]);
    static const char *const valued[] = {"--dtype", "--description", "--meta", "--average-with"};
    for (int i = 4; i < argc; i++) {
        for (size_t k = 0; k < sizeof(valued) / sizeof(*valued); k++)
            if (!strcmp(argv[i], valued[k]) && i + 1 == argc)
                cli_die("convert: %s needs a value (see --help)", argv[i]);
        if (!strcmp(argv[i], "-y")) {
            overwrite = 1;
        } else if (!strcmp(argv[i], "--dtype")) {
            dtype = (srres_dtype)cli_choice("--dtype", argv[++i], dtypes, 3);
        } else if (!strcmp(argv[i], "--description")) {
            description_given = 1;
            if (srres_model_set_metadata(m, "description", argv[++i], &e) != SRRES_OK)
                cli_die("%s", e.message);
        } else if (!strcmp(argv[i], "--meta")) {
            /* Card fields such as trained_on, e.g. for a model taken from a checkpoint. */
            char key[128];
            const char *kv = argv[++i], *eq = strchr(kv, '=');
            if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key))
                cli_die("convert: --meta wants KEY=VALUE, not '%s'", kv);
            snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
            /* A model loaded drops them (run_metadata_strip): one written here went unseen. */
            if (!strncmp(key, "train.", 6))
                cli_die("convert: --meta %s: train.* keys are srres-train's run state, which "
                        "models do not keep",
                        key);
            if (srres_model_set_metadata(m, key, eq + 1, &e) != SRRES_OK)
                cli_die("%s", e.message);
            description_given |= !strcmp(key, "description");
            training_given |= !strcmp(key, "training");
            trained_on_given |= !strcmp(key, "trained_on");
        } else if (!strcmp(argv[i], "--average-with")) {
            add_weights(m, argv[2], cli_file("--average-with", argv[++i]), &card);
            models++;
        } else {
            cli_die("convert: unexpected argument '%s' (see --help)", argv[i]);
        }
    }
    if (models > 1) {
        float *w = srres_model_params(m);
        for (size_t i = 0, n = srres_model_num_params(m); i < n; i++)
            w[i] /= (float)models;
        write_mean_card(m, &card, models, description_given, training_given, trained_on_given);
    }
    av_bprint_finalize(&card.names, NULL);
    av_bprint_finalize(&card.training, NULL);
    av_bprint_finalize(&card.trained_on, NULL);
    refuse_existing(argv[3], overwrite);
    if (srres_model_save(m, argv[3], dtype, &e) != SRRES_OK)
        cli_die("%s", e.message);
    srres_model_free(m);
    return 0;
}
