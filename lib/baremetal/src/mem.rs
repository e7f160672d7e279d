//! The memory primitives behind `memcpy` and friends, in inline assembly.
//!
//! Each works in three parts: 64-byte blocks with eight quadword moves per
//! loop iteration, then whole quadwords, then single bytes. Unaligned
//! addresses are fine (x86-64 allows unaligned quadword moves). The
//! direction flag is clear on entry and exit (the SysV ABI), except inside
//! [`copy_backward`], which sets and clears it.

use core::arch::asm;

/// Bytes per unrolled loop iteration.
const BLOCK: usize = 64;

/// Copies `n` bytes from `src` to `dst`, lowest address first.
///
/// # Safety
/// `src` must be readable and `dst` writable for `n` bytes; if the ranges
/// overlap, `dst` must not lie above `src`.
pub unsafe fn copy_forward(dst: *mut u8, src: *const u8, n: usize) {
    // The loop copies `n / 64` blocks (each read before it is written, so
    // a destination below the source is copied correctly) and leaves
    // RSI/RDI after them; `rep movsq` and `rep movsb` copy the rest forwards.
    // SAFETY: the caller guarantees both ranges for `n` bytes; no byte outside them is touched.
    unsafe {
        asm!(
            "test rcx, rcx",
            "jz 3f",
            "2:",
            "mov r8, [rsi]",
            "mov r9, [rsi + 8]",
            "mov r10, [rsi + 16]",
            "mov r11, [rsi + 24]",
            "mov [rdi], r8",
            "mov [rdi + 8], r9",
            "mov [rdi + 16], r10",
            "mov [rdi + 24], r11",
            "mov r8, [rsi + 32]",
            "mov r9, [rsi + 40]",
            "mov r10, [rsi + 48]",
            "mov r11, [rsi + 56]",
            "mov [rdi + 32], r8",
            "mov [rdi + 40], r9",
            "mov [rdi + 48], r10",
            "mov [rdi + 56], r11",
            "add rsi, 64",
            "add rdi, 64",
            "dec rcx",
            "jnz 2b",
            "3:",
            "mov rcx, {quads}",
            "rep movsq",
            "mov rcx, {bytes}",
            "rep movsb",
            quads = in(reg) n % BLOCK / 8,
            bytes = in(reg) n % 8,
            inout("rcx") n / BLOCK => _,
            inout("rdi") dst => _,
            inout("rsi") src => _,
            out("r8") _,
            out("r9") _,
            out("r10") _,
            out("r11") _,
            options(nostack)
        );
    }
}

/// Copies `n` bytes from `src` to `dst`, highest address first (for a
/// destination that overlaps the source from above).
///
/// # Safety
/// `src` must be readable and `dst` writable for `n` bytes.
pub unsafe fn copy_backward(dst: *mut u8, src: *const u8, n: usize) {
    if n == 0 {
        return;
    }
    // The last `n % 8` bytes one at a time, then the quadwords below them.
    // After the bytes, RSI/RDI point at the byte below them; 7 lower is
    // the last quadword's start (only used if there are quadwords).
    // SAFETY: `n > 0`, so the last-byte pointers stay in the caller's ranges; DF is restored.
    unsafe {
        asm!(
            "std",
            "rep movsb",
            "sub rsi, 7",
            "sub rdi, 7",
            "mov rcx, {quads}",
            "rep movsq",
            "cld",
            quads = in(reg) n / 8,
            inout("rcx") n % 8 => _,
            inout("rdi") dst.add(n - 1) => _,
            inout("rsi") src.add(n - 1) => _,
            options(nostack)
        );
    }
}

