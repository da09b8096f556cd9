# SPDX-License-Identifier: MIT
# One build for the whole project. Objects go to build/<mode>/, programs to bin/
# (release) or build/<mode>/bin/. Quiet unless V=1.
#
#   make            build lbd, lbctl, ticketd, ticketctl into bin/
#   make test       install missing packages, build, run every suite
#   make asan       unit tests under AddressSanitizer + UBSan
#   make fuzz       every libFuzzer target for FUZZ_SECONDS each
#   make bench      benchmarks (figures go to BENCHMARKS.md by hand)
#   make demo       the end-to-end ticket rush in network namespaces
#   make deps       apt-get install what is missing
#   make lint       shellcheck, banned functions, cppcheck

PKG_CONFIG ?= pkg-config
MODE ?= release
WERROR ?= 1
V ?= 0
FUZZ_SECONDS ?= 30

LB_PKGS = libpcap libnl-3.0 libnl-route-3.0 libevent
BACKEND_PKGS = hiredis libevent
TEST_PKGS = cmocka

# Debian packages the project needs; deps installs only the missing ones.
DEB_PKGS = build-essential pkg-config clang libclang-rt-14-dev \
	libpcap-dev libnl-3-dev libnl-route-3-dev libhiredis-dev libevent-dev \
	libcmocka-dev tcpdump ethtool iproute2 nftables redis-server redis-tools \
	wrk gnuplot-nox shellcheck cppcheck valgrind socat curl procps psmisc perl jq iperf3 \
	haproxy bc

BUILD := build/$(MODE)
ifeq ($(MODE),release)
BINDIR := bin
else
BINDIR := $(BUILD)/bin
endif

STD = -std=c11 -D_GNU_SOURCE
WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wcast-qual -Wformat=2 -Wundef -Wvla
ifeq ($(WERROR),1)
WARN += -Werror
endif
OPT = -O2 -g
SAN =
ifeq ($(MODE),asan)
OPT = -O1 -g
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
ifeq ($(MODE),fuzz)
CC = clang
OPT = -O1 -g
SAN = -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all -DLB_FUZZING
endif

pkg_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pkg_libs = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

FINAL_CFLAGS = $(STD) $(OPT) $(SAN) $(WARN) -MMD -MP \
	$(call pkg_cflags,$(LB_PKGS) $(BACKEND_PKGS) $(TEST_PKGS)) $(CFLAGS)
FINAL_LDFLAGS = $(SAN) $(LDFLAGS)
LB_LIBS = $(call pkg_libs,$(LB_PKGS)) -lpthread -latomic
BACKEND_LIBS = $(call pkg_libs,$(BACKEND_PKGS)) -lhiredis -lpthread
TEST_LIBS = $(call pkg_libs,$(TEST_PKGS))

ifeq ($(V),1)
Q =
say =
else
Q = @
say = @printf '  %-7s %s\n' $(1) $(2);
endif

