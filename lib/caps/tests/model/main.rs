//! The capability system against the reference model of `reference.rs`.
//!
//! Random sequences of retype, copy, mint, derive, delete, revoke and
//! revoke steps run on both. After every step: each operation's result
//! equals the model's (the exact error), a refused operation changed
//! nothing, the live capabilities are the model's, the MDB is a valid AA
//! tree holding exactly them, the range-based copy and ancestor relations
//! equal the model's explicit forest, no two kernel objects overlap, and
//! `has_copies`/`has_descendants` agree with the model.

mod checks;
#[path = "../common/mod.rs"]
mod common;
mod generate;
mod reference;

use caps::{CTE_SIZE, CapError, Capability, CteAddr, Deleted, ObjType, Rights, mdb, ops};
use common::{SLOT_BASE, Sys, slot};
use generate::{Op, Sel, TySel, frame_op, op, resolve, resolve_for, retype_args};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use reference::{MDeleted, Model, SLOTS, legal_targets};

const ROOTS: [(usize, ObjType, u64, u64); 4] = [
    (0, ObjType::Ram, 0x10_0000, 0x20000),
    (1, ObjType::PhysAddr, 0x20_0000, 0x10000),
    (2, ObjType::Ram, 0x30_0000, 0x8000),
    (3, ObjType::Io, 0x60, 0x40),
];

fn slot_index(at: CteAddr) -> usize {
    let i = ((at - SLOT_BASE) / CTE_SIZE) as usize;
    assert!(
        at >= SLOT_BASE && i < SLOTS,
        "capability outside the test slots: {at:#x}"
    );
    i
}

fn model_deleted(d: &Deleted) -> MDeleted {
    (d.cap, d.last_copy, d.had_descendants)
}

struct Run {
    sys: Sys,
    model: Model,
}

impl Run {
    fn new() -> Self {
        let mut sys = Sys::default();
        for (s, ty, base, size) in ROOTS {
            sys.create(ty, base, size, s).unwrap();
        }
        Run {
            sys,
            model: Model::new(&ROOTS),
        }
    }

    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let before = self.sys.clone();
        let (m, sys) = (&mut self.model, &mut self.sys);
        let (mem, root) = (&mut sys.mem, &mut sys.root);
        let result: Result<(), CapError> = match op {
            Op::Retype {
                src,
                ty,
                offset,
                size,
                dests,
                count_delta,
            } => {
                let s = resolve_for(m, src, |t| match ty {
                    TySel::Exactly(x) => legal_targets(t).contains(x),
                    _ => !legal_targets(t).is_empty(),
                });
                let src_cap = m.cap(s).unwrap_or_default();
                let (ty, offset, objsize) = retype_args(&src_cap, *ty, *offset, *size);
                let dests: Vec<usize> = dests.iter().map(|d| resolve(m, d)).collect();
                let count = (dests.len() as i64 + count_delta) as u64;
                let addrs: Vec<CteAddr> = dests.iter().map(|&d| slot(d)).collect();
                let got = ops::retype(mem, root, slot(s), ty, offset, objsize, count, &addrs);
                let want = m.retype(s, ty, offset, objsize, count, &dests);
                prop_assert_eq!(
                    got,
                    want,
                    "retype {} -> {:?} +{:#x} {:#x}",
                    s,
                    ty,
                    offset,
                    objsize
                );
                got
            }
            Op::Copy { src, dest } => {
                let (s, d) = (resolve(m, src), resolve(m, dest));
                let got = ops::copy(mem, root, slot(s), slot(d));
                prop_assert_eq!(got, m.mint(s, d, 0xff, 0), "copy {} -> {}", s, d);
                got
            }
            Op::Mint {
                src,
                dest,
                mask,
                badge,
            } => {
                let (s, d) = (resolve(m, src), resolve(m, dest));
                let rights = Rights::from_bits_truncate(*mask);
                let got = ops::mint(mem, root, slot(s), slot(d), rights, *badge);
                prop_assert_eq!(got, m.mint(s, d, *mask, *badge), "mint {} -> {}", s, d);
                got
            }
            Op::DeriveEndPoint {
                parent,
                index,
                badge,
                shifted,
                dest,
            } => {
                let p = resolve_for(m, parent, |t| t == ObjType::Dispatcher);
                let d = resolve(m, dest);
                let pcap = m.cap(p).unwrap_or_default();
                let base = pcap.base + if *shifted { 1024 } else { 0 };
                let child = Capability::new(ObjType::EndPoint, Rights::ALL, base, pcap.size)
                    .with_extra(*index)
                    .with_word(*badge);
                let got = ops::derive(mem, root, slot(p), child, slot(d));
                prop_assert_eq!(got, m.derive(p, &child, d), "derive {:?} from {}", child, p);
                got
            }
            Op::DeriveMapping {
                parent,
                page,
                pages,
                entry,
                skewed,
                rights,
                dest,
            } => {
                let mappable =
                    |t: ObjType| t.is_vnode() || t == ObjType::Frame || t == ObjType::DevFrame;
                let p = resolve_for(m, parent, mappable);
                let d = resolve(m, dest);
                let pcap = m.cap(p).unwrap_or_default();
                let page = page % (pcap.size / 4096).max(1);
                let base = pcap.base + page * 4096 + if *skewed { 0x800 } else { 0 };
                let rights = Rights::from_bits_truncate(*rights);
                let child = Capability::new(ObjType::Mapping, rights, base, pages * 4096)
                    .with_extra(*pages as u32)
                    .with_word(0x9000_0000 + entry * 8);
                let got = ops::derive(mem, root, slot(p), child, slot(d));
                prop_assert_eq!(got, m.derive(p, &child, d), "derive {:?} from {}", child, p);
                got
            }
            Op::Delete(sel) => {
                let s = resolve(m, sel);
                let got = ops::delete(mem, root, slot(s));
                prop_assert_eq!(
                    got.as_ref().map(model_deleted).map_err(|&e| e),
                    m.delete(s),
                    "delete {}",
                    s
                );
                if got.is_ok() {
                    self.check_empty_slot_refuses(s)?;
                }
                got.map(drop)
            }
            Op::Revoke(sel) => {
                let s = resolve(m, sel);
                let want = m.revoke_set(s);
                let mut steps = Vec::new();
                let got = ops::revoke(mem, root, slot(s), |at, d| steps.push((at, *d)));
                prop_assert_eq!(
                    got.map(|n| n as usize),
                    want.as_ref().map(Vec::len).map_err(|&e| e)
                );
                let mut seen = Vec::new();
                for (at, d) in &steps {
                    let i = slot_index(*at);
                    // The model's view of each deletion, in the order taken.
                    prop_assert_eq!(Ok(model_deleted(d)), m.delete(i), "revoke step {}", i);
                    prop_assert!(
                        !d.had_descendants,
                        "revoke deleted a parent before its child"
                    );
                    seen.push(i);
                }
                seen.sort();
                if let Ok(want) = &want {
                    prop_assert_eq!(&seen, want, "revoke {} deleted the wrong caps", s);
                }
                got.map(drop)
            }
            Op::RevokeStep(sel) => {
                let s = resolve(m, sel);
                let want = m.revoke_set(s);
                let got = ops::revoke_step(mem, root, slot(s));
                match (&got, &want) {
                    (Ok(Some((at, d))), Ok(set)) => {
                        let i = slot_index(*at);
                        prop_assert!(set.contains(&i), "revoke step took {} outside {:?}", i, set);
                        prop_assert_eq!(Ok(model_deleted(d)), m.delete(i));
                        prop_assert!(!d.had_descendants);
                    }
                    (Ok(None), Ok(set)) => prop_assert!(set.is_empty()),
                    (Err(e), Err(w)) => prop_assert_eq!(e, w),
                    _ => prop_assert!(false, "revoke step {:?}, model {:?}", got, want),
                }
                got.map(drop)
            }
        };
        if result.is_err() {
            prop_assert_eq!(&self.sys, &before, "a refused {:?} changed state", op);
        }
        self.check_state()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn capability_system_matches_model(ops in proptest::collection::vec(op(), 1..60)) {
        let mut run = Run::new();
        run.check_state()?;
        for op in &ops {
            run.step(op)?;
        }
    }

