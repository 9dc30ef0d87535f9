/* test_frame_source.c: images decoded to 8-bit RGB as they are: 8-bit PNGs unchanged, and
 * 16-bit ones (RGB, RGBA, grey) rounded to nearest, v * 255 / 65535, in every value, alpha
 * too; videos counted where the container gives only a duration (Matroska) or nothing (raw
 * H.264), a count too high (a truncated file) found out whatever order the frames are read
 * in, and every frame the same read backwards as in order whatever the container (MPEG-TS
 * seeks land between keyframes), and a frame far ahead sought rather than decoded to; an
 * empty file and a link to nothing named as such; a name read as a file's, never a URL's.
 * Clips are made by Debian's ffmpeg. */
#include <time.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>

#include "frame_source.h"
#include "test_util.h"

enum { W = 64, H = 16 };

/* Sample c of pixel i: spread over the whole 16-bit range, no two neighbours alike. */
static uint16_t value(size_t i, int c)
{
    return (uint16_t)((i * 3 + (size_t)c) * 40503u + 12345u);
}

/* Encodes a W x H PNG of the values (8-bit formats keep their top byte) and writes it. */
static void write_png(const char *path, enum AVPixelFormat fmt)
{
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    AVFrame *f = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    assert_true(enc && f && pkt);
    enc->width = f->width = W;
    enc->height = f->height = H;
    enc->pix_fmt = f->format = fmt;
    enc->time_base = (AVRational){1, 25};
    assert_int_equal(avcodec_open2(enc, codec, NULL), 0);
    assert_int_equal(av_frame_get_buffer(f, 0), 0);
    int comps = fmt == AV_PIX_FMT_GRAY16BE ? 1 : fmt == AV_PIX_FMT_RGBA64BE ? 4 : 3;
    int deep = fmt != AV_PIX_FMT_RGB24;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < comps; c++) {
                uint16_t v = value((size_t)y * W + x, c);
                uint8_t *p = f->data[0] + (size_t)y * f->linesize[0];
                if (deep) {
                    p[(x * comps + c) * 2] = (uint8_t)(v >> 8); /* big-endian */
                    p[(x * comps + c) * 2 + 1] = (uint8_t)v;
                } else {
                    p[x * comps + c] = (uint8_t)(v >> 8);
                }
            }
    assert_int_equal(avcodec_send_frame(enc, f), 0);
    assert_int_equal(avcodec_receive_packet(enc, pkt), 0);
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(pkt->data, 1, pkt->size, out), (size_t)pkt->size);
    assert_int_equal(fclose(out), 0);
    av_packet_free(&pkt);
    av_frame_free(&f);
    avcodec_free_context(&enc);
}

/* Decodes the PNG of fmt and counts the values that are not the expected ones, its alpha's
 * too (rounded as the colours are; none where the format has none). */
