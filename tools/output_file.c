/* output_file.c: output names and their temporary files, stream properties, what a format
 * takes. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avio.h>
#include <libavutil/avstring.h>
#include <libavutil/opt.h>

#include "cli.h"
#include "output_file.h"

/* "dir/.stem.partial-PID.ext", the stem shortened (at a character's first byte) where the
 * whole name would pass NAME_MAX: a name the system takes must not fail for its temp's. */
static char *temp_name(const char *path)
{
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t dirlen = (size_t)(base - path), n = strlen(path) + 64;
    size_t stem = dot ? (size_t)(dot - base) : strlen(base), ext = strlen(base) - stem;
    char pid[32];
    int pidlen = snprintf(pid, sizeof(pid), ".partial-%ld", (long)getpid());
    size_t room = NAME_MAX - 1 - (size_t)pidlen; /* the leading dot */
    if (ext > room / 2)
        ext = 0; /* an "extension" that long is no format's; the format is known already */
    if (stem + ext > room) {
        stem = room - ext;
        while (stem > 0 && (base[stem] & 0xC0) == 0x80)
            stem--;
    }
    char *t = malloc(n);
    if (!t)
        cli_die("out of memory");
    snprintf(t, n, "%.*s.%.*s%s%.*s", (int)dirlen, path, (int)stem, base, pid, (int)ext,
             dot && ext ? dot : "");
    return t;
}

/* path for FFmpeg: a URL as it is, a file's path after "file:", or a ':' in it would name a
 * protocol. */
static char *url_of(const char *path, int is_url)
{
    char *url = is_url ? strdup(path) : av_asprintf("file:%s", path);
    if (!url)
        cli_die("out of memory");
    return url;
}

int output_is_url(const char *name)
{
    if (!strncmp(name, "pipe:", 5))
        return 1;
    struct stat st;
    const char *proto = avio_find_protocol_name(name), *p;
    if (!proto || !strcmp(proto, "file") || lstat(name, &st) == 0)
        return 0;
    void *it = NULL;
    while ((p = avio_enum_protocols(&it, 1)))
        if (!strcmp(p, proto))
            return 1;
    return 0;
}

const char *output_file_name(const char *name)
{
    const char *path;
    if (!av_strstart(name, "file:", &path))
        return name;
    if (!*path)
        cli_die("%s: no file name after file:", name);
    if (!output_is_url(path))
        return path;
    char *here = av_asprintf("./%s", path);
    if (!here)
        cli_die("out of memory");
    return here;
}

void output_target_init(output_target *t, const char *path, int overwrite)
{
    struct stat st;
    t->is_url = output_is_url(path);
    /* Without -y, srres-video and --concat refused an existing name at the start; a dangling
     * symlink passed, which the rename replaces, as before. */
    t->keep_other = !overwrite && !t->is_url && !(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));
    int exists = !t->is_url && stat(path, &st) == 0;
    t->final = exists ? realpath(path, NULL) : strdup(path);
    if (!t->final)
        cli_die("%s: %s", path, strerror(errno));
    t->direct = t->is_url || (exists && !S_ISREG(st.st_mode));
    t->temp = t->direct ? strdup(t->final) : temp_name(t->final);
    if (!t->temp)
        cli_die("out of memory");
    t->mode = exists && !t->direct ? (int)(st.st_mode & 07777) : -1;
    t->url = url_of(t->temp, t->is_url);
}

void output_target_init_direct(output_target *t, const char *path)
{
    t->final = strdup(path);
    t->temp = strdup(path);
    if (!t->final || !t->temp)
        cli_die("out of memory");
    t->direct = 1;
    t->is_url = 0; /* an image muxer's names are files */
    t->mode = -1;
    t->keep_other = 0;
    t->url = url_of(path, 0);
}

/* rename() that fails with EEXIST where `to` exists, in one step: another run's output that
 * took the name since the start was replaced without a word. Where the filesystem has no
 * such rename (EINVAL), a hard link, which refuses an existing name too, then the old name
 * removed; where it has no hard links either (FAT), a look just before a plain rename. */
