/* test_video_image.c: srres-video on a PNG writes exactly the library's output, which is
 * within 1/255 of PyTorch's (the 16x64 x4 fixture). */
#include <math.h>
#include <unistd.h>

#include "frame_source.h"
#include "test_util.h"

#ifndef BUILD_DIR
#define BUILD_DIR "build"
#endif

static uint8_t *read_rgb(const char *path, int *w, int *h)
{
    frame_source *fs;
    const uint8_t *rgb;
    char err[256];
    if (frame_source_open(&fs, path, err, sizeof(err)) < 0 ||
        frame_source_read(fs, 0, &rgb, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    *w = frame_source_width(fs);
    *h = frame_source_height(fs);
    uint8_t *copy = malloc((size_t)*w * *h * 3);
    memcpy(copy, rgb, (size_t)*w * *h * 3);
    frame_source_close(fs);
    return copy;
}

static void test_png_output_is_the_library_output(void **state)
{
    char dir[] = "/tmp/srres-image-XXXXXX", cmd[2048], in[256], out[256];
    assert_non_null(mkdtemp(dir));
    snprintf(in, sizeof(in), "%s/in.png", dir);
    snprintf(out, sizeof(out), "%s/out.png", dir);
    snprintf(cmd, sizeof(cmd),
             "ffmpeg -nostdin -v error -f rawvideo -pix_fmt rgb24 -s 40x30 -i %s/x4_16x64.in.rgb "
             "%s && %s/srres-video -q -i %s -o %s -m %s/x4_16x64.safetensors",
             FIXTURES, in, BUILD_DIR, in, out, FIXTURES);
    assert_int_equal(system(cmd), 0);

    int w, h, W, H;
    uint8_t *src = read_rgb(in, &w, &h), *tool = read_rgb(out, &W, &H);
    assert_int_equal(w * 4, W);
    assert_int_equal(h * 4, H);
    srres_model *m;
    srres_ctx *ctx;
    srres_error err;
    assert_int_equal(srres_model_load(FIXTURES "/x4_16x64.safetensors", &m, &err), SRRES_OK);
    assert_int_equal(srres_ctx_create(m, NULL, &ctx, &err), SRRES_OK);
    uint8_t *lib = malloc((size_t)W * H * 3);
    srres_image si = rgb24_image(src, w, h), so = rgb24_image(lib, W, H);
    assert_int_equal(srres_upscale(ctx, &si, &so, &err), SRRES_OK);
    assert_memory_equal(tool, lib, (size_t)W * H * 3);

    size_t size;
    float *torch = read_file(FIXTURES "/x4_16x64.out.f32", &size);
    long off = 0;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < W * H; i++) {
            float v = torch[(size_t)c * W * H + i];
            int expect = (int)floorf((v < 0 ? 0 : v > 1 ? 1 : v) * 255.0f + 0.5f);
            int d = abs(expect - tool[(size_t)i * 3 + c]);
            assert_true(d <= 1);
            off += d;
        }
    assert_true(off * 1000 <= 3L * W * H);
    free(torch);
    free(src), free(tool), free(lib);
    srres_ctx_free(ctx);
    srres_model_free(m);
    unlink(in);
    unlink(out);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_output_is_the_library_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
