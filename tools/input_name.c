/* input_name.c: what an input's name opens, and where a numbered input's sequence stopped. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavformat/avio.h>
#include <libavutil/avstring.h>

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
