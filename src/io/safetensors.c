#define _POSIX_C_SOURCE 200809L
#include "io/safetensors.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/atomic.h"
#include "io/json.h"

static const struct {
    const char *name;
    ws_st_dtype dtype;
    int size;
} DTYPES[] = {{"F32", WS_ST_F32, 4}, {"F64", WS_ST_F64, 8}, {"I64", WS_ST_I64, 8}, {"I32", WS_ST_I32, 4},
              {"U8", WS_ST_U8, 1},   {"F16", WS_ST_OTHER, 2}, {"BF16", WS_ST_OTHER, 2}, {"I16", WS_ST_OTHER, 2},
              {"I8", WS_ST_OTHER, 1}, {"BOOL", WS_ST_OTHER, 1}, {"U16", WS_ST_OTHER, 2}, {"U32", WS_ST_OTHER, 4},
              {"U64", WS_ST_OTHER, 8}};

static int dtype_lookup(const char *name, ws_st_dtype *dt) {
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++)
        if (!strcmp(DTYPES[i].name, name)) {
            *dt = DTYPES[i].dtype;
            return DTYPES[i].size;
        }
    return 0;
}

static const char *dtype_name(ws_st_dtype dt) {
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++)
        if (DTYPES[i].dtype == dt) return DTYPES[i].name;
    return "?";
}

void ws_st_close(ws_st_file *f) {
    free(f->image);
    free(f->tensors);
    free(f->metadata_json);
    memset(f, 0, sizeof *f);
}

static int cmp_offset(const void *a, const void *b) {
    const ws_st_tensor *x = a, *y = b;
    return x->data < y->data ? -1 : x->data > y->data;
}

