# srres: see README.md. `make` builds the library and tools, `make check` tests them.
-include config.mk

CC = gcc
B ?= build
# A packager's flags (make CFLAGS=..., or from the environment, as dpkg-buildflags gives
# them) come after the ones the build needs: they can change optimisation and warnings but
# cannot drop -fPIC, -pthread or the hidden visibility the library's exports rely on.
CFLAGS ?= -O2 -g
CPPFLAGS ?=
LDFLAGS ?=
SAN ?=
BUILD_CFLAGS = -std=c11 -D_GNU_SOURCE -fPIC -pthread $(SAN) \
               -Wall -Wextra -Wshadow -Wno-unused-parameter $(CPPFLAGS) $(CFLAGS)
BUILD_LDFLAGS = -pthread $(SAN) $(LDFLAGS)
# Hidden by default: libsrres.so exports what srres.h declares and nothing else.
CORE_CFLAGS = $(BUILD_CFLAGS) -fvisibility=hidden $(BLAS_CFLAGS) $(JSON_CFLAGS)
CORE_LIBS = $(BLAS_LIBS) $(JSON_LIBS) -lm
TOOL_CFLAGS = $(BUILD_CFLAGS) $(AV_CFLAGS) $(BLAS_CFLAGS) -Icore -Itools -DSRRES_DATADIR='"$(PREFIX)/share/srres"'
TOOL_LIBS = $(AV_LIBS) $(CORE_LIBS)
# Kernels for AVX-512 CPUs; only reached after a runtime check (core/cpu.c).
AVX512_FLAGS = -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma
# Their twins for AVX2 + FMA CPUs (core/*_avx2.c), also reached after a runtime check.
AVX2_FLAGS = -mavx2 -mfma

# Objects depend on this file, rewritten only when a flag or the compiler changed, so that
# make CFLAGS=-O3 (or a configure that found other libraries) rebuilds what it compiles.
FLAGS_FILE = $(B)/flags
FLAGS_NOW = $(CC) | $(CORE_CFLAGS) | $(TOOL_CFLAGS) | $(AVX512_FLAGS) | $(AVX2_FLAGS) | \
            $(MPI_CFLAGS) | $(CMOCKA_CFLAGS) | $(BUILD_LDFLAGS)
FLAGS_QUOTED = '$(subst ','\'',$(FLAGS_NOW))'

