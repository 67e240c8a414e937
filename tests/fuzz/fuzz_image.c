// libFuzzer harness: PNG and JPEG decoding from memory (ws_image_decode), as
// the image-folder loader runs it: the image's own channels, then forced grey
// and RGB.
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ws_ctx ctx;
    fuzz_ctx(&ctx);
    for (int want = 0; want <= 3; want += 1 + (want == 1)) { // 0, 1, 3
        int c = want, h, w;
        uint8_t *px;
        if (ws_image_decode(&ctx, data, size, "input", &c, &h, &w, &px) == WS_OK) {
            volatile uint8_t sink = 0;
            for (int64_t i = 0; i < (int64_t)c * h * w; i++) sink ^= px[i]; // every pixel was written
            ws_free(px);
        }
    }
    return 0;
}