static int wrong_values(enum AVPixelFormat fmt)
{
    char path[] = "/tmp/test_frame_source.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_png(path, fmt);
    frame_source *fs;
    const uint8_t *rgb;
    char err[256];
    if (frame_source_open(&fs, path, err, sizeof(err)) < 0 ||
        frame_source_read(fs, 0, &rgb, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    assert_int_equal(frame_source_width(fs), W);
    assert_int_equal(frame_source_height(fs), H);
    int wrong = 0;
    for (size_t i = 0; i < (size_t)W * H; i++)
        for (int c = 0; c < 3; c++) {
            uint16_t v = value(i, fmt == AV_PIX_FMT_GRAY16BE ? 0 : c);
            unsigned want = fmt == AV_PIX_FMT_RGB24 ? v >> 8 : (v * 255u + 32767) / 65535;
            wrong += rgb[i * 3 + c] != want;
        }
    const uint8_t *alpha = frame_source_alpha(fs);
    if (fmt != AV_PIX_FMT_RGBA64BE)
        wrong += alpha != NULL;
    else if (!alpha)
        wrong++;
    else
        for (size_t i = 0; i < (size_t)W * H; i++)
            wrong += alpha[i] != (value(i, 3) * 255u + 32767) / 65535;
    frame_source_close(fs);
    unlink(path);
    return wrong;
}

static void test_8bit_rgb_is_unchanged(void **state)
{
    assert_int_equal(wrong_values(AV_PIX_FMT_RGB24), 0);
}

static void test_16bit_rgb_rounds_to_nearest(void **state)
{
    assert_int_equal(wrong_values(AV_PIX_FMT_RGB48BE), 0);
}

static void test_16bit_rgba_rounds_to_nearest(void **state)
{
    assert_int_equal(wrong_values(AV_PIX_FMT_RGBA64BE), 0);
}

static void test_16bit_grey_rounds_to_nearest(void **state)
{
    assert_int_equal(wrong_values(AV_PIX_FMT_GRAY16BE), 0);
}

/* Makes clip.mp4 (2 s of testsrc2 at 25 fps, a keyframe every 10 frames), then runs `then`
 * in the same folder, which makes `name` from it; returns name's path. */
static const char *make_clip(const char *name, const char *then)
{
    static char path[256];
    char cmd[1024];
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    snprintf(cmd, sizeof(cmd),
             "cd %s && ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=96x64:rate=25 -t 2 "
             "-c:v libx264 -g 10 -pix_fmt yuv420p clip.mp4 && %s",
             test_tmpdir(), then);
    assert_int_equal(system(cmd), 0);
    return path;
}

static uint8_t *read_frame(frame_source *fs, int index)
{
    const uint8_t *rgb;
    char err[256];
    if (frame_source_read(fs, index, &rgb, err, sizeof(err)) < 0)
        fail_msg("frame %d: %s", index, err);
    size_t n = (size_t)frame_source_width(fs) * frame_source_height(fs) * 3;
    uint8_t *copy = malloc(n);
    memcpy(copy, rgb, n);
    return copy;
}

static void test_matroska_frames_are_counted(void **state)
{
    const char *path =
        make_clip("clip.mkv", "ffmpeg -nostdin -v error -y -i clip.mp4 -c copy clip.mkv");
    frame_source *fs;
    char err[256];
    if (frame_source_open(&fs, path, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    assert_int_equal(frame_source_count(fs), 50);
    uint8_t *first = read_frame(fs, 0), *middle = read_frame(fs, 25);
    assert_memory_not_equal(first, middle, 96 * 64 * 3);
    free(first);
    free(middle);
    frame_source_close(fs);
}

/* Reads every frame of path in order (FLV's duration counts two more), then each again
 * with a seek back to it, from the last to the first: the two reads of a frame must agree,
 * and no two frames be alike. */
static void same_backwards_as_in_order(const char *path, int count)
{
    frame_source *a = NULL, *b = NULL;
    char err[256];
    if (frame_source_open(&a, path, err, sizeof(err)) < 0 ||
        frame_source_open(&b, path, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    size_t n = 96 * 64 * 3;
    int opened = frame_source_count(a);
    assert_true(opened >= count);
    uint8_t **frames = calloc(opened, sizeof(*frames));
    for (int i = 0; i < frame_source_count(a); i++)
        frames[i] = read_frame(a, i);
    assert_int_equal(frame_source_count(a), count);
    for (int i = 1; i < count; i++)
        assert_memory_not_equal(frames[i - 1], frames[i], n);
    for (int i = count - 1; i >= 0; i--) {
        uint8_t *f = read_frame(b, i);
        if (memcmp(f, frames[i], n))
            fail_msg("%s: frame %d read backwards differs", path, i);
        free(f);
    }
    for (int i = 0; i < opened; i++)
        free(frames[i]);
    free(frames);
    frame_source_close(a);
    frame_source_close(b);
}

static void test_mpegts_frames_read_backwards(void **state)
{
    same_backwards_as_in_order(
        make_clip("clip.ts", "ffmpeg -nostdin -v error -y -i clip.mp4 -c copy clip.ts"), 50);
}

static void test_flv_frames_read_backwards(void **state)
{
    same_backwards_as_in_order(
        make_clip("clip.flv", "ffmpeg -nostdin -v error -y -i clip.mp4 -c copy clip.flv"), 50);
}

/* An MPEG program stream's keyframes carry a decoding time alone, here 3 frames before they
 * are shown (2 B frames): a seek that landed on one just past the frame asked for took it for
 * one before it, and the read gave the keyframe. (Its duration, 1.96 s, counts 49 frames of
 * the 50.) */
static void test_mpeg_program_stream_frames_read_backwards(void **state)
{
    same_backwards_as_in_order(make_clip("clip.mpg", "ffmpeg -nostdin -v error -y -i clip.mp4 "
                                                     "-c:v mpeg2video -g 12 -bf 2 clip.mpg"),
                               49);
}

static void test_raw_h264_frames_are_counted_and_read_backwards(void **state)
{
    same_backwards_as_in_order(
        make_clip("clip.h264", "ffmpeg -nostdin -v error -y -i clip.mp4 -c copy clip.h264"),
        50);
}

/* A faststart MP4 cut short says 50 frames and holds fewer: read in order, the reads past
 * them give the last, as a fresh read past the end does, and the count comes down. */
static void test_a_count_too_high_gives_the_last_frame(void **state)
{
    const char *path = make_clip("cut.mp4", "ffmpeg -nostdin -v error -y -i clip.mp4 -c copy "
                                            "-movflags +faststart fast.mp4 && "
                                            "head -c 12000 fast.mp4 >cut.mp4");
    frame_source *a = NULL, *b = NULL; /* fail_msg is not marked noreturn */
    char err[256];
    av_log_set_level(AV_LOG_QUIET);
    if (frame_source_open(&a, path, err, sizeof(err)) < 0 ||
        frame_source_open(&b, path, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    assert_int_equal(frame_source_count(a), 50);
    uint8_t *last = read_frame(b, 40);
    int same = 0;
    for (int i = 0; i <= 40; i++) {
        uint8_t *f = read_frame(a, i);
        same += !memcmp(f, last, 96 * 64 * 3);
        free(f);
    }
    int held = frame_source_count(a);
    assert_true(held > 1 && held < 40);
    assert_int_equal(same, 40 - held + 2); /* the last frame itself, then every read past it */
    free(last);
    frame_source_close(a);
    frame_source_close(b);
    av_log_set_level(AV_LOG_ERROR);
}

/* CPU seconds this process has used. */
static double cpu_seconds(void)
{
    return (double)clock() / CLOCKS_PER_SEC;
}

/* A frame far ahead is reached by a seek, not by decoding every frame before it (a loader
 * spent a third of a long video a draw), and it is the frame read in order. */
static void test_a_frame_far_ahead_is_sought(void **state)
{
    const char *path = make_clip(
        "long.mp4", "ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=96x64:rate=25 "
                    "-t 60 -c:v libx264 -g 25 -pix_fmt yuv420p long.mp4");
    frame_source *fs = NULL;
    char err[256];
    if (frame_source_open(&fs, path, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    assert_int_equal(frame_source_count(fs), 1500);
    double t0 = cpu_seconds();
    free(read_frame(fs, 0));
    uint8_t *ahead = read_frame(fs, 1490);
    double sought = cpu_seconds() - t0;
    free(read_frame(fs, 0));
    t0 = cpu_seconds();
    for (int i = 1; i < 1490; i++)
        free(read_frame(fs, i));
    uint8_t *in_order = read_frame(fs, 1490);
    double decoded = cpu_seconds() - t0;
    assert_memory_equal(ahead, in_order, 96 * 64 * 3);
    if (!(sought < decoded / 5))
        fail_msg("frame 1490 after frame 0: %.3f s; every frame to it: %.3f s", sought, decoded);
    free(ahead);
    free(in_order);
    frame_source_close(fs);
}

/* A video whose frame size changes part way gives each frame at its own size, read in
 * order and back across the change alike (it was refused, stopping a run hours in). */
static void test_frames_come_at_their_own_size(void **state)
{
    const char *path = make_clip(
        "sizes.ts", "ffmpeg -nostdin -v error -y -i clip.mp4 -c copy a.ts && "
                    "ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=48x32:rate=25 -t 1 "
                    "-c:v libx264 -g 10 -output_ts_offset 2 b.ts && cat a.ts b.ts >sizes.ts");
    frame_source *fs = NULL;
    char err[256];
    av_log_set_level(AV_LOG_QUIET);
    if (frame_source_open(&fs, path, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    uint8_t *frames[75];
    int widths[75];
    for (int i = 0; i < 75; i++) {
        frames[i] = read_frame(fs, i);
        widths[i] = frame_source_width(fs);
        assert_int_equal(frame_source_height(fs), widths[i] * 2 / 3);
    }
    assert_int_equal(widths[49], 96);
    assert_int_equal(widths[50], 48);
    for (int i = 74; i >= 40; i--) {
        uint8_t *again = read_frame(fs, i);
        assert_int_equal(frame_source_width(fs), widths[i]);
        assert_memory_equal(again, frames[i], (size_t)widths[i] * widths[i] * 2 / 3 * 3);
        free(again);
    }
    for (int i = 0; i < 75; i++)
        free(frames[i]);
    frame_source_close(fs);
    av_log_set_level(AV_LOG_ERROR);
}

/* Opening path fails with exactly `expected` after the path. */
static void expect_open_error(const char *path, const char *expected)
{
    frame_source *fs = NULL;
    char err[256], want[512];
    assert_true(frame_source_open(&fs, path, err, sizeof(err)) < 0);
    assert_null(fs);
    snprintf(want, sizeof(want), "%s: %s", path, expected);
    assert_string_equal(err, want);
}

/* An interrupted copy leaves an empty file, a photo moved away a link to nothing: each is
 * named as what it is, not as invalid data or a file that is not there. */
static void test_an_empty_file_and_a_link_to_nothing_are_named(void **state)
{
    char empty[256], link[256];
    snprintf(empty, sizeof(empty), "%s/empty.jpg", test_tmpdir());
    snprintf(link, sizeof(link), "%s/moved.jpg", test_tmpdir());
    FILE *f = fopen(empty, "wb");
    assert_non_null(f);
    assert_int_equal(fclose(f), 0);
    unlink(link);
    assert_int_equal(symlink("elsewhere/photo.jpg", link), 0);
    expect_open_error(empty, "an empty file");
    expect_open_error(link, "a link to a file that does not exist");
}

/* Writes `name` in the current folder: a 32x32 binary PPM of grey `v`. */
static void write_grey(const char *name, int v)
{
    FILE *f = fopen(name, "wb");
    assert_non_null(f);
    fprintf(f, "P6\n32 32\n255\n");
    for (int i = 0; i < 32 * 32 * 3; i++)
        fputc(v, f);
    assert_int_equal(fclose(f), 0);
}

/* The grey of the first pixel of file `name`, or -1 where it cannot be read. */
static int grey_of(const char *name)
{
    frame_source *fs;
    const uint8_t *rgb;
    char err[256];
    if (frame_source_open(&fs, name, err, sizeof(err)) < 0)
        return -1;
    int v = frame_source_read(fs, 0, &rgb, err, sizeof(err)) < 0 ? -1 : rgb[0];
    frame_source_close(fs);
    return v;
}

/* A frame that does not decode (a damaged MJPEG frame: FFmpeg's decoder fails on it only
 * when asked to) is skipped as ffmpeg skips it: a read of it gives the next frame. Here 16
 * bytes in the middle of an MJPEG AVI damage one frame. */
static void test_a_damaged_frame_reads_as_the_next(void **state)
{
    const char *damaged = make_clip(
        "damaged.avi", "ffmpeg -nostdin -v error -y -i clip.mp4 -c:v mjpeg -q:v 3 whole.avi && "
                       "cp whole.avi damaged.avi && printf '\\377\\000\\245\\132%.0s' 1 2 3 4 | "
                       "dd of=damaged.avi bs=1 seek=$(($(stat -c %s whole.avi) / 2)) "
                       "conv=notrunc status=none");
    char whole[300], err[256];
    snprintf(whole, sizeof(whole), "%s/whole.avi", test_tmpdir());
    frame_source *a, *b;
    if (frame_source_open(&a, whole, err, sizeof(err)) < 0 ||
        frame_source_open(&b, damaged, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    size_t n = 96 * 64 * 3;
    int count = frame_source_count(a), differ = 0;
    assert_int_equal(frame_source_count(b), count);
    uint8_t *prev = NULL;
    for (int i = 0; i < count; i++) {
        uint8_t *x = read_frame(a, i), *y = read_frame(b, i);
        if (prev && memcmp(x, prev, n))
            fail_msg("frame %d of the damaged file is not frame %d", i - 1, i);
        free(prev);
        prev = NULL;
        if (memcmp(x, y, n)) {
            differ++;
            prev = y;
        } else {
            free(y);
        }
        free(x);
    }
    assert_null(prev); /* not the last frame */
    assert_int_equal(differ, 1);
    frame_source_close(a);
    frame_source_close(b);
}

/* Reads every frame of the damaged copy of TMPDIR/clip.mp4 at `damaged`, in order, then
 * backwards: each read must give a frame of the whole clip (no picture the decoder made up),
 * and 1 exactly where that is not the frame asked for, and the frames so skipped are counted
 * once each, however often read. Returns how many. */
static int skipped_and_counted(const char *damaged)
{
    char whole[300], err[256];
    snprintf(whole, sizeof(whole), "%s/clip.mp4", test_tmpdir());
    frame_source *a = NULL, *b = NULL;
    av_log_set_level(AV_LOG_QUIET);
    if (frame_source_open(&a, whole, err, sizeof(err)) < 0 ||
        frame_source_open(&b, damaged, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    size_t n = 96 * 64 * 3;
    int count = frame_source_count(a), skipped = 0;
    uint8_t **frames = calloc(count, sizeof(*frames));
    for (int i = 0; i < count; i++)
        frames[i] = read_frame(a, i);
    for (int pass = 0; pass < 2; pass++) {
        skipped = 0;
        for (int k = 0; k < count; k++) {
            int i = pass ? count - 1 - k : k, given = -1;
            const uint8_t *rgb;
            int ret = frame_source_read(b, i, &rgb, err, sizeof(err));
            if (ret < 0)
                fail_msg("frame %d: %s", i, err);
            for (int j = 0; j < count && given < 0; j++)
                if (!memcmp(rgb, frames[j], n))
                    given = j;
            if (given < 0)
                fail_msg("a read of frame %d gives a picture the whole clip does not hold", i);
            if (ret != (given != i))
                fail_msg("a read of frame %d gives frame %d, and %d", i, given, ret);
            skipped += given != i;
        }
        const int64_t *keys;
        assert_int_equal(frame_source_damaged(b, &keys), skipped);
    }
    for (int i = 0; i < count; i++)
        free(frames[i]);
    free(frames);
    frame_source_close(a);
    frame_source_close(b);
    av_log_set_level(AV_LOG_ERROR);
    return skipped;
}

/* H.264's decoder hides the errors of a damaged picture (it flags them), and the frames after
 * it, predicted from it up to the next keyframe, carry them: none is given, but the next
 * whole frame. Here 16 bytes 40% into the clip (a keyframe every 10 frames) damage a picture,
 * frame 20's here, whose concealment the frames to the next keyframe carried. */
static void test_concealed_h264_frames_are_skipped_and_counted(void **state)
{
    assert_true(skipped_and_counted(make_clip(
                    "concealed.mp4", "cp clip.mp4 concealed.mp4 && "
                                     "printf '\\377\\000\\245\\132%.0s' 1 2 3 4 | "
                                     "dd of=concealed.mp4 bs=1 "
                                     "seek=$(($(stat -c %s clip.mp4) * 40 / 100)) "
                                     "conv=notrunc status=none")) > 0);
}

/* A keyframe that does not decode (its NAL unit's length spoilt) takes the 9 frames after it
 * with it: the decoder drops some of those predicted from it and makes others from the frames
 * before it, and its best guess of their timestamps gives earlier frames later ones': all 10
 * are skipped and counted, and every read gives a frame of the clip. */
static void test_frames_after_a_lost_keyframe_are_skipped_and_counted(void **state)
{
    assert_int_equal(skipped_and_counted(make_clip(
                         "lost.mp4", "cp clip.mp4 lost.mp4 && printf '\\377\\377\\377\\377' | "
                                     "dd of=lost.mp4 bs=1 conv=notrunc status=none seek=$("
                                     "ffprobe -v error -select_streams v -show_entries "
                                     "packet=pos,flags -of csv=p=0 clip.mp4 | "
                                     "awk -F, '$2 ~ /K/ && n++ == 2 { print $1 }')")),
                     10);
}

/* A file name is a file's, whatever it starts with: a name with a colon after letters,
 * digits, '+', '-' or '.' was taken by libavformat for a protocol's URL, so
 * "2024-01-01T10:30:00.ppm" was "Protocol not found" and "file:b.ppm" read b.ppm. */
static void test_names_like_urls_are_files(void **state)
{
    char was[4096];
    assert_non_null(getcwd(was, sizeof(was)));
    assert_int_equal(chdir(test_tmpdir()), 0);
    write_grey("b.ppm", 10);
    write_grey("file:b.ppm", 20);
    write_grey("2024-01-01T10:30:00.ppm", 30);
    int got[] = {grey_of("file:b.ppm"), grey_of("2024-01-01T10:30:00.ppm"), grey_of("b.ppm")};
    assert_int_equal(chdir(was), 0);
    if (got[0] != 20 || got[1] != 30 || got[2] != 10)
        fail_msg("file:b.ppm %d, 2024-01-01T10:30:00.ppm %d, b.ppm %d (-1: not read); want "
                 "20, 30, 10",
                 got[0], got[1], got[2]);
}

/* A progressive JPEG cut between two scans is whole to FFmpeg's decoder, which warns and
 * gives the picture as far as the scans go (blurred, or its colours wrong): it is refused as
 * one cut anywhere else is, with or without an end marker added. The whole file still
 * decodes. */
static void test_a_progressive_jpeg_cut_between_scans_is_refused(void **state)
{
    size_t size;
    uint8_t *jpeg = read_file(FIXTURES "/progressive.jpg", &size);
    char path[300], err[512];
    snprintf(path, sizeof(path), "%s/scans.jpg", test_tmpdir());
    int cuts = 0;
    for (size_t at = 3; at + 1 < size; at++) {
        if (jpeg[at] != 0xff || jpeg[at + 1] != 0xda)
            continue;
        for (int eoi = 0; eoi < 2; eoi++) {
            FILE *f = fopen(path, "wb");
            assert_non_null(f);
            assert_int_equal(fwrite(jpeg, 1, at, f), at);
            if (eoi)
                assert_int_equal(fwrite("\xff\xd9", 1, 2, f), 2);
            assert_int_equal(fclose(f), 0);
            frame_source *fs;
            const uint8_t *rgb;
            assert_int_equal(frame_source_open(&fs, path, err, sizeof(err)), 0);
            if (frame_source_read(fs, 0, &rgb, err, sizeof(err)) >= 0)
                fail_msg("cut before the scan at byte %zu%s: decodes", at,
                         eoi ? ", end marker added" : "");
            assert_non_null(strstr(err, "no frame decodes (truncated or damaged?)"));
            frame_source_close(fs);
        }
        cuts++;
    }
    assert_true(cuts >= 5);
    frame_source *fs;
    const uint8_t *rgb;
    if (frame_source_open(&fs, FIXTURES "/progressive.jpg", err, sizeof(err)) < 0 ||
        frame_source_read(fs, 0, &rgb, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    frame_source_close(fs);
    free(jpeg);
}

int main(void)
{
    av_log_set_level(AV_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_8bit_rgb_is_unchanged),
        cmocka_unit_test(test_16bit_rgb_rounds_to_nearest),
        cmocka_unit_test(test_16bit_rgba_rounds_to_nearest),
        cmocka_unit_test(test_16bit_grey_rounds_to_nearest),
        cmocka_unit_test(test_matroska_frames_are_counted),
        cmocka_unit_test(test_mpegts_frames_read_backwards),
        cmocka_unit_test(test_flv_frames_read_backwards),
        cmocka_unit_test(test_raw_h264_frames_are_counted_and_read_backwards),
        cmocka_unit_test(test_mpeg_program_stream_frames_read_backwards),
        cmocka_unit_test(test_a_count_too_high_gives_the_last_frame),
        cmocka_unit_test(test_a_frame_far_ahead_is_sought),
        cmocka_unit_test(test_frames_come_at_their_own_size),
        cmocka_unit_test(test_an_empty_file_and_a_link_to_nothing_are_named),
        cmocka_unit_test(test_a_damaged_frame_reads_as_the_next),
        cmocka_unit_test(test_concealed_h264_frames_are_skipped_and_counted),
        cmocka_unit_test(test_frames_after_a_lost_keyframe_are_skipped_and_counted),
        cmocka_unit_test(test_names_like_urls_are_files),
        cmocka_unit_test(test_a_progressive_jpeg_cut_between_scans_is_refused),
    };
    return cmocka_run_group_tests(tests, make_test_tmpdir, remove_test_tmpdir);
}
