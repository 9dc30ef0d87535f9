# fuzz.mk: libFuzzer targets for the model-file and checkpoint parsers; included by the
# Makefile. Needs clang (HAVE_CLANG = yes in config.mk).
#   make fuzz [FUZZ_SECONDS=60]   each target for that long, from the seed corpus
#   make fuzz-regressions         replay tests/fuzz/regressions/* through every target
#   make check                    also runs both targets FUZZ_CHECK_SECONDS (20) each
# The core sources are compiled again with clang, ASan, UBSan and the fuzzer's coverage into
# build/fuzz/; the seed corpus is made there by tests/fuzz/make_corpus.py. New corpus units
# go to build/fuzz/corpus/TARGET, crashes to build/fuzz/artifacts/. A crash, once understood,
# is copied into tests/fuzz/regressions/ (named for what it shows), which every run replays
# first.

FUZZ_B = build/fuzz
FUZZ_CC = clang
FUZZ_PYTHON ?= python3
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 20
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -pthread \
              $(FUZZ_SAN) $(BLAS_CFLAGS) $(JSON_CFLAGS)
FUZZ_TARGETS = model_load checkpoint_load
FUZZ_BINS = $(FUZZ_TARGETS:%=$(FUZZ_B)/fuzz_%)
FUZZ_CORE_OBJ = $(CORE_SRC:core/%.c=$(FUZZ_B)/core/%.o)
FUZZ_SEEDS = $(FUZZ_B)/seeds/.made
FUZZ_REGRESSIONS = $(wildcard tests/fuzz/regressions/*)
# libFuzzer's limits stay at their defaults (2 GB of RSS, no single allocation above it):
# a file of a few kilobytes has no business making the loader allocate more.
FUZZ_OPTS = -dict=tests/fuzz/safetensors.dict -max_len=32768 -timeout=20 -print_final_stats=1

$(FUZZ_B)/core/%.o: core/%.c core/*.h config.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

# Kernels that need wider instructions get the Makefile's flags for them (if it has any).
$(FUZZ_B)/core/%_avx512.o: core/%_avx512.c core/*.h $(CORE_TEMPLATES) config.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(AVX512_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_B)/core/%_avx2.o: core/%_avx2.c core/*.h $(CORE_TEMPLATES) config.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(AVX2_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_B)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_CORE_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Icore $< $(FUZZ_CORE_OBJ) -o $@ \
	    $(BLAS_LIBS) $(JSON_LIBS) -lm

$(FUZZ_SEEDS): tests/fuzz/make_corpus.py
	rm -rf $(FUZZ_B)/seeds
	$(FUZZ_PYTHON) tests/fuzz/make_corpus.py $(FUZZ_B)/seeds
	touch $@

fuzz-build: $(FUZZ_BINS) $(FUZZ_SEEDS)

# Keep the objects between builds (make would delete them as intermediate files).
.SECONDARY: $(FUZZ_CORE_OBJ)

# Each input of tests/fuzz/regressions/ once through each target.
fuzz-regressions: $(FUZZ_BINS)
	@set -e; mkdir -p $(FUZZ_B); for t in $(FUZZ_TARGETS); do \
	    [ -n "$(FUZZ_REGRESSIONS)" ] || break; \
	    $(FUZZ_B)/fuzz_$$t $(FUZZ_REGRESSIONS) >$(FUZZ_B)/$$t.regressions.log 2>&1 || \
	        { grep -E "Running:|ERROR|SUMMARY" $(FUZZ_B)/$$t.regressions.log; exit 1; }; \
	    echo "== fuzz_$$t: $$(grep -c '^Executed' $(FUZZ_B)/$$t.regressions.log) regression inputs pass"; \
	done

# $(1): seconds per target.
define fuzz_run
	@set -e; mkdir -p $(FUZZ_B)/artifacts; for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_B)/corpus/$$t; \
	    echo "== fuzz_$$t for $(1) s"; \
	    $(FUZZ_B)/fuzz_$$t $(FUZZ_OPTS) -max_total_time=$(1) \
	        -artifact_prefix=$(FUZZ_B)/artifacts/$$t- \
	        $(FUZZ_B)/corpus/$$t $(FUZZ_B)/seeds 2>$(FUZZ_B)/$$t.log || \
	        { tail -n 60 $(FUZZ_B)/$$t.log; exit 1; }; \
	    grep -E "stat::number_of_executed_units|Done [0-9]+ runs" $(FUZZ_B)/$$t.log; \
	done
endef

fuzz: fuzz-build fuzz-regressions
	$(call fuzz_run,$(FUZZ_SECONDS))

fuzz-check: fuzz-build fuzz-regressions
	$(call fuzz_run,$(FUZZ_CHECK_SECONDS))

ifeq ($(HAVE_CLANG),yes)
CHECK_TARGETS += fuzz-check
endif

.PHONY: fuzz fuzz-build fuzz-check fuzz-regressions
