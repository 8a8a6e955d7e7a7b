# mta - one non-recursive GNU Makefile.
#
# lib/*.c becomes lib/libmta.a; every folder cmd/mta-NAME/ becomes the
# program mta-NAME from all of its .c files; every tests/unit/NAME_test.c
# becomes a unit test.  Adding a file needs no edit here.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc/mta
SPOOLDIR ?= /var/spool/mta
SERVICEDIR ?= $(PREFIX)/share/mta
PKG_CONFIG ?= pkg-config
CC ?= cc

DEPS = libssl libcrypto libbsd-overlay libcares libpcre2-8
MTA_CFLAGS = -std=c17 -D_DEFAULT_SOURCE -Wall -Wextra -Wvla -Wshadow \
	-Wformat=2 -Wno-format-nonliteral -Werror -MMD -MP -g -O2
MTA_CPPFLAGS = -Ilib -DMTA_SYSCONFDIR='"$(SYSCONFDIR)"' \
	-DMTA_SPOOLDIR='"$(SPOOLDIR)"' $(shell $(PKG_CONFIG) --cflags $(DEPS))
# The libraries are linked statically (Debian's -dev packages ship the
# .a files), libc alone dynamically: a program that runs once per message
# (mta-inject) spends half of its startup loading and relocating shared
# libcrypto and the rest.  libcrypt stays shared: only mta-smtpd uses it,
# and AddressSanitizer's crypt(3) interceptor finds no crypt in a static
# one.  STATIC=0 links them all dynamically.
STATIC ?= 1
ifeq ($(STATIC),1)
MTA_LDLIBS = $(shell $(PKG_CONFIG) --libs-only-L $(DEPS)) -Wl,-Bstatic \
	-lssl -lcrypto -lcares -lpcre2-8 -lbsd -lmd -lcsv -Wl,-Bdynamic \
	-lcrypt -pthread
else
MTA_LDLIBS = $(shell $(PKG_CONFIG) --libs $(DEPS)) -lcsv -lcrypt
endif

ifeq ($(SAN),1)
MTA_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
MTA_LDFLAGS += -fsanitize=address,undefined
endif

