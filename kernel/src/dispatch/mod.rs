//! Running dispatchers: entering the kernel from user space and leaving
//! it again ([`enter`]), choosing what runs next ([`sched`]), and stopping
//! this core's OSNodes: a stop request, a handover of the core's OSNode to
//! another core, a kernel replaced in place ([`halt`]); idling, during
//! which the boot driver may stop the core without an interrupt ([`idle`]);
//! what a fatal error leaves of the OSNodes ([`recover`]).
//!
//! Every entry from user space starts at the top of the kernel stack and
//! ends in [`schedule`] or [`resume_current`], which never return: the CPU
//! driver keeps no kernel context between events (docs/design.md, rule 4).

mod enter;
mod halt;
pub mod idle;
pub mod recover;
mod sched;

pub use enter::{Current, finish_syscall, resume_current, syscall, user_trap};
pub use halt::{fall_back, handover, replace_kernel, stop_core};
pub use sched::{
    block, forget_woken, schedule, slice_expired, time_slice, wake_expired_all, wake_notified_all,
    woken_by_send, yield_current,
};
