/* output.c: the output file: its format (-f or its name), which input streams go into it,
 * its chapters, and the file opened under its temporary name, before the threads start;
 * then the writer thread's packets into its muxer, a copied one moved after the one before
 * where its decoding time is not. */
#include <errno.h>
#include <fcntl.h>
#include <libavutil/avstring.h>
#include <libavutil/display.h>
#include <libavutil/opt.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "concat.h"
#include "numbered_name.h"

#include "app.h"
#include "libav_log.h"

/* adts: the filter that takes its ADTS headers off (take_adts_config), or NULL. */
int write_packet(app *a, AVPacket *pkt, AVRational from, AVBSFContext *adts)
{
    char eb[ERR_SIZE];
    int index = pkt->stream_index;
    av_packet_rescale_ts(pkt, from, a->ofmt->streams[index]->time_base);
    int64_t delay = output_codec_delay(a->ofmt, a->ofmt->streams[index]);
    if (pkt->pts != AV_NOPTS_VALUE)
        pkt->pts += delay;
    if (pkt->dts != AV_NOPTS_VALUE)
        pkt->dts += delay;
    pkt->pos = -1;
    int ret = adts ? av_bsf_send_packet(adts, pkt) : 0;
    if (adts && ret >= 0)
        ret = av_bsf_receive_packet(adts, pkt);
    if (ret >= 0)
        ret = av_interleaved_write_frame(a->ofmt, pkt);
    /* A copied packet the muxer finds damaged (a bitstream filter's: an AAC frame's broken
     * ADTS header) is skipped, as a damaged video packet is: it failed the whole run. */
    if (ret == AVERROR_INVALIDDATA && index != a->map[a->vin]) {
        av_err(ret, eb);
        if (a->damaged_copied++ == 0 && !a->o.quiet)
            fprintf(stderr, "srres-video: %s: skipping a damaged %s packet: %s\n", a->o.input,
                    avcodec_get_name(a->ofmt->streams[index]->codecpar->codec_id), eb);
        return 0;
    }
    if (ret < 0)
        set_error(a, "%s: cannot write: %s", a->o.output, av_err(ret, eb));
    return ret;
}

/* A copied packet: its timestamps are still in its input stream's time base. Its decoding
 * time must come after the one before, which a broken input or the streams about a clock's
 * jump (smooth_jumps) may not give: it is moved there, as ffmpeg moves it (the muxer
 * refused it, and the run failed). */
int write_copied(app *a, AVPacket *pkt)
{
    AVRational tb = a->ifmt->streams[pkt->stream_index]->time_base;
    AVBSFContext *adts =
        (unsigned)pkt->stream_index < a->nb_adts ? a->adts[pkt->stream_index] : NULL;
    pkt->stream_index = a->map[pkt->stream_index];
    AVRational otb = a->ofmt->streams[pkt->stream_index]->time_base;
    int64_t *last = &a->mux_dts[pkt->stream_index];
    if (pkt->dts != AV_NOPTS_VALUE) {
        int64_t dts = av_rescale_q(pkt->dts, tb, otb);
        int64_t least = *last + !(a->ofmt->oformat->flags & AVFMT_TS_NONSTRICT);
        if (*last != AV_NOPTS_VALUE && dts < least) {
            int64_t move = av_rescale_q_rnd(least - dts, otb, tb, AV_ROUND_UP);
            pkt->dts += move;
            if (pkt->pts != AV_NOPTS_VALUE)
                pkt->pts += move;
            dts = av_rescale_q(pkt->dts, tb, otb);
        }
        *last = dts;
    }
    return write_packet(a, pkt, tb, adts);
}

/* The filters that turn the stream's frames upright by its display matrix ("" if none). A
 * mirrored matrix (a front camera's) reads as a rotation too: the signs of its terms tell
 * them apart, as in ffmpeg (a mirror became a half turn, upside down). */
static const char *rotation_filter(const int32_t *m)
{
    if (!m)
        return "";
    double theta = -round(av_display_rotation_get(m));
    theta -= 360 * floor(theta / 360 + 0.9 / 360);
    if (fabs(theta - 90) < 1)
        return m[3] > 0 ? "transpose=cclock_flip," : "transpose=clock,";
    if (fabs(theta - 180) < 1)
        return m[4] < 0 ? "hflip,vflip," : "hflip,";
    if (fabs(theta - 270) < 1)
        return m[3] < 0 ? "transpose=clock_flip," : "transpose=cclock,";
    return fabs(theta) < 1 && m[4] < 0 ? "vflip," : "";
}

