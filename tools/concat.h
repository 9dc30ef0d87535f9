/* concat.h: srres-video --concat: segments made with --segment I/N joined into one file. */
#ifndef SRRES_CONCAT_H
#define SRRES_CONCAT_H

#include <libavformat/avformat.h>

/* The global tag a --segment run writes, "I/N" (--segment I/N), and ", last" after it where
 * the segment runs to the input's end (N/N; or an earlier one where no keyframe follows the
 * division at its end, the later ones being empty): what --concat reads to tell that the
 * last segment is missing, which the times cannot. Matroska and WebM keep it, MP4 and MOV as
 * a metadata key (movflags use_metadata_tags), MPEG-TS not. No other output of srres-video
 * has it, nor a segment --frames may cut short. */
#define SEGMENT_TAG "srres_segment"

/* Whether segments written in this format join as one run: MP4, MOV, Matroska, WebM and
 * MPEG-TS keep each segment's timestamps as they are and say where it starts. */
int segments_join(const AVOutputFormat *format);

/* Writes the packets of files[0..n) in order into `output` (temporary name, then rename),
 * its muxer given `mux_opts` (--mux-opt; NULL for none). Segments that do not meet (one left
 * out, pieces of two cuts overlapping) are refused. Returns the process exit status; errors
 * are printed as one line naming the file. */
int concat_segments(const char *output, int overwrite, int quiet, const AVDictionary *mux_opts,
                    char **files, int n);

#endif
