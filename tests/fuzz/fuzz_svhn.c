// libFuzzer harness: the SVHN .mat loader (libmatio underneath), through a file.
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ws_ctx ctx;
    fuzz_ctx(&ctx);
    ws_dataset d;
    if (ws_svhn_load(&ctx, &d, fuzz_file(data, size)) == WS_OK) ws_dataset_free(&d);
    return 0;
}
