//! The MDB tree on its own, against a sorted list: random inserts and
//! removals of arbitrary (even non-nested) capabilities must keep the AA
//! invariants, the in-order sequence, and every query's answer equal to a
//! linear scan of the list.

mod common;

use caps::{Capability, Cte, CteAddr, CteMemory, ObjType, Rights, mdb};
use common::{FakeMem, slot};
use proptest::prelude::*;
use std::cmp::Reverse;

const SLOTS: usize = 48;
const TYPES: [ObjType; 9] = [
    ObjType::PhysAddr,
    ObjType::Ram,
    ObjType::Frame,
    ObjType::L2CNode,
    ObjType::EndPoint,
    ObjType::Mapping,
    ObjType::Io,
    ObjType::Ipi,
    ObjType::Dispatcher,
];

/// The order restated independently: domain, base, size descending, rank,
/// type, discriminator.
fn key(c: &Capability) -> (u8, u64, Reverse<u64>, u8, u8, u64) {
    let t = c.raw_type;
    let physical = (1..=14).contains(&t);
    let domain = if physical { 0 } else { t };
    let rank = match t {
        1 => 0,
        2 => 1,
        12 | 14 => 3,
        _ if physical => 2,
        _ => 0,
    };
    let disc = match t {
        12 => u64::from(c.extra),
        14 => c.word,
        _ => 0,
    };
    (domain, c.base, Reverse(c.size), rank, t, disc)
}

/// The ancestor relation restated on the key.
fn ancestor(a: &Capability, b: &Capability) -> bool {
    let (ka, kb) = (key(a), key(b));
    let inside = b.base >= a.base && b.base + b.size <= a.base + a.size;
    ka.0 == kb.0
        && ka.3 < 3
        && inside
        && (b.size < a.size || b.size == a.size && b.base == a.base && kb.3 > ka.3)
}

fn overlaps(c: &Capability, start: u64, end: u64) -> bool {
    c.base < end && start < c.base + c.size
}

#[derive(Debug, Clone)]
enum Op {
    Insert { slot: usize, cap: Capability },
    Remove { slot: usize },
}

fn cap() -> impl Strategy<Value = Capability> {
    (0..TYPES.len(), 0..12u64, 1..6u64, 0..3u32, 0..3u64).prop_map(
        |(t, base, size, extra, word)| {
            Capability::new(TYPES[t], Rights::ALL, base * 0x1000, size * 0x1000)
                .with_extra(extra)
                .with_word(word)
        },
    )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..SLOTS, cap()).prop_map(|(slot, cap)| Op::Insert { slot, cap }),
        1 => (0..SLOTS).prop_map(|slot| Op::Remove { slot }),
    ]
}

/// The tree's nodes in order, read through the links directly.
fn in_order(mem: &FakeMem, t: CteAddr, out: &mut Vec<CteAddr>) {
    if t != 0 {
        let n = mem.read(t).mdb;
        in_order(mem, n.left, out);
        out.push(t);
        in_order(mem, n.right, out);
    }
}

