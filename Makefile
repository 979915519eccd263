# lguest: `make` builds build/lguest and the test guests; `make check` runs
# every test, with the plain build and again under ASan+UBSan.
CC ?= gcc
PREFIX ?= /usr/local
BUILD ?= build
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -D_GNU_SOURCE
LDLIBS += -lpthread -luring -lslirp
ifeq ($(SANITIZE),1)
BUILD := build-san
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

SRCS := $(wildcard src/*.c src/*/*.c)
OBJS := $(SRCS:src/%.c=$(BUILD)/obj/%.o)
# The pure parts that the unit tests link against (no main, no KVM ioctls).
UNIT_OBJS := $(addprefix $(BUILD)/obj/,util.o config.o core/memory.o core/bus.o boot/memmap.o boot/linux.o boot/mptable.o boot/acpi.o boot/dsdt.o hw/rtc.o guest.o core/pvm.o virtio/virtqueue.o net/frame.o net/spec.o)

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


$(BUILD)/unit: tests/unit.c $(UNIT_OBJS) $(BUILD)/tests/stubs.o
	$(CC) $(CFLAGS) $(LDFLAGS) -Isrc -o $@ $^ $(LDLIBS)

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

check-fast: all $(BUILD)/unit nested-kit
	tests/run.sh $(BUILD)

install: $(BUILD)/lguest
	install -D -m 755 $(BUILD)/lguest $(DESTDIR)$(PREFIX)/bin/lguest
	if [ -f $(DEFAULT_GUEST_KERNEL) ]; then \
		install -D -m 644 $(DEFAULT_GUEST_KERNEL) $(DESTDIR)$(PREFIX)/share/lguest/vmlinux; \
		install -D -m 644 $(DEFAULT_GUEST_INITRD) $(DESTDIR)$(PREFIX)/share/lguest/initramfs.cpio; \
	fi

run: all
	$(BUILD)/lguest run

tour:
	scripts/tour.sh > docs/TOUR.md

clean:
	rm -rf build build-san

.PHONY: all check check-fast install run tour clean test-guests
