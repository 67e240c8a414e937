// A measurement inside the network (nn/inside.h) as one JSON object and back; the keys are
// listed in docs/MEASUREMENTS.md. Doubles are printed with 17 significant digits, so a
// record round-trips bit for bit; a value that is not finite (param_dist_init without an initialisation) is left
// out and reads back as NAN.
#ifndef WS_EXP_INSIDE_JSON_H
#define WS_EXP_INSIDE_JSON_H

#include <cjson/cJSON.h>

#include "core/ctx.h"
#include "nn/inside.h"

// The object, or NULL when out of memory.
cJSON *ws_inside_to_json(const ws_inside *in);

// Read an object written by ws_inside_to_json; WS_ERR_FORMAT naming the field that is
// missing, of the wrong type or beyond the struct's tables.
ws_status ws_inside_from_json(ws_ctx *ctx, const cJSON *j, ws_inside *out);

// A record's optional "inside" object (j NULL: none) into a fresh *out (NULL when there is none or
// on failure; the caller frees it).
ws_status ws_inside_from_json_new(ws_ctx *ctx, const cJSON *j, ws_inside **out);

#endif
