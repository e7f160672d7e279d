//! Ending dispatchers: by their own EXIT system call, or killed by the
//! kernel after a fault it cannot hand to the dispatcher. Either way the
//! dispatcher leaves every queue, its DCB records why, and its exit
//! endpoint (set by whoever spawned it) receives a message, so user space
//! decides what happens next (docs/design.md, rule 3: no kernel policy).

use abi::invoke::state;
use osnode::PAddr;
use proto::kernel::ExitKind;

use crate::arch::objects::KernelMemory;
use crate::arch::user::BadContext;
use crate::arch::vectors::{PageFaultCode, name};
use crate::{kprintln, lmp};

/// A CPU exception in user mode.
#[derive(Debug, Clone, Copy)]
pub struct Fault {
    /// Exception vector.
    pub vector: u64,
    /// Error code.
    pub error: u64,
    /// Faulting address (page faults).
    pub address: u64,
    /// Instruction pointer.
    pub rip: u64,
    /// Stack pointer.
    pub rsp: u64,
}

/// Why the kernel kills a dispatcher.
#[derive(Debug, Clone, Copy)]
pub enum Reason {
    /// An exception it has no upcall for.
    Fault(Fault),
    /// Its saved context cannot be resumed safely.
    BadContext(BadContext),
    /// Its dispatcher frame or top-level page table was deleted (revoked).
    Lost,
}

/// Exit code recorded for a dispatcher that lost its frame or address space.
const LOST_CODE: u64 = 254;
/// Exit code recorded for a dispatcher whose context was unusable.
const BAD_CONTEXT_CODE: u64 = 255;

/// Kills `dcb` with a report on the console.
pub fn kill(mem: &mut KernelMemory, dcb: PAddr, reason: Reason) {
    let (id, name_bytes) = {
        let d = mem.dcb(dcb);
        (d.id, d.name)
    };
    let label = core::str::from_utf8(&name_bytes)
        .unwrap_or("?")
        .trim_end_matches('\0');
    let core = crate::identity::this_core().core_id;
    let code = match reason {
        Reason::Fault(f) => {
            let (mnemonic, what) = name(f.vector);
            if f.vector == 14 {
                kprintln!(
                    "dispatcher {id} `{label}` on core {core} killed: {mnemonic} {what} (vector 14) [{}] at address {:#x} (rip {:#x}, rsp {:#x})",
                    PageFaultCode(f.error),
                    f.address,
                    f.rip,
                    f.rsp
                );
            } else {
                kprintln!(
                    "dispatcher {id} `{label}` on core {core} killed: {mnemonic} {what} (vector {}), error code {:#x} (rip {:#x}, rsp {:#x})",
                    f.vector,
                    f.error,
                    f.rip,
                    f.rsp
                );
            }
            f.vector
        }
        Reason::Lost => {
            kprintln!(
                "dispatcher {id} `{label}` on core {core} stopped: its dispatcher frame or address space was revoked"
            );
            LOST_CODE
        }
        Reason::BadContext(bad) => {
            kprintln!(
                "dispatcher {id} `{label}` on core {core} killed: cannot resume its saved context: {bad:?}"
            );
            BAD_CONTEXT_CODE
        }
    };
    end(mem, dcb, state::FAULTED, code);
    lmp::notify_exit(mem, dcb, ExitKind::Faulted, code);
}

/// Ends `dcb` by its own request.
pub fn exit(mem: &mut KernelMemory, dcb: PAddr, code: u64) {
    end(mem, dcb, state::EXITED, code);
    lmp::notify_exit(mem, dcb, ExitKind::Exited, code);
}

/// Marks `dcb` ended and removes it from its KCB's queues.
pub fn end(mem: &mut KernelMemory, dcb: PAddr, final_state: u64, code: u64) {
    let kcb = {
        let d = mem.dcb(dcb);
        d.state = final_state;
        d.exit_code = code;
        d.flags &= !osnode::dcb::WAITING;
        d.kcb
    };
    osnode::sched::unlink(mem, kcb, dcb);
}
