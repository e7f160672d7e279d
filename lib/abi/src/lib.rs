//! The contract between the Corefish CPU driver and user space.
//!
//! * [`syscall`]: system-call numbers and the register convention;
//! * [`invoke`]: capability invocations (operations per object type) and
//!   how their arguments are packed;
//! * [`error`]: [`SysError`](error::SysError), the error codes every
//!   system call returns;
//! * [`dispatcher`]: the dispatcher frame shared by a dispatcher and the
//!   kernel (save areas, FPU state, upcall entries, LMP endpoint rings);
//! * [`cspace`]: how capability addresses are formed and the well-known
//!   slots of a program's CSpace;
//! * [`layout`]: the user part of the address space.
//!
//! Everything here is plain data and constants; both sides compile it.

#![no_std]
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

pub mod cspace;
pub mod dispatcher;
pub mod error;
pub mod invoke;
pub mod layout;
pub mod syscall;
