/* test_train_gradient.c: the trainer's whole-network gradient against central finite
 * differences of a plain double-precision reference of the network, written here without
 * any of core's layers, on tiny models of every structure (image skip or not, per-layer and
 * per-channel PReLU, x2/x3/x4, no blocks, MSE and L1). */
#include <math.h>

#include "cpu.h"
#include "model.h"
#include "test_util.h"

/* out [cout][n][h][w] = conv(in) with zero padding. */
static void ref_conv(double *out, const double *in, const conv_layer *L, int n, int h, int w)
{
    int k = L->k, pad = k / 2;
    size_t plane = (size_t)n * h * w;
    for (int co = 0; co < L->cout; co++)
        for (int im = 0; im < n; im++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    double s = L->bias[co];
                    for (int ci = 0; ci < L->cin; ci++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++) {
                                int sy = y + ky - pad, sx = x + kx - pad;
                                if (sy < 0 || sy >= h || sx < 0 || sx >= w)
                                    continue;
                                s += (double)L->weight[((co * L->cin + ci) * k + ky) * k + kx] *
                                     in[ci * plane + ((size_t)im * h + sy) * w + sx];
                            }
                    out[co * plane + ((size_t)im * h + y) * w + x] = s;
                }
}

static void ref_prelu(double *x, const prelu_layer *L, int c, size_t plane)
{
    for (int ch = 0; ch < c; ch++)
        for (size_t i = 0; i < plane; i++)
            if (x[ch * plane + i] < 0)
                x[ch * plane + i] *= L->slope[L->n == 1 ? 0 : ch];
}

/* The loss of the network on NCHW patches, all in double. */
static double ref_loss(const srres_model *m, const float *lr, const float *hr, int n, int P,
                       srres_loss kind)
{
    int C = m->cfg.channels, s = m->cfg.scale, r = m->up_factor;
    size_t plane = (size_t)n * P * P;
    double *in = malloc(sizeof(double) * 3 * plane), *head = malloc(sizeof(double) * C * plane);
    double *x = malloc(sizeof(double) * C * plane), *t1 = malloc(sizeof(double) * C * plane);
    double *t2 = malloc(sizeof(double) * C * plane);
    for (int im = 0; im < n; im++)
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < P * P; i++)
                in[c * plane + (size_t)im * P * P + i] = lr[((size_t)im * 3 + c) * P * P + i];
    ref_conv(head, in, &m->head, n, P, P);
    ref_prelu(head, &m->head_prelu, C, plane);
    memcpy(x, head, sizeof(double) * C * plane);
    for (int i = 0; i < m->cfg.blocks; i++) {
        ref_conv(t1, x, &m->body[i].conv1, n, P, P);
        ref_prelu(t1, &m->body[i].prelu1, C, plane);
        ref_conv(t2, t1, &m->body[i].conv2, n, P, P);
        ref_prelu(t2, &m->body[i].prelu2, C, plane);
        for (size_t q = 0; q < C * plane; q++)
            x[q] += t2[q];
    }
    ref_conv(t1, x, &m->trunk, n, P, P);
    for (size_t q = 0; q < C * plane; q++)
        t1[q] += head[q];
    double *cur = t1, *owned = NULL;
    int side = P;
    for (int j = 0; j < m->up_stages; j++) {
        size_t pj = (size_t)n * side * side;
        int os = side * r;
        double *pre = malloc(sizeof(double) * C * r * r * pj);
        double *sh = malloc(sizeof(double) * C * r * r * pj);
        ref_conv(pre, cur, &m->up[j], n, side, side);
        for (int c = 0; c < C; c++)
            for (int im = 0; im < n; im++)
                for (int y = 0; y < side; y++)
                    for (int xx = 0; xx < side; xx++)
                        for (int a = 0; a < r; a++)
                            for (int b = 0; b < r; b++)
                                sh[(size_t)c * n * os * os + ((size_t)im * os + y * r + a) * os +
                                   xx * r + b] =
                                    pre[(size_t)(c * r * r + a * r + b) * pj +
                                        ((size_t)im * side + y) * side + xx];
        ref_prelu(sh, &m->up_prelu[j], C, (size_t)n * os * os);
        free(pre);
        free(owned);
        cur = owned = sh;
        side = os;
    }
    size_t ph = (size_t)n * side * side;
    double *out = malloc(sizeof(double) * 3 * ph), loss = 0;
    ref_conv(out, cur, &m->tail, n, side, side);
    for (int c = 0; c < 3; c++)
        for (int im = 0; im < n; im++)
            for (int y = 0; y < side; y++)
                for (int xx = 0; xx < side; xx++) {
                    size_t o = c * ph + ((size_t)im * side + y) * side + xx;
                    if (m->cfg.image_skip == SRRES_SKIP_NEAREST)
                        out[o] += in[c * plane + ((size_t)im * P + y / s) * P + xx / s];
                    double d = out[o] - hr[((size_t)im * 3 + c) * side * side + y * side + xx];
                    loss += kind == SRRES_LOSS_L1 ? fabs(d) : d * d;
                }
    free(in), free(head), free(x), free(t1), free(t2), free(owned), free(out);
    return loss / (3.0 * ph);
}

