/* options.c: srres-train's command line: its usage text, the long options and parse_args,
 * which fills the options from them (options.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundled_model.h"
#include "cli.h"
#include "distributed.h"
#include "options.h"

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
const char *const sched_names[3] = {"cosine", "step", "constant"};
const char *const loss_names[2] = {"mse", "l1"};
const char *const dtype_names[3] = {"f32", "f16", "bf16"};

const char *option_name(int opt)
{
    for (const struct option *l = long_options; l->name; l++)
        if (l->val == opt)
            return l->name;
    return "?";
}

void parse_args(options *o, input_list *inputs, input_list *vals, char *given, int argc,
                char **argv, int rank)
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
            if (!rank && c == 'h')
                usage(stdout);
            else if (!rank)
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
