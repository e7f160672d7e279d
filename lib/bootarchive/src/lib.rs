//! The boot archive: the named modules (CPU driver images, programs,
//! configuration) that the first core receives from the boot loader, in one
//! flat file. QEMU passes it with `-initrd`; PVH hands its address to the
//! loader.
//!
//! # Format (all integers little-endian)
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `CFARCHV1` |
//! | 8 | 4 | format version, 1 |
//! | 12 | 4 | number of entries `n` |
//! | 16 | 8 | total length of the archive in bytes |
//! | 24 | 8 | reserved, 0 |
//! | 32 | 64 × n | entry table |
//!
//! Each entry is a 48-byte name (UTF-8, NUL-padded, non-empty, no NUL or
//! control characters inside) followed by the module's offset from the
//! start of the archive and its size, 8 bytes each. Every module starts on
//! a 4096-byte boundary (so a module can later be handed to user space as
//! page frames, in place) after the entry table, lies within the total
//! length, and overlaps no other module. Names are unique.
//!
//! [`Archive::parse`] checks all of this before returning, so an accepted
//! archive can be used without further checks and a bad one is refused with
//! a precise [`ArchiveError`], never a panic.

#![no_std]
#![deny(clippy::unwrap_used)]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;

mod error;
mod format;
mod reader;
#[cfg(feature = "alloc")]
mod writer;

pub use error::ArchiveError;
pub use format::{ALIGN, ENTRY_SIZE, HEADER_SIZE, MAGIC, MAX_ENTRIES, NAME_CAPACITY, VERSION};
pub use reader::{Archive, Module};
#[cfg(feature = "alloc")]
pub use writer::ArchiveBuilder;
