//! The two ways in, both in 32-bit protected mode with paging off:
//!
//! * PVH (`pvh_start32`, named by the Xen note): QEMU's `-kernel`, with
//!   `ebx` holding the physical address of the `hvm_start_info`;
//! * multiboot2 (`mb2_start32`, named by the multiboot2 header's entry
//!   tag): GRUB, under BIOS or UEFI (it exits boot services and leaves
//!   long mode first), with `eax` holding the multiboot2 magic and `ebx`
//!   the boot information's address. The header asks for a linear
//!   framebuffer (1024x768x32 preferred, any mode accepted), page-aligned
//!   modules and the tags the loader reads.
//!
//! Each entry keeps `ebx` in `esi` and the protocol in `ebp` (0 for PVH,
//! the magic found in `eax` for multiboot2), then they share one path: the
//! stub zeroes the loader's data, takes the TSC,
//! builds page tables that map the low 4 GiB both at identity and at
//! `DIRECT_MAP_BASE` (2 MiB pages), enables SSE, PAE and long mode, and
//! calls [`crate::loader_main`] in 64-bit mode.
//!
//! The far jump into 64-bit code is encoded by hand: the assembler would
//! otherwise pick a 16-bit relocation for the target.

/// The top of the identity map the stub builds: the loader reaches
/// physical memory below it at the same address.
const IDENTITY_TOP: u64 = 4 << 30;

/// Whether `len` bytes from physical `addr` lie in the identity map.
pub fn identity_mapped(addr: u64, len: u64) -> bool {
    addr.checked_add(len).is_some_and(|end| end <= IDENTITY_TOP)
}

core::arch::global_asm!(
    r#"
    .section .note.Xen, "a"
    .balign 4
    .long 4                       /* name size: "Xen\0" */
    .long 8                       /* descriptor size */
    .long 18                      /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .quad pvh_start32
    .balign 4

    .section .multiboot2, "a"
    .balign 8
multiboot2_header:
    .long 0xe85250d6              /* magic */
    .long 0                       /* architecture: i386 protected mode */
    .long multiboot2_header_end - multiboot2_header
    .long -(0xe85250d6 + (multiboot2_header_end - multiboot2_header))
    .balign 8                     /* information request (optional) */
    .short 1, 1
    .long 8 + 6 * 4
    .long 1, 3, 6, 8, 14, 15      /* command line, modules, memory map,
                                     framebuffer, ACPI 1 and 2 RSDP */
    .balign 8                     /* entry address */
    .short 3, 0
    .long 12
    .long mb2_start32
    .balign 8                     /* framebuffer (optional, preferred mode) */
    .short 5, 1
    .long 20
    .long 1024, 768, 32
    .balign 8                     /* page-aligned modules */
    .short 6, 0
    .long 8
    .balign 8                     /* end */
    .short 0, 0
    .long 8
multiboot2_header_end:

    .section .text.pvh, "ax"
    .code32
    .global pvh_start32
pvh_start32:
    cli
    cld
    mov esi, ebx                  /* start info, kept in esi */
    xor ebp, ebp                  /* protocol: PVH */
    jmp 4f

    .global mb2_start32
mb2_start32:
    cli
    cld
    mov esi, ebx                  /* boot information, kept in esi */
    mov ebp, eax                  /* protocol: the magic GRUB passed */
4:

    mov edi, offset __bss_start   /* zero .bss (page tables, stack) */
    mov ecx, offset __bss_end
    sub ecx, edi
    xor eax, eax
    rep stosb

    rdtsc
    mov dword ptr [loader_entry_tsc], eax
    mov dword ptr [loader_entry_tsc + 4], edx
    mov esp, offset loader_stack_top

    /* PML4[0] and PML4[256] -> the same PDPT; PDPT[0..4] -> four PDs. */
    mov eax, offset loader_pdpt
    or eax, 3
    mov dword ptr [loader_pml4], eax
    mov dword ptr [loader_pml4 + 256 * 8], eax
    mov eax, offset loader_pd
    or eax, 3
    mov ecx, 0
1:
    mov dword ptr [loader_pdpt + ecx * 8], eax
    add eax, 4096
    inc ecx
    cmp ecx, 4
    jne 1b

    /* 2048 PD entries: 2 MiB pages covering 0..4 GiB, present + writable. */
    mov edi, offset loader_pd
    mov eax, 0x83
    xor edx, edx
    mov ecx, 2048
2:
    mov dword ptr [edi], eax
    mov dword ptr [edi + 4], edx
    add eax, 0x200000
    adc edx, 0
    add edi, 8
    dec ecx
    jnz 2b

    mov eax, cr4                  /* PAE, OSFXSR, OSXMMEXCPT */
    or eax, (1 << 5) | (1 << 9) | (1 << 10)
    mov cr4, eax
    mov eax, offset loader_pml4
    mov cr3, eax
    mov ecx, 0xc0000080           /* EFER.LME */
    rdmsr
    or eax, 1 << 8
    wrmsr
    mov eax, cr0                  /* paging, protection, MP; EM off */
    and eax, ~(1 << 2)
    or eax, (1 << 31) | (1 << 1) | 1
    mov cr0, eax

    lgdt [loader_gdt_pointer]
    .byte 0xea                    /* jmp far 0x08:loader_long_mode */
    .long loader_long_mode
    .word 0x08

    .code64
loader_long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov edi, esi                  /* arg 0: start info (zero-extended) */
    mov rsi, qword ptr [rip + loader_entry_tsc]
    mov edx, ebp                  /* arg 2: protocol */
    call {main}
3:
    cli
    hlt
    jmp 3b

    .section .rodata
    .balign 16
loader_gdt:
    .quad 0
    .quad 0x00af9a000000ffff      /* 64-bit code */
    .quad 0x00cf92000000ffff      /* data */
loader_gdt_end:
loader_gdt_pointer:
    .word loader_gdt_end - loader_gdt - 1
    .quad loader_gdt

    .section .bss
    .balign 4096
loader_pml4:
    .skip 4096
loader_pdpt:
    .skip 4096
loader_pd:
    .skip 4 * 4096
loader_stack:
    .skip 64 * 1024
loader_stack_top:
loader_entry_tsc:
    .skip 8
"#,
    main = sym crate::loader_main,
);
