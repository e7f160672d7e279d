//! The contract between whatever starts a Corefish CPU driver (the PVH
//! loader on the first core; the user-level boot driver on every other core)
//! and the CPU driver itself.
//!
//! * [`layout`]: the virtual address-space layout every CPU driver uses.
//! * [`params`]: the [`BootParams`](params::BootParams) page handed to a CPU
//!   driver at entry, and the entry-state contract; [`ack`]: what the
//!   kernel reports back in it.
//! * [`memmap`]: the physical memory map carried in it.
//! * [`cmdline`]: the kernel command line's `key=value` syntax;
//! * [`system`]: the page all kernels share (console lock, OSNode table);
//! * [`starter`]: the rules a boot driver follows to start another core.

#![no_std]
#![deny(clippy::unwrap_used)]
#![forbid(unsafe_code)]

pub mod ack;
pub mod cmdline;
pub mod layout;
pub mod memmap;
pub mod params;
pub mod starter;
pub mod system;

pub use frames::PhysRange;