static int rename_noreplace(const char *from, const char *to)
{
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (link(from, to) == 0) {
        unlink(from); /* the output is in place, whatever becomes of its other name */
        return 0;
    }
    if (errno != EPERM && errno != EOPNOTSUPP)
        return -1;
    struct stat st;
    if (lstat(to, &st) == 0) {
        errno = EEXIST;
        return -1;
    }
    return rename(from, to);
}

int output_target_commit(const output_target *t)
{
    if (t->direct)
        return 0;
    if (t->mode >= 0 && chmod(t->temp, (mode_t)t->mode) < 0)
        return -1;
    return t->keep_other ? rename_noreplace(t->temp, t->final) : rename(t->temp, t->final);
}

const char *output_target_refused(const output_target *t, const char *name, int err, char *buf,
                                  size_t n)
{
    if (t->direct || (err != EACCES && err != EPERM)) {
        snprintf(buf, n, "%s: cannot write: %s", name, strerror(err));
        return buf;
    }
    /* The folder of the name given, as the user wrote it, unless it is a symlink, whose
     * target's folder takes the temporary file. */
    struct stat st;
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s",
             lstat(name, &st) == 0 && S_ISLNK(st.st_mode) ? t->final : name);
    const char *folder = dirname(dir);
    snprintf(buf, n,
             "%s%s: folder not writable (the output is written to a temporary file there, then "
             "renamed)",
             folder, folder[strlen(folder) - 1] == '/' ? "" : "/");
    return buf;
}

void output_target_abandon(const output_target *t)
{
    if (!t->direct)
        unlink(t->temp);
}

void output_target_free(output_target *t)
{
    free(t->final);
    free(t->temp);
    free(t->url);
    t->final = t->temp = t->url = NULL;
}

int output_mp4_family(const AVOutputFormat *fmt)
{
    static const char *const names[] = {"mov", "mp4", "3gp", "3g2", "psp", "ipod", "ismv", "f4v"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(fmt->name, names[i]))
            return 1;
    return 0;
}

int output_copy_stream_info(AVStream *ost, const AVStream *ist, int encoded, int keep_rotation)
{
    if (av_dict_copy(&ost->metadata, ist->metadata, 0) < 0)
        return AVERROR(ENOMEM);
    ost->disposition = ist->disposition;
    for (int k = 0; k < ist->nb_side_data; k++) {
        const AVPacketSideData *sd = &ist->side_data[k];
        if (sd->type == AV_PKT_DATA_DISPLAYMATRIX && !keep_rotation)
            continue;
        /* The MPEG-PS muxer sizes its buffers by them: an MPEG-2 source's 1.8 Mbit buffer
         * for an upscaled stream underflowed at every frame. */
        if (sd->type == AV_PKT_DATA_CPB_PROPERTIES && encoded)
            continue;
        /* Dolby Vision's configuration says the coded stream carries its metadata (RPUs),
         * which our encoder does not write: an iPhone's HLG video upscaled into Matroska
         * claimed Dolby Vision 8.4, for H.264 too, which players would look for. */
        if (sd->type == AV_PKT_DATA_DOVI_CONF && encoded)
            continue;
        uint8_t *dst = av_stream_new_side_data(ost, sd->type, sd->size);
        if (!dst)
            return AVERROR(ENOMEM);
        memcpy(dst, sd->data, sd->size);
    }
    return 0;
}

int64_t output_codec_delay(const AVFormatContext *out, const AVStream *ost)
{
    const AVCodecParameters *p = ost->codecpar;
    const char *mux = out->oformat->name;
    /* Opus alone: 5.1 writes no CodecDelay for other codecs, and later muxers add it. */
    if (LIBAVFORMAT_VERSION_MAJOR > 59 || p->codec_id != AV_CODEC_ID_OPUS ||
        p->initial_padding <= 0 || (strcmp(mux, "matroska") && strcmp(mux, "webm")))
        return 0;
    return av_rescale_q(p->initial_padding, (AVRational){1, 48000}, ost->time_base);
}

