/* output_file.c: temporary output names and stream properties. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "output_file.h"

char *output_temp_name(const char *path)
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

int output_copy_stream_info(AVStream *ost, const AVStream *ist)
{
    if (av_dict_copy(&ost->metadata, ist->metadata, 0) < 0)
        return AVERROR(ENOMEM);
    ost->disposition = ist->disposition;
    for (int k = 0; k < ist->nb_side_data; k++) {
        const AVPacketSideData *sd = &ist->side_data[k];
        uint8_t *dst = av_stream_new_side_data(ost, sd->type, sd->size);
        if (!dst)
            return AVERROR(ENOMEM);
        memcpy(dst, sd->data, sd->size);
    }
    return 0;
}
