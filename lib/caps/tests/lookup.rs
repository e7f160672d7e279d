//! The two-level CSpace walk from a capability address to a slot.

mod common;

use caps::{CTE_SIZE, CapError, Capability, ObjType, Rights, ops};
use common::{FakeMem, Sys, slot};

const RAM: usize = 0;
const RAM_BASE: u64 = 0x10_0000;
const L1_BASE: u64 = RAM_BASE; // 16 slots, 1 KiB
const L2_BASE: u64 = RAM_BASE + 0x4000;

/// A CSpace whose L1 CNode (in slot 10) has an L2 CNode in its slot 1, a
/// Frame in slot 2 and another L1 CNode in slot 3.
fn cspace() -> (Sys, Capability) {
    let mut sys = Sys::with_roots();
    sys.retype(RAM, ObjType::L1CNode, 0, 16 * CTE_SIZE, &[10])
        .unwrap();
    let l1 = sys.cap(10);
    let (m, r) = (&mut sys.mem, &mut sys.root);
    let l1_slot = |i: u64| ops::cnode_slot(&l1, i).unwrap();
    ops::retype(
        m,
        r,
        slot(RAM),
        ObjType::L2CNode,
        0x4000,
        0x4000,
        1,
        &[l1_slot(1)],
    )
    .unwrap();
    ops::retype(
        m,
        r,
        slot(RAM),
        ObjType::Frame,
        0x8000,
        0x1000,
        1,
        &[l1_slot(2)],
    )
    .unwrap();
    ops::retype(
        m,
        r,
        slot(RAM),
        ObjType::L1CNode,
        0x400,
        0x400,
        1,
        &[l1_slot(3)],
    )
    .unwrap();
    sys.check();
    (sys, l1)
}

#[test]
fn walks_both_levels() {
    let (sys, l1) = cspace();
    assert_eq!(
        ops::lookup(&sys.mem, &l1, 0x105),
        Ok(L2_BASE + 5 * CTE_SIZE)
    );
    assert_eq!(ops::lookup(&sys.mem, &l1, 0x100), Ok(L2_BASE));
    assert_eq!(
        ops::lookup(&sys.mem, &l1, 0x1ff),
        Ok(L2_BASE + 255 * CTE_SIZE)
    );
    // The slot found may be empty: lookup only locates.
    let at = ops::lookup(&sys.mem, &l1, 0x105).unwrap();
    assert_eq!(ops::identify(&sys.mem, at), Err(CapError::SlotEmpty));
    // The CNode caps live in the L1 CNode's own slots.
    assert_eq!(ops::cnode_slot(&l1, 1), Ok(L1_BASE + CTE_SIZE));
}

#[test]
fn refusals() {
    let (sys, l1) = cspace();
    let ram = sys.cap(RAM);
    let l2 = caps::CteMemory::read(&sys.mem, L1_BASE + CTE_SIZE).cap;
    assert_eq!(l2.obj_type(), ObjType::L2CNode);
    assert_eq!(ops::lookup(&sys.mem, &ram, 0), Err(CapError::NotACNode));
    assert_eq!(ops::lookup(&sys.mem, &l2, 0), Err(CapError::NotACNode));
    assert_eq!(
        ops::lookup(&sys.mem, &Capability::NULL, 0),
        Err(CapError::NotACNode)
    );
    assert_eq!(ops::lookup(&sys.mem, &l1, 0x005), Err(CapError::NotACNode)); // empty
    assert_eq!(ops::lookup(&sys.mem, &l1, 0x205), Err(CapError::NotACNode)); // a Frame
    assert_eq!(ops::lookup(&sys.mem, &l1, 0x305), Err(CapError::NotACNode)); // an L1
    assert_eq!(
        ops::lookup(&sys.mem, &l1, 0x1005),
        Err(CapError::SlotOutOfRange)
    );
    assert_eq!(
        ops::lookup(&sys.mem, &l1, u32::MAX),
        Err(CapError::SlotOutOfRange)
    );
    assert_eq!(ops::cnode_slot(&l2, 256), Err(CapError::SlotOutOfRange));
    assert_eq!(ops::cnode_slot(&ram, 0), Err(CapError::NotACNode));
}

#[test]
fn damaged_or_odd_cnodes_stay_inside_their_memory() {
    let mem = FakeMem::default();
    // A slot count larger than the memory allows is cut to the memory.
    let l1 = Capability::new(ObjType::L1CNode, Rights::ALL, 0x1000, 4 * CTE_SIZE).with_extra(1000);
    assert_eq!(ops::cnode_slot(&l1, 3), Ok(0x1000 + 3 * CTE_SIZE));
    assert_eq!(ops::cnode_slot(&l1, 4), Err(CapError::SlotOutOfRange));
    assert_eq!(ops::lookup(&mem, &l1, 0x400), Err(CapError::SlotOutOfRange));
    let high = Capability::new(ObjType::L2CNode, Rights::ALL, u64::MAX - 0x3fff, 0x4000);
    assert_eq!(
        ops::cnode_slot(&high, 255),
        Ok(u64::MAX - 0x3fff + 255 * CTE_SIZE)
    );
    // Address 0 is the null slot address and is never handed out.
    let at_zero = Capability::new(ObjType::L2CNode, Rights::ALL, 0, 0x4000);
    assert_eq!(ops::cnode_slot(&at_zero, 0), Err(CapError::SlotOutOfRange));
    assert_eq!(ops::cnode_slot(&at_zero, 1), Ok(CTE_SIZE));
}