# --- sources --------------------------------------------------------------
# Files that hold a main() are named here; everything else in */src is the
# component's core, linked into its programs, unit tests and fuzz targets.
LB_MAINS := lb/src/main.c lb/src/lbctl.c
LB_CORE := $(filter-out $(LB_MAINS),$(wildcard lb/src/*.c))
BACKEND_MAINS := backend/src/server.c backend/src/ticketctl.c
BACKEND_CORE := $(filter-out $(BACKEND_MAINS),$(wildcard backend/src/*.c))

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LB_CORE_OBJS := $(call obj,$(LB_CORE))
BACKEND_CORE_OBJS := $(call obj,$(BACKEND_CORE))

# Test-only helpers (packet builders and the like) live beside the tests.
LB_TEST_SUPPORT := $(filter-out lb/tests/unit/test_%.c,$(wildcard lb/tests/unit/*.c))
BACKEND_TEST_SUPPORT := $(filter-out backend/tests/unit/test_%.c,$(wildcard backend/tests/unit/*.c))

LB_UNIT := $(patsubst lb/tests/unit/%.c,$(BUILD)/tests/lb_%,$(wildcard lb/tests/unit/test_*.c))
BACKEND_UNIT := $(patsubst backend/tests/unit/%.c,$(BUILD)/tests/backend_%,$(wildcard backend/tests/unit/test_*.c))
UNIT_TESTS := $(LB_UNIT) $(BACKEND_UNIT)

LB_PROGS := $(if $(wildcard lb/src/main.c),$(BINDIR)/lbd) \
	$(if $(wildcard lb/src/lbctl.c),$(BINDIR)/lbctl)
BACKEND_PROGS := $(if $(wildcard backend/src/server.c),$(BINDIR)/ticketd) \
	$(if $(wildcard backend/src/ticketctl.c),$(BINDIR)/ticketctl)

LB_FUZZ := $(patsubst lb/fuzz/%.c,$(BUILD)/fuzz/lb_%,$(wildcard lb/fuzz/fuzz_*.c))
BACKEND_FUZZ := $(patsubst backend/fuzz/%.c,$(BUILD)/fuzz/backend_%,$(wildcard backend/fuzz/fuzz_*.c))

LB_BENCH := $(patsubst lb/bench/%.c,$(BUILD)/bench/lb_%,$(wildcard lb/bench/bench_*.c))

ALL_SRCS := $(wildcard lb/src/*.c backend/src/*.c lb/tests/unit/*.c \
	backend/tests/unit/*.c lb/fuzz/*.c backend/fuzz/*.c lb/bench/*.c)

.PHONY: all lb backend unit test asan fuzz fuzz-build bench integration lint \
	clean deps demo check-deps
all: lb backend
lb: $(LB_PROGS)
backend: $(BACKEND_PROGS)
unit: $(UNIT_TESTS)

# --- compile and link -----------------------------------------------------
# Each component sees its own headers (lb and backend both have a log.h).
$(BUILD)/lb/%.o: INC = -iquote lb/src -iquote lb/tests/unit
$(BUILD)/backend/%.o: INC = -iquote backend/src -iquote backend/tests/unit

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(INC) $(FINAL_CFLAGS) -c -o $@ $<

$(BINDIR)/lbd: $(call obj,lb/src/main.c) $(LB_CORE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(LB_LIBS)

$(BINDIR)/lbctl: $(call obj,lb/src/lbctl.c) $(LB_CORE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(LB_LIBS)

$(BINDIR)/ticketd: $(call obj,backend/src/server.c) $(BACKEND_CORE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(BACKEND_LIBS)

$(BINDIR)/ticketctl: $(call obj,backend/src/ticketctl.c) $(BACKEND_CORE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(BACKEND_LIBS)

$(BUILD)/tests/lb_%: $(BUILD)/lb/tests/unit/%.o $(call obj,$(LB_TEST_SUPPORT)) $(LB_CORE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(LB_LIBS) $(TEST_LIBS)

$(BUILD)/tests/backend_%: $(BUILD)/backend/tests/unit/%.o $(call obj,$(BACKEND_TEST_SUPPORT)) $(BACKEND_CORE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(BACKEND_LIBS) $(TEST_LIBS)

$(BUILD)/fuzz/lb_%: $(BUILD)/lb/fuzz/%.o $(call obj,$(LB_TEST_SUPPORT)) $(LB_CORE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LB_LIBS)

$(BUILD)/fuzz/backend_%: $(BUILD)/backend/fuzz/%.o $(BACKEND_CORE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(BACKEND_LIBS)

$(BUILD)/bench/lb_%: $(BUILD)/lb/bench/%.o $(call obj,$(LB_TEST_SUPPORT)) $(LB_CORE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(LB_LIBS)

# Objects are never "intermediate": keep them for incremental builds.
.SECONDARY:

-include $(patsubst %.c,$(BUILD)/%.d,$(ALL_SRCS))

# --- tests ----------------------------------------------------------------
# tools/run-suites runs each suite, reads its summary and ends with the one
# line "N passed, N failed"; a suite that cannot run counts as failed.
SUITES_UNIT = $(addprefix build/release/tests/,$(notdir $(UNIT_TESTS)))
SUITES_ASAN = $(addprefix build/asan/tests/,$(notdir $(UNIT_TESTS)))
FUZZ_TARGETS = $(notdir $(LB_FUZZ) $(BACKEND_FUZZ))
INTEGRATION = $(sort $(wildcard backend/tests/test_*.sh testbed/tests/test_*.sh))

test: deps
	$(Q)$(MAKE) --no-print-directory MODE=release all unit
	$(Q)$(MAKE) --no-print-directory MODE=asan unit
	$(Q)$(MAKE) --no-print-directory MODE=fuzz fuzz-build
	$(Q)tools/run-suites $(SUITES_UNIT) $(SUITES_ASAN) \
		$(foreach t,$(FUZZ_TARGETS),"tools/run-fuzz build/fuzz/fuzz/$(t) $(FUZZ_SECONDS)") \
		$(INTEGRATION)

asan:
	$(Q)$(MAKE) --no-print-directory MODE=asan unit
	$(Q)tools/run-suites $(SUITES_ASAN)

fuzz-build: $(LB_FUZZ) $(BACKEND_FUZZ)

fuzz:
	$(Q)$(MAKE) --no-print-directory MODE=fuzz fuzz-build
	$(Q)tools/run-suites $(foreach t,$(FUZZ_TARGETS),"tools/run-fuzz build/fuzz/fuzz/$(t) $(FUZZ_SECONDS)")

integration: all
	$(Q)tools/run-suites $(INTEGRATION)

bench: all $(LB_BENCH)
	$(Q)tools/bench

demo: deps all
	$(Q)testbed/tb demo

# --- housekeeping ---------------------------------------------------------
deps:
	$(Q)tools/deps $(DEB_PKGS)

lint:
	$(Q)shellcheck tools/* .ci/run $(wildcard testbed/tb testbed/lib/*.sh testbed/tests/*.sh backend/tests/*.sh backend/bench/*.sh)
	$(Q)! grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets)\s*\(' \
		lb/src/*.c lb/src/*.h backend/src/*.c backend/src/*.h 2>/dev/null
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr -I lb/src lb/src backend/src

clean:
	rm -rf build bin
