/* app.h: the state srres-video's parts share, one app a run (each field's comment says
 * which thread has it, where it is one's), and the functions they call across files, under
 * the file that holds them. */
#ifndef SRRES_VIDEO_APP_H
#define SRRES_VIDEO_APP_H

#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavformat/avformat.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#include "frame_queue.h"
#include "input_name.h"
#include "output_file.h"
#include "srres.h"
#include "video_graph.h"

#include "options.h"

/* What a queue item is: q_out carries both. */
enum { KIND_FRAME = 1, KIND_PACKET = 2 };

/* What is added to an input's timestamps after its clock's jumps (MPEG-TS and -PS), and each
 * of its first `count` streams' next decoding time, both in AV_TIME_BASE units; `says` marks
 * the streams whose jumps count. */
typedef struct clock_mend {
    int64_t offset, *next_dts, *pts_end; /* pts_end: each stream's latest presentation end */
    char *says;
    unsigned count; /* the streams at the start: those that appear mid-file are dropped */
    int jumps;
} clock_mend;

/* What a picture's source holds, as its output is chosen for it: its pixel format, whether it
 * has alpha (a palette: a pixel not opaque), and its colour description. */
typedef struct source_format {
    enum AVPixelFormat fmt;
    int alpha;
    enum AVColorSpace space;
    enum AVColorRange range;
    enum AVColorPrimaries primaries;
    enum AVColorTransferCharacteristic trc;
    enum AVChromaLocation chroma;
} source_format;

