// A measurement inside the network as JSON and back (exp/inside_json.h).
#include "exp/inside_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json.h"

// A double in 17 significant digits, which strtod (cJSON's parser) reads back to the same bits.
// cJSON's own printing is not enough: it keeps 15 digits whenever they read back within a
// relative DBL_EPSILON, so a value may come back one unit in the last place away.
static cJSON *exact_number(double v) {
    char text[32];
    snprintf(text, sizeof text, "%.17g", v);
    return cJSON_CreateRaw(text);
}

static void add_number(cJSON *o, const char *key, double v) { ws_json_put(o, key, exact_number(v)); }

static cJSON *number_array(const double *v, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++) ws_json_push(a, exact_number(v[i]));
    return a;
}

// Not-finite values are left out (JSON has no NaN); the reader turns an absent one into NAN.
static void add_finite(cJSON *o, const char *key, double v) {
    if (isfinite(v)) add_number(o, key, v);
}

static cJSON *layer_json(const ws_inside_layer *l) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", l->name);
    cJSON_AddNumberToObject(o, "units", l->units);
    cJSON_AddNumberToObject(o, "positions", l->positions);
    ws_json_put(o, "redo_dormant", number_array(l->redo_dormant, WS_INSIDE_NTAU));
    add_number(o, "dohare_dormant", l->dohare_dormant);
    add_number(o, "active_fraction", l->active_fraction);
    return o;
}

static cJSON *matrix_json(const ws_inside_matrix *w) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", w->name);
    cJSON_AddNumberToObject(o, "rows", w->rows);
    cJSON_AddNumberToObject(o, "cols", w->cols);
    add_number(o, "stable_rank", w->stable_rank);
    return o;
}

cJSON *ws_inside_to_json(const ws_inside *in) {
    static const double taus[WS_INSIDE_NTAU] = WS_INSIDE_TAUS;
    cJSON *j = cJSON_CreateObject();
    if (!j) return NULL;
    cJSON_AddNumberToObject(j, "probe_examples", in->probe_examples);
    ws_json_put(j, "redo_tau", number_array(taus, WS_INSIDE_NTAU));
    cJSON *layers = cJSON_AddArrayToObject(j, "layers");
    for (int i = 0; i < in->nlayers; i++) ws_json_push(layers, layer_json(&in->layers[i]));
    cJSON *f = cJSON_AddObjectToObject(j, "features");
    cJSON_AddNumberToObject(f, "dim", in->feature_dim);
    cJSON_AddNumberToObject(f, "srank", in->feature_srank);
    add_number(f, "effective_rank", in->feature_effective_rank);
    cJSON *w = cJSON_AddArrayToObject(j, "weights");
    for (int i = 0; i < in->nmatrices; i++) ws_json_push(w, matrix_json(&in->matrices[i]));
    add_number(j, "param_mean_abs", in->param_mean_abs);
    add_number(j, "param_norm", in->param_norm);
    add_finite(j, "param_dist_init", in->param_dist_init);
    add_number(j, "grad_norm", in->grad_norm);
    // A failed allocation anywhere above leaves a hole: refuse the whole object then.
    if (cJSON_GetArraySize(layers) != in->nlayers || cJSON_GetArraySize(w) != in->nmatrices || !f ||
        !cJSON_GetObjectItemCaseSensitive(j, "grad_norm")) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

// A number of the object: parsed from text (cJSON's number), or one this file wrote and that has
// not been through text yet (a record still in memory: the raw digits).
static int number_of(const cJSON *v, double *out) {
    if (cJSON_IsNumber(v)) return *out = v->valuedouble, 1;
    if (!cJSON_IsRaw(v)) return 0;
    char *end;
    *out = strtod(v->valuestring, &end);
    return end != v->valuestring && !*end;
}

static ws_status num_field(ws_ctx *ctx, const cJSON *j, const char *key, double *out) {
    if (number_of(cJSON_GetObjectItemCaseSensitive(j, key), out)) return WS_OK;
    return ws_fail(ctx, WS_ERR_FORMAT, "inside record: '%s' missing or not a number", key);
}

static ws_status int_field(ws_ctx *ctx, const cJSON *j, const char *key, int *out) {
    double v;
    ws_status st = ws_json_number(ctx, j, key, &v);
    if (st) return st;
    if (!(v >= -2147483648.0 && v <= 2147483647.0) || v != floor(v))
        return ws_fail(ctx, WS_ERR_FORMAT, "inside record: '%s' is not an integer", key);
    *out = (int)v;
    return WS_OK;
}

static ws_status name_field(ws_ctx *ctx, const cJSON *j, char *dst, size_t cap) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "name");
    if (!cJSON_IsString(s) || strlen(s->valuestring) >= cap)
        return ws_fail(ctx, WS_ERR_FORMAT, "inside record: a 'name' missing, not a string or longer than %zu", cap - 1);
    snprintf(dst, cap, "%s", s->valuestring);
    return WS_OK;
}