/* The filters that apply the video's rotation to its frames where the output cannot store
 * it, as ffmpeg does, or players would show them on their side ("" where it is stored, or
 * there is none). */
const char *rotation_to_apply(const app *a)
{
    const AVStream *st = a->ifmt->streams[a->vin];
    return output_mp4_family(a->ofmt->oformat)
               ? ""
               : rotation_filter(
                     (const int32_t *)av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL));
}

/* The rotation to apply from frame f on: one the frames carry and the stream does not (a
 * JPEG's EXIF orientation, an H.264 display orientation message) is applied whatever the
 * output, which has no stream matrix to keep it in, as ffmpeg applies the first frame's (a
 * phone's portrait photo came out on its side); else the stream's, as decided. */
const char *frame_rotation(const app *a, const AVFrame *f)
{
    const AVFrameSideData *sd = av_frame_get_side_data(f, AV_FRAME_DATA_DISPLAYMATRIX);
    if (!sd || sd->size < 9 * sizeof(int32_t) ||
        av_stream_get_side_data(a->ifmt->streams[a->vin], AV_PKT_DATA_DISPLAYMATRIX, NULL))
        return a->rotate;
    return rotation_filter((const int32_t *)sd->data);
}

/* Whether stream i is a timecode track (tmcd) whose timecode the video stream carries as
 * its tag: the output keeps that tag, and the MOV and MP4 muxers make the track anew from it,
 * so nothing is lost (it was reported as dropped, codec "none"). */
static int timecode_of_video(const app *a, unsigned i)
{
    const AVStream *ist = a->ifmt->streams[i];
    const AVDictionaryEntry *tc = av_dict_get(ist->metadata, "timecode", NULL, 0);
    const AVDictionaryEntry *v =
        av_dict_get(a->ifmt->streams[a->vin]->metadata, "timecode", NULL, 0);
    return ist->codecpar->codec_type == AVMEDIA_TYPE_DATA &&
           ist->codecpar->codec_tag == MKTAG('t', 'm', 'c', 'd') && tc && v &&
           !strcmp(tc->value, v->value);
}

/* Whether input stream i goes into the output (copied; the video upscaled). *why says why
 * not where a message is due, and is NULL where the options or the output format's own
 * handling make it (-an, a timecode track the muxer makes anew), or the demuxer's: MP4's
 * chapter track, which it reads as the chapters (copy_chapters) and gives no packet of, was
 * said to be dropped from every Matroska output. */
int stream_kept(const app *a, unsigned i, const char **why)
{
    const AVStream *ist = a->ifmt->streams[i];
    enum AVMediaType type = ist->codecpar->codec_type;
    *why = NULL;
    if ((int)i == a->vin)
        return 1;
    if ((type == AVMEDIA_TYPE_AUDIO && a->o.no_audio) ||
        (type == AVMEDIA_TYPE_SUBTITLE && a->o.no_subs) || type == AVMEDIA_TYPE_UNKNOWN ||
        timecode_of_video(a, i) || ist->discard == AVDISCARD_ALL)
        return 0;
    int fonts = type == AVMEDIA_TYPE_ATTACHMENT &&
                !strcmp(a->ofmt->oformat->name, "matroska"); /* its query knows no fonts */
    if (type == AVMEDIA_TYPE_VIDEO)
        *why = ist->disposition & AV_DISPOSITION_ATTACHED_PIC ? "cover art is not copied"
                                                              : "only one video stream is upscaled";
    else if (unprobed(ist))
        *why = "its parameters are unknown: none of its packets is near the input's start";
    else if (!fonts &&
             !output_takes_stream(a->ofmt->oformat, ist,
                                  output_m2ts(a->ofmt->oformat, a->o.output, a->o.mux_opts)))
        *why = "it cannot go into this format";
    return !*why;
}

/* Whether the numbered output names the input: the file itself, or where the input is a
 * numbered sequence too, the first files the image demuxer looks for (numbers 0 to 4). */
static int numbered_input(const char *input, const char *output)
{
    char name[PATH_MAX];
    if (numbered_includes(output, input))
        return 1;
    for (int k = 0; k < 5 && strchr(input, '%'); k++)
        if (av_get_frame_filename(name, sizeof(name), input, k) >= 0 && access(name, F_OK) == 0 &&
            numbered_includes(output, name))
            return 1;
    return 0;
}

/* Whether the input's chapter ids would be numbered anew by FFmpeg 5.1's Matroska muxer: one
 * is 0 (MOV's demuxer numbers them from 0) or two are the same. */
