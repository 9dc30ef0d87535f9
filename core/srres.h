/*
 * srres.h: the one public interface of libsrres, an SRResNet super-resolution library.
 *
 * The network (Ledig et al., "Photo-Realistic Single Image Super-Resolution Using a
 * Generative Adversarial Network", 2017): a 9x9 head conv + PReLU, B residual blocks
 * (conv3x3-PReLU-conv3x3-PReLU + x), a trunk conv added to the head's output, one to three
 * sub-pixel upsampling stages (conv3x3, pixel shuffle, PReLU) and a 9x9 tail conv to RGB.
 * Optionally the LR image, each pixel repeated scale x scale times, is added to the tail's
 * output ("nearest" image skip). Models are safetensors files; see docs/model-format.md.
 *
 * Shape of the API:
 *   - srres_model: the weights, loaded from a file or created for training. Immutable while
 *     contexts use it, so one model can serve several contexts on several threads, which
 *     may create their contexts and upscale at the same time.
 *   - srres_ctx: everything needed to run the model on frames: buffers, worker threads,
 *     kernel choice. One call at a time per context, from any thread (not only the one
 *     that created it); contexts share only the model, which they read, so one per thread
 *     of use lets frames run in parallel.
 *   - srres_trainer / srres_adam: forward with saved activations, backward, optimiser.
 * Every call that can fail returns an srres_status and, when `err` is not NULL, writes a
 * one-line message into it that names the file, tensor or field at fault. Other pointer
 * arguments may be NULL only where said (the *_free and *_release calls take NULL). The
 * library never prints, never exits and keeps no global mutable state of its own. It does
 * its threading itself, so creating a context or trainer sets OpenBLAS to one thread
 * (openblas_set_num_threads(1)), OpenBLAS's process-wide setting.
 */
#ifndef SRRES_H
#define SRRES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libsrres is built with hidden symbols: what this header declares is its whole ABI. */
#ifdef __GNUC__
#pragma GCC visibility push(default)
#endif

/* Until 1.0 the ABI (the structs' layouts included: they carry no size field) may change
 * with the minor version, and the shared library's soname with it: libsrres.so.0.MINOR.
 * What the API gains moves it too, so that a program can ask for a version that has it
 * (0.3: SRRES_PIXEL_RGBP8 and SRRES_PIXEL_BGR0; 0.4: srres_trainer_create_kernel and
 * srres_model_find). */
#define SRRES_VERSION_MAJOR 0
#define SRRES_VERSION_MINOR 4

typedef enum srres_status {
    SRRES_OK = 0,
    SRRES_ERR_IO,          /* a file could not be opened, read or written */
    SRRES_ERR_FORMAT,      /* a model or checkpoint file is malformed */
    SRRES_ERR_INVALID,     /* an argument is out of range or inconsistent */
    SRRES_ERR_NOMEM,       /* an allocation failed */
    SRRES_ERR_UNSUPPORTED  /* valid, but not something this build can do */
} srres_status;

/* A message for the caller to print; always NUL-terminated. */
typedef struct srres_error {
    char message[320];
    int sys_errno; /* the errno behind an SRRES_ERR_IO failure (ENOENT, EACCES, ...), else 0 */
} srres_error;

/* A short fixed name for a status ("malformed file", ...). */
const char *srres_status_string(srres_status status);

/* ---- Network description -------------------------------------------------------------- */

typedef enum srres_image_skip {
    SRRES_SKIP_NONE = 0, /* the seed network: output = tail */
    SRRES_SKIP_NEAREST   /* output = tail + LR upsampled by pixel repetition */
} srres_image_skip;

typedef enum srres_variant {
    SRRES_VARIANT_SEED = 0, /* conv-PReLU-conv-PReLU blocks */
    SRRES_VARIANT_SRGAN     /* conv-BN-PReLU-conv-BN blocks; BN is folded at load */
} srres_variant;

typedef struct srres_config {
    int scale;                   /* 2, 3, 4 or 8 */
    int blocks;                  /* residual blocks, >= 0 */
    int channels;                /* feature channels, >= 1 */
    srres_image_skip image_skip; /* what is added to the tail's output */
    int prelu_per_channel;       /* models created here: 1 slope per channel, else 1 per layer */
} srres_config;

/* ---- Models ---------------------------------------------------------------------------- */

typedef struct srres_model srres_model;

/* Storage type of weights in a written file. */
typedef enum srres_dtype {
    SRRES_DTYPE_F32 = 0,
    SRRES_DTYPE_F16,
    SRRES_DTYPE_BF16
} srres_dtype;

