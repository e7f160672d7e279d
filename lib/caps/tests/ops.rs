//! Copy, mint, derive, delete, revoke and identify: results and every
//! refusal (each of which must leave memory and the MDB root untouched).

mod common;

use caps::{
    CapError, Capability, CteAddr, Deleted, ObjType, PAGE_SIZE, Rights, VNODE_SIZE, mdb, ops,
};
use common::{Sys, slot};

const RAM: usize = 0;
const IO: usize = 2;
const RAM_BASE: u64 = 0x10_0000;
const PT_WORD: u64 = 0x5000_0000 | 7; // page-table page | first entry

/// Roots plus: 4 Frame [0, 16K), 5 Dispatcher at 16K, 6 VNodePt at 24K.
fn system() -> Sys {
    let mut sys = Sys::with_roots();
    sys.retype(RAM, ObjType::Frame, 0, 0x4000, &[4]).unwrap();
    sys.retype(RAM, ObjType::Dispatcher, 0x4000, 1024, &[5])
        .unwrap();
    sys.retype(RAM, ObjType::VNodePt, 0x6000, VNODE_SIZE, &[6])
        .unwrap();
    sys
}

/// Endpoint `index` of the dispatcher in slot 5.
fn endpoint(index: u32) -> Capability {
    Capability::new(ObjType::EndPoint, Rights::ALL, RAM_BASE + 0x4000, 1024).with_extra(index)
}

fn mapping(base: u64, size: u64, word: u64) -> Capability {
    Capability::new(ObjType::Mapping, Rights::READ, base, size)
        .with_word(word)
        .with_extra((size / PAGE_SIZE) as u32)
}

fn derive(sys: &mut Sys, parent: usize, child: Capability, dest: usize) -> Result<(), CapError> {
    ops::derive(&mut sys.mem, &mut sys.root, slot(parent), child, slot(dest))
}

fn derive_err(sys: &mut Sys, parent: usize, child: Capability, dest: CteAddr) -> CapError {
    sys.fails(|mem, root| ops::derive(mem, root, slot(parent), child, dest))
}

#[test]
fn copy_keeps_everything_and_shares_descendants() {
    let mut sys = system();
    ops::copy(&mut sys.mem, &mut sys.root, slot(4), slot(10)).unwrap();
    // The same capability, marked a copy.
    let mut original = sys.cap(4);
    original.flags |= caps::FLAG_COPY;
    assert_eq!(sys.cap(10), original);
    assert!(sys.cap(10).is_copy() && !sys.cap(4).is_copy());
    assert!(mdb::has_copies(&sys.mem, sys.root, slot(4)));
    sys.retype(10, ObjType::Frame, 0, PAGE_SIZE, &[11]).unwrap();
    assert!(mdb::has_descendants(&sys.mem, sys.root, slot(4)));
    let kids: Vec<_> = mdb::descendants(&sys.mem, sys.root, slot(4)).collect();
    assert_eq!(kids, [slot(11)]);
    // Dispatchers and KCBs can be copied too.
    ops::copy(&mut sys.mem, &mut sys.root, slot(5), slot(12)).unwrap();
    sys.check();
}

#[test]
fn copy_refusals() {
    let mut sys = system();
    derive(&mut sys, 4, mapping(RAM_BASE, PAGE_SIZE, PT_WORD), 7).unwrap();
    let mut copy = |src: CteAddr, dest: CteAddr| sys.fails(|m, r| ops::copy(m, r, src, dest));
    assert_eq!(copy(slot(9), slot(10)), CapError::SlotEmpty);
    assert_eq!(copy(0, slot(10)), CapError::SlotEmpty);
    assert_eq!(copy(slot(7), slot(10)), CapError::NotCopyable);
    assert_eq!(copy(slot(4), 0), CapError::BadArgument);
    assert_eq!(copy(slot(4), slot(5)), CapError::SlotOccupied);
    assert_eq!(copy(slot(4), slot(4)), CapError::SlotOccupied);
}

#[test]
fn mint_masks_rights_and_badges_endpoints() {
    let mut sys = system();
    derive(&mut sys, 5, endpoint(1), 7).unwrap();
    let rw = Rights::READ.union(Rights::WRITE);
    ops::mint(&mut sys.mem, &mut sys.root, slot(4), slot(10), rw, 0).unwrap();
    assert_eq!(sys.cap(10).rights(), rw);
    ops::mint(
        &mut sys.mem,
        &mut sys.root,
        slot(10),
        slot(11),
        Rights::from_bits_truncate(0xfd),
        0,
    )
    .unwrap();
    assert_eq!(sys.cap(11).rights(), Rights::READ);
    ops::mint(
        &mut sys.mem,
        &mut sys.root,
        slot(7),
        slot(12),
        Rights::ALL,
        42,
    )
    .unwrap();
    assert_eq!(sys.cap(12).badge(), 42);
    assert!(sys.cap(12).is_copy_of(&sys.cap(7)));
    // A zero badge keeps the source's badge.
    ops::mint(
        &mut sys.mem,
        &mut sys.root,
        slot(12),
        slot(13),
        Rights::GRANT,
        0,
    )
    .unwrap();
    assert_eq!(sys.cap(13).badge(), 42);
    assert_eq!(sys.cap(13).rights(), Rights::GRANT);
    sys.check();
}