static int chapter_ids_renumbered(const AVFormatContext *in)
{
    for (unsigned i = 0; i < in->nb_chapters; i++) {
        if (!in->chapters[i]->id)
            return 1;
        for (unsigned j = 0; j < i; j++)
            if (in->chapters[j]->id == in->chapters[i]->id)
                return 1;
    }
    return 0;
}

/* Chapters, moved as the frames are and cut to the part written (they were dropped), which
 * starts at the output's zero at the earliest, as ffmpeg cuts them: a chapter from before an
 * input's start (an MP4 segment's first, which FFmpeg reads as starting at 0) was moved below
 * zero, where Matroska refused the header. Their ids are the input's, or where the Matroska
 * muxer would number them anew (1, 2... over the chapters of each file), their place among
 * all the input's: --concat tells a chapter a cut split by its id, and a segment of an MP4
 * input holding chapter 0 numbered its own anew, the others not, so the join merged two
 * chapters and lost one (a, b, c cut after b: a, then b running to c's end). */
static void copy_chapters(app *a)
{
    AVRational vtb = a->ifmt->streams[a->vin]->time_base;
    int64_t from = FFMAX(a->lo, a->shift);
    int renumbered = chapter_ids_renumbered(a->ifmt);
    for (unsigned i = 0; i < a->ifmt->nb_chapters; i++) {
        const AVChapter *ch = a->ifmt->chapters[i];
        int64_t start = av_rescale_q(ch->start, ch->time_base, vtb);
        int64_t end = av_rescale_q(ch->end, ch->time_base, vtb);
        if (end <= from || start >= a->hi)
            continue;
        start = FFMAX(start, from);
        end = FFMIN(end, a->hi);
        AVChapter *out = av_mallocz(sizeof(*out));
        AVChapter **grown =
            av_realloc_array(a->ofmt->chapters, a->ofmt->nb_chapters + 1, sizeof(*grown));
        if (!out || !grown || av_dict_copy(&out->metadata, ch->metadata, 0) < 0)
            cli_die("out of memory");
        *out = (AVChapter){.id = renumbered ? i + 1 : ch->id,
                           .time_base = vtb,
                           .start = start - a->shift,
                           .end = end - a->shift,
                           .metadata = out->metadata};
        a->ofmt->chapters = grown;
        grown[a->ofmt->nb_chapters++] = out;
    }
}

/* Each --mux-opt set on a context of the output's format as its header sets them (the
 * context's own options, then the muxer's), so that one it does not take, or whose value it
 * refuses, ends the run before a frame is upscaled: it was said when the header was written,
 * after the first frame (seconds to minutes on large ones). */
static void check_mux_options(const app *a)
{
    char eb[ERR_SIZE];
    AVFormatContext *s = NULL;
    if (avformat_alloc_output_context2(&s, a->ofmt->oformat, NULL, NULL) < 0)
        cli_die("out of memory");
    const AVDictionaryEntry *t = NULL;
    while ((t = av_dict_get(a->o.mux_opts, "", t, AV_DICT_IGNORE_SUFFIX))) {
        int ret = av_opt_set(s, t->key, t->value, 0);
        if (ret == AVERROR_OPTION_NOT_FOUND && s->priv_data)
            ret = av_opt_set(s->priv_data, t->key, t->value, AV_OPT_SEARCH_CHILDREN);
        if (ret == AVERROR_OPTION_NOT_FOUND)
            cli_die("--mux-opt %s: the %s muxer does not take it", t->key, s->oformat->name);
        if (ret < 0)
            cli_die("--mux-opt %s: the %s muxer does not take '%s': %s", t->key, s->oformat->name,
                    t->value, av_err(ret, eb));
    }
    avformat_free_context(s);
}

/* Whether --mux-opt makes the MOV muxer write fragments, as FFmpeg 5.1's mov_init decides: a
 * movflags of empty_moov, frag_keyframe, frag_custom, frag_every_frame, dash or cmaf, or a
 * frag_duration or frag_size. */