ALL_CFLAGS = $(MTA_CPPFLAGS) $(MTA_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(MTA_LDFLAGS) $(LDFLAGS)

LIB_SRC = $(sort $(wildcard lib/*.c))
LIB_OBJ = $(LIB_SRC:.c=.o)
LIB = lib/libmta.a

PROGS = $(sort $(notdir $(wildcard cmd/mta-*)))
PROG_BINS = $(foreach p,$(PROGS),cmd/$(p)/$(p))
# Programs a user runs go to bin (man section 1); daemons and operator
# tools go to sbin (section 8).
USER_PROGS = mta-inject

UNIT_SRC = $(sort $(wildcard tests/unit/*_test.c))
UNIT_BINS = $(UNIT_SRC:.c=)
TEST_HARNESS = tests/unit/harness.o

FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS = $(FUZZ_SRC:.c=)

MANPAGES = $(sort $(wildcard man/*.[1-8]))

.DELETE_ON_ERROR:
.PHONY: all check unit manlint lint fuzz bench demo install uninstall clean

all: $(PROG_BINS)

lib/%.o: lib/%.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

# Each program links its own sources with the library.
define prog_rule
$(1)_SRC = $$(sort $$(wildcard cmd/$(1)/*.c))
$(1)_OBJ = $$($(1)_SRC:.c=.o)
cmd/$(1)/$(1): $$($(1)_OBJ) $(LIB)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$($(1)_OBJ) $(LIB) $$(MTA_LDLIBS) $$(LDLIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

cmd/%.o: cmd/%.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

tests/unit/%.o: tests/unit/%.c
	$(CC) $(ALL_CFLAGS) -Itests/unit -c -o $@ $<

tests/unit/%_test: tests/unit/%_test.o $(TEST_HARNESS) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_HARNESS) $(LIB) $(MTA_LDLIBS) $(LDLIBS)

# The fuzz targets need clang's libFuzzer; they are built by 'make fuzz'.
# The library is compiled once with the fuzzers' coverage and sanitizers
# (fuzzer-no-link) into tests/fuzz/obj/, and every target links it: one
# compile of lib/ instead of one per target.
FUZZ_CC ?= clang
FUZZ_CFLAGS = -std=c17 -D_DEFAULT_SOURCE -g -O1 -MMD -MP $(MTA_CPPFLAGS)
FUZZ_LIB_OBJ = $(LIB_SRC:lib/%.c=tests/fuzz/obj/%.o)
.SECONDARY: $(FUZZ_LIB_OBJ)

tests/fuzz/obj/%.o: lib/%.c
	@mkdir -p tests/fuzz/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
	    -c -o $@ $<

tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
	    -o $@ $< $(FUZZ_LIB_OBJ) $(MTA_LDLIBS)

fuzz: $(FUZZ_BINS)

unit: $(UNIT_BINS)

check: all $(UNIT_BINS)
	@sh tests/run.sh

# The README's run command: a self-contained instance under ./run.
demo: all
	@sh tests/demo.sh

bench: all
	@for b in tests/bench/*.sh; do [ -f "$$b" ] && sh "$$b"; done; true

manlint:
	mandoc -Tlint -Wwarning $(MANPAGES)

lint:
	@if grep -nE '\<(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi)\(' \
	    lib/*.c lib/*.h cmd/*/*.c; then \
		echo "lint: banned function"; exit 1; fi
	@echo "lint: ok"

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR)
	for p in $(PROGS); do \
		case " $(USER_PROGS) " in \
		*" $$p "*) install -m 755 cmd/$$p/$$p $(DESTDIR)$(BINDIR)/$$p ;; \
		*) install -m 755 cmd/$$p/$$p $(DESTDIR)$(SBINDIR)/$$p ;; \
		esac; \
	done
	# Applications that call sendmail reach mta-inject unchanged.
	ln -sf $(BINDIR)/mta-inject $(DESTDIR)$(SBINDIR)/sendmail
	install -d $(DESTDIR)$(SYSCONFDIR)
	install -m 644 etc/mta.conf $(DESTDIR)$(SYSCONFDIR)/mta.conf.sample
	install -m 644 etc/bounce-categories $(DESTDIR)$(SYSCONFDIR)/
	# Service templates, not a live /etc/service: runsvdir would start
	# them at once.  Copy or link them into place (README).
	for d in etc/service/*/ etc/service/*/log/; do \
		install -d $(DESTDIR)$(SERVICEDIR)/$${d#etc/}; \
		install -m 755 $${d}run $(DESTDIR)$(SERVICEDIR)/$${d#etc/}run; \
	done
	install -d $(DESTDIR)$(SERVICEDIR)/systemd
	install -m 644 contrib/systemd/*.service $(DESTDIR)$(SERVICEDIR)/systemd/
	for m in $(MANPAGES); do \
		s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; \
	done

uninstall:
	for p in $(PROGS); do \
		rm -f $(DESTDIR)$(BINDIR)/$$p $(DESTDIR)$(SBINDIR)/$$p; \
	done
	rm -f $(DESTDIR)$(SBINDIR)/sendmail
	rm -f $(DESTDIR)$(SYSCONFDIR)/mta.conf.sample
	rm -f $(DESTDIR)$(SYSCONFDIR)/bounce-categories
	rm -rf $(DESTDIR)$(SERVICEDIR)
	for m in $(MANPAGES); do \
		s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; \
	done

clean:
	rm -f lib/*.o lib/*.d $(LIB) cmd/*/*.o cmd/*/*.d $(PROG_BINS) \
	    tests/unit/*.o tests/unit/*.d $(UNIT_BINS) $(FUZZ_BINS) \
	    tests/fuzz/*.d
	rm -rf tests/fuzz/obj

-include $(wildcard lib/*.d cmd/*/*.d tests/unit/*.d tests/fuzz/*.d \
    tests/fuzz/obj/*.d)