#[test]
fn mint_refusals() {
    let mut sys = system();
    derive(&mut sys, 5, endpoint(1), 7).unwrap();
    derive(&mut sys, 4, mapping(RAM_BASE, PAGE_SIZE, PT_WORD), 8).unwrap();
    ops::mint(
        &mut sys.mem,
        &mut sys.root,
        slot(7),
        slot(9),
        Rights::ALL,
        3,
    )
    .unwrap();
    let mut mint = |src: CteAddr, dest: CteAddr, badge| {
        sys.fails(|m, r| ops::mint(m, r, src, dest, Rights::READ, badge))
    };
    assert_eq!(mint(slot(20), slot(10), 0), CapError::SlotEmpty);
    assert_eq!(mint(slot(8), slot(10), 0), CapError::NotCopyable);
    assert_eq!(mint(slot(4), slot(10), 5), CapError::BadArgument);
    assert_eq!(mint(slot(9), slot(10), 5), CapError::BadArgument);
    assert_eq!(mint(slot(7), 0, 5), CapError::BadArgument);
    assert_eq!(mint(slot(7), slot(4), 5), CapError::SlotOccupied);
}

#[test]
fn derive_endpoints_and_mappings() {
    let mut sys = system();
    let mut ep = endpoint(2);
    ep.flags = 0xff;
    derive(&mut sys, 5, ep, 7).unwrap();
    assert_eq!(sys.cap(7).flags, 0);
    derive(&mut sys, 5, endpoint(3), 8).unwrap();
    // Rights are limited to the parent's.
    ops::mint(
        &mut sys.mem,
        &mut sys.root,
        slot(4),
        slot(10),
        Rights::READ,
        0,
    )
    .unwrap();
    let mut m = mapping(RAM_BASE + 0x1000, 0x2000, PT_WORD);
    m.rights = Rights::ALL.bits();
    derive(&mut sys, 10, m, 9).unwrap();
    assert_eq!(sys.cap(9).rights(), Rights::READ);
    let pt = sys.cap(6);
    derive(&mut sys, 6, mapping(pt.base, pt.size, PT_WORD + 1), 11).unwrap();
    assert!(mdb::has_descendants(&sys.mem, sys.root, slot(4)));
    assert!(mdb::has_descendants(&sys.mem, sys.root, slot(5)));
    assert!(!mdb::has_descendants(&sys.mem, sys.root, slot(7)));
    assert!(!mdb::has_copies(&sys.mem, sys.root, slot(7)));
    sys.check();
}

#[test]
fn derive_refusals_in_check_order() {
    let mut sys = system();
    derive(&mut sys, 5, endpoint(1), 7).unwrap();
    derive(&mut sys, 4, mapping(RAM_BASE, PAGE_SIZE, PT_WORD), 8).unwrap();
    sys.retype(4, ObjType::Frame, 0x3000, PAGE_SIZE, &[9])
        .unwrap();
    let free = slot(20);
    let ep = endpoint(2);
    let pt = sys.cap(6);
    use CapError::*;
    let cases: &[(usize, Capability, CapError)] = &[
        (19, ep, SlotEmpty),
        (4, ep, NotDerivable), // endpoint of a frame
        (RAM, mapping(RAM_BASE, PAGE_SIZE, 1), NotDerivable), // mapping of RAM
        (
            5,
            Capability::new(ObjType::Frame, Rights::ALL, ep.base, ep.size),
            NotDerivable,
        ),
        (5, Capability { size: 512, ..ep }, NotDerivable), // not the whole dispatcher
        (6, mapping(pt.base, 0x800, 1), NotDerivable),     // part of a page table
        (4, mapping(RAM_BASE + 0x3000, 0x2000, 1), NotDerivable), // beyond the frame
        (4, mapping(RAM_BASE, 0, 1), NotDerivable),        // empty
        (4, mapping(RAM_BASE + 0x800, 0x1000, 1), Misaligned),
        (4, mapping(RAM_BASE, 0x1800, 1), Misaligned),
        (5, endpoint(1), NotDerivable), // exists already
        (4, mapping(RAM_BASE, PAGE_SIZE, PT_WORD), NotDerivable), // exists already
        (4, mapping(RAM_BASE + 0x2000, 0x2000, 2), Overlap), // over frame 9
        (IO, mapping(0x60, 1, 1), NotDerivable),
    ];
    for &(parent, child, want) in cases {
        assert_eq!(
            derive_err(&mut sys, parent, child, free),
            want,
            "{child:?} from {parent}"
        );
    }
    assert_eq!(derive_err(&mut sys, 5, ep, 0), BadArgument);
    assert_eq!(derive_err(&mut sys, 5, ep, slot(4)), SlotOccupied);
    // Another page table entry for the same range is a different mapping.
    derive(&mut sys, 4, mapping(RAM_BASE, PAGE_SIZE, PT_WORD + 8), 20).unwrap();
    sys.check();
}