static int mux_opts_fragment(const app *a)
{
    static const char *const fragmenting[] = {"empty_moov",       "frag_keyframe", "frag_custom",
                                              "frag_every_frame", "dash",          "cmaf"};
    AVFormatContext *s = NULL;
    AVDictionary *opts = NULL;
    if (avformat_alloc_output_context2(&s, a->ofmt->oformat, NULL, NULL) < 0 ||
        av_dict_copy(&opts, a->o.mux_opts, 0) < 0 || av_opt_set_dict(s->priv_data, &opts) < 0)
        cli_die("out of memory");
    int64_t flags = 0, duration = 0, size = 0;
    av_opt_get_int(s->priv_data, "movflags", 0, &flags);
    av_opt_get_int(s->priv_data, "frag_duration", 0, &duration);
    av_opt_get_int(s->priv_data, "frag_size", 0, &size);
    int fragments = duration > 0 || size > 0;
    for (size_t i = 0; i < sizeof(fragmenting) / sizeof(*fragmenting); i++) {
        const AVOption *o = av_opt_find(s->priv_data, fragmenting[i], "movflags", 0, 0);
        fragments |= o && (flags & o->default_val.i64);
    }
    av_dict_free(&opts);
    avformat_free_context(s);
    return fragments;
}

/* Whether the output cannot seek: a stream, stdout, a fifo, a socket or a terminal. /dev/null
 * and block devices seek (an MP4 segment into /dev/null, a dry run, was refused). */
static int output_unseekable(const char *name)
{
    struct stat st, null;
    if (output_is_url(name))
        return 1;
    if (stat(name, &st) != 0)
        return 0;
    return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
           (S_ISCHR(st.st_mode) && !(stat("/dev/null", &null) == 0 && null.st_rdev == st.st_rdev));
}

/* The output's format, from the real name (the bytes go to a temporary one): known before
 * the input is read, as it decides which streams are kept. */
void choose_output_format(app *a)
{
    /* RTMP carries FLV alone: a stream's name has no extension to say so (ffmpeg wants -f flv),
     * and one it has (live/cam.mp4) names no container RTMP can carry. Other protocols carry
     * many (MPEG-TS, NUT, Matroska over TCP, UDP or SRT), which -f names. */
    const char *proto = output_is_url(a->o.output) ? avio_find_protocol_name(a->o.output) : NULL;
    const char *format =
        !a->o.format && proto && av_strstart(proto, "rtmp", NULL) ? "flv" : a->o.format;
    int ret = avformat_alloc_output_context2(&a->ofmt, NULL, format, a->o.output);
    /* Not av_err: libav's line only repeats ours, from a context it names "NULL" ("Invalid
     * argument (NULL: Unable to find a suitable output format for 'x.xyz')"). */
    if (ret < 0 || !a->ofmt)
        cli_die("%s: no output format for this name (-f FORMAT names one): %s", a->o.output,
                av_err2str(ret));
    check_mux_options(a);
    /* Segments join as one run only where each keeps the input's timestamps as they are (below
     * zero too) and the join finds where it starts: FLV, AVI, NUT, MPEG-PS, MXF, Y4M and images
     * move the first segment's times alone or start every one at zero, and their joins put the
     * audio a packet out of step, refused the segments or failed. */
    if (a->o.segments && !segments_join(a->ofmt->oformat))
        cli_die("%s: --segment writes MP4, MOV, Matroska, WebM or MPEG-TS, which --concat "
                "joins as one run; not %s",
                a->o.output,
                a->ofmt->oformat->long_name ? a->ofmt->oformat->long_name : a->ofmt->oformat->name);
    /* MP4 and MOV written in fragments, as they are where they cannot seek (to go back to
     * their index), start every segment at 0 on reading it back: --concat refused the
     * second ("starts at 0.000 s, not after p1.mp4"), after the whole job had run. */
    if (a->o.segments && output_mp4_family(a->ofmt->oformat) && output_unseekable(a->o.output))
        cli_die("%s: --segment cannot write %s here: it cannot seek, and segments written in "
                "fragments do not join; write a file, or Matroska or MPEG-TS",
                a->o.output, a->ofmt->oformat->name);
    if (a->o.segments && output_mp4_family(a->ofmt->oformat) && mux_opts_fragment(a))
        cli_die("%s: --segment cannot write %s in fragments (--mux-opt): such segments do not "
                "join; leave the fragments out, or write Matroska or MPEG-TS",
                a->o.output, a->ofmt->oformat->name);
}

/* A stream's opening (a listening socket waiting for its reader) gives up at a signal, its
 * writes (to a reader that stalls) once the run fails or a second signal aborts it: after the
 * first the frames in flight are still sent, as they are written into a file. */
static int output_interrupted(void *arg)
{
    app *a = arg;
    return signals_received() > a->output_opened || atomic_load(&a->failed);
}

