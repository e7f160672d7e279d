//! The Corefish CPU driver: the kernel that runs on one core.
//!
//! Every core runs its own copy of this image, loaded and relocated by a
//! starter (the PVH loader on the first core, the user-level boot driver on
//! the others). A CPU driver owns nothing that must outlive it
//! (docs/design.md, rule 2): its image copy, its stacks, descriptor tables and page
//! tables are per-boot scratch; OS state lives in capability memory reached
//! from the KCB.
//!
//! It runs with interrupts disabled in ring 0 and is event-driven: every
//! entry ([`events`]) handles one event (a system call, a trap, an
//! interrupt) and ends by resuming a dispatcher or idling.
//!
//! * [`arch`]: everything x86_64-specific, and the only module allowed
//!   `unsafe` code (this crate denies it everywhere else); it calls up only
//!   into [`events`] and a few leaf services (see its documentation);
//! * [`boot`]: the boot order; [`bootstrap`]: the first OSNode, a new
//!   OSNode with its monitor, or a KCB resumed as it was;
//! * [`dispatch`]: entering and leaving user space, scheduling, stopping;
//!   [`node`]: the OSNodes this core runs;
//! * [`syscall`], [`invoke`], [`lmp`], [`kill`], [`interrupt`]: what
//!   dispatchers ask of the kernel and what happens to them;
//! * [`cspace`], [`vspace`], [`objects`], [`usermem`]: capabilities, page
//!   tables, kernel objects and user memory, through `caps` and `osnode`;
//! * [`watch`]: the rescue watch over the boot driver's own core while its
//!   kernel is updated in place; [`trace`]: the tracing build's records.

#![no_std]
#![no_main]
#![deny(unsafe_code)]
#![deny(clippy::unwrap_used)]

// Links memcpy and friends, which the prebuilt `core` needs.
use baremetal as _;

#[allow(unsafe_code)]
mod arch;
mod banner;
mod boot;
mod bootstrap;
mod checks;
mod console;
mod cspace;
mod dispatch;
mod events;
mod fatal;
mod identity;
mod interrupt;
mod invoke;
mod kill;
mod lmp;
mod logger;
mod machine;
mod memory;
mod node;
mod objects;
mod platform;
mod realtime;
mod screen;
mod selftest;
mod syscall;
mod system;
mod time;
mod timer;
mod trace;
mod usermem;
mod vspace;
mod watch;

/// This kernel's version (the `v2` build differs visibly: its scheduling
/// quantum is shorter; the `kcb1` build is the previous release's KCB
/// layout; the `rt` build is the real-time kernel; `faulty` and `hang` are
/// the update tests' bad kernels; `trace` the tracing kernel).
pub const VERSION: &str = if cfg!(feature = "v2") {
    concat!(env!("CARGO_PKG_VERSION"), "-v2")
} else if cfg!(feature = "kcb1") {
    concat!(env!("CARGO_PKG_VERSION"), "-kcb1")
} else if cfg!(feature = "rt") {
    concat!(env!("CARGO_PKG_VERSION"), "-rt")
} else if cfg!(feature = "faulty") {
    concat!(env!("CARGO_PKG_VERSION"), "-faulty")
} else if cfg!(feature = "hang") {
    concat!(env!("CARGO_PKG_VERSION"), "-hang")
} else if cfg!(feature = "trace") {
    concat!(env!("CARGO_PKG_VERSION"), "-trace")
} else {
    env!("CARGO_PKG_VERSION")
};
