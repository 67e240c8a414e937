#include "train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ws_train_result_free(ws_train_result *r) {
    free(r->epochs);
    memset(r, 0, sizeof *r);
}

ws_status ws_train_to_threshold(ws_ctx *ctx, ws_model *m, ws_optim *opt, const ws_dataset *d, const ws_norm *norm,
                                const int32_t *idx, int64_t n, const ws_train_config *cfg, uint64_t seed,
                                uint64_t order_stream, ws_epoch_fn on_epoch, void *user, ws_train_result *out) {
    memset(out, 0, sizeof *out);
    if (n <= 0) return ws_fail(ctx, WS_ERR_ARG, "nothing to train on (0 examples)");
    if (cfg->batch < 1) return ws_fail(ctx, WS_ERR_ARG, "batch size %d must be >= 1", cfg->batch);
    if (cfg->max_epochs < 1) return ws_fail(ctx, WS_ERR_ARG, "max epochs %d must be >= 1", cfg->max_epochs);
    if (ws_dataset_example_size(d) != ws_shape_numel(m->spec.input))
        return ws_fail(ctx, WS_ERR_ARG, "model input (%d,%d,%d) does not match the data (%d,%d,%d)", m->spec.input.c,
                       m->spec.input.h, m->spec.input.w, d->c, d->h, d->w);
    const int B = cfg->batch < n ? cfg->batch : (int)n;
    ctx->fault = WS_OK;
    ws_status st = ws_model_plan(ctx, m, B);
    if (st) return st;
    int64_t ex = ws_dataset_example_size(d);
    float *x = ws_alloc(ctx, sizeof(float) * (size_t)B * (size_t)ex);
    int32_t *y = ws_alloc(ctx, sizeof(int32_t) * (size_t)B);
    int32_t *order = ws_alloc(ctx, sizeof(int32_t) * (size_t)n);
    out->epochs = calloc((size_t)cfg->max_epochs, sizeof *out->epochs);
    if (!x || !y || !order || !out->epochs) {
        st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the training buffers (batch %d)", B);
        goto done;
    }
    double t_start = ws_now();
    for (int e = 1; e <= cfg->max_epochs; e++) {
        double t0 = ws_now();
        memcpy(order, idx, sizeof(int32_t) * (size_t)n);
        ws_rng r = ws_rng_stream(seed, "shuffle", order_stream * 1000003u + (uint64_t)e);
        ws_rng_shuffle(&r, order, n);
        ws_rng ar = ws_rng_stream(seed, "augment", order_stream * 1000003u + (uint64_t)e);
        double loss_sum = 0.0;
        int64_t hits = 0;
        for (int64_t s = 0; s < n; s += B) {
            int b = (int)(n - s < B ? n - s : B);
            ws_gather_augmented(x, y, d, norm, order + s, b, &cfg->augment, &ar);
            ws_model_forward(ctx, m, x, b, 1);
            int correct = 0;
            double loss = ws_model_loss(ctx, m, y, b, &correct);
            if (!isfinite(loss)) {
                st = ws_fail(ctx, WS_ERR_NUMERIC, "training diverged: loss is %s at epoch %d, step %lld",
                             isnan(loss) ? "NaN" : "infinite", e, (long long)out->steps + 1);
                out->diverged_epoch = e;
                goto done;
            }
            ws_model_zero_grad(m);
            ws_model_backward(ctx, m, y, b);
            if (ctx->fault) { // a backend op failed (its message is in ctx->err)
                st = ctx->fault;
                goto done;
            }
            if (cfg->after_backward && (st = cfg->after_backward(cfg->hook_user, m, opt, b))) goto done;
            ws_optim_step(opt, m->w, m->g);
            if (cfg->after_step && (st = cfg->after_step(cfg->hook_user, m, opt, b))) goto done;
            out->steps++;
            loss_sum += loss * b;
            hits += correct;
        }
        // Weights that overflowed show in the next loss, but not after the last step.
        for (int64_t i = 0; i < m->nweights; i++)
            if (!isfinite(m->w[i])) {
                st = ws_fail(ctx, WS_ERR_NUMERIC, "training diverged: a weight is %s after epoch %d",
                             isnan(m->w[i]) ? "NaN" : "infinite", e);
                out->diverged_epoch = e;
                goto done;
            }
        ws_epoch_record *rec = &out->epochs[out->nepochs++];
        rec->epoch = e;
        rec->loss = loss_sum / (double)n;
        rec->train_acc = (double)hits / (double)n;
        rec->seconds = ws_now() - t0;
        out->train_acc = rec->train_acc;
        out->loss = rec->loss;
        if (on_epoch) on_epoch(user, rec);
        if (cfg->after_epoch) cfg->after_epoch(cfg->after_epoch_user, m, rec);
        if (rec->train_acc >= cfg->threshold) {
            out->converged = 1;
            break;
        }
    }
    out->seconds = ws_now() - t_start;
done:
    ws_free(x);
    ws_free(y);
    ws_free(order);
    if (st) {
        int diverged = out->diverged_epoch;
        ws_train_result_free(out);
        out->diverged_epoch = diverged;
    }
    return st;
}

