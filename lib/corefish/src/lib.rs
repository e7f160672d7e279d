//! The Corefish user runtime, linked into every program (Barrelfish's
//! libbarrelfish).
//!
//! * [`sys`]: the system calls;
//! * [`cap`]: typed capability handles and their invocations;
//! * [`slots`], [`ram`], [`vspace`], the heap: CSpace slots, objects made
//!   from the program's RAM, its own mappings, `alloc` collections;
//! * [`lmp`]: messages (send, receive, call/reply); [`memserv`]: asking the
//!   memory server for RAM; [`channel`]: UMP channels to other cores;
//!   [`monitor`]: names, channels, capabilities and programs across OSNodes;
//! * [`spawn`]: starting programs;
//! * [`thread`]: cooperative user-level threads within the dispatcher;
//! * [`print!`]/[`println!`]: text output;
//! * the program entry point: a program names its `main` with
//!   [`entry!`]; the runtime starts it and exits with its return value.
//!
//! Programs are static PIEs linked at 0 (`user/link.ld`), loaded at
//! `abi::layout::PROGRAM_BASE`.

#![no_std]
#![deny(clippy::unwrap_used)]

extern crate alloc;

// memcpy and friends, which the prebuilt `core` needs.
use baremetal as _;

pub mod cap;
pub mod channel;
pub mod commands;
mod frame;
mod heap;
pub mod lmp;
pub mod memserv;
pub mod modules;
pub mod monitor;
pub mod print;
pub mod ram;
pub mod ram_pool;
pub mod slots;
pub mod spawn;
mod start;
pub mod sys;
pub mod thread;
pub mod upcall;
pub mod vspace;

pub use frame::{core_id, dispatcher_id};
/// The system's message protocols as types (the `proto` crate).
pub use proto;

/// The program's arguments (what its spawner wrote to its arguments page).
pub fn args() -> &'static str {
    // SAFETY: the spawner maps one page at ARGS_BASE (zeroed, then the
    // arguments and at least one NUL) before the program runs, and never
    // writes it again.
    let page = unsafe { core::slice::from_raw_parts(abi::layout::ARGS_BASE as *const u8, 4096) };
    let end = page.iter().position(|&b| b == 0).unwrap_or(page.len());
    core::str::from_utf8(&page[..end]).unwrap_or("")
}

/// The program's name, as its spawner wrote it after the arguments
/// (`program` if it did not).
pub fn name() -> &'static str {
    // SAFETY: as in `args`: one page at ARGS_BASE, never written again.
    let page = unsafe { core::slice::from_raw_parts(abi::layout::ARGS_BASE as *const u8, 4096) };
    let start = page
        .iter()
        .position(|&b| b == 0)
        .map_or(page.len(), |i| i + 1);
    let rest = &page[start..];
    let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    match core::str::from_utf8(&rest[..end]) {
        Ok(name) if !name.is_empty() => name,
        _ => "program",
    }
}

pub use abi;
pub use abi::cspace::{CPtr, SlotRef};
pub use abi::error::SysError;
pub use caps;
pub use caps::{ObjType, Rights};

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
