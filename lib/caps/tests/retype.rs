//! Retype and create: what they make, and every refusal (each of which must
//! leave memory and the MDB root untouched).

mod common;

use caps::{CapError, Capability, ObjType, Rights, mdb, ops};
use common::{Sys, slot};

const RAM: usize = 0;
const PHYS: usize = 1;
const IO: usize = 2;
const KERNEL: usize = 3;
const RAM_BASE: u64 = 0x10_0000;
const KIB: u64 = 1024;

#[test]
fn retype_makes_objects_with_all_rights() {
    let mut sys = Sys::with_roots();
    sys.retype(RAM, ObjType::Frame, 0x2000, 0x1000, &[10, 11])
        .unwrap();
    assert_eq!(
        sys.cap(10),
        Capability::new(ObjType::Frame, Rights::ALL, RAM_BASE + 0x2000, 0x1000)
    );
    assert_eq!(sys.cap(11).base, RAM_BASE + 0x3000);
    sys.retype(RAM, ObjType::L1CNode, 0x8000, 4 * KIB, &[12])
        .unwrap();
    assert_eq!(sys.cap(12).extra, 64);
    sys.retype(RAM, ObjType::L2CNode, 0x10000, 16 * KIB, &[13])
        .unwrap();
    sys.retype(RAM, ObjType::VNodePml4, 0x14000, 8 * KIB, &[14])
        .unwrap();
    sys.retype(RAM, ObjType::KernelControlBlock, 0x18000, 16 * KIB, &[15])
        .unwrap();
    // Dispatchers are 1 KiB, so four fit in a page.
    sys.retype(RAM, ObjType::Dispatcher, 0x1c000, KIB, &[16, 17, 18, 19])
        .unwrap();
    assert_eq!(sys.cap(19).base, RAM_BASE + 0x1c000 + 3 * KIB);
    sys.retype(IO, ObjType::Io, 4, 2, &[20]).unwrap();
    assert_eq!(
        sys.cap(20),
        Capability::new(ObjType::Io, Rights::ALL, 0x64, 2)
    );
    // Physical addresses become device frames, never RAM.
    assert_eq!(
        sys.retype(PHYS, ObjType::Ram, 0, 0x10_0000, &[21]),
        Err(CapError::IllegalRetype)
    );
    sys.retype(PHYS, ObjType::DevFrame, 0, 0x10_0000, &[21])
        .unwrap();
    sys.retype(RAM, ObjType::Ram, 0x20000, 0x8000, &[22])
        .unwrap();
    sys.retype(22, ObjType::Frame, 0, 0x8000, &[23]).unwrap();
    sys.retype(23, ObjType::Frame, 0x1000, 0x1000, &[24])
        .unwrap();
    sys.check();
    assert!(mdb::has_descendants(&sys.mem, sys.root, slot(PHYS)));
    assert!(!mdb::has_descendants(&sys.mem, sys.root, slot(24)));
}

#[test]
fn create_refusals() {
    let mut sys = Sys::with_roots();
    let mut create =
        |ty, base, size, dest| sys.fails(|mem, root| ops::create(mem, root, ty, base, size, dest));
    assert_eq!(
        create(ObjType::Frame, 0, 0x1000, slot(9)),
        CapError::WrongType
    );
    assert_eq!(
        create(ObjType::Null, 0, 0x1000, slot(9)),
        CapError::WrongType
    );
    assert_eq!(create(ObjType::Ram, 0, 0x1000, 0), CapError::BadArgument);
    assert_eq!(
        create(ObjType::Ram, 0, 0x1000, slot(RAM)),
        CapError::SlotOccupied
    );
    assert_eq!(create(ObjType::Ram, 0, 0, slot(9)), CapError::BadSize);
    assert_eq!(
        create(ObjType::Ram, 0x800, 0x1000, slot(9)),
        CapError::Misaligned
    );
    assert_eq!(
        create(ObjType::Ram, u64::MAX - 0xfff, 0x2000, slot(9)),
        CapError::OutOfBounds
    );
    assert_eq!(
        create(ObjType::Ram, RAM_BASE + 0x1000, 0x1000, slot(9)),
        CapError::Overlap
    );
    assert_eq!(
        create(ObjType::PhysAddr, 0, RAM_BASE + 0x1000, slot(9)),
        CapError::Overlap
    );
    assert_eq!(create(ObjType::Io, 0x9f, 1, slot(9)), CapError::Overlap);
    assert_eq!(
        create(ObjType::Io, u64::MAX, 2, slot(9)),
        CapError::OutOfBounds
    );
}

