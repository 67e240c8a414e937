# warmstart: a plain Makefile. The project is one library and one CLI over a
# handful of Debian packages found with pkg-config; a configure step (CMake)
# would add a tool and a build directory without buying anything here.
#
#   make demo   install what is missing (apt-get, as root), build, run the default experiment
#   make test   install what is missing, build, run the whole suite
#   make        build only (build/warmstart, build/libwarmstart.a, build/libwarmstart.so*, examples)
#   make install    install into $(DESTDIR)$(PREFIX) (default /usr/local); make uninstall removes it
#   make bench  benchmarks against PyTorch (bench/README.md)
#   make python     install what is missing, build the shared library the Python package loads from
#                   the source tree (PYTHONPATH=python /usr/bin/python3 ...; python/README.md)
#   make install-python   pip install the Python package (python/README.md; VENV, PIP_ARGS, PYTHON)
#   make test-python      its pytest suite alone, against build/libwarmstart.so
#   make test-asan  the suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make test-faults    every fault-injection point (tests/faults; make test runs a sample)

CC      ?= cc
BUILD   ?= build
PKGS    := openblas libcjson zlib matio libpng libjpeg inih check
OPT     ?= -O2 -g
# SANITIZE: e.g. -fsanitize=address,undefined (make test-asan sets it).
SANITIZE ?=
CFLAGS  := $(OPT) $(SANITIZE) $(CFLAGS)
CFLAGS  += -std=c11 -Wall -Wextra -Wshadow -Wno-unused-parameter -Wno-format-truncation -fopenmp -Isrc -Iinclude -MMD -MP
LDLIBS  += -fopenmp -lm $(SANITIZE)

