/* output_file.h: what writing an output file the careful way needs, shared by srres-video's
 * pipeline and its --concat: a temporary name to write under and rename from, the stream
 * properties a copied or re-encoded stream keeps, and what a format takes. */
#ifndef SRRES_OUTPUT_FILE_H
#define SRRES_OUTPUT_FILE_H

#include <libavformat/avformat.h>

/* Where an output is written and what it becomes. A new or regular file is written under
 * a temporary name, "dir/.name.partial-PID.ext" (the same folder, so the final rename is
 * atomic; the same extension, so muxers see the real format), beside the file the path
 * names (a symlink is followed and keeps pointing at the new file; the stem is shortened
 * where the name would be too long). An existing fifo,
 * device or socket, or a URL (output_is_url: a stream, stdout), is written directly: it
 * cannot be renamed over. */
typedef struct output_target {
    char *final; /* what the output becomes (malloc'ed) */
    char *temp;  /* what is written (malloc'ed; final itself when direct) */
    char *url;   /* temp for FFmpeg: "file:" before a path, where a ':' would name a protocol;
                    a URL as it is */
    int direct;
    int is_url; /* sent to a URL, not written into a file */
    int mode;   /* the permissions of the file replaced, which the new one keeps; -1: none */
    /* No -y (the name was free at the start) and no symlink there: the commit replaces
     * nothing that took the name since (another run's output). */
    int keep_other;
} output_target;

/* Whether an output's name is a URL libavformat writes, of a protocol other than file:
 * pipe:1 (also where a file has that name, as for ffmpeg), or rtmp://..., udp://... and the
 * like where no file has that name. Any other name is a file's, colons and all (a:b.mkv,
 * 2024-01-01T10:30:00.mkv, or hls:x.mkv: that protocol reads only). */
int output_is_url(const char *name);

/* The name an output is written under, as ffmpeg writes it: a file: URL's path (file:out.mkv
 * is out.mkv: its format guessed, the exists checks made and the temporary file renamed by
 * that name, as for a plain one), "./" before a path that alone would read as a URL
 * (file:pipe:1 is the file pipe:1 here); any other name as it is. The result is the name, a
 * part of it or, with "./", allocated for the run. */
const char *output_file_name(const char *name);

/* overwrite: -y, which lets the commit replace whatever has the name by then. */
void output_target_init(output_target *t, const char *path, int overwrite);
/* Written directly, whatever the path is: for outputs of many files (an image muxer's
 * numbered names), which no one rename can put in place. */
void output_target_init_direct(output_target *t, const char *path);
/* The temporary file renamed into place; 0, or -1 with errno: EEXIST where a file got the
 * name during the run and keep_other (OUTPUT_APPEARED says so). */
int output_target_commit(const output_target *t);
#define OUTPUT_APPEARED "appeared during the run; not replaced (use -y)"
/* Why the temporary file of the output `name` could not be made (errno err), in buf: its
 * folder's fault where the folder refuses new files (ffmpeg writes in place, into a file
 * that may be writable where its folder is not), else said of the output. Returns buf. */
const char *output_target_refused(const output_target *t, const char *name, int err, char *buf,
                                  size_t n);
/* A failed output removed (never a fifo or device written directly). */
void output_target_abandon(const output_target *t);
void output_target_free(output_target *t);

/* Copies a stream's metadata, disposition and side data (rotation and the like) to ost,
 * the display matrix only if keep_rotation, and the buffer and rates the input was coded
 * with (CPB properties) only if it is copied, not encoded anew. Returns 0 or
 * AVERROR(ENOMEM). */
int output_copy_stream_info(AVStream *ost, const AVStream *ist, int encoded, int keep_rotation);

/* Whether the format is the MP4 family's (the mov muxer's): in FFmpeg 5.1 these alone store a
 * display matrix (rotation), not Matroska or images, and they write their index at the end. */
int output_mp4_family(const AVOutputFormat *fmt);

/* The ticks, in ost's time base, by which a copied packet of ost is written later than its
 * timestamps (0 for most): FFmpeg 5.1's Matroska and WebM muxers write Opus's encoder delay as
 * CodecDelay but leave it out of the blocks' times, which the spec has hold it and the
 * demuxer takes it off, so each pass moved the audio 7 ms earlier against the video. */
int64_t output_codec_delay(const AVFormatContext *out, const AVStream *ost);

/* Whether an MPEG-TS output is written in Blu-ray's M2TS mode, which has stream types of its
 * own: as the mux options' mpegts_m2ts_mode says, else by the name's extension, as the muxer
 * decides. 0 for other formats. */
int output_m2ts(const AVOutputFormat *fmt, const char *name, const AVDictionary *mux_opts);

/* Whether the format can hold the codec (of an encoder): its muxer's query says so (formats
 * without one are given the benefit of the doubt), or else the muxer writes the header of an
 * output of that codec alone (in memory); MPEG-TS, the codecs a reader finds in it again (it
 * writes any other as data, read back as bin_data). */
int output_takes_codec(const AVOutputFormat *fmt, enum AVCodecID id, int m2ts);

/* Whether the muxer takes a copy of ist: no audio into a format without an audio codec, no
 * stream its codec query refuses, and none it cannot write the header of an output holding
 * that stream alone for (in memory; MPEG-PS checks its codecs only there). MPEG-TS takes
 * only the codecs it has a stream type for, Blu-ray's where `m2ts` (its M2TS mode). */
int output_takes_stream(const AVOutputFormat *fmt, const AVStream *ist, int m2ts);

/* How the muxer takes a picture coded as `codec` for cover art (an attached picture): 1 as
 * cover art, 0 only as a video stream (MP4 and M4A take PNG, JPEG and BMP cover art alone:
 * H.264 failed at the header; MOV and 3GP lose any), -1 not as a stream alone either, or
 * cannot tell so (H.264 into Matroska wants its extradata there). Asked of the muxer by the
 * header of an output holding such a stream alone (in memory). */
int output_cover_art(const AVOutputFormat *fmt, enum AVCodecID codec);

#endif
