//! `fuzz [COUNT]`: capability invocations with random capability
//! addresses, operations and arguments from a fixed seed (default 100,000
//! of them), aimed mostly at a sandbox CNode full of assorted capabilities
//! (RAM, frames, page tables, a CNode, an endpoint, a dispatcher) and at
//! slots that do not exist. The kernel must refuse what is invalid and
//! survive everything; afterwards a health check (retype, map, write,
//! read, message to itself) must pass. Prints
//! `fuzz: N invocations ... health check passed`.
//!
//! The program's own CSpace is kept out of reach (arguments that name
//! capabilities point into the sandbox), so that it survives to report.

#![no_std]
#![no_main]

use corefish::abi::cspace::{CPtr, SlotRef, root, task};
use corefish::abi::invoke as op;
use corefish::cap::{Cap, kind};
use corefish::{ObjType, SysError, lmp, println, ram, sys, vspace};

corefish::entry!(main);

/// The seed of every run.
pub const SEED: u64 = 0x00c0_fe15_0bad_5eed;
/// Invocations by default.
pub const DEFAULT_COUNT: u64 = 100_000;
/// The ring the sandbox's endpoint delivers to.
const SANDBOX_RING: u64 = 5;
/// The sandbox is refilled this often (fuzzing empties it).
const REFILL_EVERY: u64 = 500;
/// Operations worth aiming at.
const OPS: [u64; 21] = [
    op::IDENTIFY,
    op::COPY,
    op::MINT,
    op::DELETE,
    op::REVOKE,
    op::IDENTIFY_IN,
    op::MINT_IN,
    op::RETYPE,
    op::MAP,
    op::DISPATCHER_SETUP,
    op::DISPATCHER_RUN,
    op::DISPATCHER_SET_EXIT_ENDPOINT,
    op::DISPATCHER_CREATE_ENDPOINT,
    op::DISPATCHER_STATUS,
    op::SEND,
    op::IO_IN,
    op::IO_OUT,
    op::IRQ_ALLOC_DEST,
    op::IRQ_GET_SOURCE,
    op::IRQ_CONNECT,
    op::IRQ_ROUTE,
];

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn main() -> i32 {
    let count = corefish::args().trim().parse().unwrap_or(DEFAULT_COUNT);
    let (sandbox, pool) = match make_sandbox() {
        Ok(s) => s,
        Err(e) => {
            println!("fuzz: FAILED: cannot make the sandbox: {e}");
            return 1;
        }
    };
    let mut rng = Rng(SEED);
    let (mut accepted, mut refused) = (0u64, 0u64);
    let mut refills = 0;
    for i in 0..count {
        if i % REFILL_EVERY == REFILL_EVERY - 1 {
            if let Err(e) = fill(sandbox, pool) {
                println!("fuzz: FAILED: cannot refill the sandbox after {i} invocations: {e}");
                return 1;
            }
            refills += 1;
        }
        let cptr = target(&mut rng, sandbox);
        let mut word = if rng.below(10) < 7 {
            OPS[rng.below(OPS.len() as u64) as usize]
        } else {
            rng.below(0x1_0000)
        };
        if word == op::SEND && rng.below(2) == 0 {
            word = op::send_with_cap(CPtr::new(sandbox, rng.below(256) as u32).0);
        }
        let mut args = [
            arg(&mut rng, sandbox),
            arg(&mut rng, sandbox),
            arg(&mut rng, sandbox),
            arg(&mut rng, sandbox),
        ];
        if word & 0xffff == op::MINT_IN {
            // Its source is a capability of this program: keep it in the
            // sandbox, or a copy of, say, the task CNode could be revoked.
            args[1] = u64::from(CPtr::new(sandbox, rng.below(256) as u32).0);
        }
        match sys::invoke(cptr, word, args) {
            Ok(_) => accepted += 1,
            Err(_) => refused += 1,
        }
    }
    match health_check(sandbox, pool) {
        Ok(()) => {
            println!(
                "fuzz: {count} invocations from seed {SEED:#x}: {accepted} accepted, {refused} refused, sandbox refilled {refills} times; health check passed"
            );
            0
        }
        Err(e) => {
            println!("fuzz: FAILED: health check after {count} invocations: {e}");
            1
        }
    }
}

/// A capability address: mostly the sandbox, sometimes slots that do not exist.
fn target(rng: &mut Rng, sandbox: u32) -> CPtr {
    match rng.below(10) {
        0..=7 => CPtr::new(sandbox, rng.below(32) as u32),
        8 => CPtr::new(sandbox, rng.below(256) as u32),
        // Beyond the root CNode (its other slots are this program's own).
        _ => CPtr::new(256 + rng.below(100_000) as u32, rng.below(256) as u32),
    }
}

