# http-from-scratch — build, test and check every step of the course.
# GNU make. `make help` lists the targets.

.SECONDEXPANSION:
STEP_DIRS := $(sort $(wildcard step[0-9][0-9]-*))
STEPS     := $(foreach d,$(STEP_DIRS),$(patsubst step%,%,$(firstword $(subst -, ,$(d)))))
BINS      := $(addprefix step,$(STEPS))

CFLAGS ?= -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -O2 -g
ALL_CFLAGS := $(CFLAGS)
ifeq ($(WERROR),1)
ALL_CFLAGS += -Werror
endif
ifeq ($(SANITIZE),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
# Everything that decides how a binary is built; a change rebuilds them all.
BUILD_ID := $(CC) $(ALL_CFLAGS) $(LDFLAGS)

.PHONY: all help test fuzz bench check check-compilers check-docs check-diffs diffs clean FORCE
all: $(BINS)

help:
	@echo 'make                  build every step: $(BINS)'
	@echo 'make stepNN           build one step as ./stepNN'
	@echo 'make test             run every test against every step it applies to'
	@echo 'make test-stepNN      run the tests that apply to one step'
	@echo 'make check            what CI runs beyond make test: compilers, sanitizers, docs, diffs'
	@echo 'make fuzz             libFuzzer on the parsers and the connection code, FUZZ_SECONDS (60) per harness'
	@echo 'make bench            the file servers against nginx and lighttpd, with wrk'
	@echo 'make diffs            regenerate docs/diffs/stepNN.diff'
	@echo 'make check-docs       check the code excerpts and links in docs/'
	@echo 'make clean            remove what the build made'
	@echo 'Variables: CC, CFLAGS, LDFLAGS, WERROR=1 (-Werror), SANITIZE=1 (ASan + UBSan)'

build:
	@mkdir -p $@

# Rewritten only when BUILD_ID changes, so `make SANITIZE=1` then `make`
# rebuilds, and two runs with the same flags rebuild nothing.
build/flags: FORCE | build
	@echo '$(BUILD_ID)' | cmp -s - $@ || echo '$(BUILD_ID)' > $@

define step_rule
step$(1): $$(wildcard step$(1)-*/*.c step$(1)-*/*.h) build/flags
	$$(CC) $$(ALL_CFLAGS) -o $$@ $$(wildcard step$(1)-*/*.c) $$(LDFLAGS)
endef
$(foreach n,$(STEPS),$(eval $(call step_rule,$(n))))

build/client: tests/client.c tests/loopback.h build/flags
	$(CC) $(ALL_CFLAGS) -o $@ tests/client.c $(LDFLAGS)

# tests/race.bats's racer: swaps a file for a symlink out of the root.
build/race: tests/race.c tests/loopback.h build/flags
	$(CC) $(ALL_CFLAGS) -o $@ tests/race.c $(LDFLAGS)

# make bench's holder of idle keep-alive connections, for (d).
build/idle: tests/idle.c tests/loopback.h build/flags
	$(CC) $(ALL_CFLAGS) -o $@ tests/idle.c $(LDFLAGS)

# C unit tests: tests/test_MODULE.c, built against each step that has
# MODULE.c (request.c from step03, files.c from step04), with the step's
# other modules but its server.c.
UNIT_MODULES := request files
UNIT_TESTS := $(foreach m,$(UNIT_MODULES),$(foreach n,$(STEPS),\
    $(if $(wildcard step$(n)-*/$(m).c),build/test-$(m)-step$(n))))
# tests/test_chunked.c: request.c's chunked-body decoder, from the step whose
# request.h first defines HTTP_CHUNK_LINE_MAX (step05) on.
CHUNKED_STEPS := $(foreach n,$(STEPS),\
    $(if $(shell grep -ls HTTP_CHUNK_LINE_MAX step$(n)-*/request.h),$(n)))
UNIT_TESTS += $(foreach n,$(CHUNKED_STEPS),build/test-chunked-step$(n))
UNIT_NAMES := $(UNIT_MODULES) chunked
define unit_rule
build/test-$(1)-step$(2): tests/test_$(1).c tests/unit.h $$(wildcard step$(2)-*/*.[ch]) build/flags
	$$(CC) $$(ALL_CFLAGS) -I $$(wildcard step$(2)-*) -o $$@ tests/test_$(1).c \
	    $$(filter-out %/server.c,$$(wildcard step$(2)-*/*.c)) $$(LDFLAGS)
endef
$(foreach m,$(UNIT_NAMES),$(foreach n,$(STEPS),$(eval $(call unit_rule,$(m),$(n)))))
PARSER_STEPS := $(foreach n,$(STEPS),$(if $(wildcard step$(n)-*/request.c),$(n)))

test: $(BINS) build/client build/race $(UNIT_TESTS)
	@bash tests/run.sh $(STEPS)

test-step%: step% build/client build/race $$(filter $(foreach m,$(UNIT_NAMES),build/test-$(m)-step$$*),$(UNIT_TESTS))
	@bash tests/run.sh $*

check: check-compilers check-docs check-diffs build/idle
	$(MAKE) test SANITIZE=1
	$(MAKE) fuzz FUZZ_STEPS=$(lastword $(PARSER_STEPS))

# libFuzzer, FUZZ_SECONDS per harness, from the committed seeds (new inputs
# go to build/, so the repository stays clean): each step's parser, and the
# newest step's header-value parsers (tests/fuzz_files.c) and whole
# connection (tests/fuzz_conn.c). make check fuzzes the newest step alone,
# three harnesses: every fix goes forward into it, and the unit tests run
# against every copy.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_STEPS ?= $(PARSER_STEPS)
fuzz:
	@bash tests/fuzz.sh $(FUZZ_CC) $(FUZZ_SECONDS) $(foreach n,$(FUZZ_STEPS),$(wildcard step$(n)-*))

# Same-run ratios against nginx and lighttpd (wrk); never part of the tests.
bench: $(BINS) build/idle
	@bash tests/bench.sh $(filter-out 01 02 03,$(STEPS))

check-compilers:
	@bash tests/check-compilers.sh $(STEP_DIRS)

check-docs:
	@bash tests/check-docs.sh

diffs:
	@bash tests/make-diffs.sh $(STEP_DIRS)

# The committed diffs must be what `make diffs` makes from the committed steps.
check-diffs: diffs
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	    if [ -n "$$(git status --porcelain -- docs/diffs)" ]; then \
	        git status --short -- docs/diffs; \
	        echo 'check-diffs: docs/diffs is out of date: run make diffs and commit it'; exit 1; \
	    fi; echo 'check-diffs: docs/diffs is up to date'; \
	else echo 'check-diffs: skipped: not a git checkout'; fi

clean:
	rm -rf build $(BINS)