/* A segment says which piece of the input it holds (SEGMENT_TAG); any other output says
 * nothing, though its input is a segment or a join of them, nor does a segment --frames may
 * cut short, which is no whole piece. */
static void tag_segment(app *a)
{
    if (tag_segment_piece(a->ofmt, NULL) < 0)
        cli_die("out of memory");
    if (!a->o.segments || a->o.max_frames)
        return;
    char piece[64];
    snprintf(piece, sizeof(piece), "%d/%d%s", a->o.segment, a->o.segments,
             a->hi == INT64_MAX ? ", last" : "");
    if (tag_segment_piece(a->ofmt, piece) < 0)
        cli_die("out of memory");
}

/* MP4 and its cousins write their index at the end, and go back to fill in sizes: to a pipe
 * or a stream they can only be written in fragments, which the muxer refused to choose
 * itself ("muxer does not support non seekable output", after the first frame). Unless the
 * user set movflags, they are chosen, and said. */
static void fragment_if_unseekable(app *a)
{
    const char *flags = "+frag_keyframe+empty_moov+default_base_moof";
    /* ISMV is written in fragments by its muxer anyway */
    int mov = output_mp4_family(a->ofmt->oformat) && strcmp(a->ofmt->oformat->name, "ismv");
    if (!mov || !a->ofmt->pb || (a->ofmt->pb->seekable & AVIO_SEEKABLE_NORMAL) ||
        av_dict_get(a->o.mux_opts, "movflags", NULL, 0))
        return;
    if (av_dict_set(&a->o.mux_opts, "movflags", flags, 0) < 0)
        cli_die("out of memory");
    if (!a->o.quiet)
        fprintf(stderr,
                "srres-video: %s: %s cannot go back to write its index here: written in "
                "fragments (--mux-opt movflags=%s)\n",
                a->o.output, a->ofmt->oformat->name, flags);
}

int numbered_output(const app *a)
{
    char first[PATH_MAX];
    return !strcmp(a->ofmt->oformat->name, "image2") &&
           av_get_frame_filename(first, sizeof(first), a->o.output, 1) >= 0;
}

