/* concat.h: srres-video --concat: segments made with --segment I/N joined into one file. */
#ifndef SRRES_CONCAT_H
#define SRRES_CONCAT_H

#include <libavformat/avformat.h>

/* The global tag a --segment run writes, "I/N" (--segment I/N), and ", last" after it where
 * the segment runs to the input's end (N/N; or an earlier one where no keyframe follows the
 * division at its end, the later ones being empty), or ", empty" where it holds no frame: what
 * --concat reads to tell that the last segment is missing, which the times cannot, and which
 * files to pass over. Matroska and WebM keep it, MP4 and MOV as a metadata key (movflags
 * use_metadata_tags), MPEG-TS as its SDT's provider name "srres_segment=I/N...", then ";"
 * and the input's provider name where it has one, which --concat gives back (it keeps
 * no global tags). No other output of srres-video has it, nor a segment --frames may cut
 * short. */
#define SEGMENT_TAG "srres_segment"

/* MP4 and MOV segments' chapters as written, "ID START END" each (microseconds), joined by
 * ";": FFmpeg 5.1 reads a segment's first chapter back as starting at 0, and numbers them
 * anew, which --concat cannot join. */
#define SEGMENT_CHAPTERS_TAG "srres_chapters"

/* Tags `out`, a segment's muxer context before its header, its chapters set, as `piece`
 * (SEGMENT_TAG's value), so that its format keeps it, and its chapters' times where its
 * format does not (SEGMENT_CHAPTERS_TAG). `piece` NULL takes such tags off (an output that
 * is no segment, from an input that is). Returns 0 or AVERROR(ENOMEM). */
int tag_segment_piece(AVFormatContext *out, const char *piece);

/* Writes `output` (temporary name, then rename) as the segment --segment i/n makes where its
 * range holds no keyframe (a cut with fewer keyframes than pieces), which --concat passes
 * over: `out`, a muxer context without streams, with SEGMENT_TAG "i/n, empty" and one empty
 * subtitle, no video (an H.264 or VP9 track's header needs an encoded frame). MPEG-TS takes
 * the subtitle as data: its empty segment is one without video. Where stopped() says a stop
 * signal came, before or while it is written, nothing is left and AVERROR_EXIT returned.
 * Returns 0 or an AVERROR. */
int write_empty_segment(AVFormatContext *out, const char *output, int i, int n,
                        const AVDictionary *mux_opts, int (*stopped)(void));

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
