//! The Corefish user runtime, linked into every program (Barrelfish's
//! libbarrelfish).
//!
//! * [`sys`]: the system calls;
//! * [`cap`]: typed capability handles and their invocations;
//! * [`print!`]/[`println!`]: text output;
//! * the program entry point: a program names its `main` with
//!   [`entry!`]; the runtime starts it and exits with its return value.
//!
//! Programs are static PIEs linked at 0 (`user/link.ld`), loaded at
//! `abi::layout::PROGRAM_BASE`.

#![no_std]
#![deny(clippy::unwrap_used)]

// memcpy and friends, which the prebuilt `core` needs.
use baremetal as _;

pub mod cap;
pub mod print;
mod start;
pub mod sys;

pub use abi;
pub use abi::cspace::{CPtr, SlotRef};
pub use abi::error::SysError;

/// Names the program's `main` function (`fn() -> i32`): the runtime calls
/// it after setting up, and exits with its result.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        /// The program's entry, called by the runtime.
        #[unsafe(no_mangle)]
        pub extern "Rust" fn corefish_main() -> i32 {
            $main()
        }
    };
}