void open_output(app *a)
{
    char eb[ERR_SIZE];
    check_encoder_size(a); /* before the output is made */
    /* Segments keep the input's timestamps exactly, so that they join as one run (the join's
     * muxer moves them all as the whole run's would): Matroska and MPEG-TS would otherwise
     * move the first one (only) past its start below zero (AAC's priming samples, B-frames'
     * decoding times). MPEG-TS writes such times under its 33-bit clock's wrap, which its
     * demuxers read as before zero. Other formats keep their muxer's way: FLV's clock wraps
     * such times too, but its demuxer reads them as 2147483 s. */
    const char *mux = a->ofmt->oformat->name;
    if (a->o.segments &&
        (strstr(mux, "matroska") || !strcmp(mux, "webm") || !strcmp(mux, "mpegts")))
        a->ofmt->avoid_negative_ts = AVFMT_AVOID_NEG_TS_DISABLED;
    a->nb_map = a->ifmt->nb_streams;
    a->map = malloc(sizeof(int) * a->nb_map);
    a->mux_dts = malloc(sizeof(int64_t) * a->nb_map); /* no more output streams than input */
    if (!a->map || !a->mux_dts)
        cli_die("out of memory");
    clock_mend_init(a, &a->mend, a->ifmt);
    for (unsigned i = 0; i < a->ifmt->nb_streams; i++) {
        AVStream *ist = a->ifmt->streams[i];
        a->map[i] = -1;
        a->mux_dts[i] = AV_NOPTS_VALUE;
        const char *why;
        if (!stream_kept(a, i, &why)) {
            if (why && !a->o.quiet)
                fprintf(stderr, "srres-video: %s: stream %u (%s) dropped: %s (%s)\n", a->o.input, i,
                        avcodec_get_name(ist->codecpar->codec_id), why, a->ofmt->oformat->name);
            continue;
        }
        /* A rotation the format cannot store is applied to the frames (rotation_to_apply) */
        int keep = (int)i != a->vin || output_mp4_family(a->ofmt->oformat);
        AVStream *ost = avformat_new_stream(a->ofmt, NULL);
        if (!ost || output_copy_stream_info(ost, ist, (int)i == a->vin, keep) < 0)
            cli_die("out of memory");
        /* Cover art coded as the format takes none (-c:v libx264 into MP4; MOV takes none)
         * is a video stream of one frame: the muxer refused the header, or lost it. */
        if ((int)i == a->vin && (ost->disposition & AV_DISPOSITION_ATTACHED_PIC) &&
            output_cover_art(a->ofmt->oformat, a->enc_codec->id) == 0)
            ost->disposition &= ~AV_DISPOSITION_ATTACHED_PIC;
        forget_libav_error(); /* what the muxer said of the cover art it refused */
        a->map[i] = ost->index;
        if ((int)i != a->vin) {
            avcodec_parameters_copy(ost->codecpar, ist->codecpar);
            ost->codecpar->codec_tag = 0; /* tags differ between containers */
            ost->time_base = ist->time_base;
        }
    }
    forget_libav_error(); /* what trial headers of streams now dropped said */
    av_dict_copy(&a->ofmt->metadata, a->ifmt->metadata, 0);
    copy_chapters(a);
    tag_segment(a); /* after the chapters, which MP4's tags say */
    /* An image name with a frame number (out%04d.png) takes a file a frame, written as they
     * come (there is no one file to rename into place); any other image name one picture. */
    char first[PATH_MAX];
    int numbered = numbered_output(a);
    a->one_picture = !strcmp(a->ofmt->oformat->name, "image2") && !numbered;
    a->numbered = numbered;
    /* Said as for one file: image2 gives only "Input/output error" for a missing folder. */
    char name[PATH_MAX];
    snprintf(name, sizeof(name), "%s", a->o.output);
    const char *folder = dirname(name); /* "." for a bare name, not written into name */
    struct stat st;
    if (numbered && (stat(folder, &st) < 0 || !S_ISDIR(st.st_mode)))
        cli_die("%s: cannot write: no folder %s", a->o.output, folder);
    /* and the same for a folder it cannot write in (read-only, another user's), once a frame
     * was upscaled, where one file's name says why up front */
    if (numbered && access(folder, W_OK) < 0)
        cli_die("%s: cannot write: %s", a->o.output, strerror(errno));
    if (numbered && numbered_input(a->input_file, a->o.output))
        cli_die("%s: its numbered names include the input's files (%s)", a->o.output, a->o.input);
    /* Any of its names, not only the first: the muxer writes over what it meets. */
    if (numbered && !a->o.overwrite && numbered_existing(a->o.output, first, sizeof(first)))
        cli_die("%s: already exists (a name of %s); use -y to overwrite", first, a->o.output);
    /* Numbered files are found (above) and removed when cut short (drain_encoder) by the
     * pattern's numbers: image2 options that name them otherwise are refused (update=1
     * wrote every frame into one file named "up/%04d.png"). start_number is read. */
    static const char *const renaming[] = {"update", "strftime", "frame_pts"};
    for (size_t i = 0; numbered && i < sizeof(renaming) / sizeof(renaming[0]); i++)
        if (av_dict_get(a->o.mux_opts, renaming[i], NULL, 0))
            cli_die("%s: --mux-opt %s: numbered images are named by their frame numbers; for "
                    "one picture, give a name without a number",
                    a->o.output, renaming[i]);
    if (numbered)
        output_target_init_direct(&a->target, a->o.output);
    else
        output_target_init(&a->target, a->o.output, a->o.overwrite);
    /* Fail now, with the reason, if the folder cannot take the file (a fifo would block
     * here until read: it is opened once, when writing starts). */
    int fd = a->target.direct
                 ? -2
                 : open(a->target.temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    char why[PATH_MAX + 128];
    if (fd == -1)
        cli_die("%s", output_target_refused(&a->target, a->o.output, errno, why, sizeof(why)));
    if (fd >= 0)
        close(fd);
    av_freep(&a->ofmt->url); /* muxers that open their own files (image2) use the url */
    a->ofmt->url = av_strdup(a->target.url);
    if (!a->ofmt->url)
        cli_die("out of memory");
    a->ofmt->interrupt_callback = (AVIOInterruptCB){output_interrupted, a};
    if (!(a->ofmt->oformat->flags & AVFMT_NOFILE)) {
        int ret = avio_open2(&a->ofmt->pb, a->target.url, AVIO_FLAG_WRITE,
                             &a->ofmt->interrupt_callback, NULL);
        if (ret < 0 && !signals_received()) /* else the caller ends the run by the signal */
            cli_die("%s: cannot write here: %s", a->o.output, av_err(ret, eb));
    }
    a->output_opened = 1;
    fragment_if_unseekable(a);
    if (a->one_picture)
        av_opt_set_int(a->ofmt->priv_data, "update", 1, 0); /* one file, not a pattern */
}
