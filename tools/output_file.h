/* output_file.h: what writing an output file the careful way needs, shared by srres-video's
 * pipeline and its --concat: a temporary name to write under and rename from, and the
 * stream properties a copied or re-encoded stream keeps. */
#ifndef SRRES_OUTPUT_FILE_H
#define SRRES_OUTPUT_FILE_H

#include <libavformat/avformat.h>

/* "dir/name.ext" -> "dir/.name.partial-PID.ext" (malloc'ed): the same folder, so the final
 * rename is atomic, and the same extension, so muxers see the real format. */
char *output_temp_name(const char *path);

/* Copies a stream's metadata, disposition and side data (rotation and the like) to ost.
 * Returns 0 or AVERROR(ENOMEM). */
int output_copy_stream_info(AVStream *ost, const AVStream *ist);

/* Whether the muxer takes a copy of ist: its codec query's answer, or where it has none (as
 * MPEG-TS and MPEG-PS), whether it writes the header of an output holding that stream
 * alone, in memory. */
int output_takes_stream(const AVOutputFormat *fmt, const AVStream *ist);

#endif
