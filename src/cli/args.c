#include "cli/args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const arg_spec *args_find(const arg_spec *specs, const char *name) {
    for (const arg_spec *s = specs; s->name; s++)
        if (!strcmp(s->name, name)) return s;
    return NULL;
}

static int parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE) return -1;
    *out = v;
    return 0;
}

static int parse_value(arg_spec *s, const char *v, char *err, int errcap) {
    double d;
    switch (s->kind) {
    case ARG_STRING:
        if (!*v) return snprintf(err, (size_t)errcap, "%s: empty value", s->name), -1;
        *(const char **)s->dest = v;
        return 0;
    case ARG_INTLIST: {
        int_list *l = s->dest;
        l->n = 0;
        const char *p = v;
        while (*p) {
            char *end;
            errno = 0;
            long x = strtol(p, &end, 10);
            if (end == p || errno || x < 1 || x > 1 << 20 || (*end && *end != ','))
                return snprintf(err, (size_t)errcap, "%s: '%s' is not a comma-separated list of positive integers", s->name, v), -1;
            if (l->n == 16) return snprintf(err, (size_t)errcap, "%s: at most 16 values", s->name), -1;
            l->v[l->n++] = (int)x;
            p = *end ? end + 1 : end;
            if (*end == ',' && !*p) return snprintf(err, (size_t)errcap, "%s: trailing comma in '%s'", s->name, v), -1;
        }
        if (!l->n) return snprintf(err, (size_t)errcap, "%s: empty list", s->name), -1;
        return 0;
    }
    default:
        if (parse_double(v, &d)) return snprintf(err, (size_t)errcap, "%s: '%s' is not a number", s->name, v), -1;
        if (!isfinite(d)) return snprintf(err, (size_t)errcap, "%s: '%s' is not a finite number", s->name, v), -1;
        if ((s->kind == ARG_INT || s->kind == ARG_I64) && d != floor(d))
            return snprintf(err, (size_t)errcap, "%s: '%s' is not an integer", s->name, v), -1;
        if (s->min < s->max && (d < s->min || d > s->max))
            return snprintf(err, (size_t)errcap, "%s: %s is out of range [%g, %g]", s->name, v, s->min, s->max), -1;
        if (s->kind == ARG_INT) *(int *)s->dest = (int)d;
        else if (s->kind == ARG_I64) *(int64_t *)s->dest = (int64_t)d;
        else if (s->kind == ARG_FLOAT) *(float *)s->dest = (float)d;
        else *(double *)s->dest = d;
        return 0;
    }
}

int args_parse(arg_spec *specs, int argc, char **argv, char *err, int errcap) {
    for (int i = 0; i < argc; i++) {
        char *a = argv[i], *eq = strchr(a, '=');
        char name[64];
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        if (strncmp(a, "--", 2) || len >= sizeof name)
            return snprintf(err, (size_t)errcap, "unexpected argument '%s'", a), -1;
        memcpy(name, a, len);
        name[len] = 0;
        arg_spec *s = (arg_spec *)args_find(specs, name);
        if (!s) return snprintf(err, (size_t)errcap, "unknown option '%s'", name), -1;
        s->seen = 1;
        if (s->kind == ARG_FLAG) {
            // "--flag" turns it on; "--flag=false" (an experiment file's `flag = false`) off.
            int on = 1;
            if (eq) {
                const char *v = eq + 1;
                if (!strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "1")) on = 1;
                else if (!strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "0")) on = 0;
                else return snprintf(err, (size_t)errcap, "%s is a flag: true or false, not '%s'", name, v), -1;
            }
            *(int *)s->dest = on;
            continue;
        }
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v) return snprintf(err, (size_t)errcap, "%s needs a value (%s)", name, s->meta ? s->meta : "X"), -1;
        if (parse_value(s, v, err, errcap)) return -1;
    }
    return 0;
}

void args_help(const arg_spec *specs, const char *usage) {
    printf("%s\n\nOptions:\n", usage);
    for (const arg_spec *s = specs; s->name; s++) {
        if (!s->help) continue; // internal options (a sweep's points, merge)
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", s->name, s->kind == ARG_FLAG ? "" : " ", s->kind == ARG_FLAG ? "" : s->meta);
        printf("  %-24s %s\n", left, s->help);
    }
}
