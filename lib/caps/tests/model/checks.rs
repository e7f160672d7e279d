//! The checks the model test runs after every step, and on every slot a
//! delete has just emptied.

use super::Run;
use crate::common::slot;
use crate::reference::{SLOTS, is_leaf, is_physical};
use caps::{CapError, Capability, ObjType, Rights, mdb, ops};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

impl Run {
    /// After a delete: everything that needs a capability in the slot fails
    /// with `SlotEmpty` and changes nothing.
    pub(crate) fn check_empty_slot_refuses(&mut self, s: usize) -> Result<(), TestCaseError> {
        let (at, free) = (slot(s), slot((s + 1) % SLOTS));
        let sys = &mut self.sys;
        let mapping = Capability::new(ObjType::Mapping, Rights::ALL, 0, 4096);
        let errs = [
            sys.fails(|m, _| ops::identify(m, at)),
            sys.fails(|m, r| ops::copy(m, r, at, free)),
            sys.fails(|m, r| ops::mint(m, r, at, free, Rights::ALL, 1)),
            sys.fails(|m, r| ops::delete(m, r, at)),
            sys.fails(|m, r| ops::revoke(m, r, at, |_, _| {})),
            sys.fails(|m, r| ops::revoke_step(m, r, at)),
            sys.fails(|m, r| ops::retype(m, r, at, ObjType::Frame, 0, 4096, 1, &[free])),
            sys.fails(|m, r| ops::derive(m, r, at, mapping, free)),
        ];
        prop_assert!(errs.iter().all(|&e| e == CapError::SlotEmpty), "{:?}", errs);
        Ok(())
    }

    pub(crate) fn check_state(&self) -> Result<(), TestCaseError> {
        let (sys, m) = (&self.sys, &self.model);
        let live = sys.live();
        prop_assert_eq!(
            live.len(),
            m.live().count(),
            "caps outside the model's slots"
        );
        for s in 0..SLOTS {
            prop_assert_eq!(
                ops::identify(&sys.mem, slot(s)).ok(),
                m.cap(s),
                "slot {}",
                s
            );
        }
        prop_assert_eq!(
            mdb::check_invariants(&sys.mem, sys.root),
            Ok(live.len() as u64)
        );
        let caps: Vec<(usize, Capability, usize)> = m
            .live()
            .map(|(s, c)| (s, m.cap(s).unwrap_or_default(), c.obj))
            .collect();
        for &(sa, a, oa) in &caps {
            for &(sb, b, ob) in &caps {
                if sa == sb {
                    continue;
                }
                prop_assert_eq!(a.is_copy_of(&b), oa == ob, "copy relation {} {}", sa, sb);
                let below = m.below(oa, ob);
                prop_assert_eq!(
                    a.is_ancestor_of(&b),
                    below,
                    "ancestor relation {} {}",
                    sa,
                    sb
                );
                if overlap(&a, &b) && oa != ob {
                    let leaves = is_leaf(a.obj_type()) && is_leaf(b.obj_type());
                    prop_assert!(
                        leaves || below || m.below(ob, oa),
                        "unrelated overlap {} {}",
                        sa,
                        sb
                    );
                    let objects = |t: ObjType| t.rank() == 2;
                    if objects(a.obj_type()) && objects(b.obj_type()) {
                        let frames = a.obj_type() == b.obj_type()
                            && matches!(a.obj_type(), ObjType::Frame | ObjType::DevFrame);
                        prop_assert!(frames, "kernel objects overlap: {} {}", sa, sb);
                    }
                }
            }
            let at = slot(sa);
            prop_assert_eq!(
                mdb::has_copies(&sys.mem, sys.root, at),
                !m.copies(sa).is_empty()
            );
            let descendants = m.descendants(sa);
            prop_assert_eq!(
                mdb::has_descendants(&sys.mem, sys.root, at),
                !descendants.is_empty()
            );
        }
        Ok(())
    }
}

/// Whether two caps' ranges share a value in the same number space.
fn overlap(a: &Capability, b: &Capability) -> bool {
    let (ta, tb) = (a.obj_type(), b.obj_type());
    let same_space = if is_physical(ta) {
        is_physical(tb)
    } else {
        ta == tb
    };
    same_space && a.base < b.base + b.size && b.base < a.base + a.size
}