/* Whether the muxer writes the header of an output holding one stream of these parameters,
 * time base and disposition alone (in memory). */
static int header_written_for(const AVOutputFormat *fmt, const AVCodecParameters *par,
                              AVRational time_base, int disposition)
{
    AVFormatContext *t = NULL;
    if (avformat_alloc_output_context2(&t, fmt, NULL, NULL) < 0)
        return 0;
    AVStream *st = avformat_new_stream(t, NULL);
    int ok =
        st && avcodec_parameters_copy(st->codecpar, par) >= 0 && avio_open_dyn_buf(&t->pb) >= 0;
    if (ok) {
        st->codecpar->codec_tag = 0;
        st->time_base = time_base;
        st->disposition = disposition;
        ok = avformat_write_header(t, NULL) >= 0;
    }
    AVIOContext *pb = t->pb;
    avformat_free_context(t); /* which deinitialises the muxer; the buffer is ours */
    if (pb) {
        uint8_t *buf;
        avio_close_dyn_buf(pb, &buf);
        av_free(buf);
    }
    return ok;
}

int output_cover_art(const AVOutputFormat *fmt, enum AVCodecID codec)
{
    /* MP4's cousins write the header and no cover (covr) atom: the picture was lost without a
     * word, as by ffmpeg -c copy (FFmpeg 5.1: MP4, M4A and F4V keep it). */
    static const char *const losing[] = {"mov", "3gp", "3g2", "psp", "ismv"};
    AVCodecParameters *par = avcodec_parameters_alloc();
    if (!par)
        return -1;
    par->codec_type = AVMEDIA_TYPE_VIDEO;
    par->codec_id = codec;
    par->width = par->height = 64;
    AVRational tb = {1, 90000};
    int kept = 1;
    for (size_t i = 0; i < sizeof(losing) / sizeof(losing[0]); i++)
        kept &= strcmp(fmt->name, losing[i]) != 0;
    int ret = kept && header_written_for(fmt, par, tb, AV_DISPOSITION_ATTACHED_PIC) ? 1
              : header_written_for(fmt, par, tb, 0)                                 ? 0
                                                                                    : -1;
    avcodec_parameters_free(&par);
    return ret;
}

/* Whether a reader finds the codec again in MPEG-TS (libavformat/mpegtsenc.c): the codecs the
 * muxer has a stream type or a registration descriptor for (Opus, SMPTE 302M), DVB's, or in
 * M2TS mode Blu-ray's, those descriptors' and the MPEG audio and AAC that FFmpeg's reader
 * finds by probing. The muxer writes any other as private data, with
 * a warning that needs -v to show, which readers take back as bin_data: lost. */
static int mpegts_carries(enum AVCodecID id, int m2ts)
{
    static const enum AVCodecID dvb[] = {
        AV_CODEC_ID_MPEG1VIDEO, AV_CODEC_ID_MPEG2VIDEO, AV_CODEC_ID_MPEG4, AV_CODEC_ID_H264,
        AV_CODEC_ID_HEVC, AV_CODEC_ID_CAVS, AV_CODEC_ID_AVS2, AV_CODEC_ID_AVS3,
        AV_CODEC_ID_DIRAC, AV_CODEC_ID_VC1, AV_CODEC_ID_MP2, AV_CODEC_ID_MP3, AV_CODEC_ID_AAC,
        AV_CODEC_ID_AAC_LATM, AV_CODEC_ID_AC3, AV_CODEC_ID_EAC3, AV_CODEC_ID_DTS,
        AV_CODEC_ID_TRUEHD, AV_CODEC_ID_OPUS, AV_CODEC_ID_TIMED_ID3, AV_CODEC_ID_DVB_SUBTITLE,
        AV_CODEC_ID_DVB_TELETEXT, AV_CODEC_ID_ARIB_CAPTION, AV_CODEC_ID_SMPTE_KLV,
        AV_CODEC_ID_S302M, AV_CODEC_ID_NONE};
    static const enum AVCodecID bluray[] = {
        AV_CODEC_ID_MPEG2VIDEO, AV_CODEC_ID_H264, AV_CODEC_ID_VC1, AV_CODEC_ID_HEVC,
        AV_CODEC_ID_PCM_BLURAY, AV_CODEC_ID_AC3, AV_CODEC_ID_DTS, AV_CODEC_ID_TRUEHD,
        AV_CODEC_ID_EAC3, AV_CODEC_ID_HDMV_PGS_SUBTITLE, AV_CODEC_ID_HDMV_TEXT_SUBTITLE,
        AV_CODEC_ID_MP2, AV_CODEC_ID_MP3, AV_CODEC_ID_AAC, AV_CODEC_ID_OPUS, AV_CODEC_ID_S302M,
        AV_CODEC_ID_NONE};
    for (const enum AVCodecID *c = m2ts ? bluray : dvb; *c != AV_CODEC_ID_NONE; c++)
        if (*c == id)
            return 1;
    return 0;
}