typedef struct app {
    options o;
    output_target target;   /* target.temp is written, then renamed to target.final */
    char *input_url;        /* what libavformat opens for -i (input_url) */
    const char *input_file; /* the path read: -i (-i file:a.png: file:a.png where a file has
                               that name, else a.png), pipe:0 for -, or the URL */
    int output_opened;      /* the output is open: a first signal no longer interrupts it */
    int one_picture;        /* an image output without a frame number in its name */
    int numbered;           /* an image output with one: a file a frame, written directly */
    long images;            /* writer: the video packets written, the numbered files made */
    int64_t first_number;   /* the first numbered file's number: image2's start_number */
    const char *rotate;     /* filters that apply a rotation the output cannot store, or "":
                               first in the pre graph */
    int told_interlaced;    /* sr thread: said that interlaced frames come out progressive */
    int told_dropped;       /* reader: said that later frames lose their alpha or colour */
    int rotate_checked;     /* reader: the first frame's own rotation taken (frame_rotation) */
    /* reader: the frame size, format and pixel aspect ratio the pre graph is built for */
    int in_w, in_h;
    enum AVPixelFormat in_fmt;
    AVRational in_sar;
    /* The time base and frame rate the pre graph gives, and the output's frame size and
     * aspect ratio, into which the writer fits frames of other sizes (open_pre_graph). */
    AVRational net_tb, net_rate, out_sar;
    int out_w, out_h;
    video_graph fit;        /* writer: scales and pads a frame of another size to out_w x out_h */
    int fit_w, fit_h;       /* the frame size and aspect ratio fit is built for */
    int fit_in_w, fit_in_h; /* what fit scales such a frame to, before padding it */
    AVRational fit_sar;
    /* The decoder's format and colour description as the pipeline was built: the reader's
     * decoder rewrites its own (H.264 at every SPS) while the writer builds the output. Every
     * output is chosen for it but numbered images, each chosen for its own source: in_src is
     * the reader's, carried with the frames (attach_source), post_src the writer's. */
    source_format src, in_src, post_src;
    AVFormatContext *ifmt, *ofmt;
    int vin;           /* input video stream */
    int *map;          /* input stream -> output stream, -1 dropped */
    unsigned nb_map;   /* the input's streams at the start, which map covers */
    unsigned told_new; /* reader: streams below this index that appeared later were said */
    AVCodecContext *dec, *enc;
    const AVCodec *enc_codec;
    video_graph pre, post;
    int post_ready, header_written;
    /* the frame size, format and aspect ratio the post graph is built for, and the format its
     * --vf-post names (format=gray), NONE where it names none */
    int post_w, post_h;
    enum AVPixelFormat post_fmt, post_named;
    AVRational post_sar;
    int post_scales;     /* writer: the post graph changes sizes by scaling alone (or not at all) */
    /* writer: the post graph's conversion keeps the matrix of --vf-post's frames, which are
     * YUV (post_keeps_matrix), and its frames say the output's */
    int post_keeps;
    int told_side_moved; /* writer: said that side data in pixels is dropped after it */
    srres_model *model;
    srres_ctx *ctx;
    int scale;
    /* RGB24 or GBRP16; GBRAP or GBRAP16 to carry alpha to the output, upscaled beside. The
     * reader's once the threads run: numbered images choose their own (network_format). */
    enum AVPixelFormat net_fmt;
    int grey_out;                 /* the output's format has no colour (a grey source's PNG) */
    int alpha_holdable;           /* the output would keep alpha, had the first frames any */
    int alpha_unread;             /* WebM alpha that no decoder here reads */
    int vpx_alpha;                /* reader: libvpx decodes WebM alpha ... */
    int vpx_alpha_read;           /* ... and has read some since it was opened */
    int told_alpha_unkeyed;       /* reader: said that alpha starts between keyframes */
    struct SwsContext *alpha_sws; /* sr thread: upscales the alpha plane */
    frame_queue *q_in, *q_out;
    AVBSFContext **adts; /* --segment: by input stream, an ADTS AAC one's header remover */
    unsigned nb_adts;    /* the streams adts covers: those at the start */
    AVPacket **pending;  /* copied packets that arrived before the header */
    int npending;
    /* The part of the input written, in the video stream's time base: frames and packets
     * with timestamps in [lo, hi) (-ss/-t or --segment), moved earlier by shift (the output
     * starts at zero: at the input's start, or at -ss; segments all move by the input's
     * start, so they join back). */
    int64_t lo, hi, shift;
    int64_t last_pts, frame_ticks; /* reader: the last frame's timestamp, one frame's ticks */
    /* reader: the end of the frames fed on (INT64_MIN: none yet), and where the video ends
     * after a stop signal (INT64_MAX: none came), in the video's time base */
    int64_t fed_end, stop_pts;
    /* reader: since when it reads on after a first stop signal, for the copied streams up to
     * the video's end (AV_NOPTS_VALUE: not yet), and whether it is done reading, till when the
     * main thread nudges it out of a read that may never return (input_interrupted) */
    int64_t read_on_from;
    atomic_int reading_done;
    /* reader: the last timestamp out of the pre graph, what is added to those of one built
     * anew (reopen_pre_graph), and whether it has given a frame yet */
    int64_t pre_last, pre_shift;
    int pre_fresh;
    /* reader: the pre graph's sink for copies of --vf-pre's frames (NULL: no --vf-pre), and
     * the last one's colour description, once one came */
    AVFilterContext *pre_colour;
    source_format pre_src;
    int pre_src_known;
    int64_t enc_pts;      /* writer: the last frame's timestamp at the encoder */
    long damaged;         /* reader: damaged video packets and frames skipped */
    long damaged_copied;  /* writer: damaged packets of copied streams skipped */
    clock_mend mend;      /* reader: the input's clock jumps taken out */
    const char *probe_us; /* how far the input was probed (NULL: libavformat's default) */
    int64_t *mux_dts;     /* writer: each output stream's last decoding time, in its time base */
    char model_file[PATH_MAX + 64]; /* o.model: -m's file or bundled model, or the default x4 */
    atomic_long frames_in, frames_sr, frames_out;
    atomic_llong media_us;   /* media written, for the progress line */
    int64_t first_pts_us;    /* writer thread: the first frame's start */
    double sr_wait, sr_busy; /* seconds the sr thread waited for input / ran the network */
    pthread_mutex_t err_lock;
    char error[1024];
    atomic_int failed;
} app;