#[test]
fn create_ranges_are_per_domain() {
    let mut sys = Sys::with_roots();
    sys.create(ObjType::Ipi, 0, 1, 9).unwrap(); // Kernel [0, 1) is another domain
    sys.create(ObjType::Ram, 0, RAM_BASE, 10).unwrap(); // touches, does not overlap
    sys.create(ObjType::Io, 0xa0, 0x10, 11).unwrap();
    sys.create(ObjType::Io, 0x5f, 1, 12).unwrap();
    sys.check();
}

fn retype_err(
    sys: &mut Sys,
    src: usize,
    ty: ObjType,
    offset: u64,
    size: u64,
    dest: &[u64],
) -> CapError {
    let count = dest.len() as u64;
    retype_count_err(sys, src, ty, offset, size, count, dest)
}

fn retype_count_err(
    sys: &mut Sys,
    src: usize,
    ty: ObjType,
    offset: u64,
    size: u64,
    count: u64,
    dest: &[u64],
) -> CapError {
    let src = if src == usize::MAX { 0 } else { slot(src) };
    sys.fails(|mem, root| ops::retype(mem, root, src, ty, offset, size, count, dest))
}

#[test]
fn retype_refusals_in_check_order() {
    use CapError::*;
    use ObjType::*;
    let mut sys = Sys::with_roots();
    sys.retype(RAM, Frame, 0, 0x4000, &[4]).unwrap();
    let free = [slot(10)];
    let cases: &[(usize, ObjType, u64, u64, CapError)] = &[
        (9, Frame, 0, 0x1000, SlotEmpty),
        (usize::MAX, Frame, 0, 0x1000, SlotEmpty),
        (RAM, DevFrame, 0, 0x1000, IllegalRetype),
        (RAM, EndPoint, 0, 0x1000, IllegalRetype),
        (PHYS, Frame, 0, 0x1000, IllegalRetype),
        (4, Ram, 0, 0x1000, IllegalRetype),
        (IO, Ram, 0, 1, IllegalRetype),
        (KERNEL, Kernel, 0, 1, IllegalRetype),
        (RAM, Frame, 0x8000, 0, BadSize),
        (RAM, L2CNode, 0x8000, 0x1000, BadSize),
        (RAM, VNodePt, 0x8000, 0x1000, BadSize),
        (RAM, Dispatcher, 0x8000, 0x1000, BadSize),
        (RAM, KernelControlBlock, 0x8000, 0x1000, BadSize),
        (RAM, L1CNode, 0x8000, 48 * 64, BadSize),
        (RAM, L1CNode, 0x8000, 8 * 64, BadSize),
        (RAM, L1CNode, 0, 131072 * 64, BadSize),
        (RAM, L1CNode, 0x8000, 1000, BadSize),
        (RAM, Ram, 0, 0x10_0000, BadSize),
        (4, Frame, 0, 0x4000, BadSize),
        (IO, Io, 0, 0x40, BadSize),
        (RAM, Frame, 0x8000, 0x1800, Misaligned),
        (RAM, Frame, 0x8800, 0x1000, Misaligned),
        (RAM, L2CNode, 0x9000, 0x4000, Misaligned),
        (RAM, VNodePd, 0x9000, 0x2000, Misaligned),
        (RAM, Dispatcher, 0x8200, 0x400, Misaligned),
        (RAM, L1CNode, 0x8400, 0x800, Misaligned),
        (RAM, Frame, 0x10_0000, 0x1000, OutOfBounds),
        (RAM, Frame, 0xf_f000, 0x2000, OutOfBounds),
        (RAM, Frame, u64::MAX - 0xfff, 0x1000, OutOfBounds),
        (IO, Io, 0x3f, 2, OutOfBounds),
        (RAM, Frame, 0x3000, 0x2000, Overlap),
        (RAM, Ram, 0, 0x1000, Overlap),
        (RAM, L2CNode, 0, 0x4000, Overlap),
    ];
    for &(src, ty, offset, size, want) in cases {
        let got = retype_err(&mut sys, src, ty, offset, size, &free);
        assert_eq!(
            got, want,
            "retype {src} -> {ty:?} at {offset:#x} size {size:#x}"
        );
    }
}