int output_m2ts(const AVOutputFormat *fmt, const char *name, const AVDictionary *mux_opts)
{
    const char *key = "mpegts_m2ts_mode";
    const AVDictionaryEntry *t = av_dict_get(mux_opts, key, NULL, 0);
    AVFormatContext *s = NULL;
    int64_t mode = -1;
    if (strcmp(fmt->name, "mpegts"))
        return 0;
    if (t && avformat_alloc_output_context2(&s, fmt, NULL, NULL) >= 0) {
        if (av_opt_set(s->priv_data, key, t->value, 0) < 0 ||
            av_opt_get_int(s->priv_data, key, 0, &mode) < 0)
            mode = -1;
        avformat_free_context(s);
    }
    return mode == -1 ? av_match_ext(name, "m2ts") : mode != 0;
}

/* Whether the format's own list has the codec: its muxer's query, where it has one (formats
 * without one are given the benefit of the doubt); MPEG-TS, mpegts_carries. */
static int format_lists(const AVOutputFormat *fmt, enum AVCodecID id, int m2ts)
{
    if (!strcmp(fmt->name, "mpegts"))
        return mpegts_carries(id, m2ts);
    return avformat_query_codec(fmt, id, FF_COMPLIANCE_NORMAL) != 0;
}

int output_takes_codec(const AVOutputFormat *fmt, enum AVCodecID id, int m2ts)
{
    if (format_lists(fmt, id, m2ts))
        return 1;
    /* A no from the query may only mean "not natively": Matroska writes any video as VFW,
     * MOV with an AVI tag (utvideo, FFV1, HuffYUV), so the muxer's header decides. */
    if (!strcmp(fmt->name, "mpegts"))
        return 0;
    AVCodecParameters *par = avcodec_parameters_alloc();
    if (!par)
        return 1;
    par->codec_type = avcodec_get_type(id);
    par->codec_id = id;
    par->width = par->height = 64;
    int ok = header_written_for(fmt, par, (AVRational){1, 90000}, 0);
    avcodec_parameters_free(&par);
    return ok;
}

int output_takes_stream(const AVOutputFormat *fmt, const AVStream *ist, int m2ts)
{
    /* Raw video, YUV4MPEG, images: their muxers write any packet given, audio into the
     * pictures' bytes; a format with no audio codec takes no audio (ffmpeg's rule too). */
    if (ist->codecpar->codec_type == AVMEDIA_TYPE_AUDIO && fmt->audio_codec == AV_CODEC_ID_NONE)
        return 0;
    if (!format_lists(fmt, ist->codecpar->codec_id, m2ts))
        return 0;
    /* A yes from the query is no promise: MP4 knows FLAC's tag and still refuses it, as
     * experimental, at the header (MPEG-PS checks its codecs only there). */
    return header_written_for(fmt, ist->codecpar, ist->time_base, 0);
}
