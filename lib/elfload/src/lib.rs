//! Loading Corefish's ELF images: CPU drivers (static PIE, loaded once per
//! core at any physical address) and user programs.
//!
//! [`ElfImage::parse`] validates everything a loader will touch (headers,
//! segments, the dynamic section, every relocation) before anything is
//! copied, so that [`ElfImage::load_into`] cannot fail halfway and a bad
//! image (truncated, built for another machine, dynamically linked, with
//! relocations this loader does not implement) is refused with a precise
//! [`ElfError`] and changes nothing.
//!
//! Only what a static PIE contains is supported: `PT_LOAD` segments and
//! `R_X86_64_RELATIVE` relocations found through `PT_DYNAMIC`
//! (`DT_RELA`/`DT_RELASZ`). The image occupies the virtual range
//! [`ElfImage::vaddr_range`]; loaded with bias `b`, virtual address `v` of the
//! file runs at `b + v`, and each relative relocation writes `b + addend`.

#![no_std]
#![deny(clippy::unwrap_used)]
#![forbid(unsafe_code)]

mod error;
mod header;
mod image;
mod inplace;
mod reloc;
mod strip;

pub use error::ElfError;
pub use image::{ElfImage, Segment};
pub use inplace::{Backing, InPlace};
pub use reloc::Relocation;
pub use strip::strip;

/// `e_machine` of x86_64.
pub const EM_X86_64: u16 = 62;
/// Largest image (memory size) this loader accepts.
pub const MAX_IMAGE_SIZE: u64 = 1 << 30;
/// Page size the image's layout is rounded to.
pub const PAGE_SIZE: u64 = 4096;