ws_status ws_st_read(ws_ctx *ctx, ws_st_file *f, const char *path) {
    memset(f, 0, sizeof *f);
    struct stat sb;
    if (stat(path, &sb) != 0) return ws_fail(ctx, WS_ERR_IO, "%s: %s", path, ws_sys_strerror(errno));
    if (S_ISDIR(sb.st_mode)) return ws_fail(ctx, WS_ERR_IO, "%s: is a directory, expected a .safetensors file", path);
    FILE *fp = ws_sys_fopen(path, "rb");
    if (!fp) return ws_fail(ctx, WS_ERR_IO, "%s: %s", path, ws_sys_strerror(errno));
    f->size = (int64_t)sb.st_size;
    f->image = ws_sys_malloc((size_t)f->size + 1);
    if (!f->image) {
        fclose(fp);
        return ws_fail(ctx, WS_ERR_NOMEM, "%s: out of memory reading %lld bytes", path, (long long)f->size);
    }
    size_t got = fread(f->image, 1, (size_t)f->size, fp);
    fclose(fp);
    ws_status st = WS_OK;
    cJSON *root = NULL;
    if ((int64_t)got != f->size) { st = ws_fail(ctx, WS_ERR_IO, "%s: short read", path); goto fail; }
    if (f->size < 8) { st = ws_fail(ctx, WS_ERR_FORMAT, "%s: truncated: %lld bytes, no header", path, (long long)f->size); goto fail; }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | f->image[i];
    if (hlen == 0 || hlen > (uint64_t)(f->size - 8) || hlen > (100u << 20)) {
        st = ws_fail(ctx, WS_ERR_FORMAT, "%s: header length %llu does not fit in the %lld-byte file", path,
                     (unsigned long long)hlen, (long long)f->size);
        goto fail;
    }
    const uint8_t *data = f->image + 8 + hlen;
    int64_t data_size = f->size - 8 - (int64_t)hlen;
    root = cJSON_ParseWithLength((const char *)f->image + 8, (size_t)hlen);
    if (!root && ws_ctx_out_of_memory(ctx)) { st = ws_nomem(ctx); goto fail; }
    if (!root || !cJSON_IsObject(root)) { st = ws_fail(ctx, WS_ERR_FORMAT, "%s: header is not a JSON object", path); goto fail; }
    int n = cJSON_GetArraySize(root);
    f->tensors = ws_sys_calloc((size_t)(n > 0 ? n : 1), sizeof *f->tensors);
    if (!f->tensors) { st = ws_fail(ctx, WS_ERR_NOMEM, "%s: out of memory", path); goto fail; }
    for (cJSON *e = root->child; e; e = e->next) {
        // JSON allows a key twice (cJSON keeps both); the format does not.
        if (!strcmp(e->string, "__metadata__")) {
            if (!cJSON_IsObject(e)) { st = ws_fail(ctx, WS_ERR_FORMAT, "%s: __metadata__ is not an object", path); goto fail; }
            if (f->metadata_json) { st = ws_fail(ctx, WS_ERR_FORMAT, "%s: __metadata__ appears twice", path); goto fail; }
            if (!(f->metadata_json = cJSON_PrintUnformatted(e))) { st = ws_nomem(ctx); goto fail; }
            continue;
        }
        ws_st_tensor *t = &f->tensors[f->ntensors];
        if (strlen(e->string) >= sizeof t->name) { st = ws_fail(ctx, WS_ERR_FORMAT, "%s: tensor name too long", path); goto fail; }
        if (ws_st_find(f, e->string)) {
            st = ws_fail(ctx, WS_ERR_FORMAT, "%s: tensor '%s' appears twice", path, e->string);
            goto fail;
        }
        snprintf(t->name, sizeof t->name, "%s", e->string);
        cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
        cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
        cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
        if (!cJSON_IsObject(e) || !cJSON_IsString(dt) || !cJSON_IsArray(shape) || !cJSON_IsArray(offs) ||
            cJSON_GetArraySize(offs) != 2) {
            st = ws_fail(ctx, WS_ERR_FORMAT, "%s: tensor '%s' lacks dtype, shape or data_offsets", path, t->name);
            goto fail;
        }
        int esize = dtype_lookup(dt->valuestring, &t->dtype);
        if (!esize) { st = ws_fail(ctx, WS_ERR_FORMAT, "%s: tensor '%s' has unknown dtype '%s'", path, t->name, dt->valuestring); goto fail; }
        snprintf(t->dtype_name, sizeof t->dtype_name, "%s", dt->valuestring);
        t->ndim = cJSON_GetArraySize(shape);
        if (t->ndim > 8) { st = ws_fail(ctx, WS_ERR_FORMAT, "%s: tensor '%s' has %d dims (max 8)", path, t->name, t->ndim); goto fail; }
        t->numel = 1;
        int k = 0;
        for (cJSON *d = shape->child; d; d = d->next, k++) {
            double v = cJSON_IsNumber(d) ? d->valuedouble : -1;
            if (v < 0 || v != floor(v) || v > 1e12) { st = ws_fail(ctx, WS_ERR_FORMAT, "%s: tensor '%s' has a bad shape", path, t->name); goto fail; }
            t->dims[k] = (int64_t)v;
            // Checked before the product, which could overflow (found by the fuzzer: 3222222222 x 222222222222).
            if (t->dims[k] > 0 && t->numel > ((int64_t)1 << 40) / t->dims[k]) {
                st = ws_fail(ctx, WS_ERR_FORMAT, "%s: tensor '%s' is implausibly large", path, t->name);
                goto fail;
            }
            t->numel *= t->dims[k];
            if (t->numel > ((int64_t)1 << 40)) { st = ws_fail(ctx, WS_ERR_FORMAT, "%s: tensor '%s' is implausibly large", path, t->name); goto fail; }
        }
        double b = cJSON_IsNumber(offs->child) ? offs->child->valuedouble : -1;
        double en = cJSON_IsNumber(offs->child->next) ? offs->child->next->valuedouble : -1;
        if (b < 0 || en < b || b != floor(b) || en != floor(en) || en > (double)data_size) {
            st = ws_fail(ctx, WS_ERR_FORMAT, "%s: tensor '%s' data_offsets [%g, %g] outside the %lld data bytes", path,
                         t->name, b, en, (long long)data_size);
            goto fail;
        }
        t->nbytes = (int64_t)en - (int64_t)b;
        if (t->nbytes != t->numel * esize) {
            st = ws_fail(ctx, WS_ERR_FORMAT, "%s: tensor '%s' has %lld bytes, but shape and dtype need %lld", path,
                         t->name, (long long)t->nbytes, (long long)(t->numel * esize));
            goto fail;
        }
        t->data = data + (int64_t)b;
        f->ntensors++;
    }
    // The format has no holes and no overlaps: sorted by offset, each tensor
    // starts where the previous ended and the last ends at the end of the file.
    ws_st_tensor *sorted = ws_sys_malloc(sizeof *sorted * (size_t)(f->ntensors ? f->ntensors : 1));
    if (!sorted) { st = ws_fail(ctx, WS_ERR_NOMEM, "%s: out of memory", path); goto fail; }
    memcpy(sorted, f->tensors, sizeof *sorted * (size_t)f->ntensors);
    qsort(sorted, (size_t)f->ntensors, sizeof *sorted, cmp_offset);
    const uint8_t *at = data;
    for (int i = 0; i < f->ntensors && !st; i++) {
        if (sorted[i].data != at)
            st = ws_fail(ctx, WS_ERR_FORMAT, "%s: tensor '%s' %s another tensor's data (offset %lld)", path,
                         sorted[i].name, sorted[i].data < at ? "overlaps" : "leaves a gap before",
                         (long long)(sorted[i].data - data));
        at = sorted[i].data + sorted[i].nbytes;
    }
    if (!st && at != data + data_size)
        st = ws_fail(ctx, WS_ERR_FORMAT, "%s: %lld bytes after the last tensor's data", path,
                     (long long)(data + data_size - at));
    free(sorted);
    if (st) goto fail;
    cJSON_Delete(root);
    return WS_OK;
fail:
    cJSON_Delete(root);
    ws_st_close(f);
    return st;
}

