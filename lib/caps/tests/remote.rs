//! Capabilities across OSNodes: foreign imports and exported anchors, and
//! the guarantee that nothing deletes an anchor before its monitor clears it.

mod common;

use caps::{CapError, ObjType, PAGE_SIZE, Rights, ops};
use common::{Sys, slot};

const RAM: usize = 0;
/// Memory of another OSNode (outside every root of `Sys::with_roots`).
const ELSEWHERE: u64 = 0x20_0000;

#[test]
fn an_import_is_a_foreign_root_that_cannot_be_retyped() {
    let mut sys = Sys::with_roots();
    ops::import(
        &mut sys.mem,
        &mut sys.root,
        ObjType::Frame,
        Rights::READ.union(Rights::WRITE),
        ELSEWHERE,
        2 * PAGE_SIZE,
        slot(10),
    )
    .unwrap();
    let cap = sys.cap(10);
    assert!(cap.is_foreign() && !cap.is_exported());
    assert_eq!(
        (cap.obj_type(), cap.base, cap.size),
        (ObjType::Frame, ELSEWHERE, 2 * PAGE_SIZE)
    );
    // Copies stay foreign; they can be deleted and revoked freely.
    ops::copy(&mut sys.mem, &mut sys.root, slot(10), slot(11)).unwrap();
    assert!(sys.cap(11).is_foreign());
    assert_eq!(
        sys.fails(|m, r| ops::retype(m, r, slot(11), ObjType::Frame, 0, PAGE_SIZE, 1, &[slot(12)])),
        CapError::Foreign
    );
    assert_eq!(
        sys.fails(|m, _| ops::set_exported(m, slot(11), true)),
        CapError::Foreign
    );
    assert_eq!(
        ops::revoke(&mut sys.mem, &mut sys.root, slot(10), |_, _| {}),
        Ok(1)
    );
    ops::delete(&mut sys.mem, &mut sys.root, slot(10)).unwrap();
    sys.check();
}

#[test]
fn adopted_ram_is_an_original_that_retypes_and_revokes() {
    let mut sys = Sys::with_roots();
    // Only RAM changes hands, and only where this OSNode has nothing.
    assert_eq!(
        sys.fails(|m, r| ops::adopt(m, r, ELSEWHERE, 0, slot(10))),
        CapError::BadSize
    );
    assert_eq!(
        sys.fails(|m, r| ops::adopt(m, r, 0x10_0000, PAGE_SIZE, slot(10))),
        CapError::Overlap
    );
    ops::adopt(
        &mut sys.mem,
        &mut sys.root,
        ELSEWHERE,
        4 * PAGE_SIZE,
        slot(10),
    )
    .unwrap();
    let cap = sys.cap(10);
    assert!(!cap.is_foreign() && !cap.is_exported() && !cap.is_copy());
    assert_eq!(
        (cap.obj_type(), cap.rights, cap.base, cap.size),
        (ObjType::Ram, Rights::ALL.bits(), ELSEWHERE, 4 * PAGE_SIZE)
    );
    ops::retype(
        &mut sys.mem,
        &mut sys.root,
        slot(10),
        ObjType::Frame,
        PAGE_SIZE,
        PAGE_SIZE,
        1,
        &[slot(11)],
    )
    .unwrap();
    // Once: the range is this OSNode's now.
    assert_eq!(
        sys.fails(|m, r| ops::adopt(m, r, ELSEWHERE, PAGE_SIZE, slot(12))),
        CapError::Overlap
    );
    assert_eq!(
        ops::revoke(&mut sys.mem, &mut sys.root, slot(10), |_, _| {}),
        Ok(1)
    );
    ops::delete(&mut sys.mem, &mut sys.root, slot(10)).unwrap();
    sys.check();
}

