//! The total order of the mapping database and the copy and ancestor
//! relations.
//!
//! Capabilities compare, in this sequence, by:
//!
//! 1. domain ([`ObjType::domain`]: all physical types share one);
//! 2. `base`, ascending;
//! 3. `size`, *descending* (bigger ranges first, so ancestors precede
//!    descendants);
//! 4. type rank ([`ObjType::rank`]), ascending;
//! 5. type number, ascending;
//! 6. discriminator ([`discriminator`]), ascending;
//! 7. the CTE address ([`cmp_entries`] only), so copies are distinct keys.
//!
//! Two capabilities are *copies* when they are equal in 1-6 (rights and
//! badge may differ). `a` is an *ancestor* of `b` when they share a domain,
//! `a` is not a leaf type ([`ObjType::is_leaf`]), `b`'s range lies inside
//! `a`'s, and `b`'s range is strictly smaller or equal with a greater rank.
//! Retype and derive keep the invariant that two overlapping non-leaf
//! capabilities are copies or one is the other's ancestor, and that a leaf
//! lies inside its parent and overlaps no non-leaf capability except its
//! ancestors; so the descendants of `c` are exactly the capabilities that
//! follow all copies of `c` in this order while they start inside `c`.

use crate::{Capability, CteAddr, ObjType};
use core::cmp::Ordering;

/// What distinguishes caps of one type and range: the endpoint index of an
/// `EndPoint`, the page-table entry of a `Mapping`, 0 for other types.
pub const fn discriminator(cap: &Capability) -> u64 {
    match cap.obj_type() {
        ObjType::EndPoint => cap.extra as u64,
        ObjType::Mapping => cap.word,
        _ => 0,
    }
}

/// Orders capabilities by the keys 1-6 (equal means "copies").
pub fn cmp_key(a: &Capability, b: &Capability) -> Ordering {
    let (ta, tb) = (a.obj_type(), b.obj_type());
    ta.domain()
        .cmp(&tb.domain())
        .then(a.base.cmp(&b.base))
        .then(b.size.cmp(&a.size))
        .then(ta.rank().cmp(&tb.rank()))
        .then((ta as u8).cmp(&(tb as u8)))
        .then(discriminator(a).cmp(&discriminator(b)))
}

/// The total order of the mapping database: [`cmp_key`], then CTE address.
pub fn cmp_entries(a: &Capability, a_at: CteAddr, b: &Capability, b_at: CteAddr) -> Ordering {
    cmp_key(a, b).then(a_at.cmp(&b_at))
}

/// Orders a capability against a position `(domain, base)`: whether it
/// starts before, at or after it.
pub fn cmp_start(cap: &Capability, domain: u8, base: u64) -> Ordering {
    cap.obj_type()
        .domain()
        .cmp(&domain)
        .then(cap.base.cmp(&base))
}

impl Capability {
    /// Whether `self` and `other` name the same object (equal in keys 1-6).
    /// Empty capabilities are copies of nothing.
    pub fn is_copy_of(&self, other: &Capability) -> bool {
        !self.is_null() && !other.is_null() && cmp_key(self, other) == Ordering::Equal
    }

    /// Whether `self` is an ancestor of `other` (see the module docs).
    pub fn is_ancestor_of(&self, other: &Capability) -> bool {
        let (ta, tb) = (self.obj_type(), other.obj_type());
        if self.is_null() || other.is_null() || ta.is_leaf() || ta.domain() != tb.domain() {
            return false;
        }
        let inside = other.base >= self.base && other.end() <= self.end();
        let same_range = other.base == self.base && other.size == self.size;
        inside && (other.size < self.size || same_range && tb.rank() > ta.rank())
    }

    /// Whether the two capabilities share a domain and their ranges share a
    /// value.
    pub fn overlaps(&self, other: &Capability) -> bool {
        self.obj_type().domain() == other.obj_type().domain()
            && self.base < other.end()
            && other.base < self.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Rights, types::PAGE_SIZE};

    fn cap(ty: ObjType, base: u64, size: u64) -> Capability {
        Capability::new(ty, Rights::ALL, base, size)
    }

