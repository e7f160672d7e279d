//! Read-only searches of the mapping database: neighbours, copies,
//! descendants, and interval queries pruned by `subtree_end`.

use super::MAX_DEPTH;
use crate::order::{cmp_entries, cmp_key, cmp_start};
use crate::{Capability, CteAddr, CteMemory};
use core::cmp::Ordering;

/// Whether the CTE at `at` is in the tree.
pub fn contains<M: CteMemory>(mem: &M, root: CteAddr, at: CteAddr) -> bool {
    let cap = mem.read(at).cap;
    let mut t = root;
    for _ in 0..MAX_DEPTH {
        if t == 0 {
            return false;
        }
        let n = mem.read(t);
        t = match cmp_entries(&cap, at, &n.cap, t) {
            Ordering::Less => n.mdb.left,
            Ordering::Greater => n.mdb.right,
            Ordering::Equal => return true,
        };
    }
    false
}

/// The entry after `at` in the order (`at` need not be in the tree).
pub fn successor<M: CteMemory>(mem: &M, root: CteAddr, at: CteAddr) -> Option<CteAddr> {
    let cap = mem.read(at).cap;
    first_where(mem, root, |c, a| {
        cmp_entries(c, a, &cap, at) == Ordering::Greater
    })
}

/// The entry before `at` in the order (`at` need not be in the tree).
pub fn predecessor<M: CteMemory>(mem: &M, root: CteAddr, at: CteAddr) -> Option<CteAddr> {
    let cap = mem.read(at).cap;
    last_where(mem, root, |c, a| {
        cmp_entries(c, a, &cap, at) == Ordering::Less
    })
}

/// Some entry holding a copy of `cap` (the first in the order), if any.
pub fn find_copy<M: CteMemory>(mem: &M, root: CteAddr, cap: &Capability) -> Option<CteAddr> {
    first_where(mem, root, |c, _| cmp_key(c, cap) != Ordering::Less)
        .filter(|&at| mem.read(at).cap.is_copy_of(cap))
}

/// Whether another entry holds a copy of the capability at `at`.
pub fn has_copies<M: CteMemory>(mem: &M, root: CteAddr, at: CteAddr) -> bool {
    let cap = mem.read(at).cap;
    let is_copy = |n: Option<CteAddr>| n.is_some_and(|n| mem.read(n).cap.is_copy_of(&cap));
    is_copy(successor(mem, root, at)) || is_copy(predecessor(mem, root, at))
}

/// The first descendant of the capability at `at` (shared by its copies)
/// in the order, if any.
pub fn first_descendant<M: CteMemory>(mem: &M, root: CteAddr, at: CteAddr) -> Option<CteAddr> {
    let cap = mem.read(at).cap;
    first_where(mem, root, |c, _| cmp_key(c, &cap) == Ordering::Greater)
        .filter(|&d| cap.is_ancestor_of(&mem.read(d).cap))
}

/// The last descendant of the capability at `at` in the order, if any. It
/// has no descendants of its own, so deleting descendants last-first never
/// orphans anything.
pub fn last_descendant<M: CteMemory>(mem: &M, root: CteAddr, at: CteAddr) -> Option<CteAddr> {
    let cap = mem.read(at).cap;
    let domain = cap.obj_type().domain();
    let end = cap.end();
    last_where(mem, root, |c, _| {
        cmp_start(c, domain, end) == Ordering::Less
    })
    .filter(|&d| {
        let dcap = mem.read(d).cap;
        cmp_key(&dcap, &cap) == Ordering::Greater && cap.is_ancestor_of(&dcap)
    })
}

/// Whether the capability at `at` (or any copy) has descendants.
pub fn has_descendants<M: CteMemory>(mem: &M, root: CteAddr, at: CteAddr) -> bool {
    first_descendant(mem, root, at).is_some()
}

/// The descendants of the capability at `at` (and of its copies), in order.
pub fn descendants<M: CteMemory>(mem: &M, root: CteAddr, at: CteAddr) -> Descendants<'_, M> {
    Descendants {
        mem,
        root,
        of: mem.read(at).cap,
        next: first_descendant(mem, root, at),
    }
}

/// Iterator over descendants; see [`descendants`]. Each step costs
/// O(log n).
#[derive(Debug)]
pub struct Descendants<'a, M> {
    mem: &'a M,
    root: CteAddr,
    of: Capability,
    next: Option<CteAddr>,
}