/// An argument: a sandbox address or slot reference, a small number, or noise.
fn arg(rng: &mut Rng, sandbox: u32) -> u64 {
    let in_sandbox = u64::from(CPtr::new(sandbox, rng.below(256) as u32).0);
    match rng.below(10) {
        0..=3 => in_sandbox | (rng.below(8) << 32),
        4 | 5 => SlotRef::Slot(CPtr::new(sandbox, rng.below(256) as u32)).pack(),
        6 => SlotRef::Root(rng.below(300) as u32 + 1000).pack(),
        7 => (rng.below(0x20_0000) + 1) << 12,
        8 => rng.next(),
        _ => 0,
    }
}

/// Makes the sandbox: a new L2 CNode in a free root slot, and the RAM its
/// contents are made of (kept outside it). Returns (root slot, pool).
fn make_sandbox() -> Result<(u32, CPtr), SysError> {
    let me = Cap::<kind::L1CNode>::at(task::ROOT_CNODE);
    let slots = corefish::cap::root_slots()?;
    let sandbox = (root::FIRST_FREE..slots)
        .find(|&r| me.identify_in(CPtr::new(r, 0)) == Err(SysError::NotACNode))
        .ok_or(SysError::SlotOutOfRange)?;
    ram::alloc_into(
        ObjType::L2CNode,
        corefish::caps::L2CNODE_SIZE,
        SlotRef::Root(sandbox),
    )?;
    let pool = ram::alloc_ram(POOL)?;
    fill(sandbox, pool)?;
    Ok((sandbox, pool))
}

/// Bytes of RAM the sandbox's contents come from.
const POOL: u64 = 1 << 20;

/// (Re)fills the sandbox: everything made from the pool before is revoked,
/// then assorted objects are made from it again, and an endpoint copied in.
fn fill(sandbox: u32, pool: CPtr) -> Result<(), SysError> {
    let pool_cap = Cap::<kind::Ram>::at(pool);
    pool_cap.revoke()?;
    let objects: [(ObjType, u64); 10] = [
        (ObjType::Ram, 256 * 1024),
        (ObjType::Ram, 64 * 1024),
        (ObjType::Frame, 16 * 1024),
        (ObjType::L2CNode, corefish::caps::L2CNODE_SIZE),
        (ObjType::VNodePt, corefish::caps::VNODE_SIZE),
        (ObjType::VNodePd, corefish::caps::VNODE_SIZE),
        (ObjType::Frame, 8192),
        (ObjType::VNodePml4, corefish::caps::VNODE_SIZE),
        (ObjType::Dispatcher, corefish::caps::DISPATCHER_SIZE),
        (ObjType::L1CNode, 16 * corefish::caps::CTE_SIZE),
    ];
    let mut used: u64 = 0;
    for (i, (ty, size)) in objects.into_iter().enumerate() {
        let slot = CPtr::new(sandbox, i as u32);
        // Whatever the fuzzing put in the slot goes first.
        let _ = Cap::<kind::Any>::at(slot).delete();
        let align = if ty.is_kernel_object() { size } else { 4096 };
        let offset: u64 = used.next_multiple_of(align);
        pool_cap.retype(ty, offset, size, 1, SlotRef::Slot(slot))?;
        used = offset + size;
    }
    // An endpoint to a ring nothing else uses: revoking it in the sandbox
    // must not take this program's own endpoints with it.
    let endpoint = CPtr::new(sandbox, 10);
    let _ = Cap::<kind::Any>::at(endpoint).delete();
    Cap::<kind::Dispatcher>::at(task::DISPATCHER).create_endpoint(SANDBOX_RING, endpoint)?;
    Ok(())
}

/// After the storm: the usual operations still work.
fn health_check(sandbox: u32, pool: CPtr) -> Result<(), &'static str> {
    // Whatever the fuzzing made goes.
    Cap::<kind::Ram>::at(pool)
        .revoke()
        .map_err(|_| "cannot revoke the sandbox's RAM")?;
    for i in 0..256 {
        let _ = Cap::<kind::Any>::at(CPtr::new(sandbox, i)).delete();
    }
    let (_, mut mapping) =
        vspace::map_writable(8192).map_err(|_| "cannot retype and map a frame")?;
    mapping.bytes_mut()[4096..4104].copy_from_slice(&0x5a5a_u64.to_le_bytes());
    if mapping.bytes()[4096..4104] != 0x5a5a_u64.to_le_bytes() {
        return Err("the frame does not keep what was written");
    }
    while lmp::try_recv(lmp::INBOX).is_some() {}
    let me = Cap::<kind::EndPoint>::at(task::SELF_ENDPOINT);
    lmp::send(me, [1, 2, 3, 4], None).map_err(|_| "cannot send to itself")?;
    match lmp::try_recv(lmp::INBOX) {
        Some(m) if m.words == [1, 2, 3, 4] => Ok(()),
        _ => Err("the message to itself did not arrive"),
    }
}
