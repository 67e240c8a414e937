// libFuzzer harness: the CIFAR-10 and CIFAR-100 record checker (ws_cifar_check)
// and, for inputs it accepts, the whole loader through a file.
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ws_ctx ctx;
    fuzz_ctx(&ctx);
    const ws_cifar_format fmts[3] = {{1, 0, 10}, {2, 0, 20}, {2, 1, 100}};
    for (int f = 0; f < 3; f++) {
        int64_t n;
        if (ws_cifar_check(&ctx, data, size, "input", &fmts[f], &n) == WS_OK) {
            const char *path = fuzz_file(data, size);
            ws_dataset d;
            if (ws_cifar_load(&ctx, &d, &path, 1, &fmts[f]) == WS_OK) {
                if (d.n != n) __builtin_trap();
                ws_dataset_free(&d);
            }
        }
    }
    return 0;
}
