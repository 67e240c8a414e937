// The version of warmstart, defined here and nowhere else: the library records
// it in results (ws_version), the CLI prints it, include/warmstart.h offers it,
// and the Makefile may read it from the #define lines below (keep each one
// plain: name, value, nothing else).
#ifndef WS_CORE_VERSION_H
#define WS_CORE_VERSION_H

#define WARMSTART_VERSION_MAJOR 0
#define WARMSTART_VERSION_MINOR 1
#define WARMSTART_VERSION_PATCH 0
#define WARMSTART_VERSION "0.1.0"

// WARMSTART_VERSION of the library linked (which may differ from the header's
// when a program is built against one and linked with another).
const char *ws_version(void);

// The source revision the library was built from (`git describe --always --dirty`, recorded
// by the Makefile at build time), or "unknown" outside a git checkout.
const char *ws_revision(void);

#endif