/* Loads a safetensors model file (F32, F16 or BF16; seed or srgan variant). A training
 * checkpoint (srres_checkpoint_save) loads as the model its run would write: its weights, or
 * their average if it keeps one. */
srres_status srres_model_load(const char *path, srres_model **model, srres_error *err);

/* The same from a buffer; `name` (NULL: "model") is used in messages. The buffer is not
 * kept. */
srres_status srres_model_load_memory(const void *data, size_t size, const char *name,
                                     srres_model **model, srres_error *err);

/* The model file a model option's value names (as the tools' -m and the filter's model=
 * take it), in `path` (`size` bytes): the value itself where a file of that name exists (a
 * folder is no model) or where it holds a '/' or a '.'; else the first of the `ndirs`
 * folders' VALUE.safetensors that can be read ("x2": x2.safetensors). SRRES_ERR_IO (ENOENT)
 * if none, the message saying which models the first folder holds: "x3: no such file, nor a
 * model of that name (x2, x2-fast, x4 in DIR)"; SRRES_ERR_INVALID, naming it, if a path that
 * does not fit in `size` kept it from being found. Nothing is loaded. */
srres_status srres_model_find(const char *value, const char *const *dirs, int ndirs, char *path,
                              size_t size, srres_error *err);

/* A model with every parameter zero, for training. */
srres_status srres_model_create(const srres_config *config, srres_model **model,
                                srres_error *err);

/* He-normal convs (ICNR for the upsampling convs so they start free of checkerboard), the
 * second conv of every block and the tail scaled by 0.1, zero biases, PReLU slopes 0.25. */
void srres_model_init_random(srres_model *model, uint64_t seed);

/* Copies every tensor of `src` whose name and shape also exist in `dst` (e.g. a x4 model's
 * head and body from a x2 model). Returns how many tensors were copied. */
int srres_model_copy_matching(srres_model *dst, const srres_model *src);

/* Whether the two models hold the same tensors (names and shapes, in the same order), so
 * their parameter blocks line up value for value (as averaging models needs). */
int srres_model_same_layout(const srres_model *a, const srres_model *b);

/* Writes the model as safetensors, atomically (temporary file PATH.tmp-PID-N, then rename),
 * with the mode fopen would give it; the temporaries that earlier saves of PATH killed
 * before their rename left beside it are removed, those of processes still running kept.
 * Values that do not fit the chosen dtype are rejected rather than stored as infinity, and
 * so is a file the loaders would refuse: over 4 GiB, or a header (the metadata) over
 * 100 MiB; checkpoints too. */
srres_status srres_model_save(const srres_model *model, const char *path, srres_dtype dtype,
                              srres_error *err);

void srres_model_free(srres_model *model);

const srres_config *srres_model_config(const srres_model *model);

/* The variant the file described (srgan models run as seed models after BN folding). */
srres_variant srres_model_variant(const srres_model *model);

/* Free-form string metadata kept with the model (e.g. "description", "trained_on").
 * The reserved keys of the format (format, version, scale, ...) and the "optimizer." ones
 * of checkpoints are not settable; a NULL value removes the key. */
const char *srres_model_get_metadata(const srres_model *model, const char *key);
srres_status srres_model_set_metadata(srres_model *model, const char *key, const char *value,
                                      srres_error *err);
/* The free-form keys, for listing: i in [0, count). */
int srres_model_metadata_count(const srres_model *model);
const char *srres_model_metadata_key(const srres_model *model, int i);

/* All parameters, one contiguous block (llm.c style), in the order of the model file's
 * tensors; see docs/model-format.md. */
size_t srres_model_num_params(const srres_model *model);
float *srres_model_params(srres_model *model);
const float *srres_model_params_const(const srres_model *model);

/* Multiply-accumulates of one forward pass per LR input pixel (for GFLOP/s figures). */
double srres_model_macs_per_pixel(const srres_model *model);

/* ---- Running a model on images ---------------------------------------------------------- */

typedef enum srres_kernel {
    SRRES_KERNEL_AUTO = 0, /* the fastest path this CPU supports: AVX-512, else AVX2 + FMA,
                              else the baseline */
    SRRES_KERNEL_BASELINE, /* im2col + OpenBLAS sgemm, the reference path */
    SRRES_KERNEL_AVX2      /* the AVX2 + FMA fast path, for comparing paths (on AVX-512
                              CPUs too); FP32 only; SRRES_ERR_UNSUPPORTED without AVX2 */
} srres_kernel;

typedef enum srres_precision {
    SRRES_PRECISION_FP32 = 0, /* within 1/255 of PyTorch FP32 */
    SRRES_PRECISION_BF16      /* faster where bf16 dot products outrun FP32 FMA (Zen 4, not
                                 Intel's Xeons); needs AVX512_BF16; see README */
} srres_precision;