const ws_st_tensor *ws_st_find(const ws_st_file *f, const char *name) {
    for (int i = 0; i < f->ntensors; i++)
        if (!strcmp(f->tensors[i].name, name)) return &f->tensors[i];
    return NULL;
}

const char *ws_st_meta(const ws_st_file *f, const char *key, char *buf, int cap) {
    if (!f->metadata_json) return NULL;
    cJSON *m = cJSON_Parse(f->metadata_json);
    cJSON *v = cJSON_GetObjectItemCaseSensitive(m, key);
    const char *r = NULL;
    if (cJSON_IsString(v)) {
        snprintf(buf, (size_t)cap, "%s", v->valuestring);
        r = buf;
    }
    cJSON_Delete(m);
    return r;
}

static int dtype_size(ws_st_dtype dt) {
    ws_st_dtype tmp;
    return dtype_lookup(dtype_name(dt), &tmp);
}

ws_status ws_st_write(ws_ctx *ctx, const char *path, const ws_st_entry *entries, int n, const char *const *meta_kv,
                      int nmeta) {
    cJSON *root = cJSON_CreateObject();
    if (nmeta > 0) {
        cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
        for (int i = 0; i < nmeta; i++) cJSON_AddStringToObject(meta, meta_kv[2 * i], meta_kv[2 * i + 1]);
    }
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        const ws_st_entry *e = &entries[i];
        cJSON *t = cJSON_AddObjectToObject(root, e->name);
        cJSON_AddStringToObject(t, "dtype", dtype_name(e->dtype));
        cJSON *shape = cJSON_AddArrayToObject(t, "shape");
        int64_t numel = 1;
        for (int k = 0; k < e->ndim; k++) {
            ws_json_push(shape, cJSON_CreateNumber((double)e->dims[k]));
            numel *= e->dims[k];
        }
        cJSON *offs = cJSON_AddArrayToObject(t, "data_offsets");
        int64_t bytes = numel * dtype_size(e->dtype);
        ws_json_push(offs, cJSON_CreateNumber((double)off));
        ws_json_push(offs, cJSON_CreateNumber((double)(off + bytes)));
        off += bytes;
    }
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!json) return ws_fail(ctx, WS_ERR_NOMEM, "%s: out of memory building the header", path);
    size_t len = strlen(json), padded = (len + 7) / 8 * 8;
    ws_atomic_file af;
    ws_status st = ws_atomic_open(ctx, &af, path);
    if (st) {
        free(json);
        return st;
    }
    uint8_t hl[8];
    for (int i = 0; i < 8; i++) hl[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    fwrite(hl, 1, 8, af.f);
    fwrite(json, 1, len, af.f);
    for (size_t i = len; i < padded; i++) fputc(' ', af.f);
    free(json);
    for (int i = 0; i < n; i++) {
        int64_t numel = 1;
        for (int k = 0; k < entries[i].ndim; k++) numel *= entries[i].dims[k];
        // x86-64 is little-endian, as the format: the bytes go out as they are.
        fwrite(entries[i].data, (size_t)dtype_size(entries[i].dtype), (size_t)numel, af.f);
    }
    return ws_atomic_commit(ctx, &af);
}

// Every tensor of a model's state dict: parameters (F32) then buffers (BN
// running statistics F32, num_batches_tracked I64), with where they live.
static int model_entries(const ws_model *m, ws_st_entry *e) {
    int n = 0;
    for (int i = 0; i < m->nparams; i++, n++) {
        const ws_param *p = &m->params[i];
        e[n].name = p->name;
        e[n].dtype = WS_ST_F32;
        e[n].ndim = p->ndim;
        for (int k = 0; k < p->ndim; k++) e[n].dims[k] = p->dims[k];
        e[n].data = m->w + p->offset;
    }
    for (int i = 0; i < m->nbuffers; i++, n++) {
        const ws_buffer *b = &m->buffers[i];
        e[n].name = b->name;
        e[n].dtype = b->dtype == WS_BUF_F32 ? WS_ST_F32 : WS_ST_I64;
        e[n].ndim = b->ndim;
        for (int k = 0; k < b->ndim; k++) e[n].dims[k] = b->dims[k];
        e[n].data = b->dtype == WS_BUF_F32 ? (const void *)(m->buf + b->offset) : (const void *)(m->ibuf + b->offset);
    }
    return n;
}