/// Fills `n` bytes at `dst` with `byte`.
///
/// # Safety
/// `dst` must be writable for `n` bytes.
pub unsafe fn fill(dst: *mut u8, byte: u8, n: usize) {
    // The byte in every byte of a quadword.
    let pattern = u64::from(byte) * 0x0101_0101_0101_0101;
    // The loop fills `n / 64` blocks and leaves RDI after them, where `rep
    // stosq` and `rep stosb` (AL is the pattern's low byte) fill the rest.
    // SAFETY: the caller guarantees `dst` is writable for `n` bytes; no byte outside is written.
    unsafe {
        asm!(
            "test rcx, rcx",
            "jz 3f",
            "2:",
            "mov [rdi], rax",
            "mov [rdi + 8], rax",
            "mov [rdi + 16], rax",
            "mov [rdi + 24], rax",
            "mov [rdi + 32], rax",
            "mov [rdi + 40], rax",
            "mov [rdi + 48], rax",
            "mov [rdi + 56], rax",
            "add rdi, 64",
            "dec rcx",
            "jnz 2b",
            "3:",
            "mov rcx, {quads}",
            "rep stosq",
            "mov rcx, {bytes}",
            "rep stosb",
            quads = in(reg) n % BLOCK / 8,
            bytes = in(reg) n % 8,
            inout("rcx") n / BLOCK => _,
            inout("rdi") dst => _,
            in("rax") pattern,
            options(nostack)
        );
    }
}

/// The index of the first byte in which the `n`-byte ranges at `a` and `b`
/// differ, or `n` if they are equal.
///
/// # Safety
/// Both pointers must be readable for `n` bytes.
pub unsafe fn first_difference(a: *const u8, b: *const u8, n: usize) -> usize {
    let blocks = n / BLOCK;
    let left: usize;
    // The loop reads `blocks` 64-byte blocks of each and stops at the
    // first block with a difference, with RCX counting it and those after.
    // SAFETY: the caller guarantees both ranges for `n` bytes; only those are read.
    unsafe {
        asm!(
            "test rcx, rcx",
            "jz 3f",
            "2:",
            "mov r8, [rsi]",
            "xor r8, [rdi]",
            "mov r9, [rsi + 8]",
            "xor r9, [rdi + 8]",
            "or r8, r9",
            "mov r9, [rsi + 16]",
            "xor r9, [rdi + 16]",
            "or r8, r9",
            "mov r9, [rsi + 24]",
            "xor r9, [rdi + 24]",
            "or r8, r9",
            "mov r9, [rsi + 32]",
            "xor r9, [rdi + 32]",
            "or r8, r9",
            "mov r9, [rsi + 40]",
            "xor r9, [rdi + 40]",
            "or r8, r9",
            "mov r9, [rsi + 48]",
            "xor r9, [rdi + 48]",
            "or r8, r9",
            "mov r9, [rsi + 56]",
            "xor r9, [rdi + 56]",
            "or r8, r9",
            "jnz 3f",
            "add rsi, 64",
            "add rdi, 64",
            "dec rcx",
            "jnz 2b",
            "3:",
            inout("rcx") blocks => left,
            inout("rsi") a => _,
            inout("rdi") b => _,
            out("r8") _,
            out("r9") _,
            options(nostack, readonly)
        );
    }
    // The difference, if any, is in the block the loop stopped at or in
    // the bytes after the blocks: fewer than 128 bytes, read one by one
    // (volatile, so that the loop is never turned into a call to `bcmp`).
    let mut i = (blocks - left) * BLOCK;
    while i < n {
        // SAFETY: `i < n`, inside both ranges.
        let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
        if x != y {
            return i;
        }
        i += 1;
    }
    n
}

/// `memcmp`: the difference of the first differing bytes (as unsigned
/// values), or 0.
///
/// # Safety
/// Both pointers must be readable for `n` bytes.
pub unsafe fn compare(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: the caller's guarantee is `first_difference`'s.
    let i = unsafe { first_difference(a, b, n) };
    if i == n {
        return 0;
    }
    // SAFETY: `i < n`, inside both ranges.
    let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
    i32::from(x) - i32::from(y)
}