typedef struct srres_params {
    int threads;               /* the context's own worker threads; 0 = one per CPU the
                                  process may use (so contexts busy at once, each with 0,
                                  oversubscribe the CPUs). The
                                  output is the same bit for bit for any number at one tile
                                  size; but each thread's scratch counts in max_memory, so
                                  where a frame is tiled automatically the size, and with it
                                  the output's last bits (about 1e-6), may change with it;
                                  a set `tile` makes the output independent of it. */
    int tile;                  /* LR tile side in pixels; 0 = automatic, <0 = untiled */
    srres_kernel kernel;       /* SRRES_KERNEL_AUTO unless comparing paths */
    srres_precision precision; /* SRRES_PRECISION_FP32 unless opted out */
    size_t max_memory;         /* bytes of buffers the automatic tile size keeps within;
                                  0 = 1 GiB. Frames larger than that are tiled. Tiles are
                                  never under 32 pixels a side (with their borders, about
                                  90 MB for 16 x 64 at x4), whatever the budget. */
    int ensemble;              /* 1 (or 0): one pass. 2, 4 or 8: the mean of the model's
                                  outputs on that many flips and transposes of the input
                                  (self-ensemble): a little more detail, at that many
                                  times the time; see docs/models.md */
} srres_params;

srres_params srres_default_params(void);

typedef enum srres_pixel_format {
    SRRES_PIXEL_RGB24 = 0, /* packed 8-bit R,G,B; one plane */
    SRRES_PIXEL_RGBP16,    /* planar native-endian 16-bit R, G, B planes, full range 0..65535 */
    SRRES_PIXEL_RGBP_F32,  /* planar float R, G, B planes, 0..1 and finite (NaN input gives
                              kernel-dependent output); output is clamped */
    SRRES_PIXEL_RGBP8,     /* planar 8-bit R, G, B planes (FFmpeg's gbrp, planes reordered) */
    SRRES_PIXEL_BGR0       /* packed 8-bit B, G, R and a byte unread and written 255; one plane
                              (FFmpeg's bgr0, FFV1's 8-bit RGB) */
} srres_pixel_format;

/* An image the caller owns. Planar formats use data[0..2] as R, G, B; linesize is in bytes
 * from one row to the next, negative for images stored bottom-up. Planes and line sizes of
 * the planar formats are multiples of their sample size (1, 2 or 4 bytes). */
typedef struct srres_image {
    srres_pixel_format format;
    int width, height;
    void *data[3];
    ptrdiff_t linesize[3];
} srres_image;

typedef struct srres_ctx srres_ctx;

/* The model must outlive the context. `params` may be NULL: srres_default_params(). */
srres_status srres_ctx_create(const srres_model *model, const srres_params *params,
                              srres_ctx **ctx, srres_error *err);
void srres_ctx_free(srres_ctx *ctx);

/* Upscales `in` into `out`, which must be scale times larger in both dimensions and must
 * not overlap it in memory (SRRES_ERR_INVALID if any plane's range, first row to last, meets
 * one of the other image's). The two may be of different pixel formats. 8-bit input is
 * divided by 255; output is clamped to [0, 1], multiplied by the format's maximum and
 * rounded to nearest. Arguments are checked, and buffers reserved, before anything is
 * written; a failure after that may leave `out` part-written, tile by tile. */
srres_status srres_upscale(srres_ctx *ctx, const srres_image *in, const srres_image *out,
                           srres_error *err);

/* The LR tile side the context uses for a given input size (0 = untiled). */
int srres_ctx_tile_size(const srres_ctx *ctx, int width, int height);

/* ---- Training ----------------------------------------------------------------------------
 * The loop, as in llm.c:  loss = srres_trainer_forward(...); srres_trainer_zero_grad(...);
 * srres_trainer_backward(...); srres_adam_update(...). Gradients share the parameters'
 * layout, so reductions across processes are one call on one buffer. */

typedef enum srres_loss {
    SRRES_LOSS_MSE = 0,
    SRRES_LOSS_L1
} srres_loss;

typedef struct srres_trainer srres_trainer;

/* `batch` patches of patch x patch LR pixels; `threads` as in srres_params. */
srres_status srres_trainer_create(srres_model *model, int batch, int patch, int threads,
                                  srres_trainer **trainer, srres_error *err);
/* The same on the layers of `kernel`, chosen as srres_params.kernel is (srres_trainer_create
 * is SRRES_KERNEL_AUTO): the paths' gradients agree to float rounding, not bit for bit. */
