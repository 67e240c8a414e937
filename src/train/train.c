#include "train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ws_train_result_free(ws_train_result *r) {
    free(r->epochs);
    memset(r, 0, sizeof *r);
}

const char *ws_stop_reason_name(ws_stop_reason r) {
    switch (r) {
    case WS_STOP_THRESHOLD: return "threshold";
    case WS_STOP_EPOCHS: return "epochs";
    case WS_STOP_PLATEAU: return "plateau";
    case WS_STOP_CAP: return "cap";
    case WS_STOP_STEPS: return "steps";
    }
    return "?";
}

const char *ws_train_acc_kind_name(ws_train_acc_kind k) { return k == WS_TRAIN_ACC_OFFICIAL ? "official" : "epoch"; }

void ws_official_acc_begin(ws_official_acc *a) { memset(a, 0, sizeof *a); }

void ws_official_acc_add(ws_official_acc *a, int correct, int b) {
    a->correct += correct;
    a->total += b;
    a->acc_sum += (double)a->correct;
    a->samples_sum += (double)a->total;
    if (a->batch_index % 10 == 0 && a->batch_index != 0) a->correct = a->total = 0;
    a->batch_index++;
}

double ws_official_acc_value(const ws_official_acc *a) { return a->samples_sum > 0 ? a->acc_sum / a->samples_sum : 0.0; }

// Which rule, if any, stops training after epoch e (best: the best training accuracy
// before this epoch; since: epochs since it was last exceeded, this one included).
static int stop_after(const ws_train_config *cfg, int e, int64_t steps, double acc, double *best, int *since,
                      ws_stop_reason *why) {
    if (cfg->max_steps > 0) {
        *why = WS_STOP_STEPS;
        return steps >= cfg->max_steps;
    }
    if (cfg->epochs > 0) {
        *why = WS_STOP_EPOCHS;
        return e >= cfg->epochs;
    }
    if (acc >= cfg->threshold) return *why = WS_STOP_THRESHOLD, 1;
    if (e == 1 || acc > *best) *best = acc, *since = 0;
    else ++*since;
    if (cfg->plateau > 0 && *since >= cfg->plateau) return *why = WS_STOP_PLATEAU, 1;
    if (cfg->max_epochs > 0 && e >= cfg->max_epochs) return *why = WS_STOP_CAP, 1;
    return 0;
}

// The program asked to stop (ws_ctx.should_stop, asked before every step and evaluation batch):
// the training is abandoned where it stands, so that a unit minutes long (a ResNet's epoch) stops
// within a step; the caller records nothing of it.
static ws_status stop_asked(ws_ctx *ctx, const char *where, int epoch, int64_t step) {
    if (epoch > 0)
        return ws_fail(ctx, WS_ERR_INTERRUPTED, "stopped on request in %s epoch %d, before step %lld: that training is abandoned",
                       where, epoch, (long long)step);
    return ws_fail(ctx, WS_ERR_INTERRUPTED, "stopped on request in %s: that work is abandoned", where);
}

// Room for one more epoch record (the log grows when there is no cap).
static int grow_log(ws_train_result *out, int *cap) {
    if (out->nepochs < *cap) return 1;
    int n = *cap ? 2 * *cap : 64;
    ws_epoch_record *e = ws_sys_realloc(out->epochs, sizeof *e * (size_t)n);
    if (!e) return 0;
    out->epochs = e, *cap = n;
    return 1;
}

// The run so far as a run of exactly its epochs would end it, given to cfg->snap (snap_at): a
// copy of the log whose last epoch is evaluated where eval_every asks for a run's last epoch.
static ws_status snapshot(ws_ctx *ctx, ws_model *m, const ws_optim *opt, const ws_train_config *cfg, const ws_norm *norm,
                          const ws_train_result *out, double seconds) {
    ws_train_result r = *out;
    if (!(r.epochs = ws_sys_malloc(sizeof *r.epochs * (size_t)out->nepochs)))
        return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for a snapshot of the run");
    memcpy(r.epochs, out->epochs, sizeof *r.epochs * (size_t)out->nepochs);
    ws_epoch_record *last = &r.epochs[r.nepochs - 1];
    ws_status st = WS_OK;
    if (cfg->eval_every > 0 && !last->evaluated) {
        st = ws_evaluate(ctx, m, cfg->eval_d, norm, cfg->eval_idx, cfg->eval_n, cfg->eval_batch > 0 ? cfg->eval_batch : 1000,
                         &last->test_acc, &last->test_loss);
        last->evaluated = 1;
    }
    r.stop = WS_STOP_EPOCHS, r.converged = 1, r.seconds = seconds;
    if (st) {
        ws_train_result_free(&r);
        return st;
    }
    return cfg->snap(cfg->snap_user, m, opt, &r);
}

