// Image folders: root/<class>/*.{png,jpg,jpeg} (any case), classes sorted by
// name as torchvision's ImageFolder sorts them, files sorted by name within a
// class. PNG through libpng's simplified API, JPEG through libjpeg(-turbo),
// both from memory; images are never resized: every image must have the size
// of the first, and is converted to its channel count (grey or RGB; alpha is
// dropped). Decoding runs in parallel (OpenMP over files); the first failing
// file in name order is the one reported, whatever the thread count.
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h> // before jpeglib.h, which uses FILE
#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/file.h"
#include "data/loaders.h"

#define MAX_SIDE 16384

// ---- decoding --------------------------------------------------------------------------------

// Interleaved (H, W, C) -> planar (C, H, W).
static void to_planar(uint8_t *dst, const uint8_t *src, int c, int h, int w) {
    for (int k = 0; k < c; k++)
        for (int64_t p = 0; p < (int64_t)h * w; p++) dst[(int64_t)k * h * w + p] = src[p * c + k];
}

static ws_status decode_png(ws_ctx *ctx, const uint8_t *buf, size_t len, const char *name, int *channels, int *h,
                            int *w, uint8_t **pixels) {
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, buf, len))
        return ws_fail(ctx, WS_ERR_FORMAT, "%s: corrupt PNG (%s)", name, img.message);
    if (img.width < 1 || img.height < 1 || img.width > MAX_SIDE || img.height > MAX_SIDE) {
        png_image_free(&img);
        return ws_fail(ctx, WS_ERR_FORMAT, "%s: implausible PNG size %ux%u", name, img.width, img.height);
    }
    int c = *channels ? *channels : (img.format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1;
    img.format = c == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
    size_t n = PNG_IMAGE_SIZE(img);
    uint8_t *inter = ws_alloc(ctx, n), *planar = ws_alloc(ctx, n);
    if (!inter || !planar) {
        png_image_free(&img);
        ws_free(inter), ws_free(planar);
        return ws_nomem(ctx);
    }
    if (!png_image_finish_read(&img, NULL, inter, 0, NULL)) {
        ws_free(inter), ws_free(planar);
        return ws_fail(ctx, WS_ERR_FORMAT, "%s: corrupt PNG (%s)", name, img.message);
    }
    to_planar(planar, inter, c, (int)img.height, (int)img.width);
    ws_free(inter);
    *channels = c, *h = (int)img.height, *w = (int)img.width, *pixels = planar;
    return WS_OK;
}

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
} jpeg_err;

// libjpeg reports errors by calling error_exit (which must not return) and
// warnings (corrupt data it papered over) through emit_message(-1): both end
// the decode here, and nothing is printed.
static void jpeg_error_exit(j_common_ptr c) {
    jpeg_err *e = (jpeg_err *)c->err;
    e->pub.format_message(c, e->msg);
    longjmp(e->jump, 1);
}
static void jpeg_emit(j_common_ptr c, int level) {
    if (level < 0) jpeg_error_exit(c);
}

static ws_status decode_jpeg(ws_ctx *ctx, const uint8_t *buf, size_t len, const char *name, int *channels, int *h,
                             int *w, uint8_t **pixels) {
    struct jpeg_decompress_struct cinfo;
    jpeg_err err;
    memset(&err, 0, sizeof err);
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = jpeg_error_exit;
    err.pub.emit_message = jpeg_emit;
    uint8_t *volatile inter = NULL, *volatile planar = NULL;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        ws_free(inter), ws_free(planar);
        return ws_fail(ctx, WS_ERR_FORMAT, "%s: corrupt JPEG (%s)", name, err.msg);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, buf, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.image_width < 1 || cinfo.image_height < 1 || cinfo.image_width > MAX_SIDE || cinfo.image_height > MAX_SIDE) {
        jpeg_destroy_decompress(&cinfo);
        return ws_fail(ctx, WS_ERR_FORMAT, "%s: implausible JPEG size %ux%u", name, cinfo.image_width, cinfo.image_height);
    }
    int c = *channels ? *channels : cinfo.num_components == 1 ? 1 : 3;
    cinfo.out_color_space = c == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_start_decompress(&cinfo);
    const int H = (int)cinfo.output_height, W = (int)cinfo.output_width;
    size_t n = (size_t)H * W * c;
    inter = ws_alloc(NULL, n);
    planar = ws_alloc(NULL, n);
    if (!inter || !planar) {
        jpeg_destroy_decompress(&cinfo);
        ws_free(inter), ws_free(planar);
        return ws_fail(ctx, WS_ERR_NOMEM, "%s: out of memory decoding a %dx%d JPEG", name, W, H);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = inter + (size_t)cinfo.output_scanline * W * c;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    to_planar(planar, inter, c, H, W);
    ws_free(inter);
    *channels = c, *h = H, *w = W, *pixels = planar;
    return WS_OK;
}