#[test]
fn retype_refusals_of_rights_counts_and_slots() {
    let mut sys = Sys::with_roots();
    ops::mint(
        &mut sys.mem,
        &mut sys.root,
        slot(RAM),
        slot(5),
        Rights::READ,
        0,
    )
    .unwrap();
    let f = ObjType::Frame;
    assert_eq!(
        retype_err(&mut sys, 5, f, 0, 0x1000, &[slot(9)]),
        CapError::InsufficientRights
    );
    assert_eq!(
        retype_err(&mut sys, RAM, f, 0, 0x1000, &[]),
        CapError::BadCount
    );
    let many: Vec<u64> = (0..4097).map(|i| slot(100 + i)).collect();
    assert_eq!(
        retype_err(&mut sys, RAM, f, 0, 0x1000, &many),
        CapError::BadCount
    );
    let two = [slot(9), slot(10)];
    assert_eq!(
        retype_count_err(&mut sys, RAM, f, 0, 0x1000, 1, &two),
        CapError::BadCount
    );
    assert_eq!(
        retype_count_err(&mut sys, RAM, f, 0, 0x1000, 3, &two),
        CapError::BadCount
    );
    let (s9, s10) = (slot(9), slot(10));
    assert_eq!(
        retype_err(&mut sys, RAM, f, 0, 0x1000, &[s9, 0]),
        CapError::BadArgument
    );
    assert_eq!(
        retype_err(&mut sys, RAM, f, 0, 0x1000, &[s9, s9]),
        CapError::BadArgument
    );
    let unsorted = [s10, s9, slot(11), s10];
    assert_eq!(
        retype_err(&mut sys, RAM, f, 0, 0x1000, &unsorted),
        CapError::BadArgument
    );
    // Occupied destinations are found after malformed ones, before sizes.
    assert_eq!(
        retype_err(&mut sys, RAM, f, 0, 0, &[s9, slot(IO)]),
        CapError::SlotOccupied
    );
    assert_eq!(
        retype_err(&mut sys, RAM, f, 0, 0x1000, &[slot(RAM)]),
        CapError::SlotOccupied
    );
    // Distinct destinations in any order are fine; objects follow them.
    sys.retype(RAM, f, 0, 0x1000, &[10, 9]).unwrap();
    assert_eq!(sys.cap(10).base, RAM_BASE);
    assert_eq!(sys.cap(9).base, RAM_BASE + 0x1000);
    sys.check();
}

#[test]
fn overlap_covers_copies_and_orphans() {
    let mut sys = Sys::with_roots();
    sys.retype(RAM, ObjType::Ram, 0x20000, 0x10000, &[5])
        .unwrap();
    sys.retype(5, ObjType::Frame, 0x4000, 0x1000, &[6]).unwrap();
    ops::copy(&mut sys.mem, &mut sys.root, slot(RAM), slot(7)).unwrap();
    // Through a copy of the source, the same descendants count.
    let frame = ObjType::Frame;
    assert_eq!(
        retype_err(&mut sys, 7, frame, 0x20000, 0x1000, &[slot(9)]),
        CapError::Overlap
    );
    // Deleting the intermediate Ram leaves the frame, which still blocks.
    ops::delete(&mut sys.mem, &mut sys.root, slot(5)).unwrap();
    assert_eq!(
        retype_err(&mut sys, RAM, frame, 0x24000, 0x1000, &[slot(9)]),
        CapError::Overlap
    );
    sys.retype(RAM, frame, 0x20000, 0x4000, &[9]).unwrap(); // beside it is fine
    ops::delete(&mut sys.mem, &mut sys.root, slot(6)).unwrap();
    sys.retype(RAM, frame, 0x24000, 0x1000, &[10]).unwrap();
    sys.check();
}

#[test]
fn revoke_makes_memory_reusable() {
    let mut sys = Sys::with_roots();
    sys.retype(RAM, ObjType::L2CNode, 0, 0x4000, &[5]).unwrap();
    sys.retype(RAM, ObjType::Dispatcher, 0x4000, KIB, &[6, 7])
        .unwrap();
    let frame = ObjType::Frame;
    assert_eq!(
        retype_err(&mut sys, RAM, frame, 0, 0x8000, &[slot(9)]),
        CapError::Overlap
    );
    let n = ops::revoke(&mut sys.mem, &mut sys.root, slot(RAM), |_, _| {}).unwrap();
    assert_eq!(n, 3);
    sys.retype(RAM, frame, 0, 0x8000, &[9]).unwrap();
    sys.check();
}
