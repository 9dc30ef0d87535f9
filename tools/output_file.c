/* output_file.c: temporary output names, stream properties, what a format takes. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>

#include "cli.h"
#include "output_file.h"

static char *temp_name(const char *path)
{
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t dirlen = (size_t)(base - path), n = strlen(path) + 64;
    char *t = malloc(n);
    if (!t)
        cli_die("out of memory");
    snprintf(t, n, "%.*s.%.*s.partial-%ld%s", (int)dirlen, path,
             (int)(dot ? (size_t)(dot - base) : strlen(base)), base, (long)getpid(),
             dot ? dot : "");
    return t;
}

void output_target_init(output_target *t, const char *path)
{
    struct stat st;
    int pipe = !strncmp(path, "pipe:", 5); /* FFmpeg's pipe protocol: stdout and the like */
    int exists = !pipe && stat(path, &st) == 0;
    t->final = exists ? realpath(path, NULL) : strdup(path);
    if (!t->final)
        cli_die("%s: %s", path, strerror(errno));
    t->direct = pipe || (exists && !S_ISREG(st.st_mode));
    t->temp = t->direct ? strdup(t->final) : temp_name(t->final);
    if (!t->temp)
        cli_die("out of memory");
}

void output_target_init_direct(output_target *t, const char *path)
{
    t->final = strdup(path);
    t->temp = strdup(path);
    if (!t->final || !t->temp)
        cli_die("out of memory");
    t->direct = 1;
}

int output_target_commit(const output_target *t)
{
    return t->direct ? 0 : rename(t->temp, t->final);
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
    t->final = t->temp = NULL;
}

int output_keeps_rotation(const AVOutputFormat *fmt)
{
    static const char *const names[] = {"mov", "mp4", "3gp", "3g2", "psp", "ipod", "ismv", "f4v"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(fmt->name, names[i]))
            return 1;
    return 0;
}

int output_copy_stream_info(AVStream *ost, const AVStream *ist, int keep_rotation)
{
    if (av_dict_copy(&ost->metadata, ist->metadata, 0) < 0)
        return AVERROR(ENOMEM);
    ost->disposition = ist->disposition;
    for (int k = 0; k < ist->nb_side_data; k++) {
        const AVPacketSideData *sd = &ist->side_data[k];
        if (sd->type == AV_PKT_DATA_DISPLAYMATRIX && !keep_rotation)
            continue;
        uint8_t *dst = av_stream_new_side_data(ost, sd->type, sd->size);
        if (!dst)
            return AVERROR(ENOMEM);
        memcpy(dst, sd->data, sd->size);
    }
    return 0;
}

int output_takes_stream(const AVOutputFormat *fmt, const AVStream *ist)
{
    int known = avformat_query_codec(fmt, ist->codecpar->codec_id, FF_COMPLIANCE_NORMAL);
    if (known >= 0)
        return known;
    AVFormatContext *t = NULL;
    if (avformat_alloc_output_context2(&t, fmt, NULL, NULL) < 0)
        return 0;
    AVStream *st = avformat_new_stream(t, NULL);
    int ok = st && avcodec_parameters_copy(st->codecpar, ist->codecpar) >= 0 &&
             avio_open_dyn_buf(&t->pb) >= 0;
    if (ok) {
        st->codecpar->codec_tag = 0;
        st->time_base = ist->time_base;
        ok = avformat_write_header(t, NULL) >= 0; /* MPEG-PS checks its codecs only there */
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