    #[test]
    fn nested_frames_and_mappings_match_model(ops in proptest::collection::vec(frame_op(), 1..60)) {
        let mut run = Run::new();
        for op in &ops {
            run.step(op)?;
        }
    }
}

#[test]
fn descendants_iterator_matches_model_after_a_busy_sequence() {
    let mut run = Run::new();
    let steps = [
        Op::Retype {
            src: Sel::Any(0),
            ty: TySel::Favoured(1),
            offset: (true, 0),
            size: (true, 2),
            dests: vec![Sel::Any(4), Sel::Any(5)],
            count_delta: 0,
        },
        Op::Retype {
            src: Sel::Any(4),
            ty: TySel::Favoured(0),
            offset: (true, 1),
            size: (true, 0),
            dests: vec![Sel::Any(6)],
            count_delta: 0,
        },
        Op::Copy {
            src: Sel::Any(4),
            dest: Sel::Any(7),
        },
        Op::DeriveMapping {
            parent: Sel::Any(5),
            page: 0,
            pages: 1,
            entry: 0,
            skewed: false,
            rights: 15,
            dest: Sel::Any(8),
        },
        Op::Retype {
            src: Sel::Any(0),
            ty: TySel::Favoured(8),
            offset: (false, 40),
            size: (true, 0),
            dests: vec![Sel::Any(9)],
            count_delta: 0,
        },
        Op::DeriveEndPoint {
            parent: Sel::Any(9),
            index: 1,
            badge: 0,
            shifted: false,
            dest: Sel::Any(10),
        },
    ];
    for op in &steps {
        run.step(op).unwrap();
    }
    for s in run.model.live_slots() {
        let mut got: Vec<usize> = mdb::descendants(&run.sys.mem, run.sys.root, slot(s))
            .map(slot_index)
            .collect();
        got.sort();
        let mut want = run.model.descendants(s);
        want.sort();
        assert_eq!(got, want, "descendants of {s}");
    }
    assert_eq!(
        run.model.descendants(0).len(),
        7,
        "a step of the sequence failed"
    );
}
