//! Consistency checks a program may ask for (`DEBUG_CHECK`), for fuzzing
//! and debugging: the caller's OSNode's mapping database is walked whole
//! (order, AA levels, subtree ends, no cycles, `caps::mdb::check_invariants`).
//! A walk costs time proportional to the database, with interrupts off, so
//! the kernel offers it only when the command line has the flag `checks`
//! (`InvalidSyscall` otherwise). Only the first core's kernel reads the
//! command line: the check runs there.

use core::sync::atomic::{AtomicBool, Ordering};

use abi::error::SysError;
use bootproto::cmdline::Cmdline;
use caps::mdb::Violation;
use osnode::PAddr;

use crate::arch::objects::KernelMemory;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Reads the flag `checks` from the command line.
pub fn configure(cmdline: Cmdline<'_>) {
    ENABLED.store(cmdline.has("checks"), Ordering::Relaxed);
}

/// DEBUG_CHECK: `[0, capabilities]` if the mapping database of OSNode
/// `kcb` holds together, `[1 + kind, CTE address]` of the first broken
/// invariant found if not.
pub fn mdb(mem: &mut KernelMemory, kcb: PAddr) -> Result<[u64; 6], SysError> {
    if !ENABLED.load(Ordering::Relaxed) {
        return Err(SysError::InvalidSyscall);
    }
    let root = mem.kcb(kcb).mdb_root;
    Ok(match caps::mdb::check_invariants(&*mem, root) {
        Ok(count) => [0, count, 0, 0, 0, 0],
        Err(v) => {
            let (kind, at) = match v {
                Violation::EmptyNode(at) => (1, at),
                Violation::Order(at) => (2, at),
                Violation::Level(at) => (3, at),
                Violation::SubtreeEnd(at) => (4, at),
                Violation::TooDeep(at) => (5, at),
            };
            [kind, at, 0, 0, 0, 0]
        }
    })
}