LIB_SRC := $(wildcard src/core/*.c src/ops/*.c src/nn/*.c src/optim/*.c src/data/*.c src/train/*.c \
                      src/learn/*.c src/exp/*.c src/io/*.c src/report/*.c src/api/*.c)
CLI_SRC := $(wildcard src/cli/*.c)
TEST_SRC := $(wildcard tests/unit/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
# The shared library's position-independent objects: a tree of their own ($(BUILD)/pic), so that
# the static library, the CLI and the benchmarks keep their non-PIC code.
LIB_PIC_OBJ := $(LIB_SRC:%.c=$(BUILD)/pic/%.o)
# Every examples/NAME.c becomes $(BUILD)/example_NAME.
EXAMPLE_SRC := $(wildcard examples/*.c)
EXAMPLES := $(EXAMPLE_SRC:examples/%.c=$(BUILD)/example_%)

# The version, from one place: src/core/version.h (WARMSTART_VERSION "X.Y.Z"); 0.1.0 while
# that file does not exist. The soname's number is the stable API's, not the release's: the
# WARMSTART_API_VERSION of include/warmstart.h (libwarmstart.so.1), which changes only when the
# API breaks. The file is named after the soname, then the release (libwarmstart.so.1.0.1.0), so
# that ldconfig's link and uninstall's glob find it, and the file says which release it is.
VERSION_H := src/core/version.h
VERSION := $(shell sed -nE 's/^[[:space:]]*.[[:space:]]*define[[:space:]]+WARMSTART_VERSION[[:space:]]+"([^"]+)".*/\1/p' \
                   $(VERSION_H) 2>/dev/null | head -n 1)
VERSION := $(or $(VERSION),0.1.0)
API_VERSION := $(shell sed -nE 's/^[[:space:]]*.[[:space:]]*define[[:space:]]+WARMSTART_API_VERSION[[:space:]]+([0-9]+).*/\1/p' \
                   include/warmstart.h | head -n 1)
API_VERSION := $(or $(API_VERSION),$(error include/warmstart.h: no '#define WARMSTART_API_VERSION N' for the soname))
SONAME  := libwarmstart.so.$(API_VERSION)
SHLIB_NAME := $(SONAME).$(VERSION)
SHLIB   := $(BUILD)/$(SHLIB_NAME)

# make install: the GNU directory variables, all under PREFIX; DESTDIR for staged installs.
# The libraries go to $(PREFIX)/lib (not lib/<multiarch>: /usr/local/lib is on Debian's
# loader and pkg-config paths); LIBDIR=$(PREFIX)/lib/x86_64-linux-gnu is the multiarch choice.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
INSTALL    ?= install
EXPERIMENT_FILES = $(shell find experiments -type f ! -name '.*' ! -name '*~' 2>/dev/null | LC_ALL=C sort)

# pkg-config is only consulted once the packages are there (make deps).
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# rpath: use the OpenMP build of OpenBLAS even if the pthread one is installed too.
# oneDNN (libdnnl-dev) ships no pkg-config file: its header and -ldnnl are in the default paths.
PKG_LIBS   = $(shell pkg-config --libs openblas libcjson zlib matio libpng libjpeg inih 2>/dev/null) -ldnnl \
             -Wl,-rpath,$(shell pkg-config --variable=libdir openblas 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

.PHONY: all deps demo test test-asan test-faults faults fuzz bench clean install uninstall python install-python test-python FORCE
all: $(BUILD)/warmstart $(BUILD)/libwarmstart.a $(BUILD)/libwarmstart.so $(BUILD)/test_unit $(BUILD)/parity_tool \
     $(BUILD)/bench_mlp $(BUILD)/bench_resnet $(EXAMPLES)

deps:
	@./scripts/install-deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

# -fvisibility=hidden: the shared library exports only what include/warmstart.h marks
# WARMSTART_API; the static archive keeps every ws_ name for the CLI, the tests and the benches.
$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -fvisibility=hidden $(PKG_CFLAGS) -c $< -o $@

# The blocked-layout kernels rely on the vectoriser for their 16-lane loops.
$(BUILD)/src/ops/blocked.o $(BUILD)/pic/src/ops/blocked.o: CFLAGS += -O3

# The source revision (git describe, "unknown" outside a git checkout) for results' provenance:
# rewritten only when it changes, so that a rebuild recompiles only what records it.
$(BUILD)/revision.h: FORCE
	@mkdir -p $(BUILD)
	@r=$$(git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown); \
	 printf '#define WS_REVISION "%s"\n' "$$r" >$@.tmp; \
	 cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:
$(BUILD)/src/core/version.o $(BUILD)/pic/src/core/version.o: $(BUILD)/revision.h
$(BUILD)/src/core/version.o $(BUILD)/pic/src/core/version.o: CFLAGS += -I$(BUILD)

$(BUILD)/libwarmstart.a: $(LIB_OBJ)
	ar rcs $@ $^

$(BUILD)/warmstart: $(CLI_OBJ) $(BUILD)/libwarmstart.a
	$(CC) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(BUILD)/test_unit: $(TEST_OBJ) $(BUILD)/libwarmstart.a
	$(CC) -o $@ $^ $(CHECK_LIBS) $(PKG_LIBS) $(LDLIBS)

$(BUILD)/parity_tool: $(BUILD)/tests/parity/parity_tool.o $(BUILD)/tests/parity/parity_learner.o $(BUILD)/libwarmstart.a
	$(CC) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

# The shared library links its dependencies (and the rpath to the OpenMP OpenBLAS), so that
# a program needs only -lwarmstart (pkg-config --libs warmstart). --no-undefined checks that
# nothing is left out (not under a sanitizer, whose runtime the program brings). The version
# script (src/api/warmstart.map) seals what it exports: the warmstart_* functions, versioned
# WARMSTART_1, and nothing else even where a definition forgot to be hidden
# (tests/install/test_symbols.sh checks the list against the header and docs/API.md).
VERSION_SCRIPT := src/api/warmstart.map
$(SHLIB): $(LIB_PIC_OBJ) $(VERSION_SCRIPT)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=$(VERSION_SCRIPT) $(if $(SANITIZE),,-Wl,--no-undefined) \
	    -o $@ $(LIB_PIC_OBJ) $(PKG_LIBS) $(LDLIBS)

$(BUILD)/$(SONAME): $(SHLIB)
	ln -sf $(notdir $<) $@

$(BUILD)/libwarmstart.so: $(BUILD)/$(SONAME)
	ln -sf $(notdir $<) $@

$(EXAMPLES): $(BUILD)/example_%: $(BUILD)/examples/%.o $(BUILD)/libwarmstart.a
	$(CC) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(BUILD)/bench_resnet: $(BUILD)/bench/bench_resnet.o $(BUILD)/libwarmstart.a
	$(CC) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(BUILD)/bench_mlp: $(BUILD)/bench/bench_mlp.o $(BUILD)/libwarmstart.a
	$(CC) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

# libFuzzer harnesses (tests/fuzz), built with clang under ASan + UBSan into
# build/fuzz; tests/fuzz/run.sh runs them (the suite does, 10 s each).
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZERS  := cifar idx svhn image safetensors config
fuzz:
	$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang OPT="-O1 -g -fno-omit-frame-pointer" \
	    SANITIZE="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" build/fuzz/libwarmstart.a
	for h in $(FUZZERS); do \
	    clang -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer -Isrc $(PKG_CFLAGS) tests/fuzz/fuzz_$$h.c build/fuzz/libwarmstart.a \
	        $(PKG_LIBS) -fopenmp -lm -o build/fuzz/fuzz_$$h || exit 1; \
	done

demo: deps
	$(MAKE) all
	./scripts/demo.sh

test: deps
	$(MAKE) all
	./tests/run.sh

# The whole suite built with AddressSanitizer + UndefinedBehaviorSanitizer. OPT and SANITIZE
# go to the suite too: the install test's make and its example programs use them.
ASAN_OPT := -O1 -g -fno-omit-frame-pointer
ASAN_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
test-asan: deps
	$(MAKE) BUILD=build/asan OPT="$(ASAN_OPT)" SANITIZE="$(ASAN_SAN)" all
	CK_FORK=no BUILD=build/asan FUZZ_SECONDS=0 OPT="$(ASAN_OPT)" SANITIZE="$(ASAN_SAN)" \
	    ./tests/run.sh  # the fuzzers run under ASan already

# The fault-injection build (tests/faults, docs/RELIABILITY.md): the CLI under ASan + UBSan, with
# every allocation, open, write, fsync, rename and mkdir counted and failable (src/core/sys.h).
# make test runs a seeded sample of the injection points (tests/run.sh); make test-faults, all.
faults:
	$(MAKE) --no-print-directory BUILD=build/faults OPT="$(ASAN_OPT) -DWS_FAULTS" SANITIZE="$(ASAN_SAN)" \
	    build/faults/warmstart

# Its kernels (src/ops: matrix products, convolutions) run uninstrumented and at -O2: they
# allocate nothing through the seam, make test-asan covers them, and ASan made each injection
# point's two runs several times slower. Leaks are still found process-wide.
build/faults/src/ops/%.o: CFLAGS := -O2 $(filter-out -O1 -fsanitize% -fno-sanitize%,$(CFLAGS))

test-faults: deps
	$(MAKE) faults
	./tests/faults/run.sh all

# The Python package (python/): cffi in ABI mode over the shared library, so nothing is compiled
# and nothing is downloaded (Debian's python3-cffi, -numpy, -pandas, -tqdm). Debian's Python is
# externally managed (PEP 668), so: VENV=DIR installs into a virtual environment over the system's
# packages (made if missing; Debian's pip drives it), else PIP_ARGS says where
# (--target DIR, --prefix DIR, or --break-system-packages). The package loads libwarmstart.so.N
# through the loader (make install), or the library WARMSTART_LIB names.
PYTHON   ?= /usr/bin/python3
PIP_ARGS ?=
python: deps
	$(MAKE) $(BUILD)/libwarmstart.so

VENV     ?=
install-python:
	@if [ -n "$(VENV)" ]; then \
	    [ -x "$(VENV)/bin/python" ] || $(PYTHON) -m venv --system-site-packages --without-pip "$(VENV)" || exit 1; \
	    set -x; $(PYTHON) -m pip --python "$(VENV)/bin/python" install --no-build-isolation --no-deps --no-index \
	        $(PIP_ARGS) ./python; \
	else \
	    set -x; $(PYTHON) -m pip install --no-build-isolation --no-deps --no-index $(PIP_ARGS) ./python; \
	fi

test-python: $(BUILD)/libwarmstart.so
	./tests/python.sh $(BUILD)

bench: deps
	$(MAKE) all
	./bench/run.sh

clean:
	rm -rf $(BUILD)

# warmstart.pc from warmstart.pc.in: rewritten only when it changes (PREFIX, LIBDIR, VERSION...).
# Paths under PREFIX are written relative to ${prefix}, so that
# pkg-config --define-variable=prefix=DESTDIR/PREFIX reads a staged install (tests/install).
comma := ,
pc_rel = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
BLAS_LIBDIR = $(shell pkg-config --variable=libdir openblas 2>/dev/null)
$(BUILD)/warmstart.pc: warmstart.pc.in FORCE
	@mkdir -p $(BUILD)
	@sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(call pc_rel,$(LIBDIR))|g' \
	     -e 's|@INCLUDEDIR@|$(call pc_rel,$(INCLUDEDIR))|g' -e 's|@DATADIR@|$(call pc_rel,$(DATADIR))|g' \
	     -e 's|@VERSION@|$(VERSION)|g' -e 's|@BLAS_RPATH@|$(if $(BLAS_LIBDIR),-Wl$(comma)-rpath$(comma)$(BLAS_LIBDIR))|g' \
	     $< >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# make install [PREFIX=/usr/local] [DESTDIR=/staging] [BUILD=build]: installs what is built
# (building it first if needed). The one header is the stable API, include/warmstart.h: the
# internal headers (src/*/*.h) are not installed, and the include/warmstart/ folder an older
# install put them in is removed. The experiment files' folder is warmstart's own: an install
# replaces it whole. ldconfig runs for a real install by root.
install: $(BUILD)/warmstart $(BUILD)/libwarmstart.a $(SHLIB) $(BUILD)/warmstart.pc
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(INCLUDEDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/warmstart
	$(INSTALL) -m 755 $(BUILD)/warmstart $(DESTDIR)$(BINDIR)/warmstart
	$(INSTALL) -m 644 $(BUILD)/libwarmstart.a $(DESTDIR)$(LIBDIR)/libwarmstart.a
	$(INSTALL) -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/$(SHLIB_NAME)
	ln -sf $(SHLIB_NAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libwarmstart.so
	$(INSTALL) -m 644 $(BUILD)/warmstart.pc $(DESTDIR)$(PKGCONFIGDIR)/warmstart.pc
	$(INSTALL) -m 644 include/warmstart.h $(DESTDIR)$(INCLUDEDIR)/warmstart.h
	rm -rf $(DESTDIR)$(INCLUDEDIR)/warmstart
	$(INSTALL) -m 644 docs/warmstart.1 $(DESTDIR)$(MANDIR)/man1/warmstart.1
	rm -rf $(DESTDIR)$(DATADIR)/warmstart/experiments
	for f in $(EXPERIMENT_FILES); do \
	    $(INSTALL) -d $(DESTDIR)$(DATADIR)/warmstart/$$(dirname $$f) && \
	    $(INSTALL) -m 644 $$f $(DESTDIR)$(DATADIR)/warmstart/$$f || exit 1; \
	done
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig 2>/dev/null || true; fi

# Removes what install puts there (any libwarmstart.so.API.* of this API version) and warmstart's
# own folders (share/warmstart; include/warmstart, where an older install put the internal
# headers); the shared folders (bin, lib, lib/pkgconfig, include, share/man/man1) stay, even
# when empty.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/warmstart $(DESTDIR)$(LIBDIR)/libwarmstart.a $(DESTDIR)$(LIBDIR)/libwarmstart.so \
	    $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/$(SONAME).* \
	    $(DESTDIR)$(PKGCONFIGDIR)/warmstart.pc $(DESTDIR)$(INCLUDEDIR)/warmstart.h $(DESTDIR)$(MANDIR)/man1/warmstart.1
	rm -rf $(DESTDIR)$(INCLUDEDIR)/warmstart $(DESTDIR)$(DATADIR)/warmstart
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig 2>/dev/null || true; fi

-include $(LIB_OBJ:.o=.d) $(LIB_PIC_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(wildcard $(BUILD)/bench/*.d $(BUILD)/tests/parity/*.d $(BUILD)/examples/*.d)