static void check_gradient_on(const srres_config *cfg, int batch, int patch, srres_loss loss,
                              srres_kernel kernel)
{
    srres_error err;
    srres_model *m;
    srres_trainer *t;
    assert_int_equal(srres_model_create(cfg, &m, &err), SRRES_OK);
    srres_model_init_random(m, 42);
    float *p = srres_model_params(m);
    size_t np = srres_model_num_params(m);
    srres_rng rng;
    srres_rng_seed(&rng, 7);
    /* Lift the x0.1-scaled tensors so every path carries gradient of a useful size. */
    for (size_t i = 0; i < np; i++)
        p[i] += 0.05f * (float)srres_rng_normal(&rng);
    assert_int_equal(srres_trainer_create_kernel(m, batch, patch, 2, kernel, &t, &err), SRRES_OK);
    int s = cfg->scale;
    size_t nlr = (size_t)batch * 3 * patch * patch, nhr = nlr * s * s;
    float *lr = random_floats(nlr, 0, 1, &rng), *hr = random_floats(nhr, 0, 1, &rng);
    double loss_f = srres_trainer_forward(t, lr, hr, loss);
    assert_true(fabs(loss_f - ref_loss(m, lr, hr, batch, patch, loss)) < 1e-5 * loss_f);
    srres_trainer_zero_grad(t);
    srres_trainer_backward(t);
    const float *g = srres_trainer_grads(t);
    int checked = 0, bad = 0;
    for (int k = 0; k < m->num_tensors; k++) {
        model_tensor *tensor = &m->tensors[k];
        size_t off = (size_t)(tensor->data - p);
        for (int q = 0; q < 4 && q < (int)tensor->count; q++) {
            size_t i = off + srres_rng_below(&rng, (uint32_t)tensor->count);
            /* A small step keeps PReLU and |x| kinks out of [p-h, p+h]; the reference is
             * double, so rounding stays far below it. Divide by the step the float made. */
            float saved = p[i], up = (float)(saved + 1e-5), down = (float)(saved - 1e-5);
            p[i] = up;
            double lp = ref_loss(m, lr, hr, batch, patch, loss);
            p[i] = down;
            double lm = ref_loss(m, lr, hr, batch, patch, loss);
            p[i] = saved;
            double fd = (lp - lm) / ((double)up - (double)down);
            checked++;
            if (fabs(fd - g[i]) > 1e-2 * fabs(fd) + 1e-6) {
                print_message("%s[%zu]: backward %.6g, finite difference %.6g\n", tensor->name,
                              i - off, (double)g[i], fd);
                bad++;
            }
        }
    }
    assert_int_equal(bad, 0);
    assert_true(checked > 20);
    free(lr);
    free(hr);
    srres_trainer_free(t);
    srres_model_free(m);
}

/* On the kernels of AUTO (AVX-512 here), then on the forced AVX2 + FMA ones. */
static void check_gradient(const srres_config *cfg, int batch, int patch, srres_loss loss)
{
    check_gradient_on(cfg, batch, patch, loss, SRRES_KERNEL_AUTO);
    if (cpu_has_avx2_fma())
        check_gradient_on(cfg, batch, patch, loss, SRRES_KERNEL_AVX2);
}

static void test_gradient_x2_skip_per_channel(void **state)
{
    srres_config c = {2, 2, 4, SRRES_SKIP_NEAREST, 1};
    check_gradient(&c, 2, 5, SRRES_LOSS_MSE);
}

static void test_gradient_x4_no_skip_shared_slope(void **state)
{
    srres_config c = {4, 1, 3, SRRES_SKIP_NONE, 0};
    check_gradient(&c, 2, 4, SRRES_LOSS_MSE);
}

static void test_gradient_x3_l1_no_blocks(void **state)
{
    srres_config c = {3, 0, 5, SRRES_SKIP_NEAREST, 1};
    check_gradient(&c, 1, 6, SRRES_LOSS_L1);
}

