// libFuzzer harness: the IDX reader (plain or gzip'd). The input is split in
// two at a position given by its first byte: images file, labels file.
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t cut = 1 + (size_t)data[0] * (size - 1) / 255;
    ws_ctx ctx;
    fuzz_ctx(&ctx);
    char images[256];
    snprintf(images, sizeof images, "%s", fuzz_file(data + 1, cut - 1));
    const char *labels = fuzz_file2(data + cut, size - cut);
    ws_dataset d;
    if (ws_idx_load(&ctx, &d, images, labels, 0) == WS_OK) ws_dataset_free(&d);
    return 0;
}