#[test]
fn import_refusals_in_check_order() {
    let mut sys = Sys::with_roots();
    let import = |ty, base, size, dest| {
        move |m: &mut _, r: &mut _| ops::import(m, r, ty, Rights::ALL, base, size, dest)
    };
    assert_eq!(
        sys.fails(import(ObjType::Dispatcher, ELSEWHERE, PAGE_SIZE, slot(10))),
        CapError::WrongType
    );
    assert_eq!(
        sys.fails(import(ObjType::EndPoint, ELSEWHERE, PAGE_SIZE, slot(10))),
        CapError::WrongType
    );
    assert_eq!(
        sys.fails(import(ObjType::Frame, ELSEWHERE, PAGE_SIZE, 0)),
        CapError::BadArgument
    );
    assert_eq!(
        sys.fails(import(ObjType::Frame, ELSEWHERE, PAGE_SIZE, slot(RAM))),
        CapError::SlotOccupied
    );
    assert_eq!(
        sys.fails(import(ObjType::Frame, ELSEWHERE, 0, slot(10))),
        CapError::BadSize
    );
    // A KCB travels (to be hosted elsewhere), at a KCB's size only.
    assert_eq!(
        sys.fails(import(
            ObjType::KernelControlBlock,
            ELSEWHERE,
            PAGE_SIZE,
            slot(10)
        )),
        CapError::BadSize
    );
    assert_eq!(
        sys.fails(import(ObjType::Frame, ELSEWHERE + 8, PAGE_SIZE, slot(10))),
        CapError::Misaligned
    );
    assert_eq!(
        sys.fails(import(
            ObjType::Frame,
            u64::MAX - 4095,
            2 * PAGE_SIZE,
            slot(10)
        )),
        CapError::OutOfBounds
    );
    // This OSNode's own RAM is not another OSNode's.
    assert_eq!(
        sys.fails(import(ObjType::Frame, 0x10_0000, PAGE_SIZE, slot(10))),
        CapError::Overlap
    );
    // One import per range: the monitor copies it for further holders.
    ops::import(
        &mut sys.mem,
        &mut sys.root,
        ObjType::Frame,
        Rights::ALL,
        ELSEWHERE,
        PAGE_SIZE,
        slot(10),
    )
    .unwrap();
    assert_eq!(
        sys.fails(import(ObjType::Frame, ELSEWHERE, PAGE_SIZE, slot(11))),
        CapError::Overlap
    );
    ops::import(
        &mut sys.mem,
        &mut sys.root,
        ObjType::KernelControlBlock,
        Rights::ALL,
        ELSEWHERE + 0x10_0000,
        caps::KCB_SIZE,
        slot(11),
    )
    .unwrap();
    sys.check();
}

#[test]
fn an_exported_anchor_survives_nothing_but_its_monitor() {
    let mut sys = Sys::with_roots();
    // A program's frame (slot 4, from RAM), the monitor's copy (slot 5)
    // becomes the anchor; the frame has a child (slot 6).
    sys.retype(RAM, ObjType::Frame, 0, 4 * PAGE_SIZE, &[4])
        .unwrap();
    ops::copy(&mut sys.mem, &mut sys.root, slot(4), slot(5)).unwrap();
    sys.retype(4, ObjType::Frame, 0, PAGE_SIZE, &[6]).unwrap();
    ops::set_exported(&mut sys.mem, slot(5), true).unwrap();
    assert!(sys.cap(5).is_exported() && !sys.cap(4).is_exported());
    // Copies of the anchor are not anchors.
    ops::copy(&mut sys.mem, &mut sys.root, slot(5), slot(7)).unwrap();
    assert!(!sys.cap(7).is_exported());
    ops::delete(&mut sys.mem, &mut sys.root, slot(7)).unwrap();

    assert_eq!(
        ops::revoke_blocker(&sys.mem, sys.root, slot(4)),
        Some(slot(5))
    );
    assert_eq!(
        ops::revoke_blocker(&sys.mem, sys.root, slot(RAM)),
        Some(slot(5))
    );
    assert_eq!(ops::revoke_blocker(&sys.mem, sys.root, slot(6)), None);
    for at in [4, RAM] {
        assert_eq!(
            sys.fails(|m, r| ops::revoke(m, r, slot(at), |_, _| {})),
            CapError::Exported
        );
    }
    assert_eq!(
        sys.fails(|m, r| ops::delete(m, r, slot(5))),
        CapError::Exported
    );
    // Deleting the program's own copy is fine: the anchor keeps the frame.
    ops::delete(&mut sys.mem, &mut sys.root, slot(4)).unwrap();
    // Once the monitor clears the mark, a revoke takes everything.
    ops::set_exported(&mut sys.mem, slot(5), false).unwrap();
    assert_eq!(
        ops::revoke(&mut sys.mem, &mut sys.root, slot(RAM), |_, _| {}),
        Ok(2)
    );
    sys.check();
}

#[test]
fn only_memory_is_exported() {
    let mut sys = Sys::with_roots();
    sys.retype(RAM, ObjType::Dispatcher, 0, 1024, &[4]).unwrap();
    assert_eq!(
        sys.fails(|m, _| ops::set_exported(m, slot(4), true)),
        CapError::WrongType
    );
    assert_eq!(
        sys.fails(|m, _| ops::set_exported(m, slot(9), true)),
        CapError::SlotEmpty
    );
    ops::set_exported(&mut sys.mem, slot(RAM), true).unwrap();
    assert_eq!(
        sys.fails(|m, r| ops::delete(m, r, slot(RAM))),
        CapError::Exported
    );
    sys.check();
}