// Snapshots only along a fixed-epoch run, at epochs before its last, in order.
static ws_status check_snapshots(ws_ctx *ctx, const ws_train_config *cfg) {
    if (cfg->nsnap <= 0) return WS_OK;
    if (!cfg->snap || !cfg->snap_at || cfg->epochs <= 0)
        return ws_fail(ctx, WS_ERR_ARG, "snapshots along a run need a callback and fixed-epoch training");
    for (int i = 0; i < cfg->nsnap; i++)
        if (cfg->snap_at[i] < 1 || cfg->snap_at[i] >= cfg->epochs || (i && cfg->snap_at[i] <= cfg->snap_at[i - 1]))
            return ws_fail(ctx, WS_ERR_ARG, "snapshot after epoch %d of %d: expected ascending epochs before the last",
                           cfg->snap_at[i], cfg->epochs);
    return WS_OK;
}

ws_status ws_train_to_threshold(ws_ctx *ctx, ws_model *m, ws_optim *opt, const ws_dataset *d, const ws_norm *norm,
                                const int32_t *idx, int64_t n, const ws_train_config *cfg, uint64_t seed,
                                uint64_t order_stream, ws_epoch_fn on_epoch, void *user, ws_train_result *out) {
    memset(out, 0, sizeof *out);
    if (n <= 0) return ws_fail(ctx, WS_ERR_ARG, "nothing to train on (0 examples)");
    if (cfg->batch < 1) return ws_fail(ctx, WS_ERR_ARG, "batch size %d must be >= 1", cfg->batch);
    if (cfg->max_epochs < 0) return ws_fail(ctx, WS_ERR_ARG, "max epochs %d must be >= 0 (0: no cap)", cfg->max_epochs);
    if (cfg->epochs < 0 || cfg->plateau < 0 || cfg->eval_every < 0 || cfg->max_steps < 0)
        return ws_fail(ctx, WS_ERR_ARG, "epochs, plateau, eval-every and steps must be >= 0");
    if (cfg->max_steps > 0 && cfg->epochs > 0)
        return ws_fail(ctx, WS_ERR_ARG, "a step budget (%lld) and fixed epochs (%d): choose one",
                       (long long)cfg->max_steps, cfg->epochs);
    if (cfg->drop_last && n < cfg->batch)
        return ws_fail(ctx, WS_ERR_ARG, "%lld examples make no whole batch of %d (the last batch is left out)",
                       (long long)n, cfg->batch);
    if (cfg->probe && cfg->probe_every < 1) return ws_fail(ctx, WS_ERR_ARG, "a probe needs probe_every >= 1");
    ws_status checked = check_snapshots(ctx, cfg);
    if (checked) return checked;
    if (!(cfg->confidence_penalty >= 0) || !isfinite(cfg->confidence_penalty))
        return ws_fail(ctx, WS_ERR_ARG, "confidence penalty %g must be a finite number >= 0 (0: off)",
                       cfg->confidence_penalty);
    if (!(cfg->fgsm_eps >= 0) || !isfinite(cfg->fgsm_eps))
        return ws_fail(ctx, WS_ERR_ARG, "FGSM epsilon %g must be a finite number >= 0 (0: off)", cfg->fgsm_eps);
    if (cfg->eval_every > 0 && (!cfg->eval_d || !cfg->eval_idx || cfg->eval_n <= 0))
        return ws_fail(ctx, WS_ERR_ARG, "evaluation during training needs evaluation examples");
    if (ws_dataset_example_size(d) != ws_shape_numel(m->spec.input))
        return ws_fail(ctx, WS_ERR_ARG, "model input (%d,%d,%d) does not match the data (%d,%d,%d)", m->spec.input.c,
                       m->spec.input.h, m->spec.input.w, d->c, d->h, d->w);
    const int B = cfg->batch < n ? cfg->batch : (int)n;
    ctx->fault = WS_OK;
    int64_t ex = ws_dataset_example_size(d);
    float *x = ws_alloc(ctx, sizeof(float) * (size_t)B * (size_t)ex);
    int32_t *y = ws_alloc(ctx, sizeof(int32_t) * (size_t)B);
    int32_t *order = ws_alloc(ctx, sizeof(int32_t) * (size_t)n);
    float *rows = NULL; // the examples normalised once (below)
    int32_t *pos = NULL;
    // FGSM: the input gradient and the adversarial batch (only when it is on).
    const int fgsm = cfg->fgsm_eps > 0;
    const size_t xfloats = (size_t)B * (size_t)ex;
    float *dx = fgsm ? ws_alloc(ctx, sizeof(float) * xfloats) : NULL;
    float *xadv = fgsm ? ws_alloc(ctx, sizeof(float) * xfloats) : NULL;
    const ws_backward_opts bopts = {.confidence_penalty = cfg->confidence_penalty, .dx = dx};
    const ws_backward_opts bopts_adv = {.confidence_penalty = cfg->confidence_penalty};
    const float eps = (float)cfg->fgsm_eps;
    int log_cap = 0;
    ws_status st = WS_OK;
    if (!x || !y || !order || (fgsm && (!dx || !xadv)) || !grow_log(out, &log_cap)) {
        st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the training buffers (batch %d)", B);
        goto done;
    }
    // The examples normalised once, in the order of idx, when that fits WS_TRAIN_ROWS_MAX_BYTES
    // (and there is no augmentation, which draws a new crop every epoch): each batch is then a
    // copy of rows rather than a normalisation of bytes every epoch -- the same floats, so the
    // same bits. The epoch's shuffle permutes positions pos[] with the draws that shuffle idx
    // (a Fisher-Yates shuffle moves elements by position only), so that idx[pos[i]] is the
    // order the byte path trains in. Without the memory, the byte path.
    if (!cfg->normalise_per_batch && !ws_augment_on(&cfg->augment) && (uint64_t)n * (uint64_t)ex * sizeof(float) <= WS_TRAIN_ROWS_MAX_BYTES) {
        rows = ws_alloc(NULL, sizeof(float) * (size_t)n * (size_t)ex);
        pos = rows ? ws_alloc(NULL, sizeof(int32_t) * (size_t)n) : NULL;
        if (rows && pos) ws_normalise_rows(rows, d, norm, idx, n);
        else ws_free(rows), rows = NULL;
    }
    double t_start = ws_now(), best = 0.0, eval_seconds = 0.0;
    int since = 0, next_snap = 0;
    if (cfg->probe) { // step 0: the model as training finds it
        if ((st = cfg->probe(cfg->probe_user, m, 0))) goto done;
        eval_seconds += ws_now() - t_start;
    }
    for (int e = 1;; e++) {
        // Evaluation plans the model for inference: plan it for training again (a no-op otherwise).
        if ((st = ws_model_plan(ctx, m, B))) goto done;
        double t0 = ws_now();
        ws_rng r = ws_rng_stream(seed, "shuffle", order_stream * 1000003u + (uint64_t)e);
        if (rows) {
            for (int64_t i = 0; i < n; i++) pos[i] = (int32_t)i;
            ws_rng_shuffle(&r, pos, n);
        } else {
            memcpy(order, idx, sizeof(int32_t) * (size_t)n);
            ws_rng_shuffle(&r, order, n);
        }
        ws_rng ar = ws_rng_stream(seed, "augment", order_stream * 1000003u + (uint64_t)e);
        double loss_sum = 0.0, probe_seconds = 0.0;
        int64_t hits = 0, seen = 0;
        ws_official_acc official;
        ws_official_acc_begin(&official);
        for (int64_t s = 0; s < n; s += B) {
            int b = (int)(n - s < B ? n - s : B);
            if ((cfg->drop_last && b < B) || (cfg->max_steps > 0 && out->steps >= cfg->max_steps)) break;
            if (ws_ctx_stop(ctx)) {
                st = stop_asked(ctx, "training", e, out->steps + 1);
                goto done;
            }
            if (rows) ws_gather_rows(x, y, rows, d, idx, pos + s, b);
            else ws_gather_augmented(x, y, d, norm, order + s, b, &cfg->augment, &ar);
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
            ws_model_backward_ex(ctx, m, y, b, &bopts); // both regularisers off: ws_model_backward
            if (fgsm && !ctx->fault) {
                // x_adv = x + eps * sign(grad_x L); the parameter gradient becomes the mean of
                // the clean batch's and the adversarial batch's (Goodfellow et al.'s alpha = 0.5).
                const size_t nx = (size_t)b * (size_t)ex;
                for (size_t i = 0; i < nx; i++)
                    xadv[i] = x[i] + (dx[i] > 0 ? eps : dx[i] < 0 ? -eps : 0.0f);
                ws_model_forward(ctx, m, xadv, b, 1);
                ws_model_loss(ctx, m, y, b, NULL); // not recorded: the epoch's loss is the clean batch's
                ws_model_backward_ex(ctx, m, y, b, &bopts_adv);
                for (int64_t i = 0; i < m->nweights; i++) m->g[i] *= 0.5f;
            }
            if (ctx->fault) { // a backend op failed (its message is in ctx->err)
                st = ctx->fault;
                goto done;
            }
            if (cfg->after_backward && (st = cfg->after_backward(cfg->hook_user, m, opt, b))) goto done;
            if (cfg->update) {
                if ((st = cfg->update(cfg->hook_user, m, opt, b))) goto done;
            } else {
                ws_optim_step(opt, m->w, m->g);
            }
            if (cfg->after_step && (st = cfg->after_step(cfg->hook_user, m, opt, b))) goto done;
            out->steps++;
            loss_sum += loss * b;
            hits += correct;
            seen += b;
            ws_official_acc_add(&official, correct, b);
            if (cfg->on_batch) cfg->on_batch(cfg->on_batch_user, out->steps, b, correct, loss);
            if (cfg->probe && out->steps % cfg->probe_every == 0) {
                double tp = ws_now();
                if ((st = cfg->probe(cfg->probe_user, m, out->steps))) goto done;
                // The probe may have planned the model for another batch: plan it for training again.
                if ((st = ws_model_plan(ctx, m, B))) goto done;
                probe_seconds += ws_now() - tp;
            }
        }
        // Weights that overflowed show in the next loss, but not after the last step.
        for (int64_t i = 0; i < m->nweights; i++)
            if (!isfinite(m->w[i])) {
                st = ws_fail(ctx, WS_ERR_NUMERIC, "training diverged: a weight is %s after epoch %d",
                             isnan(m->w[i]) ? "NaN" : "infinite", e);
                out->diverged_epoch = e;
                goto done;
            }
        if (!grow_log(out, &log_cap)) {
            st = ws_nomem(ctx);
            goto done;
        }
        ws_epoch_record *rec = &out->epochs[out->nepochs++];
        memset(rec, 0, sizeof *rec);
        rec->epoch = e;
        // Over the examples the epoch trained on (a step budget or drop_last may leave some out).
        rec->loss = loss_sum / (double)seen;
        rec->hit_rate = (double)hits / (double)seen;
        rec->train_acc = cfg->train_acc == WS_TRAIN_ACC_OFFICIAL ? ws_official_acc_value(&official) : rec->hit_rate;
        rec->seconds = ws_now() - t0 - probe_seconds;
        eval_seconds += probe_seconds;
        out->train_acc = rec->train_acc;
        out->loss = rec->loss;
        ws_stop_reason why = WS_STOP_CAP;
        const int stop = stop_after(cfg, e, out->steps, rec->train_acc, &best, &since, &why);
        if (cfg->eval_every > 0 && (e % cfg->eval_every == 0 || stop)) {
            double t_eval = ws_now();
            if ((st = ws_evaluate(ctx, m, cfg->eval_d, norm, cfg->eval_idx, cfg->eval_n,
                                  cfg->eval_batch > 0 ? cfg->eval_batch : 1000, &rec->test_acc, &rec->test_loss)))
                goto done;
            rec->evaluated = 1;
            eval_seconds += ws_now() - t_eval;
        }
        if (on_epoch) on_epoch(user, rec);
        if (cfg->after_epoch) cfg->after_epoch(cfg->after_epoch_user, m, rec);
        if (!stop && next_snap < cfg->nsnap && cfg->snap_at[next_snap] == e) {
            const double t_snap = ws_now();
            st = snapshot(ctx, m, opt, cfg, norm, out, t_snap - t_start - eval_seconds);
            eval_seconds += ws_now() - t_snap;
            next_snap++;
            if (st) goto done;
        }
        if (stop) {
            out->stop = why;
            out->converged = why != WS_STOP_CAP;
            break;
        }
    }
    out->seconds = ws_now() - t_start - eval_seconds; // the time to train, not to look
done:
    ws_free(x);
    ws_free(y);
    ws_free(order);
    ws_free(dx);
    ws_free(xadv);
    ws_free(rows);
    ws_free(pos);
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
        return ws_nomem(ctx);
    }
    double loss_sum = 0.0;
    int64_t hits = 0;
    for (int64_t s = 0; s < n; s += B) {
        int b = (int)(n - s < B ? n - s : B);
        if (ws_ctx_stop(ctx)) {
            stop_asked(ctx, "an evaluation", 0, 0);
            ws_free(x), ws_free(y);
            return WS_ERR_INTERRUPTED;
        }
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
        st = ws_nomem(ctx);
        goto done;
    }
    // Train-mode forwards update BatchNorm's running statistics: put them back after.
    memcpy(keep_buf, m->buf, sizeof(float) * (size_t)m->nbuf);
    memcpy(keep_ibuf, m->ibuf, sizeof(int64_t) * (size_t)m->nibuf);
    ctx->fault = WS_OK;
    for (int64_t s = 0; s < n; s += batch) {
        int b = (int)(n - s < batch ? n - s : batch);
        if (ws_ctx_stop(ctx)) {
            st = stop_asked(ctx, "a gradient measurement", 0, 0);
            break;
        }
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
