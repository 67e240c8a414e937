// The pieces of parity_tool (tests/parity/parity_tool.c) its other commands share.
#ifndef WS_PARITY_TOOL_H
#define WS_PARITY_TOOL_H

#include "core/ctx.h"
#include "io/safetensors.h"
#include "nn/model.h"

// Output tensors: names and data are owned here until the file is written.
typedef struct {
    ws_st_entry *e;
    char **names;
    void **bufs;
    int n, cap;
} out_list;

int fail(const char *msg); // one line on stderr; returns 1
int usage(void);           // the usage on stderr; returns 2
int parse_int(const char *s, int *out);
int parse_float(const char *s, float *out);
int parse_spec(const char *s, ws_model_spec *spec); // MODEL (see parity_tool.c)
// Every parameter and buffer of m from f, checked (dtype, exact shape).
ws_status load_state(ws_ctx *ctx, ws_model *m, const ws_st_file *f, const char *path);
int out_add(out_list *o, const char *name, ws_st_dtype dt, int ndim, const int64_t *dims, const void *data,
            size_t bytes);
void out_free(out_list *o);
int out_add_arena(out_list *o, const ws_model *m, const float *arena, const char *prefix);
int out_add_buffers(out_list *o, const ws_model *m, const char *prefix);

// parity_tool learner ... (tests/parity/parity_learner.c)
int cmd_learner(int argc, char **argv);

#endif
