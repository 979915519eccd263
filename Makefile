# lguest: `make` builds build/lguest and the test guests; `make check` runs
# every test, with the plain build and again under ASan+UBSan.
CC ?= gcc
PREFIX ?= /usr/local
BUILD ?= build
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -D_GNU_SOURCE
LDLIBS += -lpthread -luring -lslirp -lseccomp
ifeq ($(SANITIZE),1)
BUILD := build-san
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -DLG_SANITIZERS
LDFLAGS += -fsanitize=address,undefined
endif

SRCS := $(wildcard src/*.c src/*/*.c)
OBJS := $(SRCS:src/%.c=$(BUILD)/obj/%.o)
# The pure parts that the unit tests link against (no main, no KVM ioctls).
UNIT_OBJS := $(addprefix $(BUILD)/obj/,util.o config.o console.o core/memory.o core/bus.o core/loop.o core/vm.o core/irq.o core/dump.o boot/memmap.o boot/linux.o boot/mptable.o boot/acpi.o boot/dsdt.o hw/rtc.o guest.o core/pvm.o core/sandbox.o virtio/virtqueue.o net/frame.o net/spec.o control/server.o)

include guest/test/build.mk
include guest/test/bz.mk
include guest/linux/build.mk

.DEFAULT_GOAL := all
all: $(BUILD)/lguest test-guests $(BZ_IMAGE) default-guest

$(BUILD)/lguest: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(OBJS:.o=.d)


$(BUILD)/unit: tests/unit.c $(UNIT_OBJS) $(BUILD)/tests/stubs.o | build/race
	$(CC) $(CFLAGS) $(LDFLAGS) -Isrc -o $@ $^ $(LDLIBS)

# The output watch under ThreadSanitizer (tests/race.c); built with the unit
# tests, for the plain build only.
RACE_SRCS := src/guest.c src/console.c src/util.c $(addprefix src/core/,vm.c loop.c irq.c pvm.c dump.c memory.c bus.c sandbox.c)
build/race: tests/race.c $(RACE_SRCS)
	$(CC) -O1 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -fsanitize=thread -Isrc -o $@ $^ -lpthread -lseccomp

$(BUILD)/tests/stubs.o: tests/stubs.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -c -o $@ $<

# The README's test command: the suite with the plain build and again under
# ASan+UBSan, one closing line.
# The Linux user-space tests boot Debian's kernel too, and on a kvm-pvm host
# run nested inside it (tests/nested.sh): both come from make nested-kit.
check: all $(BUILD)/unit nested-kit
	$(MAKE) SANITIZE=1 build-san/lguest build-san/unit
	tests/run.sh $(BUILD) build-san

# What make check leaves out for time (tests/long.sh: the network's and
# lguest stop's Linux boots, 100 MiB over TCP instead of 4); CI runs it too.
check-long: all nested-kit
	tests/long.sh

check-fast: all $(BUILD)/unit nested-kit
	tests/run.sh $(BUILD)

# The launcher, its man page and bash completion, hello.elf (a guest that
# runs to the end anywhere) and the default guest kit if it was built.
SHARE := $(DESTDIR)$(PREFIX)/share
install: $(BUILD)/lguest $(GT_OUT)/hello.elf
	install -D -m 755 $(BUILD)/lguest $(DESTDIR)$(PREFIX)/bin/lguest
	install -D -m 644 docs/lguest.1 $(SHARE)/man/man1/lguest.1
	install -D -m 644 docs/lguest.bash $(SHARE)/bash-completion/completions/lguest
	install -D -m 644 $(GT_OUT)/hello.elf $(SHARE)/lguest/hello.elf
	if [ -f $(DEFAULT_GUEST_KERNEL) ]; then \
		install -D -m 644 $(DEFAULT_GUEST_KERNEL) $(SHARE)/lguest/vmlinux; \
		install -D -m 644 $(DEFAULT_GUEST_INITRD) $(SHARE)/lguest/initramfs.cpio; \
	fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/lguest $(SHARE)/man/man1/lguest.1 $(SHARE)/bash-completion/completions/lguest
	rm -f $(SHARE)/lguest/hello.elf $(SHARE)/lguest/vmlinux $(SHARE)/lguest/initramfs.cpio
	-rmdir $(SHARE)/lguest 2>/dev/null

run: all
	$(BUILD)/lguest run

# libFuzzer targets (tests/fuzz): `make fuzz` builds them with clang and
# ASan+UBSan into build-fuzz/; bench/fuzz runs them.  The sources under
# src/ (all but main.c) make one archive, so a target links what it uses.
FUZZ_CC ?= clang
FUZZ := build-fuzz
FUZZ_TARGETS := virtqueue pci blk serial bzimage elf vhost_user control
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wshadow -D_GNU_SOURCE \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_OBJS := $(filter-out $(FUZZ)/obj/main.o,$(SRCS:src/%.c=$(FUZZ)/obj/%.o))
FUZZ_LIBS := -luring -lslirp -lseccomp -lpthread

fuzz: $(FUZZ_TARGETS:%=$(FUZZ)/fuzz_%)

$(FUZZ)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ)/liblguest.a: $(FUZZ_OBJS)
	rm -f $@ && ar rcs $@ $^

$(FUZZ)/fuzz_virtqueue $(FUZZ)/fuzz_pci $(FUZZ)/fuzz_blk $(FUZZ)/fuzz_serial $(FUZZ)/fuzz_vhost_user \
$(FUZZ)/fuzz_control: $(FUZZ)/fuzz_%: tests/fuzz/%.c tests/fuzz/common.c tests/fuzz/fuzz.h $(FUZZ)/liblguest.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Isrc -o $@ tests/fuzz/$*.c tests/fuzz/common.c $(FUZZ)/liblguest.a $(FUZZ_LIBS)

$(FUZZ)/fuzz_bzimage $(FUZZ)/fuzz_elf: $(FUZZ)/fuzz_%: tests/fuzz/boot.c tests/fuzz/common.c tests/fuzz/fuzz.h $(FUZZ)/liblguest.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Isrc -DLOADER_$* -o $@ tests/fuzz/boot.c tests/fuzz/common.c $(FUZZ)/liblguest.a $(FUZZ_LIBS)

-include $(FUZZ_OBJS:.o=.d)

tour:
	scripts/tour.sh > docs/TOUR.md

clean:
	rm -rf build build-san $(FUZZ)

.PHONY: all check check-long check-fast install uninstall run tour clean test-guests fuzz