ws_status ws_evaluate(ws_ctx *ctx, ws_model *m, const ws_dataset *d, const ws_norm *norm, const int32_t *idx,
                      int64_t n, int batch, double *acc, double *loss) {
    if (n <= 0) return ws_fail(ctx, WS_ERR_ARG, "nothing to evaluate on (0 examples)");
    int B = batch < n ? batch : (int)n;
    ctx->fault = WS_OK;
    // Inference needs only a few activations' worth of memory, but a large
    // evaluation batch may still not grow the plan past 256 MB (a wide ResNet's
    // activations for 1,000 images take gigabytes): it falls back to the
    // planned batch, or 128. The accuracy is the same.
    const int64_t budget = 64 << 20; // floats
    const int fallback = m->planned_batch > 128 ? m->planned_batch : 128;
    if (B > fallback && ws_model_plan_floats(m, B, 0) > budget) B = fallback;
    ws_status st = ws_model_plan_inference(ctx, m, B);
    if (st) return st;
    int64_t ex = ws_dataset_example_size(d);
    float *x = ws_alloc(ctx, sizeof(float) * (size_t)B * (size_t)ex);
    int32_t *y = ws_alloc(ctx, sizeof(int32_t) * (size_t)B);
    if (!x || !y) {
        ws_free(x);
        ws_free(y);
        return WS_ERR_NOMEM;
    }
    double loss_sum = 0.0;
    int64_t hits = 0;
    for (int64_t s = 0; s < n; s += B) {
        int b = (int)(n - s < B ? n - s : B);
        ws_gather(x, y, d, norm, idx + s, b);
        ws_model_forward(ctx, m, x, b, 0);
        int correct = 0;
        loss_sum += ws_model_loss(ctx, m, y, b, &correct) * b;
        hits += correct;
        if (ctx->fault) break;
    }
    ws_free(x);
    ws_free(y);
    if (ctx->fault) return ctx->fault;
    *acc = (double)hits / (double)n;
    if (loss) *loss = loss_sum / (double)n;
    return WS_OK;
}

ws_status ws_each_batch_gradient(ws_ctx *ctx, ws_model *m, const ws_dataset *d, const ws_norm *norm,
                                 const int32_t *idx, int64_t n, int batch, ws_batch_grad_fn fn, void *user) {
    if (n <= 0) return WS_OK;
    if (batch < 1) return ws_fail(ctx, WS_ERR_ARG, "batch size %d must be >= 1", batch);
    ws_status st = ws_model_plan(ctx, m, batch); // a training plan for a larger batch serves too
    if (st) return st;
    const int64_t ex = ws_dataset_example_size(d);
    float *x = ws_alloc(ctx, sizeof(float) * (size_t)batch * (size_t)ex);
    int32_t *y = ws_alloc(ctx, sizeof(int32_t) * (size_t)batch);
    float *keep_buf = ws_alloc(ctx, sizeof(float) * (size_t)(m->nbuf ? m->nbuf : 1));
    int64_t *keep_ibuf = ws_alloc(ctx, sizeof(int64_t) * (size_t)(m->nibuf ? m->nibuf : 1));
    if (!x || !y || !keep_buf || !keep_ibuf) {
        st = WS_ERR_NOMEM;
        goto done;
    }
    // Train-mode forwards update BatchNorm's running statistics: put them back after.
    memcpy(keep_buf, m->buf, sizeof(float) * (size_t)m->nbuf);
    memcpy(keep_ibuf, m->ibuf, sizeof(int64_t) * (size_t)m->nibuf);
    ctx->fault = WS_OK;
    for (int64_t s = 0; s < n; s += batch) {
        int b = (int)(n - s < batch ? n - s : batch);
        ws_gather(x, y, d, norm, idx + s, b);
        ws_model_forward(ctx, m, x, b, 1);
        ws_model_loss(ctx, m, y, b, NULL);
        ws_model_zero_grad(m);
        ws_model_backward(ctx, m, y, b);
        if (ctx->fault) {
            st = ctx->fault;
            break;
        }
        fn(user, m, b);
    }
    memcpy(m->buf, keep_buf, sizeof(float) * (size_t)m->nbuf);
    memcpy(m->ibuf, keep_ibuf, sizeof(int64_t) * (size_t)m->nibuf);
    ws_model_zero_grad(m);
done:
    ws_free(x), ws_free(y), ws_free(keep_buf), ws_free(keep_ibuf);
    return st;
}
