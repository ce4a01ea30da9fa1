# vmsweep — top-level build.
#
#   make                 build the harness (build/vmsweep) and the static agent
#   make check           install missing packages, build, build the guest image, run every test
#   make demo            install missing packages, build, build the image, run a short sweep
#   make bench           benchmark tables (agent overhead, http vs wrk, boot/run breakdown,
#                        the power table of compare's decision rule)
#   make lint            cppcheck, clang-tidy and clang-format --dry-run
#   make docs            regenerate the man pages, completions and the spec key table
#   make install         PREFIX (/usr/local) and DESTDIR: binaries, man pages,
#                        completions, profiles and the image recipe (share/vmsweep)
#   make fuzz            libFuzzer targets, FUZZ_SECONDS each (default 60)
#   make SANITIZE=address,undefined check   the same with sanitizers in the host code
#
# Sources are found by directory: a new module needs no edit here.  Code shared by the
# agent and the harness lives in guest-agent/ (it must stay libc + pthreads only) and is
# compiled twice: once statically for the agent, once for the host.

VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo 0.1.0)
BUILD    ?= build
CC       ?= cc
AGENT_CC ?= $(shell command -v musl-gcc >/dev/null 2>&1 && echo musl-gcc || echo $(CC))

WARN     := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes -Werror
CSTD     := -std=c11 -D_GNU_SOURCE
OPT      ?= -O2 -g
DEFS     := -DVMSWEEP_VERSION='"$(VERSION)"' -DVMSWEEP_SRCDIR='"$(CURDIR)"'

ifneq ($(SANITIZE),)
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

# pkg-config is asked when a compile or link needs it, not when this file is read: on a
# fresh machine `make demo` reads it before ci/install-deps.sh has installed the
# libraries, and the targets that install them re-run make for the build (see SUBMAKE).
PKGS     := libvirt libvirt-qemu libssh libcjson libguestfs libcrypto
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

HOST_CFLAGS = $(CSTD) $(WARN) $(OPT) $(DEFS) $(SANFLAGS) -Iguest-agent -Iharness -Iplot \
              $(PKG_CFLAGS) -MMD -MP
HOST_LDLIBS = $(PKG_LIBS) -lpthread -lm

# The agent: static, no NSS, nothing but libc and pthreads.
AGENT_CFLAGS := $(CSTD) $(WARN) -O2 -g $(DEFS) -Iguest-agent -MMD -MP
AGENT_LDFLAGS := -static -pthread

