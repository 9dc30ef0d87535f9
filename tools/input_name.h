/* input_name.h: what an input's name opens, and where a numbered input's sequence stopped. */
#ifndef SRRES_INPUT_NAME_H
#define SRRES_INPUT_NAME_H

#include <libavformat/avformat.h>
#include <stddef.h>
#include <stdint.h>

/* What libavformat opens for an input's name (av_malloc'ed): the name as it is where
 * libavformat reads it as that file (no colon after only letters, digits, '+', '-' and '.',
 * which make a URL); "file:NAME" where a file has a name libavformat would take for a URL, or
 * where the name is no URL of a protocol libavformat has (2024-01-01T10:30:00.png); the name
 * as it is where no file has it and it is such a URL (http://..., file:NAME). "-" and
 * "pipe:0" are standard input, even where a file has that name. *path: the file's path (NAME
 * of a file: URL where no file has that name), or the name itself. */
char *input_url(const char *name, const char **path);

/* avformat_open_input of url (the input `name`) into *f, by the demuxer named `format` (NULL:
 * probed), with the options *opts (the caller's own) and then demux_opts (the user's, which
 * win). An option of demux_opts that neither the demuxer nor the protocol takes ends the
 * run, named, as do raw video given without its frame size and an animated WebP, which
 * FFmpeg 5.1 cannot decode. Returns avformat_open_input's status; *opts is left to the
 * caller. */
int input_open(AVFormatContext **f, const char *url, const char *name, const char *format,
               const AVDictionary *demux_opts, AVDictionary **opts);

/* For an input the image demuxer read as a numbered sequence (frames/%04d.png), `count`
 * pictures from the first of numbers 0 to 4 that has a file, as it starts: the number of the
 * last one read where a missing number ended the sequence before a later file of its names
 * (the lowest one's path into next), or -1. */
int64_t input_numbered_gap(const char *pattern, int64_t count, char *next, size_t size);

#endif
