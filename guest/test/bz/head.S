/* The bzImage test guest's protected-mode kernel.  lguest loads it at
 * 16 MiB and enters at +0x200 in 64-bit mode with %rsi = the zero page,
 * the way Linux's startup_64 is entered. */
	.section .head, "ax"
	.code64
	.org 0x200
	.globl startup_64
startup_64:
	lea	stack_top(%rip), %rsp
	mov	%rsi, %rdi
	call	bz_main
1:	hlt
	jmp	1b

	.bss
	.balign 16
	.space 8192
stack_top:
	.section .note.GNU-stack,"",@progbits
