#include "io/checkpoint.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ws_ckpt_init(ws_ckpt *c) { memset(c, 0, sizeof *c); }

static void add(ws_ckpt *c, const char *name, ws_st_dtype dt, const void *p, int64_t n) {
    if (n <= 0) return;
    if (c->n == WS_CKPT_MAX_ENTRIES || strlen(name) >= sizeof c->names[0]) {
        c->overflow = 1;
        return;
    }
    snprintf(c->names[c->n], sizeof c->names[0], "%s", name);
    c->e[c->n] = (ws_st_entry){.name = c->names[c->n], .dtype = dt, .ndim = 1, .dims = {n}, .data = p};
    c->n++;
}

void ws_ckpt_f32(ws_ckpt *c, const char *name, const float *p, int64_t n) { add(c, name, WS_ST_F32, p, n); }
void ws_ckpt_f64(ws_ckpt *c, const char *name, const double *p, int64_t n) { add(c, name, WS_ST_F64, p, n); }
void ws_ckpt_i64(ws_ckpt *c, const char *name, const int64_t *p, int64_t n) { add(c, name, WS_ST_I64, p, n); }
void ws_ckpt_i32(ws_ckpt *c, const char *name, const int32_t *p, int64_t n) { add(c, name, WS_ST_I32, p, n); }

void ws_ckpt_str(ws_ckpt *c, const char *key, const char *v) {
    if (c->nmeta == WS_CKPT_MAX_META || strlen(key) >= sizeof c->meta_store[0][0] ||
        strlen(v) >= sizeof c->meta_store[0][1]) {
        c->overflow = 1;
        return;
    }
    int i = c->nmeta++;
    snprintf(c->meta_store[i][0], sizeof c->meta_store[i][0], "%s", key);
    snprintf(c->meta_store[i][1], sizeof c->meta_store[i][1], "%s", v);
    c->meta[2 * i] = c->meta_store[i][0];
    c->meta[2 * i + 1] = c->meta_store[i][1];
}

void ws_ckpt_int(ws_ckpt *c, const char *key, int64_t v) {
    char s[32];
    snprintf(s, sizeof s, "%" PRId64, v);
    ws_ckpt_str(c, key, s);
}

void ws_ckpt_num(ws_ckpt *c, const char *key, double v) {
    char s[64];
    snprintf(s, sizeof s, "%a", v);
    ws_ckpt_str(c, key, s);
}

ws_status ws_ckpt_write(ws_ctx *ctx, const ws_ckpt *c, const char *path) {
    if (c->overflow) return ws_fail(ctx, WS_ERR_ARG, "%s: internal error: checkpoint has too many entries", path);
    return ws_st_write(ctx, path, c->e, c->n, c->meta, c->nmeta);
}

static ws_status get(ws_ctx *ctx, const ws_st_file *f, const char *path, const char *name, ws_st_dtype dt, size_t esz,
                     void *dst, int64_t n) {
    const ws_st_tensor *t = ws_st_find(f, name);
    if (n == 0) {
        if (t && t->numel) return ws_fail(ctx, WS_ERR_FORMAT, "%s: unexpected tensor '%s'", path, name);
        return WS_OK;
    }
    if (!t) return ws_fail(ctx, WS_ERR_FORMAT, "%s: missing tensor '%s'", path, name);
    if (t->dtype != dt || t->numel != n)
        return ws_fail(ctx, WS_ERR_FORMAT, "%s: tensor '%s' is %s with %lld elements, expected %lld", path, name,
                       t->dtype_name, (long long)t->numel, (long long)n);
    memcpy(dst, t->data, esz * (size_t)n); // little-endian on every machine warmstart builds for
    return WS_OK;
}

ws_status ws_ckpt_get_f32(ws_ctx *ctx, const ws_st_file *f, const char *path, const char *name, float *dst, int64_t n) {
    return get(ctx, f, path, name, WS_ST_F32, sizeof *dst, dst, n);
}
ws_status ws_ckpt_get_f64(ws_ctx *ctx, const ws_st_file *f, const char *path, const char *name, double *dst, int64_t n) {
    return get(ctx, f, path, name, WS_ST_F64, sizeof *dst, dst, n);
}
ws_status ws_ckpt_get_i64(ws_ctx *ctx, const ws_st_file *f, const char *path, const char *name, int64_t *dst, int64_t n) {
    return get(ctx, f, path, name, WS_ST_I64, sizeof *dst, dst, n);
}
ws_status ws_ckpt_get_i32(ws_ctx *ctx, const ws_st_file *f, const char *path, const char *name, int32_t *dst, int64_t n) {
    return get(ctx, f, path, name, WS_ST_I32, sizeof *dst, dst, n);
}

ws_status ws_ckpt_get_int(ws_ctx *ctx, const ws_st_file *f, const char *path, const char *key, int64_t *v) {
    char buf[96], *end;
    if (!ws_st_meta(f, key, buf, sizeof buf)) return ws_fail(ctx, WS_ERR_FORMAT, "%s: missing metadata '%s'", path, key);
    errno = 0;
    long long x = strtoll(buf, &end, 10);
    if (end == buf || *end || errno) return ws_fail(ctx, WS_ERR_FORMAT, "%s: metadata '%s' is not an integer", path, key);
    *v = x;
    return WS_OK;
}

ws_status ws_ckpt_get_num(ws_ctx *ctx, const ws_st_file *f, const char *path, const char *key, double *v) {
    char buf[96], *end;
    if (!ws_st_meta(f, key, buf, sizeof buf)) return ws_fail(ctx, WS_ERR_FORMAT, "%s: missing metadata '%s'", path, key);
    errno = 0;
    double x = strtod(buf, &end);
    if (end == buf || *end) return ws_fail(ctx, WS_ERR_FORMAT, "%s: metadata '%s' is not a number", path, key);
    *v = x;
    return WS_OK;
}

void ws_ckpt_model(ws_ckpt *c, const char *prefix, const ws_model *m) {
    char name[96];
    snprintf(name, sizeof name, "%s.w", prefix);
    ws_ckpt_f32(c, name, m->w, m->nweights);
    snprintf(name, sizeof name, "%s.buf", prefix);
    ws_ckpt_f32(c, name, m->buf, m->nbuf);
    snprintf(name, sizeof name, "%s.ibuf", prefix);
    ws_ckpt_i64(c, name, m->ibuf, m->nibuf);
    snprintf(name, sizeof name, "%s.arch", prefix);
    ws_ckpt_str(c, name, m->arch);
}

ws_status ws_ckpt_get_model(ws_ctx *ctx, const ws_st_file *f, const char *path, const char *prefix, ws_model *m) {
    char name[96], arch[200];
    ws_status st;
    snprintf(name, sizeof name, "%s.arch", prefix);
    if (ws_st_meta(f, name, arch, sizeof arch) && strcmp(arch, m->arch))
        return ws_fail(ctx, WS_ERR_FORMAT, "%s: holds model %s, not %s", path, arch, m->arch);
    snprintf(name, sizeof name, "%s.w", prefix);
    if ((st = ws_ckpt_get_f32(ctx, f, path, name, m->w, m->nweights))) return st;
    snprintf(name, sizeof name, "%s.buf", prefix);
    if ((st = ws_ckpt_get_f32(ctx, f, path, name, m->buf, m->nbuf))) return st;
    snprintf(name, sizeof name, "%s.ibuf", prefix);
    return ws_ckpt_get_i64(ctx, f, path, name, m->ibuf, m->nibuf);
}