# A kernel written once is compiled per instruction set: core/x_template.c is included by
# core/x_avx512.c and core/x_avx2.c, never compiled alone.
CORE_TEMPLATES = $(wildcard core/*_template.c)
CORE_SRC = $(filter-out $(CORE_TEMPLATES),$(wildcard core/*.c))
CORE_OBJ = $(CORE_SRC:core/%.c=$(B)/core/%.o)
LIB = $(B)/libsrres.a
# The unit tests and kernel benchmarks reach inside the library: they link its plain objects.
INTERNAL_LIB = $(B)/core/libsrres-internal.a
SOLIB = $(B)/libsrres.so
# The version srres.h declares; before 1.0 each minor version has an ABI, and a soname, of its own.
version_part = $(shell sed -n 's/^\#define SRRES_VERSION_$(1) \([0-9]*\)$$/\1/p' core/srres.h)
VERSION := $(call version_part,MAJOR).$(call version_part,MINOR)
SONAME = libsrres.so.$(VERSION)

TOOL_MAINS = tools/srres_train.c tools/srres_video.c tools/srres_eval.c tools/srres_model.c
TOOL_COMMON_SRC = $(filter-out $(TOOL_MAINS) tools/distributed.c,$(wildcard tools/*.c))
TOOL_COMMON_OBJ = $(TOOL_COMMON_SRC:tools/%.c=$(B)/tools/%.o)
# srres-video's parts (tools/video/) call into one another and into its main: linked into
# srres-video alone.
VIDEO_SRC = $(wildcard tools/video/*.c)
VIDEO_OBJ = $(VIDEO_SRC:tools/%.c=$(B)/tools/%.o)
# srres-train's likewise (tools/train/), linked into srres-train alone.
TRAIN_SRC = $(wildcard tools/train/*.c)
TRAIN_OBJ = $(TRAIN_SRC:tools/%.c=$(B)/tools/%.o)
TOOLS = $(B)/srres-train $(B)/srres-video $(B)/srres-eval $(B)/srres-model

TEST_SRC = $(wildcard tests/test_*.c)
TESTS = $(TEST_SRC:tests/%.c=$(B)/tests/%)

all: $(LIB) $(SOLIB) $(TOOLS)

# A newer configure runs again with the prefix it was given.
config.mk: configure
	./configure --install-deps $(if $(CONFIGURED_PREFIX),--prefix=$(CONFIGURED_PREFIX))

ifneq ($(FLAGS_NOW),$(file <$(FLAGS_FILE)))
$(FLAGS_FILE): FORCE
endif
$(FLAGS_FILE):
	@mkdir -p $(@D)
	@printf '%s\n' $(FLAGS_QUOTED) > $@

$(B)/core/%.o: core/%.c core/*.h config.mk $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -c $< -o $@

$(B)/core/%_avx512.o: core/%_avx512.c core/*.h $(CORE_TEMPLATES) config.mk $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) $(AVX512_FLAGS) -c $< -o $@

$(B)/core/%_avx2.o: core/%_avx2.c core/*.h $(CORE_TEMPLATES) config.mk $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) $(AVX2_FLAGS) -c $< -o $@

# One relocatable object whose hidden names are made local: a program linking libsrres.a
# meets only what srres.h declares, as with libsrres.so (its own image_read or conv_forward
# clashed with the archive's). Tools, the filter and make install take this archive.
$(LIB): $(CORE_OBJ)
	@rm -f $@
	$(CC) -r -nostdlib -o $(B)/core/libsrres.o $^
	objcopy --localize-hidden $(B)/core/libsrres.o
	ar rcs $@ $(B)/core/libsrres.o

$(INTERNAL_LIB): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(SOLIB): $(CORE_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) $(BUILD_LDFLAGS) -o $@ $^ $(CORE_LIBS)
	ln -sf libsrres.so $(B)/$(SONAME)

$(B)/tools/%.o: tools/%.c tools/*.h core/srres.h config.mk $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) -c $< -o $@

$(B)/srres-%: $(B)/tools/srres_%.o $(TOOL_COMMON_OBJ) $(LIB)
	$(CC) $(BUILD_LDFLAGS) -o $@ $^ $(TOOL_LIBS)

$(VIDEO_OBJ) $(B)/tools/srres_video.o: tools/video/*.h
$(B)/srres-video: $(B)/tools/srres_video.o $(VIDEO_OBJ) $(TOOL_COMMON_OBJ) $(LIB)
	$(CC) $(BUILD_LDFLAGS) -o $@ $^ $(TOOL_LIBS)

# The trainer alone talks MPI (when configure found it).
$(B)/tools/distributed.o: tools/distributed.c tools/distributed.h config.mk $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) $(MPI_CFLAGS) -c $< -o $@

$(TRAIN_OBJ) $(B)/tools/srres_train.o: tools/train/*.h
$(B)/srres-train: $(B)/tools/srres_train.o $(TRAIN_OBJ) $(B)/tools/distributed.o $(TOOL_COMMON_OBJ) \
                  $(LIB)
	$(CC) $(BUILD_LDFLAGS) -o $@ $^ $(TOOL_LIBS) $(MPI_LIBS)

# Unit tests see core's internal headers: they test layers directly.
$(B)/tests/%: tests/%.c tests/*.h $(TOOL_COMMON_OBJ) $(INTERNAL_LIB) $(TOOLS) $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) $(AV_CFLAGS) $(CMOCKA_CFLAGS) -Icore -Itools -Itests \
	    -DBUILD_DIR='"$(B)"' $< -o $@ \
	    $(TOOL_COMMON_OBJ) $(INTERNAL_LIB) $(CMOCKA_LIBS) $(TOOL_LIBS) $(BUILD_LDFLAGS)

unit: $(TESTS)
	@set -e; for t in $(TESTS); do echo "== $$t"; $$t; done

check-video: $(TOOLS)
	tests/test_video.sh $(B)

check-train: $(TOOLS)
	tests/test_train.sh $(B)

check-eval: $(TOOLS)
	tests/test_eval.sh $(B)

check-mpi: $(TOOLS)
	tests/test_mpi.sh $(B)

check-exports: $(SOLIB) $(LIB)
	tests/test_exports.sh $(SOLIB) core/srres.h
	tests/test_exports.sh $(LIB) core/srres.h

check-header: $(SOLIB)
	tests/test_header.sh $(SOLIB) core

# + lends the test's make -n runs make's job slots (they compile nothing).
check-build-flags: all
	+tests/test_build_flags.sh $(B)

# make install into a temporary DESTDIR, used by a program built with pkg-config, uninstalled.
check-install: all
	+tests/test_install.sh $(B) $(PREFIX)

# Fragments add their own targets and append to CHECK_TARGETS.
CHECK_TARGETS = check-exports check-header check-build-flags check-install check-video check-train \
                check-eval
ifeq ($(HAVE_MPI),yes)
CHECK_TARGETS += check-mpi
endif
-include filter/filter.mk
-include tests/fuzz/fuzz.mk

# The sanitizer build runs the unit tests and the end-to-end suites of the tools again
# (MPI left out of it: Open MPI's plugins keep allocations LeakSanitizer cannot attribute).
SAN_MAKE = $(MAKE) B=build/san CFLAGS="-O1 -g" MPI_CFLAGS= MPI_LIBS= \
           SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"

# Leaks inside the encoders' libraries, not ours, are not failures (tests/lsan.supp).
LSAN_ENV = LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0

check: all unit $(CHECK_TARGETS)
	$(SAN_MAKE) unit build/san/srres-video build/san/srres-train build/san/srres-eval
	SANITIZED=1 $(LSAN_ENV) tests/test_video.sh build/san
	tests/test_train.sh build/san
	tests/test_eval.sh build/san

$(B)/bench_forward: bench/bench_forward.c $(B)/tools/openblas_core.o $(LIB)
	$(CC) $(CORE_CFLAGS) -Icore -Itools $< -o $@ $(B)/tools/openblas_core.o $(LIB) $(CORE_LIBS) \
	    $(BUILD_LDFLAGS)

$(B)/bench_kernels: bench/bench_kernels.c $(B)/tools/openblas_core.o $(INTERNAL_LIB)
	$(CC) $(CORE_CFLAGS) -Icore -Itools $< -o $@ $(B)/tools/openblas_core.o $(INTERNAL_LIB) $(CORE_LIBS) \
	    $(BUILD_LDFLAGS)

$(B)/bench_pipeline: bench/bench_pipeline.c $(TOOL_COMMON_OBJ) $(LIB)
	$(CC) $(TOOL_CFLAGS) -Itools $< -o $@ $(TOOL_COMMON_OBJ) $(LIB) $(TOOL_LIBS) $(BUILD_LDFLAGS)

$(B)/bench_train: bench/bench_train.c $(B)/tools/openblas_core.o $(INTERNAL_LIB)
	$(CC) $(CORE_CFLAGS) -Icore -Itools $< -o $@ $(B)/tools/openblas_core.o $(INTERNAL_LIB) \
	    $(CORE_LIBS) $(BUILD_LDFLAGS)

bench: $(B)/bench_forward $(B)/bench_kernels $(B)/bench_pipeline $(B)/bench_train $(TOOLS)
	$(B)/bench_kernels
	bench/run.sh $(B)

bench-memory: $(TOOLS)
	bench/bench_memory.sh $(B)

# make eval MODEL=samples/x4.safetensors IMAGES=folder-of-HR-images; by default the
# validation split, which tools/evalsets.sh makes with the card's other held-out sets.
MODEL ?= samples/x4.safetensors
IMAGES ?= $(B)/evalsets/val
# Only the default folder is made here; another that is missing is srres-eval's to name.
eval: $(B)/srres-eval $(filter $(B)/evalsets/val,$(IMAGES))
	$(B)/srres-eval -m $(MODEL) $(IMAGES)

# The validation split is all make eval needs: a set evalsets.sh cannot make does not stop it.
$(B)/evalsets/val:
	tools/evalsets.sh $(B)/evalsets || test -d $@

evalsets:
	tools/evalsets.sh $(B)/evalsets

# Training curves of the bundled models' logs as one PNG: build/train/ is where
# tools/train_models.sh writes them, so every log there is one of its stages. The card's
# docs/training_curves.png is a copy.
MODEL_LOGS = $(wildcard build/train/*.csv)
plot:
	@/usr/bin/python3 -c 'import matplotlib' 2>/dev/null || { echo "make plot: needs" \
	    "matplotlib; run: apt-get install -y --no-install-recommends python3-matplotlib" >&2; \
	    exit 1; }
	@[ -n "$(MODEL_LOGS)" ] || { echo "make plot: no logs in build/train/ to draw;" \
	    "tools/train_models.sh writes them there (docs/logs/ has the bundled models')" >&2; \
	    exit 1; }
	/usr/bin/python3 tools/plot_training.py build/train/curves.png \
	    $(foreach f,$(MODEL_LOGS),$(f)=$(basename $(notdir $(f))))

demo: all
	tools/demo.sh $(B)

# OpenBLAS is named by its link flags (configure's, as it found them), not required:
# openblas.pc's Cflags would put its folder (its own cblas.h) before a user's include path,
# which srres.h needs nothing from.
$(B)/srres.pc: srres.pc.in config.mk core/srres.h
	@mkdir -p $(@D)
	sed 's|@PREFIX@|$(PREFIX)|; s|@VERSION@|$(VERSION)|; s|@BLAS_LIBS@|$(BLAS_STATIC_LIBS)|' $< > $@

# The tools look for their models under the configured prefix, so it is the one to install
# to; refused as make reads this file, before anything is built for another prefix.
ifneq ($(filter install,$(MAKECMDGOALS)),)
ifneq ($(CONFIGURED_PREFIX),)
ifneq ($(PREFIX),$(CONFIGURED_PREFIX))
$(error make install: the tools are built for $(CONFIGURED_PREFIX); run \
    ./configure --prefix=$(PREFIX) first)
endif
endif
endif
install: all $(B)/srres.pc
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include \
	    $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/srres
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SOLIB) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libsrres.so
	install -m 644 core/srres.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(B)/srres.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 samples/*.safetensors $(DESTDIR)$(PREFIX)/share/srres/

# What install put there, and the folder of models if nothing else is left in it.
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libsrres.a $(DESTDIR)$(PREFIX)/lib/$(SONAME) \
	    $(DESTDIR)$(PREFIX)/lib/libsrres.so $(DESTDIR)$(PREFIX)/include/srres.h \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/srres.pc \
	    $(TOOLS:$(B)/%=$(DESTDIR)$(PREFIX)/bin/%) \
	    $(patsubst samples/%,$(DESTDIR)$(PREFIX)/share/srres/%,$(wildcard samples/*.safetensors))
	rmdir $(DESTDIR)$(PREFIX)/share/srres 2>/dev/null || true

format:
	@command -v clang-format >/dev/null || { echo "make format: run: apt-get install -y" \
	    "--no-install-recommends clang-format" >&2; exit 1; }
	clang-format -i core/*.c core/*.h tools/*.c tools/*.h tools/video/*.c tools/video/*.h \
	    tools/train/*.c tools/train/*.h tests/*.c tests/*.h

# Training runs (train/: hours of CPU) and the FFmpeg source download (ffmpeg-src/) outlive
# make clean; make distclean removes them too.
clean:
	rm -rf $(filter-out $(B)/train $(B)/ffmpeg-src,$(wildcard $(B)/*))

distclean:
	rm -rf $(B) config.mk

.PHONY: FORCE all unit check check-exports check-header check-build-flags check-install check-video \
        check-train check-eval check-mpi \
        eval evalsets bench bench-memory plot demo install uninstall format clean distclean