ws_status ws_image_decode(ws_ctx *ctx, const uint8_t *buf, size_t len, const char *name, int *channels, int *h,
                          int *w, uint8_t **pixels) {
    *pixels = NULL;
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len >= 8 && !memcmp(buf, png_sig, 8)) return decode_png(ctx, buf, len, name, channels, h, w, pixels);
    if (len >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff)
        return decode_jpeg(ctx, buf, len, name, channels, h, w, pixels);
    return ws_fail(ctx, WS_ERR_FORMAT, "%s: neither a PNG nor a JPEG file (bad signature)", name);
}

// ---- the folder ------------------------------------------------------------------------------

static int is_image_name(const char *n) {
    const char *dot = strrchr(n, '.');
    return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg"));
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

// Sorted names of the entries of dir that are directories (want_dirs) or image
// files; hidden entries skipped. *names is malloc'd (each name too).
static ws_status list_dir(ws_ctx *ctx, const char *dir, int want_dirs, char ***names, int *n) {
    *names = NULL, *n = 0;
    DIR *d = opendir(dir);
    if (!d) return ws_fail(ctx, WS_ERR_IO, "%s: %s", dir, ws_sys_strerror(errno));
    int cap = 0;
    ws_status st = WS_OK;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(path, &sb)) continue;
        if (want_dirs ? !S_ISDIR(sb.st_mode) : !is_image_name(e->d_name)) continue;
        if (!want_dirs && S_ISDIR(sb.st_mode)) {
            st = ws_fail(ctx, WS_ERR_FORMAT, "%s: is a directory, expected an image file", path);
            break;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            char **g = ws_sys_realloc(*names, sizeof(char *) * (size_t)cap);
            if (!g) { st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory listing %s", dir); break; }
            *names = g;
        }
        if (!((*names)[*n] = ws_sys_strdup(e->d_name))) { st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory listing %s", dir); break; }
        (*n)++;
    }
    closedir(d);
    if (*n > 1) qsort(*names, (size_t)*n, sizeof(char *), cmp_str);
    return st;
}

static void free_names(char **names, int n) {
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

typedef struct {
    char path[4096];
    int32_t label;
} image_file;

ws_status ws_folder_load(ws_ctx *ctx, ws_dataset *out, const char *root, char (**classes)[WS_CLASS_NAME],
                         int *nclasses, int channels) {
    memset(out, 0, sizeof *out);
    char **cls = NULL;
    int ncls = 0;
    image_file *files = NULL;
    int64_t nfiles = 0, capf = 0;
    ws_status st = list_dir(ctx, root, 1, &cls, &ncls);
    if (st) goto done;
    if (ncls < 1) {
        st = ws_fail(ctx, WS_ERR_FORMAT, "%s: no class folders (expected %s/<class>/*.png|jpg)", root, root);
        goto done;
    }
    const int fixed = *classes && *nclasses > 0;
    if (!fixed) {
        if (ncls < 2) {
            st = ws_fail(ctx, WS_ERR_FORMAT, "%s: only one class folder ('%s'); need at least 2 classes", root, cls[0]);
            goto done;
        }
        *classes = ws_alloc(ctx, sizeof **classes * (size_t)ncls);
        if (!*classes) { st = ws_nomem(ctx); goto done; }
        for (int i = 0; i < ncls; i++) {
            if (strlen(cls[i]) >= WS_CLASS_NAME) {
                st = ws_fail(ctx, WS_ERR_FORMAT, "%s/%s: class folder name longer than %d bytes", root, cls[i], WS_CLASS_NAME - 1);
                goto done;
            }
            snprintf((*classes)[i], WS_CLASS_NAME, "%s", cls[i]);
        }
        *nclasses = ncls;
    }
    for (int k = 0; k < ncls; k++) {
        int label = k;
        if (fixed) {
            label = -1;
            for (int j = 0; j < *nclasses; j++)
                if (!strcmp((*classes)[j], cls[k])) label = j;
            if (label < 0) {
                st = ws_fail(ctx, WS_ERR_FORMAT, "%s/%s: class '%s' is not among the training split's classes", root, cls[k], cls[k]);
                goto done;
            }
        }
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", root, cls[k]);
        char **names = NULL;
        int nn = 0;
        if ((st = list_dir(ctx, dir, 0, &names, &nn))) {
            free_names(names, nn);
            goto done;
        }
        if (nn == 0) {
            free_names(names, nn);
            st = ws_fail(ctx, WS_ERR_FORMAT, "%s: empty class folder (no .png, .jpg or .jpeg files)", dir);
            goto done;
        }
        for (int i = 0; i < nn; i++) {
            if (nfiles == capf) {
                capf = capf ? 2 * capf : 1024;
                image_file *g = ws_sys_realloc(files, sizeof *files * (size_t)capf);
                if (!g) { free_names(names, nn); st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory listing %s", root); goto done; }
                files = g;
            }
            snprintf(files[nfiles].path, sizeof files[nfiles].path, "%s/%s", dir, names[i]);
            files[nfiles++].label = label;
        }
        free_names(names, nn);
    }
    // The first image fixes size and channels.
    int c = channels, h = 0, w = 0;
    {
        uint8_t *buf, *px;
        size_t len;
        if ((st = ws_file_read(ctx, files[0].path, "image file", &buf, &len))) goto done;
        st = ws_image_decode(ctx, buf, len, files[0].path, &c, &h, &w, &px);
        ws_free(buf);
        if (st) goto done;
        ws_free(px);
    }
    const size_t ex = (size_t)c * h * w;
    out->n = nfiles, out->c = c, out->h = h, out->w = w, out->num_classes = *nclasses;
    out->x = ws_alloc(ctx, ex * (size_t)nfiles);
    out->y = ws_alloc(ctx, sizeof(int32_t) * (size_t)nfiles);
    char (*errs)[512] = ws_sys_calloc((size_t)nfiles, sizeof *errs);
    if (!out->x || !out->y || !errs) {
        free(errs);
        st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory for %lld images of %dx%dx%d", (long long)nfiles, c, h, w);
        goto done;
    }
    #pragma omp parallel for schedule(dynamic, 16)
    for (int64_t i = 0; i < nfiles; i++) {
        ws_ctx local; // per-file errors: threads never share ctx->err
        memset(&local, 0, sizeof local);
        uint8_t *buf = NULL, *px = NULL;
        size_t len;
        int ci = c, hi = 0, wi = 0;
        ws_status s = ws_file_read(&local, files[i].path, "image file", &buf, &len);
        if (!s) s = ws_image_decode(&local, buf, len, files[i].path, &ci, &hi, &wi, &px);
        if (!s && (hi != h || wi != w))
            s = ws_fail(&local, WS_ERR_FORMAT, "%s: image is %dx%d, but %s (the first) is %dx%d; images are never resized",
                        files[i].path, wi, hi, files[0].path, w, h);
        if (s) snprintf(errs[i], sizeof errs[i], "%s", local.err[0] ? local.err : "decode failed");
        else memcpy(out->x + ex * (size_t)i, px, ex);
        out->y[i] = files[i].label;
        ws_free(buf);
        ws_free(px);
    }
    for (int64_t i = 0; i < nfiles && !st; i++)
        if (errs[i][0]) st = ws_fail(ctx, WS_ERR_FORMAT, "%s", errs[i]);
    free(errs);
done:
    if (cls) free_names(cls, ncls);
    free(files);
    if (st) ws_dataset_free(out);
    return st;
}
