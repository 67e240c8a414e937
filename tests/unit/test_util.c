#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "suites.h"

const char *test_tmpdir(void) {
    static char dir[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/warmstart-test-XXXXXX");
        if (!mkdtemp(dir)) abort();
    }
    return dir;
}

static char *next_path(const char *name) {
    static char paths[8][512];
    static int k;
    char *p = paths[k++ % 8];
    snprintf(p, 512, "%s/%s", test_tmpdir(), name);
    return p;
}

const char *test_write_file(const char *name, const void *data, size_t n) {
    char *p = next_path(name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f)) abort();
    return p;
}

const char *test_write_gz(const char *name, const void *data, size_t n) {
    char *p = next_path(name);
    gzFile f = gzopen(p, "wb");
    if (!f || gzwrite(f, data, (unsigned)n) != (int)n || gzclose(f) != Z_OK) abort();
    return p;
}