/* One step's loss and gradients on `kernel`, from the same model and batch each time. */
static float *step_gradients(const srres_config *cfg, srres_kernel kernel, float *loss_out)
{
    srres_error err;
    srres_model *m;
    srres_trainer *t;
    assert_int_equal(srres_model_create(cfg, &m, &err), SRRES_OK);
    srres_model_init_random(m, 5);
    assert_int_equal(srres_trainer_create_kernel(m, 2, 12, 2, kernel, &t, &err), SRRES_OK);
    srres_rng rng;
    srres_rng_seed(&rng, 11);
    size_t nlr = (size_t)2 * 3 * 12 * 12, nhr = nlr * cfg->scale * cfg->scale;
    float *lr = random_floats(nlr, 0, 1, &rng), *hr = random_floats(nhr, 0, 1, &rng);
    *loss_out = srres_trainer_forward(t, lr, hr, SRRES_LOSS_MSE);
    srres_trainer_zero_grad(t);
    srres_trainer_backward(t);
    size_t np = srres_model_num_params(m);
    float *g = malloc(sizeof(float) * np);
    memcpy(g, srres_trainer_grads(t), sizeof(float) * np);
    free(lr), free(hr);
    srres_trainer_free(t);
    srres_model_free(m);
    return g;
}

/* Whether gradients g agree with want within float rounding: 1e-4 of each, or of a
 * hundredth of the largest (sums of terms of both signs lose relative precision). */
static void check_close(const float *g, const float *want, size_t np, const char *what)
{
    double gmax = 0;
    for (size_t i = 0; i < np; i++)
        gmax = fmax(gmax, fabs(want[i]));
    for (size_t i = 0; i < np; i++)
        if (fabs((double)g[i] - want[i]) > 1e-4 * (fabs(want[i]) + 1e-2 * gmax))
            fail_msg("gradient %zu: AVX2 %g, %s %g", i, g[i], what, want[i]);
}

/* A step on the forced AVX2 + FMA kernels gives the loss and gradients of the AVX-512
 * kernels and of the baseline, within float rounding; and it does run its own kernels: the
 * tail's sums its lanes in another order (direct_conv_template.c), whose last bits every
 * gradient upstream inherits, so the gradients are neither set's bit for bit. */
static void test_avx2_step_matches_avx512_and_baseline(void **state)
{
    if (!cpu_has_avx2_fma())
        skip();
    srres_config c = {4, 2, 24, SRRES_SKIP_NEAREST, 1};
    srres_model *m;
    srres_error err;
    assert_int_equal(srres_model_create(&c, &m, &err), SRRES_OK);
    size_t np = srres_model_num_params(m);
    srres_model_free(m);
    float l2, lother;
    float *g2 = step_gradients(&c, SRRES_KERNEL_AVX2, &l2);
    float *g = step_gradients(&c, SRRES_KERNEL_BASELINE, &lother);
    check_close(g2, g, np, "baseline");
    assert_true(fabs((double)l2 - lother) <= 1e-5 * lother);
    assert_true(memcmp(g2, g, sizeof(float) * np));
    free(g);
    if (cpu_has_avx512()) {
        g = step_gradients(&c, SRRES_KERNEL_AUTO, &lother);
        check_close(g2, g, np, "AVX-512");
        assert_true(fabs((double)l2 - lother) <= 1e-5 * lother);
        assert_true(memcmp(g2, g, sizeof(float) * np));
        free(g);
    }
    free(g2);
}

/* The kernel choice follows srres_params.kernel's rules. */
static void test_unknown_kernel_is_refused(void **state)
{
    srres_config c = {2, 1, 4, SRRES_SKIP_NEAREST, 1};
    srres_error err;
    srres_model *m;
    srres_trainer *t;
    assert_int_equal(srres_model_create(&c, &m, &err), SRRES_OK);
    assert_int_equal(srres_trainer_create_kernel(m, 1, 4, 1, (srres_kernel)7, &t, &err),
                     SRRES_ERR_INVALID);
    assert_null(t);
    assert_non_null(strstr(err.message, "unknown kernel 7"));
    srres_model_free(m);
}

static void test_unknown_loss_is_nan(void **state)
{
    srres_config c = {2, 1, 4, SRRES_SKIP_NEAREST, 1};
    srres_error err;
    srres_model *m;
    srres_trainer *t;
    assert_int_equal(srres_model_create(&c, &m, &err), SRRES_OK);
    srres_model_init_random(m, 1);
    assert_int_equal(srres_trainer_create(m, 1, 4, 1, &t, &err), SRRES_OK);
    float lr[3 * 4 * 4] = {0}, hr[3 * 8 * 8] = {0};
    assert_true(isnan(srres_trainer_forward(t, lr, hr, (srres_loss)2)));
    assert_false(isnan(srres_trainer_forward(t, lr, hr, SRRES_LOSS_L1)));
    srres_trainer_free(t);
    srres_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_x2_skip_per_channel),
        cmocka_unit_test(test_gradient_x4_no_skip_shared_slope),
        cmocka_unit_test(test_gradient_x3_l1_no_blocks),
        cmocka_unit_test(test_avx2_step_matches_avx512_and_baseline),
        cmocka_unit_test(test_unknown_kernel_is_refused),
        cmocka_unit_test(test_unknown_loss_is_nan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