#[test]
fn delete_reports_copies_and_descendants() {
    let mut sys = system();
    ops::copy(&mut sys.mem, &mut sys.root, slot(4), slot(10)).unwrap();
    sys.retype(4, ObjType::Frame, 0, PAGE_SIZE, &[11]).unwrap();
    let cap = sys.cap(4);
    let d = ops::delete(&mut sys.mem, &mut sys.root, slot(4)).unwrap();
    let want = Deleted {
        cap,
        last_copy: false,
        had_descendants: true,
    };
    assert_eq!(d, want);
    let d = ops::delete(&mut sys.mem, &mut sys.root, slot(10)).unwrap();
    assert!(d.last_copy && d.had_descendants);
    let d = ops::delete(&mut sys.mem, &mut sys.root, slot(11)).unwrap();
    assert!(d.last_copy && !d.had_descendants);
    sys.check();
    // An emptied slot refuses everything that needs a capability.
    for at in [slot(4), 0] {
        assert_eq!(sys.fails(|m, r| ops::delete(m, r, at)), CapError::SlotEmpty);
        assert_eq!(
            sys.fails(|m, r| ops::revoke_step(m, r, at)),
            CapError::SlotEmpty
        );
        assert_eq!(
            sys.fails(|m, r| ops::revoke(m, r, at, |_, _| {})),
            CapError::SlotEmpty
        );
        assert_eq!(sys.fails(|m, _| ops::identify(m, at)), CapError::SlotEmpty);
    }
}

#[test]
fn revoke_deletes_copies_and_descendants_children_first() {
    let mut sys = system();
    // A second frame beside 4 must survive; so must the RAM root.
    sys.retype(RAM, ObjType::Frame, 0x8000, PAGE_SIZE, &[12])
        .unwrap();
    ops::copy(&mut sys.mem, &mut sys.root, slot(4), slot(10)).unwrap();
    ops::copy(&mut sys.mem, &mut sys.root, slot(4), slot(13)).unwrap();
    sys.retype(10, ObjType::Frame, 0, 0x2000, &[11]).unwrap();
    sys.retype(11, ObjType::Frame, 0x1000, PAGE_SIZE, &[14])
        .unwrap();
    derive(
        &mut sys,
        14,
        mapping(RAM_BASE + 0x1000, PAGE_SIZE, PT_WORD),
        15,
    )
    .unwrap();
    derive(
        &mut sys,
        4,
        mapping(RAM_BASE + 0x3000, PAGE_SIZE, PT_WORD + 1),
        16,
    )
    .unwrap();
    let mut gone = Vec::new();
    let n = ops::revoke(&mut sys.mem, &mut sys.root, slot(4), |at, d| {
        assert!(
            !d.had_descendants,
            "a descendant was deleted before its own"
        );
        gone.push(at);
    })
    .unwrap();
    assert_eq!(n, 6);
    gone.sort();
    let want: Vec<_> = [10, 11, 13, 14, 15, 16].map(slot).to_vec();
    assert_eq!(gone, want);
    let live: Vec<_> = sys.live().into_keys().collect();
    assert_eq!(live, [0, 1, 2, 3, 4, 5, 6, 12].map(slot));
    assert_eq!(
        ops::revoke_step(&mut sys.mem, &mut sys.root, slot(4)),
        Ok(None)
    );
    sys.check();
}

#[test]
fn revoke_of_io_ranges() {
    let mut sys = system();
    sys.retype(IO, ObjType::Io, 0, 0x20, &[10]).unwrap();
    sys.retype(10, ObjType::Io, 0x10, 4, &[11, 12]).unwrap();
    sys.retype(IO, ObjType::Io, 0x20, 0x10, &[13]).unwrap();
    let n = ops::revoke(&mut sys.mem, &mut sys.root, slot(10), |_, _| {}).unwrap();
    assert_eq!(n, 2);
    assert!(sys.live().contains_key(&slot(13)));
    let step = ops::revoke_step(&mut sys.mem, &mut sys.root, slot(IO)).unwrap();
    assert_eq!(step.map(|(at, _)| at), Some(slot(13)));
    sys.check();
}

