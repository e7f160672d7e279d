//! What the fuzzer asks of the kernel: capability invocations whose
//! arguments are packed as each operation expects (so that retype, map,
//! mint and dispatcher set-up reach the kernel's deep paths, not only its
//! first checks), some with noise instead; and the other system calls with
//! hostile arguments (WAIT, DEBUG_PRINT, numbers that are no system call).
//! Arguments that name capabilities point into the sandbox (or at slots
//! that do not exist), never at the fuzzer's own.

use corefish::abi::cspace::{CPtr, SlotRef};
use corefish::abi::invoke::{self as op, MAP_EXECUTE, MAP_WRITE};
use corefish::abi::syscall;
use corefish::{ObjType, caps, sys};

use crate::rng::Rng;
use crate::sandbox::{SLOTS, Sandbox};

/// Operations the invocations aim at.
const OPS: [u64; 23] = [
    op::IDENTIFY,
    op::COPY,
    op::MINT,
    op::DELETE,
    op::REVOKE,
    op::PREPARE_REVOKE,
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
    op::IO_CONSOLE_WRITE,
    op::IRQ_ALLOC_DEST,
    op::IRQ_GET_SOURCE,
    op::IRQ_CONNECT,
    op::IRQ_ROUTE,
];

/// Types a retype may ask for.
const TYPES: [ObjType; 12] = [
    ObjType::Ram,
    ObjType::Frame,
    ObjType::DevFrame,
    ObjType::L1CNode,
    ObjType::L2CNode,
    ObjType::VNodePml4,
    ObjType::VNodePdpt,
    ObjType::VNodePd,
    ObjType::VNodePt,
    ObjType::Dispatcher,
    ObjType::KernelControlBlock,
    ObjType::EndPoint,
];

/// A sandbox slot: mostly the first 32 (where the objects are), sometimes
/// any of the CNode's.
fn slot(rng: &mut Rng, sandbox: &Sandbox) -> CPtr {
    let i = if rng.chance(80) {
        rng.below(32)
    } else {
        rng.below(u64::from(SLOTS))
    };
    sandbox.slot(i as u32)
}

/// A sandbox slot as an argument word.
fn cptr(rng: &mut Rng, sandbox: &Sandbox) -> u64 {
    u64::from(slot(rng, sandbox).0)
}

/// A sandbox slot as a packed destination.
fn dest(rng: &mut Rng, sandbox: &Sandbox) -> u64 {
    SlotRef::Slot(slot(rng, sandbox)).pack()
}

/// A size an object of type `ty` may have, or (now and then) one it may not.
fn object_size(rng: &mut Rng, ty: ObjType) -> u64 {
    if rng.chance(15) {
        return rng.pick(&[0, 1, 4095, 4097, 1 << 40, u64::MAX]);
    }
    match ty {
        ObjType::L1CNode => caps::CTE_SIZE << (4 + rng.below(4)),
        ObjType::EndPoint => 0,
        t => t.fixed_size().unwrap_or_else(|| 4096 << rng.below(6)),
    }
}

/// An argument of no particular shape.
fn noise(rng: &mut Rng, sandbox: &Sandbox) -> u64 {
    match rng.below(8) {
        0..=2 => cptr(rng, sandbox) | (rng.below(8) << 32),
        3 => dest(rng, sandbox),
        4 => SlotRef::Root(rng.below(300) as u32 + 1000).pack(),
        5 => (rng.below(0x20_0000) + 1) << 12,
        6 => rng.next(),
        _ => 0,
    }
}