    #[test]
    fn order_follows_the_key_sequence() {
        let ram = cap(ObjType::Ram, 0x1000, 0x4000);
        let phys = cap(ObjType::PhysAddr, 0x1000, 0x4000);
        let frame = cap(ObjType::Frame, 0x1000, 0x4000);
        let small = cap(ObjType::Frame, 0x1000, 0x1000);
        let later = cap(ObjType::Ram, 0x2000, 0x1000);
        let io = cap(ObjType::Io, 0, 1);
        assert_eq!(cmp_key(&phys, &ram), Ordering::Less); // rank
        assert_eq!(cmp_key(&ram, &frame), Ordering::Less); // rank
        assert_eq!(cmp_key(&frame, &small), Ordering::Less); // size descending
        assert_eq!(cmp_key(&small, &later), Ordering::Less); // base
        assert_eq!(cmp_key(&later, &io), Ordering::Less); // domain
        let cnode = cap(ObjType::L2CNode, 0x1000, 0x4000);
        assert_eq!(cmp_key(&frame, &cnode), Ordering::Less); // type number
        let ep1 = cap(ObjType::EndPoint, 0, 1024).with_extra(1);
        let ep2 = cap(ObjType::EndPoint, 0, 1024).with_extra(2).with_word(0);
        assert_eq!(cmp_key(&ep1, &ep2), Ordering::Less); // discriminator
        assert_eq!(cmp_entries(&ram, 64, &ram, 128), Ordering::Less); // address
    }

    #[test]
    fn copies_ignore_rights_and_badge() {
        let ep = cap(ObjType::EndPoint, 0, 1024).with_extra(3);
        let mut minted = ep.with_word(77);
        minted.rights = Rights::READ.bits();
        assert!(ep.is_copy_of(&minted));
        assert!(!ep.is_copy_of(&ep.with_extra(4)));
        assert!(!Capability::NULL.is_copy_of(&Capability::NULL));
        let m = cap(ObjType::Mapping, 0, PAGE_SIZE).with_word(0x5000);
        assert!(!m.is_copy_of(&m.with_word(0x5001)));
        assert!(m.is_copy_of(&m.with_extra(9)));
    }

    #[test]
    fn ancestors() {
        let phys = cap(ObjType::PhysAddr, 0, 0x10000);
        let ram = cap(ObjType::Ram, 0, 0x10000);
        let frame = cap(ObjType::Frame, 0x4000, 0x1000);
        let map = cap(ObjType::Mapping, 0x4000, 0x1000);
        let map_small = cap(ObjType::Mapping, 0x4000, 0x800);
        assert!(phys.is_ancestor_of(&ram));
        assert!(!ram.is_ancestor_of(&phys));
        assert!(ram.is_ancestor_of(&frame));
        assert!(frame.is_ancestor_of(&map));
        assert!(!frame.is_ancestor_of(&frame));
        assert!(!map.is_ancestor_of(&map_small)); // leaves have no descendants
        assert!(!ram.is_ancestor_of(&cap(ObjType::Ram, 0x8000, 0x10000)));
        assert!(!ram.is_ancestor_of(&cap(ObjType::Io, 0, 1)));
    }

    #[test]
    fn overlap_needs_a_shared_domain() {
        let ram = cap(ObjType::Ram, 0, 0x1000);
        assert!(ram.overlaps(&cap(ObjType::Frame, 0xfff, 1)));
        assert!(!ram.overlaps(&cap(ObjType::Frame, 0x1000, 1)));
        assert!(!ram.overlaps(&cap(ObjType::Io, 0, 0x1000)));
    }

    #[test]
    fn start_positions() {
        let io = cap(ObjType::Io, 5, 1);
        assert_eq!(cmp_start(&io, ObjType::Io as u8, 5), Ordering::Equal);
        assert_eq!(cmp_start(&io, 0, u64::MAX), Ordering::Greater);
        assert_eq!(cmp_start(&io, ObjType::Io as u8, 6), Ordering::Less);
    }
}
