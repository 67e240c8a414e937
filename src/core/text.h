// Text built in fixed buffers: a printf-style piece appended, cut to fit.
#ifndef WS_CORE_TEXT_H
#define WS_CORE_TEXT_H

#include <stddef.h>

// Append to the NUL-terminated buf (cap bytes in all); what does not fit is cut.
void ws_append(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
