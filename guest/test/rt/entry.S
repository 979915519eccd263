/*T:910 Entry: from 32-bit PVH to long mode
 * A PVH loader (lguest, or QEMU -kernel) jumps to the address in our "Xen"
 * ELF note in 32-bit protected mode with paging off and %ebx pointing at a
 * struct hvm_start_info.  We switch to 64-bit long mode with page tables that
 * are plain static data (the low 4 GiB identity-mapped with 2 MiB pages, all
 * user-accessible), because on a software hypervisor every ring-0 instruction
 * is emulated and slow: ring-0 code here is kept to a few dozen instructions.
 * The APs come through the same long-mode switch from the real-mode
 * trampoline at the end of this file.
 */
#define EFER 0xc0000080

/* PVH ELF note: name "Xen", type 18 (XEN_ELFNOTE_PHYS32_ENTRY), 32-bit desc. */
	.section .note.Xen, "a"
	.p2align 2
	.long 4, 4, 18
	.asciz "Xen"
	.long pvh_start32

/* ---------------- static data: page tables and GDT ---------------- */
	.section .data.pagetables, "aw"
	.p2align 12
pml4:	.quad pdpt + 0x7		/* present, writable, user */
	.fill 511, 8, 0
pdpt:	.quad pd + 0x0000 + 0x7
	.quad pd + 0x1000 + 0x7
	.quad pd + 0x2000 + 0x7
	.quad pd + 0x3000 + 0x7
	.fill 508, 8, 0
pd:	/* 2048 2 MiB pages: present, writable, user, PS */
	.set addr, 0
	.rept 2048
	.quad addr + 0x87
	.set addr, addr + 0x200000
	.endr

	.section .data.gdt, "aw"
	.p2align 4
	.globl rt_gdt, rt_gdt_tss
rt_gdt:
	.quad 0				/* 0x00 null */
	.quad 0x00af9a000000ffff	/* 0x08 kernel code, 64-bit */
	.quad 0x00cf92000000ffff	/* 0x10 kernel data */
	.quad 0x00cff2000000ffff	/* 0x18 user data   (sysret: STAR+8) */
	.quad 0x00affa000000ffff	/* 0x20 user code 64 (sysret: STAR+16) */
rt_gdt_tss:
	.quad 0, 0			/* 0x28 TSS, filled in by cpu.c */
	.quad 0x00cf9a000000ffff	/* 0x38 kernel code, 32-bit (APs) */
rt_gdt_end:
	.p2align 3
	.word 0
rt_gdt_ptr:
	.word rt_gdt_end - rt_gdt - 1
	.quad rt_gdt

	.globl rt_boot_info
rt_boot_info:	.quad 0			/* %ebx at entry */

	.section .bss.stack, "aw", @nobits
	.p2align 12
boot_stack:	.skip 16384
boot_stack_top:

/* ---------------- the 32-bit entry points ---------------- */
/* Common tail: PAE on, CR3, EFER.LME, paging on, far jump to 64-bit \target. */
.macro ENTER_LONG_MODE target
	lgdt rt_gdt_ptr
	mov %cr4, %eax
	or $0x20, %eax			/* CR4.PAE */
	mov %eax, %cr4
	mov $pml4, %eax
	mov %eax, %cr3
	mov $EFER, %ecx
	rdmsr
	or $0x100, %eax			/* EFER.LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax		/* CR0.PG | CR0.PE */
	mov %eax, %cr0
	ljmp $0x08, $\target
.endm

	.section .text.boot, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	cli
	cld
	mov %ebx, rt_boot_info
	ENTER_LONG_MODE long_start

	.globl rt_ap_start32
rt_ap_start32:			/* from the trampoline: PE on, CS = 0x38 */
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	ENTER_LONG_MODE ap_long_start

	.code64
long_start:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	mov $boot_stack_top, %rsp
	mov rt_boot_info, %rdi
	call rt_start			/* never returns */
1:	hlt
	jmp 1b

ap_long_start:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov $1, %edi
	lock xadd %edi, rt_ap_next	/* this AP's index */
	lea 1(%rdi), %eax
	shl $12, %eax			/* 4 KiB stack per AP */
	lea rt_ap_stacks(%rax), %rsp
	call rt_ap_main			/* never returns */
1:	hlt
	jmp 1b

/* ---------------- interrupt entry ---------------- */
/* 256 stubs, 16 bytes apart: push a dummy error code where the CPU pushes
 * none, push the vector, join the common path. */
	.text
	.p2align 4
	.globl rt_isr_stubs
rt_isr_stubs:
	.set vec, 0
	.rept 256
	.p2align 4
	.if !(vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30)
	pushq $0
	.endif
	pushq $vec
	jmp isr_common
	.set vec, vec + 1
	.endr

isr_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi
	call rt_trap
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp			/* vector and error code */
	iretq

/* ---------------- ring 3 ---------------- */
/* rt_run_user(fn, arg, interrupts): save the callee-saved registers and RSP,
 * then iretq to CPL 3 at user_start with IOPL 3 (and IF if asked) on the
 * user stack.  user_start calls fn(arg) and then executes the ud2 at
 * rt_user_exit: cpu.c treats a #UD at exactly that address as "back to ring
 * 0" and calls rt_user_return, which resumes rt_run_user's caller.  (A DPL-3
 * "int $0x80" gate would be the textbook way, but kvm-pvm raises #UD for
 * int $0x80 at ring 3; a #UD works everywhere.) */
	.globl rt_run_user, rt_user_return, rt_user_exit
rt_run_user:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, user_saved_rsp
	mov $0x3002, %eax		/* IOPL 3, reserved bit 1 */
	test %edx, %edx
	jz 1f
	or $0x200, %eax			/* IF */
1:	pushq $0x1b			/* SS */
	pushq $user_stack_top		/* RSP */
	push %rax			/* RFLAGS */
	pushq $0x23			/* CS */
	pushq $user_start		/* RIP */
	iretq
user_start:
	xchg %rdi, %rsi			/* rdi = arg, rsi = fn */
	call *%rsi
rt_user_exit:
	ud2
/* rt_user_wait(p, from, want), called at ring 3: the ud2 takes us to
 * rt_trap, which halts there (interrupts on) unless *p has already moved
 * want past from, and steps over it to the ret on the next interrupt. */
	.globl rt_user_wait, rt_user_halt
rt_user_wait:
rt_user_halt:
	ud2
	ret
rt_user_return:				/* from rt_trap, on the interrupt stack */
	mov user_saved_rsp, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

	.section .bss.user, "aw", @nobits
	.p2align 4
user_saved_rsp:	.skip 16
user_stack:	.skip 16384
user_stack_top:

/* ---------------- AP real-mode trampoline ---------------- */
/* Copied to RT_TRAMPOLINE (0x8000) and started by SIPI vector 8, i.e. at
 * CS:IP = 0800:0000 in 16-bit real mode.  It loads the GDT (32-bit base via
 * lgdtl), sets CR0.PE and far-jumps into rt_ap_start32 above. */
	.section .rodata.trampoline, "a"
	.code16
	.globl rt_trampoline_start, rt_trampoline_end
rt_trampoline_start:
	cli
	mov %cs, %ax
	mov %ax, %ds
	lgdtl tramp_gdt_ptr - rt_trampoline_start
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $0x38, $rt_ap_start32
	.p2align 2
	.word 0
tramp_gdt_ptr:
	.word rt_gdt_end - rt_gdt - 1
	.long rt_gdt
rt_trampoline_end:
	.code64

	.section .note.GNU-stack, "", @progbits
