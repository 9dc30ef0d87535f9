/* srres-video: upscales the video of a file with an SRResNet model and writes a new file,
 * copying every other stream untouched.
 *
 * Threads and queues:
 *   reader  demux, decode, --vf-pre and conversion to RGB  --q_in-->  sr
 *   sr      srres_upscale (the library's threads use every core)  --q_out-->  writer
 *   reader  packets of copied streams  --q_out-->  writer
 *   writer  conversion back, --vf-post, encode, mux
 * The queues are bounded, so memory is too. The output is written under a temporary name
 * beside the target and renamed once its trailer is written: a failed run leaves nothing
 * under the target's name; an interrupted one leaves a complete file of the frames done. A
 * URL (a stream, standard output) is written as it is.
 *
 * This file holds main: the run's setup in order, the threads, the signals and the end.
 * The parts live in tools/video/, a file an idea; app.h holds the state they share. */
#include <errno.h>
#include <getopt.h>
#include <libavutil/avstring.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "concat.h"
#include "input_name.h"
#include "numbered_name.h"
#include "openblas_core.h"
#include "progress.h"
#include "same_file.h"
#include "video/app.h"
#include "video/libav_log.h"

#define QUEUE_BYTES ((size_t)256 << 20)

/* Atomic: a handler runs on whichever thread the kernel picks (an OpenBLAS worker too),
 * and the reader polls the count from its own. Lock-free, so a handler may use them. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "signal flags need lock-free atomics");
static atomic_int signals_seen, last_signal;

static void on_signal(int sig)
{
    atomic_store(&last_signal, sig);
    atomic_fetch_add(&signals_seen, 1);
}

/* SIGUSR1 only interrupts a blocking read in the reader (it is not a stop request). */
static void on_nudge(int sig)
{
    (void)sig;
}

/* The stop signals seen so far: the reader and the input's reads poll it. */
int signals_received(void)
{
    return atomic_load(&signals_seen);
}

