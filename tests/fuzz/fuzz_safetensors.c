// libFuzzer harness: the safetensors reader, and a strict checkpoint load into
// a small logistic regression (1x1x4 -> 3 classes: "linear.weight" (3, 4),
// "linear.bias" (3)) so that inputs which parse also reach the name, dtype and
// shape checks of ws_model_load.
#include "fuzz_common.h"
#include "io/safetensors.h"
#include "nn/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ws_ctx ctx;
    fuzz_ctx(&ctx);
    const char *path = fuzz_file(data, size);
    ws_st_file f;
    if (ws_st_read(&ctx, &f, path) == WS_OK) {
        char buf[64];
        ws_st_meta(&f, "warmstart_arch", buf, sizeof buf);
        ws_st_find(&f, "linear.weight");
        ws_st_close(&f);
    }
    static ws_model *m; // built once, reachable: not a leak
    if (!m) {
        ws_model_spec spec = {.kind = WS_MODEL_LOGREG, .input = {1, 1, 4}, .num_classes = 3};
        if (ws_model_create(&ctx, &m, &spec)) abort();
    }
    ws_model_load(&ctx, m, path);
    return 0;
}