srres_status srres_trainer_create_kernel(srres_model *model, int batch, int patch, int threads,
                                         srres_kernel kernel, srres_trainer **trainer,
                                         srres_error *err);
void srres_trainer_free(srres_trainer *trainer);

/* lr: [batch][3][patch][patch], hr: [batch][3][patch*scale][patch*scale], floats in [0, 1],
 * planar RGB per patch. Runs the network (unclamped output) and returns the mean loss over
 * every output value; NaN, running nothing, for a `loss` that is not one of srres_loss's.
 * Inputs are copied; the caller may reuse them. */
float srres_trainer_forward(srres_trainer *trainer, const float *lr, const float *hr,
                            srres_loss loss);

/* Copies the network's output of the last forward pass into `out`, laid out like `hr`. */
void srres_trainer_output(const srres_trainer *trainer, float *out);

void srres_trainer_zero_grad(srres_trainer *trainer);

/* Accumulates d(loss)/d(parameters) of the last forward pass into the gradient buffer. */
void srres_trainer_backward(srres_trainer *trainer);

/* The gradient buffer: srres_model_num_params() floats, in the parameters' order. */
float *srres_trainer_grads(srres_trainer *trainer);

/* Adam (Kingma & Ba) with bias correction; moments in two contiguous buffers. */
typedef struct srres_adam {
    float beta1, beta2, eps; /* 0.9, 0.999, 1e-8 after srres_adam_init; kept in checkpoints,
                              * which take betas in [0, 1) and eps above 0 */
    int64_t step;            /* updates done so far; checkpoints take 0 .. 2^53 */
    size_t n;                /* parameter count */
    float *m, *v;            /* first and second moments, n floats each */
    float *avg;              /* NULL, or the parameters' moving average (n floats) */
    float avg_decay;         /* avg = avg_decay * avg + (1 - avg_decay) * params per update */
} srres_adam;

srres_status srres_adam_init(srres_adam *adam, size_t n, srres_error *err);
void srres_adam_release(srres_adam *adam);
/* One update of `params` (n floats); then, if an average is kept, of the average. */
void srres_adam_update(srres_adam *adam, float *params, const float *grads, float lr);
/* Keeps an exponential moving average of the parameters from now on (Polyak averaging): at a
 * constant learning rate it averages out the steps' noise, as annealing the rate would,
 * while the run goes on learning. It starts from `params`; one already kept is kept and
 * takes the new decay, in (0, 1). */
srres_status srres_adam_average(srres_adam *adam, const float *params, float decay,
                                srres_error *err);

/* A checkpoint is a model file (F32 here) plus the Adam moments ("optimizer.m", "optimizer.v")
 * and the step ("optimizer.step" metadata), and the parameters' average if one is kept
 * ("optimizer.avg", "optimizer.avg_decay"); other metadata is the caller's to set on the
 * model before saving. Written atomically. */
srres_status srres_checkpoint_save(const srres_model *model, const srres_adam *adam,
                                   const char *path, srres_error *err);
/* The same at half the size, to carry a long run across machines: weights and average in
 * F16 (a weight beyond F16's range is an error), moments in BF16. Resuming from it
 * continues the run to within that rounding, no longer exactly. */
srres_status srres_checkpoint_save_compact(const srres_model *model, const srres_adam *adam,
                                           const char *path, srres_error *err);
/* Loads a checkpoint (either kind); `adam` is initialised from it (release it with
 * srres_adam_release), and left empty on failure, so releasing it then is safe too. */
srres_status srres_checkpoint_load(const char *path, srres_model **model, srres_adam *adam,
                                   srres_error *err);
/* The same from a buffer; `name` (NULL: "checkpoint") is used in messages. */
srres_status srres_checkpoint_load_memory(const void *data, size_t size, const char *name,
                                          srres_model **model, srres_adam *adam,
                                          srres_error *err);

/* ---- Random numbers --------------------------------------------------------------------
 * xoshiro256** (Blackman & Vigna): small state, so trainers can checkpoint it exactly. */
typedef struct srres_rng {
    uint64_t s[4];
} srres_rng;

void srres_rng_seed(srres_rng *rng, uint64_t seed);
uint64_t srres_rng_u64(srres_rng *rng);
/* Uniform in [0, n); n > 0. */
uint32_t srres_rng_below(srres_rng *rng, uint32_t n);
/* Uniform in [0, 1). */
double srres_rng_uniform(srres_rng *rng);
/* Standard normal. */
double srres_rng_normal(srres_rng *rng);

#ifdef __GNUC__
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* SRRES_H */
