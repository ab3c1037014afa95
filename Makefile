# xlb - build, test, bench, install.
#
#   make                 build everything into build/
#   make test            run every test (unit, BPF_PROG_TEST_RUN, lab; root)
#   make test SANITIZE=1 the same with AddressSanitizer + UBSan userspace
#   make bench           run every benchmark (prints ratios, not a test)
#   make install         DESTDIR=... PREFIX=/usr/local
#
# Layout: bpf/*.c are XDP/tc programs (clang -target bpf, CO-RE against the
# running kernel's BTF, one bpftool skeleton each); lib/*.c is libxlb.a, shared
# by every process; tools/*.c, lbd/, ... are programs; tests/test_*.c are
# cmocka suites; tools/bench/bench_*.c are benchmarks.

CC      ?= gcc
CLANG   ?= clang
BPFTOOL ?= bpftool
PREFIX  ?= /usr/local
BUILD   ?= build

ifeq ($(origin CC),default)
CC := gcc
endif

SAN_FLAGS :=
ifeq ($(SANITIZE),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
override BUILD := $(BUILD)-san
endif

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pipe $(SAN_FLAGS) \
	   -I$(BUILD) -Ibpf -Ilib
LDFLAGS += $(SAN_FLAGS)
LDLIBS  := -lbpf -lelf -lz -lnng -lpthread -lsqlite3

# -fno-strict-aliasing: packet headers are read and written through casts
# of one buffer; type-based alias analysis must not reorder those accesses.
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -fno-strict-aliasing \
	      -Wall -Wextra -Werror \
	      -I$(BUILD) -Ibpf

BPF_SRCS  := $(wildcard bpf/*.c) $(wildcard tools/*.bpf.c)
BPF_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(BPF_SRCS))
BPF_SKELS := $(patsubst %.c,$(BUILD)/%.skel.h,$(wildcard bpf/*.c))
BPF_HDRS  := $(wildcard bpf/*.h)

LIB_SRCS  := $(wildcard lib/*.c)
# The schema files are compiled into libxlb (lib/xlb_db_migrate.c applies
# them), so a program carries the migrations it knows.
SCHEMA_SQL := $(sort $(wildcard schema/[0-9][0-9][0-9]_*.sql))
SCHEMA_OBJ := $(BUILD)/gen/xlb_db_schema.o
LIB_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS)) $(SCHEMA_OBJ)
LIB_HDRS  := $(wildcard lib/*.h) $(BPF_HDRS)
LIBXLB    := $(BUILD)/libxlb.a

TOOL_SRCS := $(filter-out %.bpf.c,$(wildcard tools/*.c))
TOOLS     := $(patsubst tools/%.c,$(BUILD)/%,$(TOOL_SRCS))

# Programs of several files: every .c of the folder, named after it.
PROG_DIRS := $(patsubst %/,%,$(sort $(dir $(wildcard lbd/*.c hcd/*.c \
		bgpd-bridge/*.c lbsh/*.c tools/xlbctl/*.c))))
# Their objects go under obj/: build/lbd is the program, not a folder.
PROG_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(foreach d,$(PROG_DIRS),$(wildcard $(d)/*.c)))
PROGS     := $(foreach d,$(PROG_DIRS),$(BUILD)/$(notdir $(d)))

TEST_SRCS := $(wildcard tests/test_*.c)
TESTS     := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
TEST_HELPERS := $(filter-out tests/test_%.c,$(wildcard tests/*.c))
TEST_HELPER_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(TEST_HELPERS))

BENCH_SRCS := $(wildcard tools/bench/bench_*.c)
BENCHES    := $(patsubst tools/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

.PHONY: all test tests lab bench install clean deps
all: $(BPF_OBJS) $(LIBXLB) $(TOOLS) $(PROGS) $(TESTS) $(BENCHES)

deps:
	tools/install-deps

# --- BPF -------------------------------------------------------------------
$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp
	mv $@.tmp $@

$(BUILD)/%.o: %.c $(BPF_HDRS) $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	$(if $(filter bpf/% tools/%.bpf.c,$<),$(CLANG) $(BPF_CFLAGS) -c $< -o $@,\
		$(CC) $(CFLAGS) -I$(<D) -c $< -o $@)

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@.tmp
	mv $@.tmp $@

# --- userspace -------------------------------------------------------------
$(LIB_OBJS): $(LIB_HDRS) $(BPF_SKELS)
$(LIBXLB): $(LIB_OBJS)
	$(AR) rcs $@ $^

define prog_rule
$(BUILD)/$(notdir $(1)): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard $(1)/*.c)) $(LIBXLB)
	$$(CC) $$(LDFLAGS) $$^ $$(LDLIBS) -o $$@
endef
$(foreach d,$(PROG_DIRS),$(eval $(call prog_rule,$(d))))
# lbsh's prompt (history, completion); its unit tests compile its sources.
$(BUILD)/lbsh: LDLIBS += -lreadline
$(BUILD)/tests/test_lbsh_unit: $(wildcard lbsh/*.c lbsh/*.h)
# hcd probes HTTPS through OpenSSL; its suites link its objects but main.o.
HCD_OBJS  := $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out hcd/main.c,$(wildcard hcd/*.c)))
HCD_TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_hcd_*.c))
$(BUILD)/hcd: LDLIBS += -lssl -lcrypto
$(HCD_TESTS): $(HCD_OBJS)
$(HCD_TESTS): LDLIBS := $(HCD_OBJS) $(LIBXLB) $(LDLIBS) -lssl -lcrypto
$(PROG_OBJS): $(LIB_HDRS) $(BPF_SKELS) $(wildcard $(addsuffix /*.h,$(PROG_DIRS)))
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(<D) -c $< -o $@

# Each schema/NNN_name.sql becomes a NUL-terminated byte array (od: any
# byte is safe) and one xlb_db_migrations entry, in NNN order.
$(BUILD)/gen/xlb_db_schema.c: $(SCHEMA_SQL) Makefile
	@mkdir -p $(@D)
	{ echo '/* Generated from schema/NNN_*.sql by the Makefile. */'; \
	  echo '#include "xlb_db_internal.h"'; \
	  for f in $(SCHEMA_SQL); do \
	    v=$$(basename $$f | cut -c1-3); \
	    echo "static const unsigned char sql_$$v[] = {"; \
	    od -An -v -tx1 $$f | sed 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	    echo '0x00 };'; \
	  done; \
	  echo 'const struct xlb_db_migration xlb_db_migrations[] = {'; \
	  for f in $(SCHEMA_SQL); do \
	    n=$$(basename $$f); v=$$(echo $$n | cut -c1-3); \
	    echo "	{ $$(expr $$v + 0), \"$$n\", (const char *)sql_$$v },"; \
	  done; \
	  echo '};'; \
	  echo 'const unsigned int xlb_db_nmigrations ='; \
	  echo '	sizeof(xlb_db_migrations) / sizeof(xlb_db_migrations[0]);'; \
	} > $@.tmp
	mv $@.tmp $@

$(SCHEMA_OBJ): $(BUILD)/gen/xlb_db_schema.c
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%: tools/%.c $(LIBXLB) $(LIB_HDRS) $(BPF_SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIBXLB) $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/%.c $(TEST_HELPER_OBJS) $(LIBXLB) $(LIB_HDRS) $(BPF_SKELS) $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests $(LDFLAGS) $< $(TEST_HELPER_OBJS) $(LIBXLB) $(LDLIBS) -lcmocka -o $@

# tests/test_bgpd_*.c compile bgpd-bridge's files in (a program's, not
# libxlb's): they are rebuilt when those change.
$(filter $(BUILD)/tests/test_bgpd_%,$(TESTS)): $(wildcard bgpd-bridge/*.c bgpd-bridge/*.h)

$(TEST_HELPER_OBJS): $(wildcard tests/*.h) $(LIB_HDRS) $(BPF_SKELS)
$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests -c $< -o $@

$(BUILD)/bench/%: tools/bench/%.c $(LIBXLB) $(LIB_HDRS) $(BPF_SKELS) $(wildcard tools/bench/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itools/bench $(LDFLAGS) $< $(LIBXLB) $(LDLIBS) -o $@

# --- running -----------------------------------------------------------------
# `make test` is the one command that runs every test on a fresh machine: it
# installs missing packages, builds, runs the suites, then runs the userspace
# suites again built with AddressSanitizer and UBSan.
test:
	tools/install-deps
	$(MAKE) all
ifeq ($(SANITIZE),1)
	tests/run-all $(BUILD)
else
	$(MAKE) SANITIZE=1 tests
	tests/run-all $(BUILD) $(BUILD)-san
endif

tests: $(TESTS) $(TOOLS) $(PROGS)

# The README's main job: the namespace lab with real traffic.
lab:
	tools/install-deps
	$(MAKE) all
	tools/lab/run $(LAB_ARGS)

bench:
	tools/install-deps
	$(MAKE) all
	tools/bench/run-all $(BUILD)

# Programs carry their XDP object inside (skeletons); lib/xlb keeps the
# objects loaded by other tools (tc loads decap_tc.bpf.o on backends).
# Servers the lab and benchmarks run on backends, not part of a node.
LAB_ONLY := $(BUILD)/lab_httpd $(BUILD)/hc_responder
install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/xlb \
		$(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(filter-out $(LAB_ONLY),$(TOOLS)) $(PROGS) \
		$(DESTDIR)$(PREFIX)/sbin/
	install -m 0644 $(filter-out %_bench.o %_trivial.o,$(BPF_OBJS)) \
		$(DESTDIR)$(PREFIX)/lib/xlb/
	install -m 0644 $(wildcard tools/*.8 $(addsuffix /*.8,$(PROG_DIRS))) \
		$(DESTDIR)$(PREFIX)/share/man/man8/
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(wildcard $(addsuffix /*.1,$(PROG_DIRS)))
	tools/systemd/render $(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -D -m 0644 tools/systemd/xlb.sysusers \
		$(DESTDIR)$(PREFIX)/lib/sysusers.d/xlb.conf

clean:
	rm -rf $(BUILD) $(BUILD)-san