/// The four arguments of `operation`, packed as it expects.
fn arguments(rng: &mut Rng, sandbox: &Sandbox, operation: u64) -> [u64; 4] {
    let rights = rng.below(16);
    let badge = if rng.chance(50) { 0 } else { rng.below(1000) };
    match operation {
        op::COPY => [dest(rng, sandbox), 0, 0, 0],
        op::MINT => [dest(rng, sandbox), rights, badge, 0],
        op::MINT_IN => [rng.below(260), cptr(rng, sandbox), rights, badge],
        op::IDENTIFY_IN => [cptr(rng, sandbox) | (rng.below(4) << 40), 0, 0, 0],
        op::RETYPE => {
            let ty = rng.pick(&TYPES);
            let count = if rng.chance(80) { 1 } else { rng.below(6) };
            let offset = rng.below(64) * 4096 + if rng.chance(10) { 8 } else { 0 };
            [
                ty as u64 | (count << 16),
                offset,
                object_size(rng, ty),
                dest(rng, sandbox),
            ]
        }
        op::MAP => {
            let flags = rng.below(4) & (MAP_WRITE | MAP_EXECUTE);
            let entry = rng.below(520);
            let count = 1 + rng.below(4);
            [
                cptr(rng, sandbox) | (flags << 32),
                entry | (count << 16),
                rng.below(8) * 4096,
                dest(rng, sandbox),
            ]
        }
        op::DISPATCHER_SETUP => [
            cptr(rng, sandbox) | (cptr(rng, sandbox) << 32),
            cptr(rng, sandbox),
            rng.next(),
            0,
        ],
        op::DISPATCHER_SET_EXIT_ENDPOINT | op::IRQ_CONNECT | op::IRQ_ROUTE => {
            [cptr(rng, sandbox), 0, 0, 0]
        }
        op::DISPATCHER_CREATE_ENDPOINT => [rng.below(10), dest(rng, sandbox), 0, 0],
        op::IRQ_ALLOC_DEST => [dest(rng, sandbox), 0, 0, 0],
        op::IRQ_GET_SOURCE => [rng.below(30), dest(rng, sandbox), 0, 0],
        op::IO_IN | op::IO_OUT => [rng.below(0x1_0010), rng.pick(&[1, 2, 4, 3, 8]), 0, 0],
        op::IO_CONSOLE_WRITE => [rng.next(), rng.below(600), 0, 0],
        _ => [
            noise(rng, sandbox),
            noise(rng, sandbox),
            noise(rng, sandbox),
            noise(rng, sandbox),
        ],
    }
}

/// One invocation: mostly a known operation on a sandbox capability with
/// its arguments' shape, sometimes noise, sometimes a slot that does not
/// exist. Returns whether the kernel accepted it.
pub fn invoke(rng: &mut Rng, sandbox: &Sandbox) -> bool {
    let target = if rng.chance(90) {
        slot(rng, sandbox)
    } else {
        // Beyond the root CNode (its other slots are the fuzzer's own).
        CPtr::new(256 + rng.below(100_000) as u32, rng.below(256) as u32)
    };
    let shaped = rng.chance(80);
    let mut word = if shaped || rng.chance(50) {
        rng.pick(&OPS)
    } else {
        rng.below(0x1_0000)
    };
    let args = if shaped {
        arguments(rng, sandbox, word)
    } else {
        [
            noise(rng, sandbox),
            noise(rng, sandbox),
            noise(rng, sandbox),
            noise(rng, sandbox),
        ]
    };
    if word == op::SEND && rng.chance(50) {
        word = op::send_with_cap(slot(rng, sandbox).0);
    }
    sys::invoke(target, word, args).is_ok()
}

/// One other system call with hostile arguments: a WAIT that cannot block
/// for long, a DEBUG_PRINT of memory that is not the caller's or too much
/// of it, or a number that is no system call. Returns whether the kernel
/// accepted it.
pub fn other_call(rng: &mut Rng) -> bool {
    let now = sys::time_ns();
    let (number, args) = match rng.below(4) {
        // Deadlines just ahead or long past, any rings (a WAIT without a
        // deadline could block the fuzzer for good).
        0 => {
            let deadline = if rng.chance(50) {
                now + rng.below(50_000)
            } else {
                1 + rng.below(now.max(1))
            };
            (syscall::WAIT, [deadline, rng.next(), 0, 0, 0, 0])
        }
        1 => {
            // Nothing the fuzzer has mapped: its output stays readable.
            let random = rng.next();
            let addr = rng.pick(&[0, 0x1000, 0xffff_8000_0000_0000, random, u64::MAX - 8]);
            let len = rng.pick(&[0, 1, 255, 256, 257, 4096, u64::MAX]);
            (syscall::DEBUG_PRINT, [addr, len, 0, 0, 0, 0])
        }
        2 => (syscall::TIME, [rng.next(), 0, 0, 0, 0, 0]),
        _ => (8 + rng.below(1 << 20), [rng.next(), rng.next(), 0, 0, 0, 0]),
    };
    sys::call(number, args).is_ok()
}