/* frame_format.c */
int has_alpha(enum AVPixelFormat f);
int is_paletted(enum AVPixelFormat f);
int has_colour(enum AVPixelFormat f);
int is_colour_yuv(enum AVPixelFormat f);
int is_yuvj(enum AVPixelFormat f);
int same_shape(const AVFrame *f, int w, int h, AVRational sar);
size_t upscaled_bytes(const AVFrame *f, int scale);
int palette_transparent_in(const AVFrame *f);
int alpha_below_opaque(const AVFrame *f);
source_format frame_source(const AVFrame *f);
int same_source(const source_format *x, const source_format *y);
int attach_source(AVFrame *f, const source_format *s);
const source_format *source_of(const app *a, const AVFrame *f);

/* colour.c */
int source_is_rgb(const source_format *s);
const char *matrix_name(enum AVColorSpace cs);
int sets_matrix(const char *vf);
enum AVColorSpace output_space(const app *a, const source_format *s, int grey);
int post_keeps_matrix(const app *a, enum AVPixelFormat out);
enum AVColorSpace kept_space(const app *a, enum AVColorSpace said);
int full_range_out(const app *a, const source_format *s, enum AVPixelFormat out);
const char *chroma_sited(const source_format *s, const char *side, enum AVPixelFormat fmt,
                         char *buf, size_t n);

/* clock_mend.c */
void clock_mend_init(const app *a, clock_mend *m, const AVFormatContext *f);
void clock_mend_free(clock_mend *m);
void smooth_jumps(const app *a, clock_mend *m, const AVFormatContext *f, AVPacket *pkt);
int clock_jumps(app *a);

/* input.c */
AVRational frame_sar(const app *a, const AVFrame *frame);
int open_decoder(const AVStream *st, const AVCodec *codec, AVCodecContext **dec);
AVFormatContext *open_demuxer(app *a, const char *probe_us);
int unprobed(const AVStream *st);
void open_input(app *a);
int first_picture_transparent(app *a);

/* pre_graph.c */
void open_pre_graph(app *a);
int push_pre(app *a, AVFrame *frame);
int reopen_pre_graph(app *a, const AVFrame *frame);

/* reader.c */
void *reader_main(void *arg);

/* network.c */
/* Where a frame's pixels went: column x to off_x + x * sx, row y to off_y + y * sy (the
 * network's scale; a fitted frame's scale and padding). */
typedef struct side_data_map {
    AVRational sx, sy;
    int off_x, off_y;
} side_data_map;
/* Side data in pixel coordinates moved with the pixels: regions of interest (which encoders
 * read), detection boxes and HDR10+'s processing windows and their ellipses (which players
 * tone-map by). Returns 0 or AVERROR(ENOMEM). */
int map_side_data(AVFrame *f, const side_data_map *m);
enum AVPixelFormat network_format(const app *a, const source_format *s);
void open_network(app *a);
void *sr_main(void *arg);

/* encoder.c */
void choose_encoder(app *a);
void choose_cover_encoder(app *a);
int encoder_takes(const AVCodec *codec, int (*such)(enum AVPixelFormat));
int alpha_stored(const app *a, const AVCodec *codec);
enum AVPixelFormat output_format(const app *a, const AVCodec *codec, const source_format *s);
enum AVPixelFormat named_output_format(const AVCodec *codec, enum AVPixelFormat named);
void check_encoder_size(app *a);
int open_encoder(app *a, const AVFrame *f);
int drain_encoder(app *a);

/* writer.c */
void check_post_graph(app *a);
void *writer_main(void *arg);

/* output.c */
int write_packet(app *a, AVPacket *pkt, AVRational from, AVBSFContext *adts);
int write_copied(app *a, AVPacket *pkt);
int stream_kept(const app *a, unsigned i, const char **why);
void choose_output_format(app *a);
/* Whether the output is an image name with a frame number (out%04d.png): a file a frame. */
int numbered_output(const app *a);
void open_output(app *a);
const char *rotation_to_apply(const app *a);
const char *frame_rotation(const app *a, const AVFrame *f);

/* srres_video.c */
int signals_received(void);
void set_error(app *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