#[test]
fn overlap_queries() {
    let mut sys = system();
    sys.retype(4, ObjType::Frame, 0x2000, PAGE_SIZE, &[10])
        .unwrap();
    let q = |sys: &Sys, at, start, end| {
        mdb::any_descendant_overlapping(&sys.mem, sys.root, at, start, end)
    };
    assert_eq!(q(&sys, slot(4), RAM_BASE, RAM_BASE + 0x2000), None);
    assert_eq!(
        q(&sys, slot(4), RAM_BASE + 0x2fff, RAM_BASE + 0x3000),
        Some(slot(10))
    );
    assert_eq!(q(&sys, slot(RAM), 0, u64::MAX), Some(slot(4)));
    assert_eq!(
        q(&sys, slot(RAM), RAM_BASE + 0x7000, RAM_BASE + 0x7001),
        Some(slot(6))
    );
    assert_eq!(q(&sys, slot(10), 0, u64::MAX), None);
    assert_eq!(q(&sys, slot(4), 5, 5), None);
    assert_eq!(
        mdb::last_descendant(&sys.mem, sys.root, slot(RAM)),
        Some(slot(6))
    );
    assert_eq!(
        mdb::first_descendant(&sys.mem, sys.root, slot(RAM)),
        Some(slot(4))
    );
    let all: Vec<_> = mdb::descendants(&sys.mem, sys.root, slot(RAM)).collect();
    assert_eq!(all, [4, 10, 5, 6].map(slot));
    assert_eq!(
        mdb::find_copy(&sys.mem, sys.root, &sys.cap(10)),
        Some(slot(10))
    );
    assert_eq!(mdb::successor(&sys.mem, sys.root, slot(4)), Some(slot(10)));
    assert_eq!(
        mdb::predecessor(&sys.mem, sys.root, slot(4)),
        Some(slot(RAM))
    );
}

#[test]
fn identify_reads_the_slot() {
    let sys = system();
    let cap = ops::identify(&sys.mem, slot(5)).unwrap();
    assert_eq!(cap.obj_type(), ObjType::Dispatcher);
    assert_eq!(cap.size, caps::DISPATCHER_SIZE);
}

/// A copy handed out cannot take the giver's capability away: it revokes
/// nothing; the original still revokes every copy and descendant.
#[test]
fn only_an_original_revokes() {
    let mut sys = system();
    ops::copy(&mut sys.mem, &mut sys.root, slot(4), slot(10)).unwrap();
    ops::copy(&mut sys.mem, &mut sys.root, slot(10), slot(11)).unwrap();
    sys.retype(10, ObjType::Frame, 0, PAGE_SIZE, &[12]).unwrap();
    assert!(!sys.cap(12).is_copy(), "a retyped object is an original");
    let revoke = |at| move |m: &mut _, r: &mut _| ops::revoke(m, r, slot(at), |_, _| {});
    assert_eq!(sys.fails(revoke(10)), CapError::NotOriginal);
    assert_eq!(sys.fails(revoke(11)), CapError::NotOriginal);
    assert_eq!(
        sys.fails(|m, r| ops::revoke_step(m, r, slot(11))),
        CapError::NotOriginal
    );
    // A copy's holder may still delete it, and only it.
    ops::delete(&mut sys.mem, &mut sys.root, slot(11)).unwrap();
    let live = |sys: &Sys, i| ops::identify(&sys.mem, slot(i)).is_ok();
    assert!(live(&sys, 4) && live(&sys, 10) && live(&sys, 12));
    let n = ops::revoke(&mut sys.mem, &mut sys.root, slot(4), |_, _| {}).unwrap();
    assert_eq!(n, 2, "the copy in 10 and the frame in 12");
    assert!(live(&sys, 4) && !live(&sys, 10) && !live(&sys, 12));
    sys.check();
}

/// Rights never grow: objects retyped from restricted RAM have its rights.
#[test]
fn retype_keeps_the_sources_rights() {
    let mut sys = system();
    let rw = Rights::READ.union(Rights::WRITE);
    ops::mint(&mut sys.mem, &mut sys.root, slot(4), slot(10), rw, 0).unwrap();
    sys.retype(10, ObjType::Frame, 0, PAGE_SIZE, &[11]).unwrap();
    assert_eq!(sys.cap(11).rights(), rw);
    sys.retype(4, ObjType::Frame, PAGE_SIZE, PAGE_SIZE, &[12])
        .unwrap();
    assert_eq!(sys.cap(12).rights(), Rights::ALL);
}
