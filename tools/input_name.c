/* input_name.c: what an input's name opens, and where a numbered input's sequence stopped. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavformat/avio.h>
#include <libavutil/avstring.h>
#include <libavutil/opt.h>

#include "cli.h"
#include "input_name.h"
#include "numbered_name.h"

char *input_url(const char *name, const char **path)
{
    if (!strcmp(name, "-"))
        name = "pipe:0";
    *path = name;
    struct stat st;
    int exists = !lstat(name, &st);
    const char *proto = avio_find_protocol_name(name);
    /* A name libavformat reads as that file is given as it is, so that its messages name the
     * input as the user did: 'seq*.png', not 'file:seq*.png' */
    int as_is = !strcmp(name, "pipe:0") ||
                (proto && !strcmp(proto, "file") && !av_strstart(name, "file:", NULL)) ||
                (!exists && proto && (strcmp(proto, "file") || av_strstart(name, "file:", path)));
    char *url = as_is ? av_strdup(name) : av_asprintf("file:%s", name);
    if (!url)
        cli_die("out of memory");
    return url;
}

/* Whether a WebP file's first bytes say it is animated: its VP8X chunk's animation flag.
 * FFmpeg 5.1's webp decoder skips its ANIM and ANMF chunks and finds no picture, which was
 * said as "no frame size or pixel format". */
static int animated_head(const uint8_t head[21], int n)
{
    return n == 21 && !memcmp(head, "RIFF", 4) && !memcmp(head + 8, "WEBPVP8X", 8) &&
           (head[20] & 0x02);
}

/* The path of an image2 input's first picture into buf (size bytes): the name itself, or in
 * a numbered sequence (seq/f%04d.webp) the first number from start_number that has a file,
 * as the demuxer looks for it. 0 where no file has it (a glob pattern, another protocol). */
static int first_picture(AVFormatContext *f, char *buf, int size)
{
    const char *path = f->url;
    av_strstart(path, "file:", &path);
    int64_t start = 0, range = 5;
    av_opt_get_int(f, "start_number", AV_OPT_SEARCH_CHILDREN, &start);
    av_opt_get_int(f, "start_number_range", AV_OPT_SEARCH_CHILDREN, &range);
    for (int64_t i = start; i < start + range && i <= INT_MAX; i++) {
        if (av_get_frame_filename(buf, size, path, (int)i) < 0)
            break; /* no number in it */
        if (!access(buf, R_OK))
            return 1;
    }
    return av_strlcpy(buf, path, size) < (size_t)size && !access(buf, R_OK);
}

/* Whether an input is an animated WebP, into said the name to say it by: one open in the
 * stills' WebP demuxer (webp_pipe), its first bytes read from the probe's buffer and given
 * back, a pipe's too; or the first picture of a WebP stream of the image demuxer (a numbered
 * sequence, or --input-format image2), read from its file. Returns 1, 0, or an AVERROR. */
static int animated_webp(AVFormatContext *f, const char *name, char *said, int size)
{
    uint8_t head[21];
    int n = 0;
    av_strlcpy(said, name, size);
    if (!strcmp(f->iformat->name, "image2") && f->nb_streams &&
        f->streams[0]->codecpar->codec_id == AV_CODEC_ID_WEBP && first_picture(f, said, size)) {
        FILE *file = fopen(said, "rb");
        if (file) {
            n = (int)fread(head, 1, sizeof(head), file);
            fclose(file);
        }
        return animated_head(head, n);
    }
    if (strcmp(f->iformat->name, "webp_pipe") || !f->pb)
        return 0;
    int64_t at = avio_tell(f->pb);
    n = avio_read(f->pb, head, sizeof(head));
    int64_t back = avio_seek(f->pb, at, SEEK_SET);
    if (back < 0)
        return (int)back;
    return animated_head(head, n);
}

int input_open(AVFormatContext **f, const char *url, const char *name, const char *format,
               const AVDictionary *demux_opts, AVDictionary **opts)
{
    const AVInputFormat *fmt = format ? av_find_input_format(format) : NULL;
    if (av_dict_copy(opts, demux_opts, 0) < 0)
        cli_die("out of memory");
    int ret = avformat_open_input(f, url, fmt, opts);
    /* rawvideo (given, or taken by a name's extension, .yuv) opens no frame without its
     * size, and says only "Picture size 0x0 is invalid". */
    const AVInputFormat *raw = av_find_input_format("rawvideo");
    if (ret == AVERROR(EINVAL) && !av_dict_get(demux_opts, "video_size", NULL, 0) &&
        (fmt ? fmt == raw : raw && av_match_ext(name, raw->extensions)))
        cli_die("%s: raw video needs its frame size: --input-format rawvideo --demux-opt "
                "video_size=WxH (and pixel_format, framerate where not yuv420p at 25)",
                name);
    /* What a part took is taken out of *opts: what is left, no part has (ffmpeg: "Option
     * not found"). Those of the caller's own that this demuxer has not are not the user's. */
    const AVDictionaryEntry *t = NULL;
    while (ret >= 0 && (t = av_dict_get(demux_opts, "", t, AV_DICT_IGNORE_SUFFIX)))
        if (av_dict_get(*opts, t->key, NULL, 0))
            cli_die("%s: --demux-opt %s: the %s demuxer does not take it", name, t->key,
                    (*f)->iformat->name);
    char said[PATH_MAX];
    int animated = ret < 0 ? 0 : animated_webp(*f, name, said, sizeof(said));
    const char *version = av_version_info(); /* "5.1.9-0+deb12u1": the part before '-' */
    if (animated > 0)
        cli_die("%s: an animated WebP, which FFmpeg %.*s cannot decode (its webp decoder reads "
                "stills only)",
                said, (int)strcspn(version, "-"), version);
    if (animated < 0)
        avformat_close_input(f);
    return animated < 0 ? animated : ret;
}

int64_t input_numbered_gap(const char *pattern, int64_t count, char *next, size_t size)
{
    char name[PATH_MAX];
    int first = 0;
    for (; first < 5; first++)
        if (av_get_frame_filename(name, sizeof(name), pattern, first) < 0)
            return -1;
        else if (access(name, R_OK) == 0)
            break;
    if (first == 5 || count < 1)
        return -1;
    int64_t last = first + count - 1;
    return numbered_others(pattern, 0, last, 1, next, size) ? last : -1;
}
