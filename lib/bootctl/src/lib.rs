//! The boot driver's record of the machine, as a library tested on the
//! host: which core runs which KCB under which kernel, where each KCB is,
//! and every rule about them.
//!
//! * [`table`]: every core and every KCB, each in exactly one state
//!   ([`CoreState`], [`KcbState`]), and the checks ("the core exists and
//!   runs nothing", "the core can be stopped", "this kernel runs that KCB's
//!   layout");
//! * [`transitions`]: boot (new or stopped KCB), stop, park, unpark,
//!   replace (in-place update of the boot driver's own core) and hand over
//!   (moving the boot driver's own OSNode): each checks, lets the boot
//!   driver act on the machine, and commits only if that worked;
//! * [`report`]: the one-line reports of each command, written and parsed
//!   from one template, and [`recovery`], those of a kernel that failed
//!   (an update rolled back); [`list`]: `corectrl list`.
//!
//! The boot driver (`user/corectrl`) keeps the mechanism: loading images,
//! INIT/STARTUP, acknowledgements, the hub, undoing a failed start. Its
//! commands read "check in the table, do the mechanism, commit the
//! transition". `tests/model.rs` drives every transition, with the
//! mechanism succeeding or failing at random, against a small model.

#![no_std]
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

extern crate alloc;

pub mod list;
pub mod recovery;
mod refused;
pub mod report;
pub mod table;
pub mod template;
pub mod transitions;

pub use refused::Refused;
pub use table::{Core, CoreState, FirstOsNode, Kcb, KcbState, Kernel, Table};
pub use transitions::{Made, Started};

/// A core's id (its index in the firmware's list of cores).
pub type CoreId = u32;
/// A KCB's id, which is its OSNode's id.
pub type KcbId = u64;