ws_status ws_model_save(ws_ctx *ctx, const ws_model *m, const char *path) {
    ws_st_entry e[2 * WS_MAX_PARAMS];
    int n = model_entries(m, e);
    const char *meta[] = {"format", "pt", "warmstart_arch", m->arch};
    return ws_st_write(ctx, path, e, n, meta, 2);
}

static void dims_string(char *buf, size_t cap, int ndim, const int64_t *dims) {
    int a = 0;
    buf[0] = 0;
    for (int k = 0; k < ndim && a < (int)cap - 24; k++) a += snprintf(buf + a, cap - (size_t)a, k ? ",%lld" : "%lld", (long long)dims[k]);
}

ws_status ws_model_load(ws_ctx *ctx, ws_model *m, const char *path) {
    ws_st_file f;
    ws_status st = ws_st_read(ctx, &f, path);
    if (st) return st;
    ws_st_entry e[2 * WS_MAX_PARAMS];
    const ws_st_tensor *found[2 * WS_MAX_PARAMS];
    int n = model_entries(m, e);
    // The architecture the file was saved from, when warmstart wrote it (PyTorch's files have
    // none): an MLP's activation leaves no trace in its tensors, so it is checked here; other
    // differences (biases, sizes) show in the tensors, and their messages name it.
    char farch[200], held[240] = "";
    const char *file_arch = ws_st_meta(&f, "warmstart_arch", farch, sizeof farch);
    if (file_arch && strcmp(file_arch, m->arch)) snprintf(held, sizeof held, " (the file holds %s)", file_arch);
    const int fact = file_arch ? ws_arch_activation(file_arch) : -1, mact = ws_arch_activation(m->arch);
    if (fact >= 0 && mact >= 0 && fact != mact)
        st = ws_fail(ctx, WS_ERR_FORMAT, "%s: holds a %s MLP (%s), the model is a %s one (%s): load it with --activation %s",
                     path, ws_activation_name((ws_activation)fact), file_arch, ws_activation_name((ws_activation)mact),
                     m->arch, ws_activation_name((ws_activation)fact));
    // Check everything before touching the model: a failed load leaves it as it was.
    for (int i = 0; i < n && !st; i++) {
        const ws_st_tensor *t = found[i] = ws_st_find(&f, e[i].name);
        if (!t) {
            st = ws_fail(ctx, WS_ERR_FORMAT, "%s: missing tensor '%s' for model %s%s", path, e[i].name, m->arch, held);
            break;
        }
        int same = t->dtype == e[i].dtype && t->ndim == e[i].ndim;
        for (int k = 0; same && k < e[i].ndim; k++) same = t->dims[k] == e[i].dims[k];
        if (!same) {
            char want[96], got[96];
            dims_string(want, sizeof want, e[i].ndim, e[i].dims);
            dims_string(got, sizeof got, t->ndim, t->dims);
            st = ws_fail(ctx, WS_ERR_FORMAT, "%s: tensor '%s' is %s (%s), model %s needs %s (%s)%s", path, e[i].name,
                         t->dtype_name, got, m->arch, e[i].dtype == WS_ST_F32 ? "F32" : "I64", want, held);
            break;
        }
        for (int64_t k = 0; e[i].dtype == WS_ST_F32 && k < t->numel && !st; k++) {
            float v;
            memcpy(&v, t->data + 4 * k, 4);
            if (!isfinite(v))
                st = ws_fail(ctx, WS_ERR_NUMERIC, "%s: tensor '%s' holds a non-finite value (NaN or Inf) at %lld", path,
                             t->name, (long long)k);
        }
    }
    if (!st && f.ntensors != n) {
        for (int i = 0; i < f.ntensors; i++)
            if (!ws_model_param(m, f.tensors[i].name) && !ws_model_buffer(m, f.tensors[i].name)) {
                st = ws_fail(ctx, WS_ERR_FORMAT, "%s: unexpected tensor '%s' for model %s%s", path, f.tensors[i].name,
                             m->arch, held);
                break;
            }
    }
    for (int i = 0; i < n && !st; i++) memcpy((void *)e[i].data, found[i]->data, (size_t)found[i]->nbytes);
    ws_st_close(&f);
    return st;
}
