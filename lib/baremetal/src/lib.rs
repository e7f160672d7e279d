//! The symbols every freestanding Corefish image (loader, CPU drivers) must
//! provide itself because nothing else does on these machines.
//!
//! * `memcpy`, `memmove`, `memset`, `memcmp`, `bcmp`: the prebuilt `core`
//!   calls them, and no libc is linked. They are written with string
//!   instructions in inline assembly, so the compiler cannot recognise them as
//!   the very idioms they implement and turn them back into calls to
//!   themselves.
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
    // `rep movsb` copies forwards (DF is clear per the SysV ABI).
    unsafe {
        asm!(
            "rep movsb",
            inout("rcx") n => _,
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
    // Overlapping with the destination above the source: copy backwards.
    // SAFETY: `n > 0` here (otherwise the first branch was taken), so the
    // last-byte pointers stay in the caller's ranges; DF is restored.
    unsafe {
        asm!(
            "std",
            "rep movsb",
            "cld",
            inout("rcx") n => _,
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
    // SAFETY: the caller guarantees `dst` is writable for `n` bytes.
    unsafe {
        asm!(
            "rep stosb",
            inout("rcx") n => _,
            inout("rdi") dst => _,
            in("al") value as u8,
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
