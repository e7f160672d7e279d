//! The symbols every freestanding Corefish image (loader, CPU drivers,
//! programs) must provide itself because nothing else does on these
//! machines.
//!
//! * `memcpy`, `memmove`, `memset`, `memcmp`, `bcmp`: the prebuilt `core`
//!   calls them, and no libc is linked. They are written in inline assembly
//!   ([`mem`]), so the compiler cannot recognise them as the very idioms
//!   they implement and turn them back into calls to themselves. The bulk
//!   goes 64 bytes per loop iteration with eight quadword moves, the rest a
//!   quadword, then a byte at a time. String instructions (`rep stosq`)
//!   would be shorter, but an emulator (QEMU's TCG, where Corefish is
//!   measured) runs every iteration of one as a step of its own, about ten
//!   times slower per byte than a loop of plain moves; on hardware the two
//!   are about as fast.
//! * `rust_eh_personality` and `_Unwind_Resume`: the prebuilt `core`/`alloc`
//!   were built for unwinding and reference them; Corefish images abort on
//!   panic, so these are never reached (they stop the core if they are).
//!
//! In the crate's own host tests the symbols are not exported (they would
//! shadow libc's); the tests call the same code through [`mem`] and compare
//! it with the standard library's.

#![cfg_attr(not(test), no_std)]
#![deny(clippy::unwrap_used)]

pub mod mem;

/// Copies `n` bytes from `src` to `dst`; the ranges must not overlap.
///
/// # Safety
/// `src` must be readable and `dst` writable for `n` bytes.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller's guarantee is `copy_forward`'s.
    unsafe { mem::copy_forward(dst, src, n) };
    dst
}

/// Copies `n` bytes from `src` to `dst`; the ranges may overlap.
///
/// # Safety
/// `src` must be readable and `dst` writable for `n` bytes.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize).wrapping_sub(src as usize) >= n {
        // Destination below the source, or no overlap: forwards is safe.
        // SAFETY: the caller's guarantee is `copy_forward`'s.
        unsafe { mem::copy_forward(dst, src, n) };
    } else {
        // SAFETY: as above; the destination lies above an overlapping source.
        unsafe { mem::copy_backward(dst, src, n) };
    }
    dst
}

/// Fills `n` bytes at `dst` with the low byte of `value`.
///
/// # Safety
/// `dst` must be writable for `n` bytes.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub unsafe extern "C" fn memset(dst: *mut u8, value: i32, n: usize) -> *mut u8 {
    // SAFETY: the caller's guarantee is `fill`'s.
    unsafe { mem::fill(dst, value as u8, n) };
    dst
}

/// Compares `n` bytes; returns the difference of the first differing bytes.
///
/// # Safety
/// Both pointers must be readable for `n` bytes.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: the caller's guarantee is `compare`'s.
    unsafe { mem::compare(a, b, n) }
}

/// Compares `n` bytes for equality only (zero when equal).
///
/// # Safety
/// Both pointers must be readable for `n` bytes.
#[cfg_attr(not(test), unsafe(no_mangle))]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: the caller's guarantee is `first_difference`'s.
    i32::from(unsafe { mem::first_difference(a, b, n) } < n)
}

/// Referenced by the prebuilt `core`'s unwinding tables; never called
/// because Corefish images abort on panic.
#[cfg(not(test))]
#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() {}

/// Referenced by the prebuilt `alloc`; never called (panics abort).
#[cfg(not(test))]
#[unsafe(no_mangle)]
pub extern "C" fn _Unwind_Resume() -> ! {
    loop {
        // SAFETY: stopping the core is always sound.
        unsafe { core::arch::asm!("cli", "hlt", options(nomem, nostack)) };
    }
}

#[cfg(test)]
mod tests;
