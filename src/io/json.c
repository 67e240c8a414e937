#define _POSIX_C_SOURCE 200809L
#include "io/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/atomic.h"

ws_status ws_json_write_file(ws_ctx *ctx, const char *path, const cJSON *j) {
    ws_atomic_file af;
    ws_status st = ws_atomic_open(ctx, &af, path);
    if (st) return st;
    char *text = cJSON_Print(j);
    if (!text) {
        ws_atomic_abort(&af);
        return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    }
    fprintf(af.f, "%s\n", text);
    free(text);
    return ws_atomic_commit(ctx, &af);
}

cJSON *ws_json_put(cJSON *object, const char *key, cJSON *item) {
    if (item && object && cJSON_AddItemToObject(object, key, item)) return item;
    cJSON_Delete(item);
    return NULL;
}

cJSON *ws_json_push(cJSON *array, cJSON *item) {
    if (item && array && cJSON_AddItemToArray(array, item)) return item;
    cJSON_Delete(item);
    return NULL;
}

cJSON *ws_json_read_file(ws_ctx *ctx, const char *path) {
    FILE *f = ws_sys_fopen(path, "rb");
    if (!f) {
        ws_fail(ctx, WS_ERR_IO, "%s: %s", path, ws_sys_strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = ws_sys_malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - 1 - n, f);
        if (n < cap - 1 || cap >= (16u << 20)) break;
        char *grown = ws_sys_realloc(buf, cap * 2);
        if (!grown) free(buf);
        buf = grown, cap *= 2;
    }
    int failed = ferror(f);
    fclose(f);
    if (!buf || failed) {
        free(buf);
        ws_fail(ctx, failed ? WS_ERR_IO : WS_ERR_NOMEM, "%s: %s", path, failed ? "read error" : "out of memory");
        return NULL;
    }
    buf[n] = 0;
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    if (!j && ws_ctx_out_of_memory(ctx)) ws_nomem(ctx);
    else if (!j) ws_fail(ctx, WS_ERR_FORMAT, "%s: not JSON", path);
    return j;
}

ws_status ws_json_number(ws_ctx *ctx, const cJSON *j, const char *key, double *out) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, key);
    if (cJSON_IsBool(x)) {
        *out = cJSON_IsTrue(x);
        return WS_OK;
    }
    if (!cJSON_IsNumber(x)) return ws_fail(ctx, WS_ERR_FORMAT, "record field '%s' missing or not a number", key);
    *out = x->valuedouble;
    return WS_OK;
}
