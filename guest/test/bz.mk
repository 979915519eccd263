# The bzImage test guest: a flat kernel wrapped in a boot-protocol header.
BZ_OUT := build/guest/test/bz
BZ_IMAGE := build/guest/test/test.bzImage
BZ_CFLAGS := -std=gnu11 -ffreestanding -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fcf-protection=none -O2 -Wall -Wextra -Werror

$(BZ_OUT)/%.o: guest/test/bz/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) $(BZ_CFLAGS) -c $< -o $@
$(BZ_OUT)/%.o: guest/test/bz/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) $(BZ_CFLAGS) -c $< -o $@
$(BZ_OUT)/bz.elf: $(BZ_OUT)/head.o $(BZ_OUT)/bz.o guest/test/bz/bz.ld
	$(GUEST_CC) -nostdlib -static -Wl,--build-id=none -Wl,--no-warn-rwx-segments -Wl,-T,guest/test/bz/bz.ld -o $@ $(BZ_OUT)/head.o $(BZ_OUT)/bz.o
$(BZ_IMAGE): $(BZ_OUT)/bz.elf guest/test/bz/mkbzimage.py
	objcopy -O binary $< $(BZ_OUT)/bz.bin
	python3 guest/test/bz/mkbzimage.py $(BZ_OUT)/bz.bin $@