/// Checks every query about `at` against a scan of `sorted`.
fn check_queries(mem: &FakeMem, root: CteAddr, sorted: &[CteAddr], at: CteAddr) {
    let cap_of = |a: CteAddr| mem.read(a).cap;
    let c = cap_of(at);
    let pos = sorted.iter().position(|&a| a == at);
    let pos_after = pos.map_or_else(
        || sorted.partition_point(|&a| (key(&cap_of(a)), a) < (key(&c), at)),
        |p| p + 1,
    );
    let pos_before = pos.unwrap_or(pos_after);
    assert_eq!(mdb::contains(mem, root, at), pos.is_some());
    assert_eq!(
        mdb::successor(mem, root, at),
        sorted.get(pos_after).copied()
    );
    let pred = pos_before.checked_sub(1).map(|i| sorted[i]);
    assert_eq!(mdb::predecessor(mem, root, at), pred);
    let copies = sorted
        .iter()
        .any(|&a| a != at && key(&cap_of(a)) == key(&c));
    assert_eq!(mdb::has_copies(mem, root, at), copies);
    assert_eq!(
        mdb::find_copy(mem, root, &c).is_some(),
        copies || pos.is_some()
    );
    // After all copies of `c`: the candidates for descendants.
    let first_after = sorted.iter().position(|&a| key(&cap_of(a)) > key(&c));
    let first = first_after
        .map(|i| sorted[i])
        .filter(|&a| ancestor(&c, &cap_of(a)));
    assert_eq!(mdb::first_descendant(mem, root, at), first);
    let end = c.base + c.size;
    let last_start = sorted.iter().rposition(|&a| {
        let k = key(&cap_of(a));
        (k.0, k.1) < (key(&c).0, end)
    });
    let last = last_start
        .map(|i| sorted[i])
        .filter(|&a| key(&cap_of(a)) > key(&c) && ancestor(&c, &cap_of(a)));
    assert_eq!(mdb::last_descendant(mem, root, at), last);
    for (start, stop) in [
        (0, u64::MAX),
        (c.base + 0x1000, c.base + 0x2000),
        (end.saturating_sub(1), end + 9),
    ] {
        let want = sorted.iter().copied().find(|&a| {
            let d = cap_of(a);
            key(&d) > key(&c) && ancestor(&c, &d) && overlaps(&d, start, stop)
        });
        let got = mdb::any_descendant_overlapping(mem, root, at, start, stop);
        assert_eq!(
            got, want,
            "overlap query [{start:#x}, {stop:#x}) under {at:#x}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn tree_matches_sorted_list(ops in proptest::collection::vec(op(), 1..120)) {
        let mut mem = FakeMem::default();
        let mut root: CteAddr = 0;
        let mut sorted: Vec<CteAddr> = Vec::new();
        for op in ops {
            match op {
                Op::Insert { slot: i, cap } => {
                    let at = slot(i);
                    if sorted.contains(&at) {
                        prop_assert!(mdb::remove(&mut mem, &mut root, at));
                        sorted.retain(|&a| a != at);
                    }
                    mem.write(at, &Cte { cap, mdb: Default::default() });
                    mdb::insert(&mut mem, &mut root, at);
                    let k = (key(&cap), at);
                    let i = sorted.partition_point(|&a| (key(&mem.read(a).cap), a) < k);
                    sorted.insert(i, at);
                }
                Op::Remove { slot: i } => {
                    let at = slot(i);
                    let present = sorted.contains(&at);
                    prop_assert_eq!(mdb::remove(&mut mem, &mut root, at), present);
                    sorted.retain(|&a| a != at);
                    prop_assert_eq!(mem.read(at).mdb, Default::default());
                }
            }
            prop_assert_eq!(mdb::check_invariants(&mem, root), Ok(sorted.len() as u64));
            let mut walk = Vec::new();
            in_order(&mem, root, &mut walk);
            prop_assert_eq!(&walk, &sorted);
            if let Some(&at) = sorted.get(sorted.len() / 2) {
                check_queries(&mem, root, &sorted, at);
            }
        }
        for i in 0..SLOTS {
            let at = slot(i);
            if sorted.contains(&at) || i % 4 == 0 {
                check_queries(&mem, root, &sorted, at);
            }
        }
    }
}

#[test]
fn invariant_checker_finds_damage() {
    let mut mem = FakeMem::default();
    let mut root = 0;
    for i in 0..8 {
        let cap = Capability::new(ObjType::Ram, Rights::ALL, i * 0x1000, 0x1000);
        mem.write(
            slot(i as usize),
            &Cte {
                cap,
                mdb: Default::default(),
            },
        );
        mdb::insert(&mut mem, &mut root, slot(i as usize));
    }
    assert_eq!(mdb::check_invariants(&mem, root), Ok(8));
    let damage = |f: &dyn Fn(&mut Cte)| {
        let mut m = mem.clone();
        let mut cte = m.read(root);
        f(&mut cte);
        m.write(root, &cte);
        mdb::check_invariants(&m, root)
    };
    assert_eq!(
        damage(&|c| c.mdb.subtree_end += 1),
        Err(mdb::Violation::SubtreeEnd(root))
    );
    assert_eq!(
        damage(&|c| c.mdb.level += 1),
        Err(mdb::Violation::Level(root))
    );
    assert!(matches!(
        damage(&|c| c.cap.base = 0x7000),
        Err(mdb::Violation::Order(_))
    ));
    assert_eq!(
        damage(&|c| c.cap.raw_type = 0),
        Err(mdb::Violation::EmptyNode(root))
    );
    // A cycle back to the root is out of order.
    let right = mem.read(root).mdb.right;
    let mut m = mem.clone();
    let mut cte = m.read(right);
    cte.mdb.right = root;
    m.write(right, &cte);
    assert!(mdb::check_invariants(&m, root).is_err());
}
