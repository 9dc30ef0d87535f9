/* frame_source.h: random access to the frames of a video or image file as packed 8-bit RGB
 * (libavformat, libavcodec, libswscale), for the trainer and the evaluator. */
#ifndef SRRES_FRAME_SOURCE_H
#define SRRES_FRAME_SOURCE_H

#include <stdint.h>

typedef struct frame_source frame_source;

/* Opens `path` and its best video stream. Returns 0 or a negative AVERROR, with a one-line
 * message naming the file in err. */
int frame_source_open(frame_source **fs, const char *path, char *err, int errlen);
void frame_source_close(frame_source *fs);

int frame_source_count(const frame_source *fs); /* frames, >= 1 */
/* The size of the frame read last (before any, the stream's): a video may change it. */
int frame_source_width(const frame_source *fs);
int frame_source_height(const frame_source *fs);
/* Whether a frame read so far was coded interlaced (two fields, woven into one picture). */
int frame_source_interlaced(const frame_source *fs);

/* The alpha of the frame read last (w x h, 8 bits: 0 is fully transparent), or NULL where
 * its format has none or it is 0 everywhere (an alpha-less writer's); valid as the RGB is. The RGB holds the colours as stored, those of
 * transparent pixels too, which mean nothing. */
const uint8_t *frame_source_alpha(const frame_source *fs);

/* How far, in pixels across and down, other pixels' stored values reach into a pixel's RGB
 * as read last: 0 where each pixel has colours of its own (RGB, grey, 4:4:4); more where
 * pixels share chroma (4:2:0, as lossy WebP with alpha has it), which also carries the
 * colours of fully transparent neighbours. */
void frame_source_colour_reach(const frame_source *fs, int *across, int *down);

/* Decodes frame `index` (0-based, clamped to the count) into an RGB24 buffer owned by fs,
 * valid until the next call; stride is width * 3. A damaged frame is skipped: one that does
 * not decode (a JPEG cut short), as ffmpeg skips it, one the decoder hid its errors in (H.264's
 * concealment), and, where frames are predicted from others, the frames after either up to
 * the next keyframe, which carry what the damage left. A read of one gives the next whole
 * frame, or the last before it where none follows; of a file with none, the error.
 * Returns 0, 1 where frame `index` was damaged and another is given, or a negative AVERROR. */
int frame_source_read(frame_source *fs, int index, const uint8_t **rgb, char *err, int errlen);

/* The damaged frames skipped so far, as keys (sorted, each once) that name a frame alike in
 * every source of the same file: their union over sources counts each frame once. */
int frame_source_damaged(const frame_source *fs, const int64_t **keys);

#endif
