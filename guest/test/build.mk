# guest/test/build.mk - build the freestanding test guests (PVH ELF images).
#
# Included by the top-level Makefile; all paths are relative to the repo root.
# Standalone:   make -f guest/test/build.mk            (from the repo root)
#               make -C guest/test                      (via guest/test/Makefile)
# Other compiler: add GUEST_CC=clang.
# Outputs: $(TEST_GUESTS) = build/guest/test/<name>.elf

GT_SAVED_GOAL := $(.DEFAULT_GOAL)
GT_STANDALONE := $(filter 1,$(words $(MAKEFILE_LIST)))

GUEST_CC ?= $(CC)
GT_SRC := guest/test
GT_OUT := build/guest/test
GT_NAMES := hello memsize timer smp ioloop reset ring3_syscall echo poweroff cpuid pvmops vcon \
	blk rng hostile net flood intx ctl
TEST_GUESTS := $(GT_NAMES:%=$(GT_OUT)/%.elf)

GT_CFLAGS := -std=gnu11 -ffreestanding -fno-pic -fno-pie -mno-red-zone \
	-mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-unwind-tables -fcf-protection=none -fno-builtin -O2 \
	-Wall -Wextra -Werror -I$(GT_SRC)/rt -MMD -MP
GT_LDFLAGS := -nostdlib -static -Wl,-no-pie -Wl,--build-id=none \
	-Wl,-T,$(GT_SRC)/guest.ld -Wl,--no-warn-rwx-segments

GT_RT_OBJS := $(addprefix $(GT_OUT)/rt/,entry.o rt.o cpu.o topo.o clock.o pci.o virtio.o vblk.o \
	vnet.o)

$(GT_OUT)/rt/%.o: $(GT_SRC)/rt/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GT_CFLAGS) -c $< -o $@

$(GT_OUT)/rt/%.o: $(GT_SRC)/rt/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) $(GT_CFLAGS) -c $< -o $@

# Static pattern rules, so nothing else under build/guest/test is claimed.
$(GT_NAMES:%=$(GT_OUT)/%.o): $(GT_OUT)/%.o: $(GT_SRC)/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(GT_CFLAGS) -c $< -o $@

$(TEST_GUESTS): $(GT_OUT)/%.elf: $(GT_OUT)/%.o $(GT_RT_OBJS) $(GT_SRC)/guest.ld
	$(GUEST_CC) $(GT_LDFLAGS) -o $@ $< $(GT_RT_OBJS)

.PHONY: test-guests clean-test-guests
test-guests: $(TEST_GUESTS)

clean-test-guests:
	rm -rf $(GT_OUT)/rt $(TEST_GUESTS) $(GT_NAMES:%=$(GT_OUT)/%.[od])

.PRECIOUS: $(GT_NAMES:%=$(GT_OUT)/%.o) $(GT_RT_OBJS)
-include $(wildcard $(GT_NAMES:%=$(GT_OUT)/%.d) $(GT_OUT)/rt/*.d)

# Do not steal the including Makefile's default goal; standalone, build all.
ifeq ($(GT_SAVED_GOAL),)
ifeq ($(GT_STANDALONE),1)
.DEFAULT_GOAL := test-guests
else
.DEFAULT_GOAL :=
endif
else
.DEFAULT_GOAL := $(GT_SAVED_GOAL)
endif
