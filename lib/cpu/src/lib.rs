//! x86_64 CPU and PC-platform access shared by Corefish's freestanding
//! images (the PVH loader and every CPU driver build).
//!
//! This is one of the two places where `unsafe` lives (the other is the CPU
//! driver's `arch` module): every privileged instruction is wrapped here once,
//! with the condition under which it is sound written beside it. The pure
//! parts (page-table entry formats, the page-table builder, the UART's
//! register arithmetic) are tested on the host.

#![no_std]
#![deny(clippy::unwrap_used)]

pub mod cpuid;
pub mod debug_exit;
pub mod direct;
pub mod instr;
pub mod msr;
pub mod paging;
pub mod port;
pub mod regs;
pub mod serial;