/* Records the first error and stops the pipeline. */
void set_error(app *a, const char *fmt, ...)
{
    pthread_mutex_lock(&a->err_lock);
    if (!a->error[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(a->error, sizeof(a->error), fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&a->err_lock);
    atomic_store(&a->failed, 1);
    if (a->q_in)
        frame_queue_abort(a->q_in);
    if (a->q_out)
        frame_queue_abort(a->q_out);
}

static void free_item(void *item, int kind)
{
    if (kind == KIND_FRAME) {
        AVFrame *f = item;
        av_frame_free(&f);
    } else {
        AVPacket *p = item;
        av_packet_free(&p);
    }
}

static long expected_frames(const app *a)
{
    AVStream *ist = a->ifmt->streams[a->vin];
    AVRational fr = av_guess_frame_rate(a->ifmt, ist, NULL);
    double tb = av_q2d(ist->time_base);
    double dur = ist->duration != AV_NOPTS_VALUE ? ist->duration * tb
                 : a->ifmt->duration > 0         ? a->ifmt->duration / (double)AV_TIME_BASE
                                                 : 0;
    /* The frames of the range -ss, -t or --segment chose, at the frame rate. */
    double start = ist->start_time != AV_NOPTS_VALUE ? ist->start_time * tb : 0;
    double from = a->lo != INT64_MIN ? FFMAX(a->lo * tb, start) : start;
    double to = a->hi != INT64_MAX ? FFMIN(a->hi * tb, start + dur) : start + dur;
    long n = a->lo == INT64_MIN && a->hi == INT64_MAX && ist->nb_frames > 0 ? (long)ist->nb_frames
             : fr.num && dur > 0 ? (long)((to - from) * av_q2d(fr) + 0.5)
                                 : 0;
    /* Cover art (an MP3's, an M4A's) is one picture, whatever its clock says (1/94041
     * frames, ETA 2:40:54, on an MP3 of a second). */
    if (ist->disposition & AV_DISPOSITION_ATTACHED_PIC)
        n = 1;
    if (a->o.max_frames > 0 && (n <= 0 || n > a->o.max_frames))
        n = a->o.max_frames;
    return n > 0 ? n : 0;
}

static void cleanup(app *a)
{
    if (a->ofmt && !(a->ofmt->oformat->flags & AVFMT_NOFILE))
        avio_closep(&a->ofmt->pb);
    avformat_free_context(a->ofmt);
    for (unsigned i = 0; i < a->nb_adts; i++)
        av_bsf_free(&a->adts[i]);
    av_free(a->adts);
    avformat_close_input(&a->ifmt);
    avcodec_free_context(&a->dec);
    avcodec_free_context(&a->enc);
    video_graph_free(&a->pre);
    video_graph_free(&a->post);
    video_graph_free(&a->fit);
    for (int i = 0; i < a->npending; i++)
        av_packet_free(&a->pending[i]);
    av_free(a->pending);
    frame_queue_free(a->q_in, free_item);
    frame_queue_free(a->q_out, free_item);
    srres_ctx_free(a->ctx);
    sws_freeContext(a->alpha_sws);
    srres_model_free(a->model);
    free(a->map);
    av_dict_free(&a->o.enc_opts);
    av_dict_free(&a->o.mux_opts);
    av_dict_free(&a->o.demux_opts);
    clock_mend_free(&a->mend);
    free(a->mux_dts);
    output_target_free(&a->target);
    av_freep(&a->input_url);
}

int main(int argc, char **argv)
{
    cli_std_fds();
    openblas_core_choose(argv);
    static app a;
    a.o =
        (options){.crf = -1, .queue = 4, .start_us = AV_NOPTS_VALUE, .duration_us = AV_NOPTS_VALUE};
    a.first_pts_us = AV_NOPTS_VALUE;
    cli_init("srres-video", NULL);
    parse_options(&a.o, argc, argv);
    /* Our own messages say what failed; libav's detail is for -v. SVT-AV1 prints past
     * av_log, at the level SVT_LOG says (1 errors, 3 information); a user's own is kept. */
    av_log_set_level(a.o.verbose ? AV_LOG_INFO : AV_LOG_FATAL);
    av_log_set_callback(on_libav_log);
    setenv("SVT_LOG", a.o.verbose ? "3" : "1", 0);
    if (a.o.concat) {
        int status = concat_segments(a.o.concat, a.o.overwrite, a.o.quiet, a.o.mux_opts,
                                     argv + optind, argc - optind);
        av_dict_free(&a.o.mux_opts);
        return status;
    }
    /* A file named "file:NAME" is read as itself, and where there is none, FFmpeg reads
     * "file:NAME" as NAME: the checks against the output look at the file read (the input
     * was replaced, or its numbered files written over, with -y). */
    a.input_url = input_url(a.o.input, &a.input_file);
    name_input_url(a.input_url, a.o.input);
    /* A URL (a stream) is sent to as it is: no file to compare or keep. */
    int url = output_is_url(a.o.output);
    if (!url && access(a.input_file, F_OK) == 0 && same_file(a.input_file, a.o.output))
        cli_die("%s: the output is the input file", a.o.output);
    if (!url && !a.o.overwrite && access(a.o.output, F_OK) == 0)
        cli_die("%s: already exists; use -y to overwrite", a.o.output);
    /* -y replaces only a file the user may write, as ffmpeg's -y, which opens it for writing:
     * the rename put a new file in place of a read-only one, its folder being writable. */
    if (!url && a.o.overwrite && access(a.o.output, F_OK) == 0 && access(a.o.output, W_OK) != 0)
        cli_die("%s: cannot overwrite it: %s", a.o.output, strerror(errno));
    pthread_mutex_init(&a.err_lock, NULL);

    choose_output_format(&a);
    choose_encoder(&a);
    open_input(&a);
    choose_cover_encoder(&a); /* the input says whether it is cover art */
    open_network(&a);
    open_pre_graph(&a);
    check_post_graph(&a);
    /* Handled from before the temporary file exists, which a signal must not leave behind. */
    struct sigaction sa = {.sa_handler = on_signal}, nudge = {.sa_handler = on_nudge};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A closed terminal or dropped ssh is a stop request, unless the run was started under
     * nohup, which ignores SIGHUP to ask it to outlive its terminal. */
    struct sigaction hup;
    if (sigaction(SIGHUP, NULL, &hup) != 0 || hup.sa_handler != SIG_IGN)
        sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &nudge, NULL);
    signal(SIGXFSZ, SIG_IGN); /* past a file size limit a write fails, and the run with it */
    /* A closed reader of stderr (2>&1 | head) or of the output pipe makes writes fail, as an
     * error of the output's or not at all, instead of killing the run mid-file. */
    signal(SIGPIPE, SIG_IGN);
    /* A piece whose range holds no keyframe (segment_bounds) has no frame: not the job's
     * failure (a scheduler held the join back, or ran it without this file). Its file says it
     * is empty, and --concat passes over it, so every I of N is run and every name joined.
     * Written only now, as any piece is, so that a command line that fails the others (a
     * missing model, a bad graph) fails it too. */
    if (a.o.segments && a.lo >= a.hi) {
        if (!a.o.quiet)
            fprintf(stderr,
                    "srres-video: %s: segment %d/%d holds no frames (no keyframe in its "
                    "range); %s is written empty, for --concat to pass over\n",
                    a.o.input, a.o.segment, a.o.segments, a.o.output);
        char eb[ERR_SIZE];
        int ret = write_empty_segment(a.ofmt, a.o.output, a.o.segment, a.o.segments, a.o.mux_opts,
                                      signals_received);
        if (ret == AVERROR_EXIT)
            fprintf(stderr, "srres-video: %s: stopped by a signal; nothing written\n", a.o.output);
        else if (ret < 0)
            fprintf(stderr, "srres-video: %s: cannot write: %s\n", a.o.output, av_err(ret, eb));
        cleanup(&a);
        return ret == AVERROR_EXIT ? 128 + last_signal : ret < 0 ? 1 : 0;
    }
    open_output(&a);
    if (signals_seen) {
        output_target_abandon(&a.target);
        return 128 + last_signal;
    }
    /* Each queue's frames hold at most QUEUE_BYTES of upscaled pixels (an 8K frame is 100 MB;
     * a frame larger alone), counted frame by frame: numbered images and streams that change
     * size each have their own size and network format (a 16-bit RGBA image after 8-bit RGB
     * ones is 2.7 times the bytes), which a depth set by the first frame let past the bound.
     * At most --queue frames; copied packets share the output queue, a few slots more. */
    a.q_in = frame_queue_create(a.o.queue, QUEUE_BYTES, 1);
    a.q_out = frame_queue_create(a.o.queue + 8, QUEUE_BYTES, 2); /* sr frames, packets */
    if (!a.q_in || !a.q_out)
        cli_die("out of memory");

    if (a.o.verbose)
        fprintf(stderr, "srres-video: %s: %dx%d %s -> x%d %s via %s; %s\n", a.o.input, a.dec->width,
                a.dec->height, av_get_pix_fmt_name(a.dec->pix_fmt), a.scale, a.o.output,
                av_get_pix_fmt_name(a.net_fmt), a.o.model);
    progress prog;
    progress_init(&prog, stderr, expected_frames(&a), a.o.quiet);
    /* A thread that cannot start (out of memory, a process limit) stops those before it,
     * which are joined: the run ends with the error and leaves no file. */
    enum { READER, SR, WRITER, THREADS };
    static const char *const names[THREADS] = {"reader", "network", "writer"};
    void *(*const mains[THREADS])(void *) = {reader_main, sr_main, writer_main};
    pthread_t threads[THREADS];
    int started = 0, err = 0;
    while (started < THREADS &&
           !(err = pthread_create(&threads[started], NULL, mains[started], &a)))
        started++;
    if (err)
        set_error(&a, "cannot start the %s thread: %s", names[started], strerror(err));
    int announced = 0;
    while (started == THREADS) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (signals_seen && !announced) {
            if (!a.o.quiet)
                fprintf(stderr, "\nsrres-video: stopping: finishing the frames in flight "
                                "(again to abort)\n");
            announced = 1;
        }
        if (signals_seen > 1)
            set_error(&a, "aborted by a second signal");
        /* Out of a read that may never return (a stalled pipe), once the input's reads give
         * up (input_interrupted): every tick, as a read begun just after a nudge would
         * sleep through it. */
        if (announced && !atomic_load(&a.reading_done))
            pthread_kill(threads[READER], SIGUSR1);
        progress_update(&prog, atomic_load(&a.frames_out), atomic_load(&a.media_us) / 1e6);
        if (pthread_tryjoin_np(threads[WRITER], NULL) == 0)
            break;
    }
    for (int i = READER; i < started && i < WRITER; i++) /* the writer is joined above */
        pthread_join(threads[i], NULL);

    int failed = atomic_load(&a.failed);
    if (a.ofmt && !(a.ofmt->oformat->flags & AVFMT_NOFILE) && avio_closep(&a.ofmt->pb) < 0 &&
        !failed) {
        set_error(&a, "%s: cannot finish writing: %s", a.o.output, strerror(errno));
        failed = 1;
    }
    if (!failed && output_target_commit(&a.target) < 0) {
        if (errno == EEXIST)
            set_error(&a, "%s: " OUTPUT_APPEARED, a.o.output);
        else
            set_error(&a, "%s: cannot rename the finished file into place: %s", a.o.output,
                      strerror(errno));
        failed = 1;
    }
    if (failed) {
        output_target_abandon(&a.target);
        if (!a.o.quiet && prog.tty)
            fputc('\n', stderr);
        fprintf(stderr, "srres-video: %s\n", a.error);
        cleanup(&a);
        return signals_seen > 1 ? 128 + last_signal : 1; /* aborted: the signal's status */
    }
    progress_finish(&prog, atomic_load(&a.frames_out), atomic_load(&a.media_us) / 1e6, a.o.output);
    if (a.damaged > 1 && !a.o.quiet)
        fprintf(stderr, "srres-video: %s: %ld damaged video packets or frames skipped in all\n",
                a.o.input, a.damaged);
    if (a.damaged_copied > 1 && !a.o.quiet)
        fprintf(stderr, "srres-video: %s: %ld damaged packets of copied streams skipped in all\n",
                a.o.input, a.damaged_copied);
    /* image2 ends a numbered sequence at a missing number, without a word, as ffmpeg does */
    const AVStream *ist = a.ifmt->streams[a.vin];
    char name[PATH_MAX], next[PATH_MAX], missing[PATH_MAX];
    int64_t last = !strcmp(a.ifmt->iformat->name, "image2") && !signals_seen && !a.o.quiet
                       ? input_numbered_gap(a.input_file, ist->duration, next, sizeof(next))
                       : -1;
    if (last >= 0 && last < INT_MAX &&
        av_get_frame_filename(name, sizeof(name), a.input_file, (int)last) >= 0 &&
        av_get_frame_filename(missing, sizeof(missing), a.input_file, (int)last + 1) >= 0)
        fprintf(stderr,
                "srres-video: %s: the sequence ends at %s, as %s is missing: %s and later "
                "numbers were not read\n",
                a.o.input, name, missing, next);
    /* Said even under -q, as the folder is not what the run made: -y writes over the names
     * of its numbers alone. */
    long stale = a.numbered && a.o.overwrite
                     ? numbered_others(a.o.output, a.first_number, a.first_number + a.images - 1,
                                       0, name, sizeof(name))
                     : 0;
    char more[48] = "";
    if (stale > 1)
        snprintf(more, sizeof(more), " and %ld more", stale - 1);
    if (stale)
        fprintf(stderr,
                "srres-video: %s%s of the name %s %s from before this run (it wrote %ld): the "
                "folder mixes two runs\n",
                name, more, a.o.output, stale > 1 ? "are" : "is", a.images);
    /* Said even under -q: the file is good to play but not the whole job. */
    if (signals_seen) {
        long done = atomic_load(&a.frames_out), all = expected_frames(&a);
        fprintf(stderr, "srres-video: stopped by a signal: %s %s the first %ld frames", a.o.output,
                a.target.is_url ? "was sent" : "holds", done);
        if (all > done)
            fprintf(stderr, " of about %ld", all);
        fputc('\n', stderr);
    }
    if (a.o.verbose) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        fprintf(stderr,
                "srres-video: network busy %.2f s, waiting for input %.2f s; queue high "
                "water %d of %d (%.1f MB of upscaled frames; output queue %.1f MB; at most "
                "%zu each); peak memory %ld MB\n",
                a.sr_busy, a.sr_wait, frame_queue_high_water(a.q_in), a.o.queue,
                frame_queue_high_bytes(a.q_in) / 1048576.0,
                frame_queue_high_bytes(a.q_out) / 1048576.0, QUEUE_BYTES >> 20,
                ru.ru_maxrss / 1024);
    }
    cleanup(&a);
    return signals_seen ? 128 + last_signal : 0;
}