impl<M: CteMemory> Iterator for Descendants<'_, M> {
    type Item = CteAddr;

    fn next(&mut self) -> Option<CteAddr> {
        let current = self.next?;
        self.next = successor(self.mem, self.root, current)
            .filter(|&s| self.of.is_ancestor_of(&self.mem.read(s).cap));
        Some(current)
    }
}

/// A descendant of the capability at `at` (or of a copy) whose range
/// overlaps `[start, end)`, if any (the first in the order).
pub fn any_descendant_overlapping<M: CteMemory>(
    mem: &M,
    root: CteAddr,
    at: CteAddr,
    start: u64,
    end: u64,
) -> Option<CteAddr> {
    let cap = mem.read(at).cap;
    descendant_overlapping_where(mem, root, &cap, start, end, |_| true)
}

/// The first descendant of `of` overlapping `[start, end)` for which `pred`
/// holds.
pub(crate) fn descendant_overlapping_where<M: CteMemory>(
    mem: &M,
    root: CteAddr,
    of: &Capability,
    start: u64,
    end: u64,
    mut pred: impl FnMut(&Capability) -> bool,
) -> Option<CteAddr> {
    if of.is_null() || of.obj_type().is_leaf() {
        return None;
    }
    // Descendants lie inside `of`, so only that part of the query matters.
    let window = Window {
        domain: of.obj_type().domain(),
        start: start.max(of.base),
        end: end.min(of.end()),
    };
    let after = |c: &Capability| cmp_key(c, of) == Ordering::Greater;
    let mut matches = |c: &Capability| of.is_ancestor_of(c) && pred(c);
    walk(mem, root, &window, &after, &mut matches, 0)
}

/// Any capability of `domain` overlapping `[start, end)`.
pub(crate) fn any_in_domain_overlapping<M: CteMemory>(
    mem: &M,
    root: CteAddr,
    domain: u8,
    start: u64,
    end: u64,
) -> Option<CteAddr> {
    let window = Window { domain, start, end };
    let after = |c: &Capability| c.obj_type().domain() >= domain;
    walk(mem, root, &window, &after, &mut |_| true, 0)
}

/// A half-open range of one domain.
struct Window {
    domain: u8,
    start: u64,
    end: u64,
}

/// The first node of `t`'s subtree (in order) that comes after the lower
/// bound (`after`, monotone in the order), starts in `window`'s domain
/// before `window.end`, ends after `window.start`, and satisfies `pred`.
fn walk<M: CteMemory>(
    mem: &M,
    t: CteAddr,
    window: &Window,
    after: &impl Fn(&Capability) -> bool,
    pred: &mut impl FnMut(&Capability) -> bool,
    depth: u32,
) -> Option<CteAddr> {
    if t == 0 || depth >= MAX_DEPTH || window.start >= window.end {
        return None;
    }
    let n = mem.read(t);
    if n.mdb.subtree_end <= window.start {
        return None; // nothing below ends late enough
    }
    let is_after = after(&n.cap);
    if is_after && let Some(found) = walk(mem, n.mdb.left, window, after, pred, depth + 1) {
        return Some(found);
    }
    let before_end = cmp_start(&n.cap, window.domain, window.end) == Ordering::Less;
    let in_domain = n.cap.obj_type().domain() == window.domain;
    if is_after && before_end && in_domain && n.cap.end() > window.start && pred(&n.cap) {
        return Some(t);
    }
    if before_end {
        walk(mem, n.mdb.right, window, after, pred, depth + 1)
    } else {
        None
    }
}

/// The first node in order for which `is_after` (monotone: false, then
/// true) holds.
fn first_where<M: CteMemory>(
    mem: &M,
    root: CteAddr,
    is_after: impl Fn(&Capability, CteAddr) -> bool,
) -> Option<CteAddr> {
    let (mut t, mut best) = (root, None);
    for _ in 0..MAX_DEPTH {
        if t == 0 {
            break;
        }
        let n = mem.read(t);
        if is_after(&n.cap, t) {
            best = Some(t);
            t = n.mdb.left;
        } else {
            t = n.mdb.right;
        }
    }
    best
}

/// The last node in order for which `is_before` (monotone: true, then
/// false) holds.
fn last_where<M: CteMemory>(
    mem: &M,
    root: CteAddr,
    is_before: impl Fn(&Capability, CteAddr) -> bool,
) -> Option<CteAddr> {
    let (mut t, mut best) = (root, None);
    for _ in 0..MAX_DEPTH {
        if t == 0 {
            break;
        }
        let n = mem.read(t);
        if is_before(&n.cap, t) {
            best = Some(t);
            t = n.mdb.right;
        } else {
            t = n.mdb.left;
        }
    }
    best
}