static ws_status array_field(ws_ctx *ctx, const cJSON *j, const char *key, int cap, const cJSON **out) {
    *out = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!cJSON_IsArray(*out) || cJSON_GetArraySize(*out) > cap)
        return ws_fail(ctx, WS_ERR_FORMAT, "inside record: '%s' missing, not an array or longer than %d", key, cap);
    return WS_OK;
}

static ws_status layer_from_json(ws_ctx *ctx, const cJSON *o, ws_inside_layer *l) {
    ws_status st;
    const cJSON *r;
    if ((st = name_field(ctx, o, l->name, sizeof l->name)) || (st = int_field(ctx, o, "units", &l->units)) ||
        (st = int_field(ctx, o, "positions", &l->positions)) ||
        (st = num_field(ctx, o, "dohare_dormant", &l->dohare_dormant)) ||
        (st = num_field(ctx, o, "active_fraction", &l->active_fraction)) ||
        (st = array_field(ctx, o, "redo_dormant", WS_INSIDE_NTAU, &r)))
        return st;
    if (cJSON_GetArraySize(r) != WS_INSIDE_NTAU)
        return ws_fail(ctx, WS_ERR_FORMAT, "inside record: 'redo_dormant' of %s needs %d values", l->name, WS_INSIDE_NTAU);
    for (int t = 0; t < WS_INSIDE_NTAU; t++) {
        if (!number_of(cJSON_GetArrayItem(r, t), &l->redo_dormant[t]))
            return ws_fail(ctx, WS_ERR_FORMAT, "inside record: 'redo_dormant' of %s: not a number", l->name);
    }
    return WS_OK;
}

static ws_status matrix_from_json(ws_ctx *ctx, const cJSON *o, ws_inside_matrix *w) {
    ws_status st;
    if ((st = name_field(ctx, o, w->name, sizeof w->name)) || (st = int_field(ctx, o, "rows", &w->rows)) ||
        (st = int_field(ctx, o, "cols", &w->cols)) || (st = num_field(ctx, o, "stable_rank", &w->stable_rank)))
        return st;
    return WS_OK;
}

ws_status ws_inside_from_json(ws_ctx *ctx, const cJSON *j, ws_inside *out) {
    memset(out, 0, sizeof *out);
    const cJSON *layers, *weights, *f = cJSON_GetObjectItemCaseSensitive(j, "features");
    ws_status st;
    if (!cJSON_IsObject(f)) return ws_fail(ctx, WS_ERR_FORMAT, "inside record: 'features' missing or not an object");
    if ((st = int_field(ctx, j, "probe_examples", &out->probe_examples)) ||
        (st = array_field(ctx, j, "layers", WS_MAX_LAYERS, &layers)) ||
        (st = array_field(ctx, j, "weights", WS_MAX_PARAMS, &weights)) ||
        (st = int_field(ctx, f, "dim", &out->feature_dim)) || (st = int_field(ctx, f, "srank", &out->feature_srank)) ||
        (st = num_field(ctx, f, "effective_rank", &out->feature_effective_rank)) ||
        (st = num_field(ctx, j, "param_mean_abs", &out->param_mean_abs)) ||
        (st = num_field(ctx, j, "param_norm", &out->param_norm)) || (st = num_field(ctx, j, "grad_norm", &out->grad_norm)))
        return st;
    if (!number_of(cJSON_GetObjectItemCaseSensitive(j, "param_dist_init"), &out->param_dist_init))
        out->param_dist_init = NAN;
    const cJSON *o;
    cJSON_ArrayForEach(o, layers) if ((st = layer_from_json(ctx, o, &out->layers[out->nlayers++]))) return st;
    cJSON_ArrayForEach(o, weights) if ((st = matrix_from_json(ctx, o, &out->matrices[out->nmatrices++]))) return st;
    return WS_OK;
}

ws_status ws_inside_from_json_new(ws_ctx *ctx, const cJSON *j, ws_inside **out) {
    *out = NULL;
    if (!j) return WS_OK;
    ws_inside *in = ws_sys_malloc(sizeof *in);
    if (!in) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for a measurement inside the network");
    ws_status st = ws_inside_from_json(ctx, j, in);
    if (st) free(in);
    else *out = in;
    return st;
}
