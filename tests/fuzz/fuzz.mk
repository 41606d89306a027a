# fuzz.mk -- builds the libFuzzer targets (GNU make; run by `make fuzz`,
# see tests/fuzz/fuzz.am, which passes the variables below).
#
# Every source of libdbpulse is compiled once with the fuzzer's coverage
# instrumentation, AddressSanitizer and UndefinedBehaviorSanitizer into
# tests/fuzz/obj/libdbpulse-fuzz.a; each target links its own object
# against that archive, so it gets only the project objects it calls (no
# main(), no generated page assets unless something needs them).  Objects
# carry -MMD dependencies, so a rerun rebuilds only what changed.
#
# Given by the caller:
#   srcdir builddir   absolute top source and build directories
#   FUZZ_CC AR        clang (with libFuzzer), ar
#   LIB_CFLAGS LIB_LIBS LIBS   pkg-config flags and libraries, as for dbpulse
#   LIB_SOURCES       libdbpulse_a_SOURCES
#   LIB_NODIST_SOURCES  nodist_libdbpulse_a_SOURCES (generated in builddir,
#                     by the caller: the page assets)
#   FUZZ_TARGETS      fuzz_* names (tests/fuzz/NAME.c each)

FUZZ_CC ?= clang
AR ?= ar
OUT := $(builddir)/tests/fuzz
OBJ := $(OUT)/obj

FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CPPFLAGS := -I$(srcdir)/agent -I$(srcdir)/alerts -I$(srcdir)/collectors \
	-I$(srcdir)/exporters -I$(srcdir)/cmd -I$(builddir) -I$(srcdir)/tests/fuzz
FUZZ_CFLAGS := -std=c11 -pthread -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link -Wall -Wextra -Wno-unused-parameter
FUZZ_LDFLAGS := -pthread -fsanitize=fuzzer $(FUZZ_SAN)

# Sources of the targets besides libdbpulse: the HTTP auth parser is
# compiled in directly until it is part of libdbpulse.
EXTRA_fuzz_basic_auth := exporters/http_auth.c
# ... and what it links (bcrypt from libxcrypt, HMAC from GnuTLS), in case
# LIB_LIBS does not have them yet
LIBS_fuzz_basic_auth := $(shell pkg-config --libs gnutls libxcrypt 2>/dev/null || echo -lgnutls -lcrypt)
AUTH_CFLAGS := $(shell pkg-config --cflags gnutls 2>/dev/null)

LIB_C := $(filter %.c,$(LIB_SOURCES))
LIB_NODIST_C := $(filter %.c,$(LIB_NODIST_SOURCES))
LIB_OBJ := $(patsubst %.c,$(OBJ)/%.o,$(LIB_C)) $(patsubst %.c,$(OBJ)/nodist/%.o,$(LIB_NODIST_C))
LIB_A := $(OBJ)/libdbpulse-fuzz.a

# A target whose extra source does not exist (yet) is left out, loudly.
missing = $(filter-out $(wildcard $(addprefix $(srcdir)/,$(EXTRA_$(1)))),\
	$(addprefix $(srcdir)/,$(EXTRA_$(1))))
BUILT := $(foreach t,$(FUZZ_TARGETS),$(if $(call missing,$(t)),,$(t)))
SKIPPED := $(filter-out $(BUILT),$(FUZZ_TARGETS))

all: $(addprefix $(OUT)/,$(BUILT))
	@for t in $(SKIPPED); do \
		echo "fuzz: $$t NOT BUILT: missing $(EXTRA_fuzz_basic_auth)" >&2; done

$(OBJ)/%.o: $(srcdir)/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) $(LIB_CFLAGS) $(AUTH_CFLAGS) -MMD -MP -c -o $@ $<

$(OBJ)/nodist/%.o: $(builddir)/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) $(LIB_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	$(AR) cr $@ $(LIB_OBJ)

# extra objects: those not already in the archive
extra_obj = $(patsubst %.c,$(OBJ)/%.o,$(filter-out $(LIB_C),$(EXTRA_$(1))))

define target_rule
$(OUT)/$(1): $(OBJ)/tests/fuzz/$(1).o $(call extra_obj,$(1)) $(LIB_A)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $$@ $$^ $(LIB_LIBS) $(LIBS_$(1)) $(LIBS)
endef
$(foreach t,$(BUILT),$(eval $(call target_rule,$(t))))

clean:
	rm -rf $(OBJ) $(addprefix $(OUT)/,$(FUZZ_TARGETS)) $(OUT)/runs

.PHONY: all clean
.DELETE_ON_ERROR:

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