AGENT_SRC   := $(wildcard guest-agent/*.c)
AGENT_LIB_SRC := $(filter-out guest-agent/main.c,$(AGENT_SRC))
HARNESS_SRC := $(wildcard harness/*.c) $(wildcard plot/*.c)
HARNESS_LIB_SRC := $(filter-out harness/main.c,$(HARNESS_SRC))
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
FUZZ_SRC    := $(wildcard tests/fuzz/fuzz_*.c)

AGENT_OBJ   := $(AGENT_SRC:%.c=$(BUILD)/agent/%.o)
HOSTAGENT_OBJ := $(AGENT_LIB_SRC:%.c=$(BUILD)/host/%.o)
HARNESS_LIB_OBJ := $(HARNESS_LIB_SRC:%.c=$(BUILD)/host/%.o)
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_BIN    := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

VMSWEEP := $(BUILD)/vmsweep
AGENT   := $(BUILD)/vmsweep-agent

# The agent for aarch64 guests, cross-built statically when the cross compiler is there
# (ci/install-deps.sh installs gcc-aarch64-linux-gnu); without it `make` builds the rest
# and aarch64 sweeps say what is missing.
ARM_CC    ?= aarch64-linux-gnu-gcc
ARM_AGENT := $(BUILD)/vmsweep-agent-aarch64
ARM_OBJ   := $(AGENT_SRC:%.c=$(BUILD)/agent-aarch64/%.o)
ifneq ($(shell command -v $(ARM_CC) 2>/dev/null),)
ALL_AGENTS := $(AGENT) $(ARM_AGENT)
else
ALL_AGENTS := $(AGENT)
endif

.PHONY: all deps deps-run pkgcheck image check check-unit unit-bins check-faults demo bench lint format fuzz clean help docs install
all: $(VMSWEEP) $(ALL_AGENTS)

help:
	@sed -n '2,12p' Makefile | sed 's/^# \{0,1\}//'

# The files that embed VMSWEEP_VERSION are rebuilt when it changes (a new commit), so the
# binary never mixes two versions; the stamp is rewritten only when its text differs.
VERSION_STAMP := $(BUILD)/version.stamp
$(shell mkdir -p $(BUILD) && { [ "$$(cat $(VERSION_STAMP) 2>/dev/null)" = '$(VERSION)' ] || \
    echo '$(VERSION)' >$(VERSION_STAMP); })
VERSIONED := $(shell grep -l VMSWEEP_VERSION harness/*.c guest-agent/*.c plot/*.c 2>/dev/null)
$(VERSIONED:%.c=$(BUILD)/host/%.o) $(VERSIONED:%.c=$(BUILD)/agent/%.o) \
    $(VERSIONED:%.c=$(BUILD)/agent-aarch64/%.o): $(VERSION_STAMP)

$(BUILD)/agent/%.o: %.c
	@mkdir -p $(@D)
	$(AGENT_CC) $(AGENT_CFLAGS) -c $< -o $@

# A clear message instead of a page of missing headers or undefined references.
pkgcheck:
	@pkg-config --exists $(PKGS) 2>/dev/null || { \
	    echo "make: the libraries $(PKGS) are not all installed: run 'make deps'" \
	         "(ci/install-deps.sh), or 'make demo' / 'make check', which install them" >&2; exit 2; }

$(BUILD)/host/%.o: %.c | pkgcheck
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -c $< -o $@

$(AGENT): $(AGENT_OBJ)
	$(AGENT_CC) $(AGENT_LDFLAGS) -o $@ $^

$(BUILD)/agent-aarch64/%.o: %.c
	@mkdir -p $(@D)
	$(ARM_CC) $(AGENT_CFLAGS) -c $< -o $@

$(ARM_AGENT): $(ARM_OBJ)
	$(ARM_CC) $(AGENT_LDFLAGS) -o $@ $^

$(BUILD)/libagent.a: $(HOSTAGENT_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libvmsweep.a: $(HARNESS_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(VMSWEEP): $(BUILD)/host/harness/main.o $(BUILD)/libvmsweep.a $(BUILD)/libagent.a
	$(CC) $(SANFLAGS) -o $@ $^ $(HOST_LDLIBS)

$(BUILD)/tests/%: $(BUILD)/host/tests/unit/%.o $(BUILD)/libvmsweep.a $(BUILD)/libagent.a
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -o $@ $^ -lcmocka $(HOST_LDLIBS)

# libFuzzer targets (clang): every parser gets one.
FUZZ_CFLAGS := $(CSTD) -g -O1 -fsanitize=fuzzer,address,undefined -Iguest-agent -Iharness -Iplot \
               $(PKG_CFLAGS)
$(BUILD)/fuzz/%: tests/fuzz/%.c $(AGENT_LIB_SRC) $(HARNESS_LIB_SRC)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) $(DEFS) -o $@ $^ $(HOST_LDLIBS)

deps:
	@./ci/install-deps.sh all

deps-run:
	@./ci/install-deps.sh run

image: all
	@$(VMSWEEP) image build -q

# The targets that install packages build in a second make, which asks pkg-config
# afresh: in this one the libraries may have been missing when the Makefile was read.
SUBMAKE = $(MAKE) --no-print-directory

check: deps
	@$(SUBMAKE) all unit-bins image
	@VMSWEEP=$(abspath $(VMSWEEP)) AGENT=$(abspath $(AGENT)) BUILD=$(abspath $(BUILD)) \
	    ./tests/run.sh $(TESTS)

unit-bins: $(UNIT_BIN)

check-unit: all $(UNIT_BIN)
	@VMSWEEP=$(abspath $(VMSWEEP)) AGENT=$(abspath $(AGENT)) BUILD=$(abspath $(BUILD)) \
	    ./tests/run.sh unit

check-faults: deps
	@$(SUBMAKE) all unit-bins image
	@VMSWEEP=$(abspath $(VMSWEEP)) AGENT=$(abspath $(AGENT)) BUILD=$(abspath $(BUILD)) \
	    VMSWEEP_ALL_FAULTS=1 ./tests/run.sh faults

demo: deps-run
	@$(SUBMAKE) image
	@./ci/demo.sh $(abspath $(VMSWEEP))

bench: deps
	@$(SUBMAKE) image
	@VMSWEEP=$(abspath $(VMSWEEP)) AGENT=$(abspath $(AGENT)) BUILD=$(abspath $(BUILD)) \
	    ./tests/bench/run.sh

# Generated from the option tables and committed; tests/integration/docs_drift.sh fails
# when they differ from what the tables give.
docs: all
	@$(VMSWEEP) gen-docs docs/generated sweeps/README.md

# An installed vmsweep finds its data in ../share/vmsweep beside its binary (or in
# VMSWEEP_DATADIR); the agent beside it.
PREFIX ?= /usr/local
SHARE   = $(DESTDIR)$(PREFIX)/share
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(SHARE)/vmsweep/sweeps $(SHARE)/vmsweep/images \
	    $(SHARE)/man/man1 $(SHARE)/bash-completion/completions $(SHARE)/zsh/site-functions
	install -m 0755 $(VMSWEEP) $(ALL_AGENTS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 sweeps/*.json sweeps/README.md $(SHARE)/vmsweep/sweeps/
	install -m 0755 images/*.sh images/udhcpc.script $(SHARE)/vmsweep/images/
	install -m 0644 images/inittab $(SHARE)/vmsweep/images/
	install -m 0644 docs/generated/vmsweep.1 docs/generated/vmsweep-agent.1 $(SHARE)/man/man1/
	install -m 0644 docs/generated/vmsweep.bash $(SHARE)/bash-completion/completions/vmsweep
	install -m 0644 docs/generated/_vmsweep $(SHARE)/zsh/site-functions/_vmsweep

FUZZ_SECONDS ?= 60
fuzz: $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do \
	    n=$$(basename $$f); mkdir -p $(BUILD)/corpus/$$n; \
	    seeds=; [ -d tests/data/fuzz/$$n ] && seeds=tests/data/fuzz/$$n; \
	    echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	    if ! $$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -artifact_prefix=$(BUILD)/corpus/$$n- \
	        $(BUILD)/corpus/$$n $$seeds >$(BUILD)/corpus/$$n.log 2>&1; then \
	        tail -n 30 $(BUILD)/corpus/$$n.log; \
	        echo "fuzz: $$n found a crash: add the artifact under tests/data/fuzz/$$n/"; exit 1; \
	    fi; \
	    tail -n 1 $(BUILD)/corpus/$$n.log; \
	done

C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	    --suppress=missingIncludeSystem --inline-suppr -D__GNUC__ -D_GNU_SOURCE \
	    -Iguest-agent -Iharness -Iplot guest-agent harness plot
	clang-tidy --quiet $(filter %.c,$(AGENT_SRC) $(HARNESS_SRC)) -- $(CSTD) -Iguest-agent -Iharness -Iplot $(PKG_CFLAGS) $(DEFS)
	clang-format --dry-run --Werror $(C_FILES)

format:
	clang-format -i $(C_FILES)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
.SECONDARY:
