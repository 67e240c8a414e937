# warmstart: a plain Makefile. The project is one library and one CLI over a
# handful of Debian packages found with pkg-config; a configure step (CMake)
# would add a tool and a build directory without buying anything here.
#
#   make demo   install what is missing (apt-get, as root), build, run the default experiment
#   make test   install what is missing, build, run the whole suite
#   make        build only (build/warmstart, build/libwarmstart.a)
#   make bench  benchmarks against PyTorch (bench/README.md)
#   make test-asan  the suite under AddressSanitizer + UndefinedBehaviorSanitizer

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
                      src/learn/*.c src/exp/*.c src/io/*.c src/report/*.c)
CLI_SRC := $(wildcard src/cli/*.c)
TEST_SRC := $(wildcard tests/unit/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

# pkg-config is only consulted once the packages are there (make deps).
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# rpath: use the OpenMP build of OpenBLAS even if the pthread one is installed too.
# oneDNN (libdnnl-dev) ships no pkg-config file: its header and -ldnnl are in the default paths.
PKG_LIBS   = $(shell pkg-config --libs openblas libcjson zlib matio libpng libjpeg inih 2>/dev/null) -ldnnl \
             -Wl,-rpath,$(shell pkg-config --variable=libdir openblas 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

.PHONY: all deps demo test test-asan fuzz bench clean FORCE
all: $(BUILD)/warmstart $(BUILD)/test_unit $(BUILD)/parity_tool $(BUILD)/bench_mlp $(BUILD)/bench_resnet $(BUILD)/example_minimal

deps:
	@./scripts/install-deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

# The blocked-layout kernels rely on the vectoriser for their 16-lane loops.
$(BUILD)/src/ops/blocked.o: CFLAGS += -O3

# The source revision (git describe, "unknown" outside a git checkout) for results' provenance:
# rewritten only when it changes, so that a rebuild recompiles only what records it.
$(BUILD)/revision.h: FORCE
	@mkdir -p $(BUILD)
	@r=$$(git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown); \
	 printf '#define WS_REVISION "%s"\n' "$$r" >$@.tmp; \
	 cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:
$(BUILD)/src/cli/reproduce.o: $(BUILD)/revision.h
$(BUILD)/src/cli/reproduce.o: CFLAGS += -I$(BUILD)

$(BUILD)/libwarmstart.a: $(LIB_OBJ)
	ar rcs $@ $^

$(BUILD)/warmstart: $(CLI_OBJ) $(BUILD)/libwarmstart.a
	$(CC) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(BUILD)/test_unit: $(TEST_OBJ) $(BUILD)/libwarmstart.a
	$(CC) -o $@ $^ $(CHECK_LIBS) $(PKG_LIBS) $(LDLIBS)

$(BUILD)/parity_tool: $(BUILD)/tests/parity/parity_tool.o $(BUILD)/libwarmstart.a
	$(CC) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(BUILD)/example_minimal: $(BUILD)/examples/minimal.o $(BUILD)/libwarmstart.a
	$(CC) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(BUILD)/bench_resnet: $(BUILD)/bench/bench_resnet.o $(BUILD)/libwarmstart.a
	$(CC) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(BUILD)/bench_mlp: $(BUILD)/bench/bench_mlp.o $(BUILD)/libwarmstart.a
	$(CC) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

# libFuzzer harnesses (tests/fuzz), built with clang under ASan + UBSan into
# build/fuzz; tests/fuzz/run.sh runs them (the suite does, 30 s each).
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

# The whole suite built with AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps
	$(MAKE) BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=undefined" all
	CK_FORK=no BUILD=build/asan FUZZ_SECONDS=0 ./tests/run.sh  # the fuzzers run under ASan already

bench: deps
	$(MAKE) all
	./bench/run.sh

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(wildcard $(BUILD)/bench/*.d $(BUILD)/tests/parity/*.d $(BUILD)/examples/*.d)
