//! The symbols every freestanding Corefish image (loader, CPU drivers) must
//! provide itself because nothing else does on these machines.
//!
//! * `memcpy`, `memmove`, `memset`, `memcmp`, `bcmp`: the prebuilt `core`
//!   calls them, and no libc is linked. They are written with string
//!   instructions in inline assembly, so the compiler cannot recognise them as
//!   the very idioms they implement and turn them back into calls to
//!   themselves. They move eight bytes per step (`movsq`, `stosq`, `cmpsq`)
//!   and only the last few bytes one at a time: an emulator (QEMU's TCG)
//!   runs every iteration of a string instruction as a step of its own, so
//!   byte-wise `rep movsb` costs it eight times as many as it must.
//! * `rust_eh_personality` and `_Unwind_Resume`: the prebuilt `core`/`alloc`
//!   were built for unwinding and reference them; Corefish images abort on
//!   panic, so these are never reached (they stop the core if they are).
//!
//! Only freestanding images link this crate; host tests never do (it would
//! shadow libc).

#![no_std]
#![deny(clippy::unwrap_used)]

use core::arch::asm;

/// Copies `n` bytes from `src` to `dst`; the ranges must not overlap.
///
/// # Safety
/// `src` must be readable and `dst` writable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees both ranges are valid for `n` bytes;
    // `rep movsq` copies the first `n / 8` quadwords forwards (DF is clear
    // per the SysV ABI) and leaves RSI/RDI after them, where `rep movsb`
    // copies the last `n % 8` bytes.
    unsafe {
        asm!(
            "rep movsq",
            "mov rcx, {tail}",
            "rep movsb",
            tail = in(reg) n % 8,
            inout("rcx") n / 8 => _,
            inout("rdi") dst => _,
            inout("rsi") src => _,
            options(nostack, preserves_flags)
        );
    }
    dst
}

/// Copies `n` bytes from `src` to `dst`; the ranges may overlap.
///
/// # Safety
/// `src` must be readable and `dst` writable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize).wrapping_sub(src as usize) >= n {
        // Destination is below the source or does not overlap: forwards.
        // SAFETY: the caller's guarantee is the same as for memcpy.
        return unsafe { memcpy(dst, src, n) };
    }
    // Overlapping with the destination above the source: copy backwards,
    // the last `n % 8` bytes one at a time, then the quadwords below them.
    // SAFETY: `n > 0` here (otherwise the first branch was taken), so the
    // last-byte pointers stay in the caller's ranges. After the bytes,
    // RSI/RDI point at the byte below them; 7 lower is the last quadword's
    // start (only used if there are quadwords). DF is restored.
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
    dst
}

/// Fills `n` bytes at `dst` with the low byte of `value`.
///
/// # Safety
/// `dst` must be writable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dst: *mut u8, value: i32, n: usize) -> *mut u8 {
    // The byte in every byte of a quadword.
    let pattern = u64::from(value as u8) * 0x0101_0101_0101_0101;
    // SAFETY: the caller guarantees `dst` is writable for `n` bytes; `rep
    // stosq` fills `n / 8` quadwords and leaves RDI after them, where `rep
    // stosb` fills the last `n % 8` bytes (AL is the pattern's low byte).
    unsafe {
        asm!(
            "rep stosq",
            "mov rcx, {tail}",
            "rep stosb",
            tail = in(reg) n % 8,
            inout("rcx") n / 8 => _,
            inout("rdi") dst => _,
            in("rax") pattern,
            options(nostack, preserves_flags)
        );
    }
    dst
}

/// Compares `n` bytes; returns the difference of the first differing bytes.
///
/// # Safety
/// Both pointers must be readable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    if n == 0 {
        return 0;
    }
    // The first quadword that differs (or where the bytes start that are
    // left over): bytes are compared from there.
    let quads = n / 8;
    let left: usize;
    // SAFETY: the caller guarantees both ranges are readable for `n` bytes,
    // so for `quads * 8`; `repe cmpsq` stops at the first differing
    // quadword or after `quads` of them (with RCX = 0 it compares none).
    unsafe {
        asm!(
            "test rcx, rcx",
            "jz 2f",
            "repe cmpsq",
            "2:",
            inout("rcx") quads => left,
            inout("rsi") a => _,
            inout("rdi") b => _,
            options(nostack, readonly)
        );
    }
    // `left` quadwords remain after the last one compared; if that one
    // differed, its bytes are compared, else the bytes after the quadwords.
    let (start, count) = if left > 0 || last_quad_differs(a, b, quads, left) {
        ((quads - left - 1) * 8, 8)
    } else {
        (quads * 8, n % 8)
    };
    // SAFETY: `start + count <= n`, inside both ranges.
    unsafe { memcmp_bytes(a.add(start), b.add(start), count) }
}

/// Whether the last quadword `repe cmpsq` compared (with `left` of
/// `quads` remaining) differed: it stopped at the very last one.
fn last_quad_differs(a: *const u8, b: *const u8, quads: usize, left: usize) -> bool {
    if quads == 0 || left != 0 {
        return false;
    }
    let at = (quads - 1) * 8;
    // SAFETY: the quadword at `at` was just read by `repe cmpsq`, so both
    // are readable; unaligned reads are allowed on x86-64.
    unsafe {
        core::ptr::read_unaligned(a.add(at).cast::<u64>())
            != core::ptr::read_unaligned(b.add(at).cast::<u64>())
    }
}

/// `memcmp` of at most 8 bytes, one at a time.
///
/// # Safety
/// Both pointers must be readable for `n` bytes.
unsafe fn memcmp_bytes(a: *const u8, b: *const u8, n: usize) -> i32 {
    if n == 0 {
        return 0;
    }
    let left: usize;
    // SAFETY: the caller guarantees both ranges are readable for `n` bytes;
    // `repe cmpsb` stops at the first difference or after `n` bytes.
    unsafe {
        asm!(
            "repe cmpsb",
            inout("rcx") n => left,
            inout("rsi") a => _,
            inout("rdi") b => _,
            options(nostack, readonly)
        );
    }
    // After `repe cmpsb`, `left` bytes remain after the last compared one.
    let index = n - left - 1;
    // SAFETY: `index < n`, inside both ranges.
    let (x, y) = unsafe { (*a.add(index), *b.add(index)) };
    i32::from(x) - i32::from(y)
}

/// Compares `n` bytes for equality only (zero when equal).
///
/// # Safety
/// Both pointers must be readable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract as memcmp.
    unsafe { memcmp(a, b, n) }
}

/// Referenced by the prebuilt `core`'s unwinding tables; never called
/// because Corefish images abort on panic.
#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() {}

/// Referenced by the prebuilt `alloc`; never called (panics abort).
#[unsafe(no_mangle)]
pub extern "C" fn _Unwind_Resume() -> ! {
    loop {
        // SAFETY: stopping the core is always sound.
        unsafe { asm!("cli", "hlt", options(nomem, nostack)) };
    }
}
