//! The tracing kernel's event ring and its text form.
//!
//! `cpudriver-trace` (the CPU driver built with its `trace` feature)
//! records what its core does into a ring in memory the boot driver gives
//! it (`BootParams::trace_phys`): every system call (number, the invoked
//! capability's type, the result) and every interrupt as a span with its
//! entry and exit stamps, every IPI it sends, every switch to another
//! dispatcher and every switch of KCB as an instant. This crate owns the
//! ring's layout ([`ring`]: a header and fixed-size [`Record`]s, written
//! by one kernel and read by the boot driver at any time), the typed
//! [`Event`]s, and the dump's text ([`text`]): one timeline line per event
//! and a summary, which the boot driver prints and `cargo xtask trace`
//! reads back from a serial log to write a Chrome trace-event file
//! ([`chrome`]).

#![no_std]
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

#[cfg(feature = "alloc")]
extern crate alloc;

#[cfg(feature = "alloc")]
pub mod chrome;
pub mod event;
pub mod ring;
#[cfg(feature = "alloc")]
pub mod text;

pub use event::{Event, Kind, Record};
pub use ring::{HEADER_BYTES, Header, MAGIC, RECORD_BYTES};
