// The pieces underneath the experiments, on purpose: train the paper's MLP on 5,000
// Fashion-MNIST examples for a few epochs, evaluate on the test set, save a checkpoint --
// through the library's internal functions (the ws_ names of src/*/*.h), not the stable API.
// Those are not installed and change between versions: this example is built in the source
// tree only (make: -Isrc, linked against build/libwarmstart.a, which keeps them), as the unit
// tests are. A program outside the tree uses <warmstart.h> (examples/online.c).
//   build/example_minimal [OUT.safetensors]
#include <stdio.h>
#include <stdlib.h>

#include "core/ctx.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "io/safetensors.h"
#include "nn/model.h"
#include "nn/zoo.h"
#include "optim/optim.h"
#include "train/train.h"

int main(int argc, char **argv) {
    ws_ctx ctx;
    ws_ctx_init(&ctx, 0);
    ws_source src;
    if (ws_source_load(&ctx, &src, "fashion-mnist", NULL)) return fprintf(stderr, "%s\n", ctx.err), 1;

    int32_t *train_idx = malloc(sizeof(int32_t) * 5000), *test_idx = malloc(sizeof(int32_t) * src.test.n);
    for (int i = 0; i < 5000; i++) train_idx[i] = i;
    for (int i = 0; i < src.test.n; i++) test_idx[i] = i;
    ws_norm norm;
    ws_norm_from_data(&norm, &src.train, train_idx, 5000);

    ws_model_spec spec = {.kind = WS_MODEL_MLP, .input = {1, 28, 28}, .num_classes = 10, .nhidden = 2, .hidden = {100, 100}};
    ws_model *m = NULL;
    ws_optim opt = {0};
    ws_train_result tr = {0};
    ws_opt_config oc = ws_opt_defaults(WS_OPT_ADAM, 1e-3f);
    ws_train_config tc = {.batch = 128, .threshold = 0.99, .max_epochs = 5};
    double acc = 0;
    ws_rng rng = ws_rng_stream(1, "init", 0);
    int rc = ws_model_create(&ctx, &m, &spec);
    if (!rc) ws_model_init(m, &rng);
    if (!rc) rc = ws_optim_create(&ctx, &opt, &oc, m->nweights);
    if (!rc) rc = ws_train_to_threshold(&ctx, m, &opt, &src.train, &norm, train_idx, 5000, &tc, 1, 1, NULL, NULL, &tr);
    if (!rc) rc = ws_evaluate(&ctx, m, &src.test, &norm, test_idx, src.test.n, 1000, &acc, NULL);
    if (!rc && argc > 1) rc = ws_model_save(&ctx, m, argv[1]);
    if (rc) fprintf(stderr, "error: %s\n", ctx.err);
    else printf("%s: %d epochs, train acc %.2f%%, test acc %.2f%%\n", m->arch, tr.nepochs, 100 * tr.train_acc, 100 * acc);
    ws_train_result_free(&tr);
    ws_optim_free(&opt);
    ws_model_free(m);
    ws_source_free(&src);
    ws_ctx_release(&ctx); // the backend's cached primitives
    free(train_idx);
    free(test_idx);
    return rc ? 1 : 0;
}
