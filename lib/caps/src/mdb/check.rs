//! A full consistency check of the mapping database, for tests and debug
//! builds: order, AA levels, `subtree_end`, and absence of cycles.

use super::MAX_DEPTH;
use crate::order::cmp_entries;
use crate::{Capability, CteAddr, CteMemory};
use core::cmp::Ordering;

/// A broken invariant of the tree, with the CTE where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// A node of the tree holds no capability.
    EmptyNode(CteAddr),
    /// A node is not strictly between the bounds its position implies (this
    /// also catches cycles and shared subtrees).
    Order(CteAddr),
    /// An AA-tree level rule is broken at the node.
    Level(CteAddr),
    /// The node's `subtree_end` is not the largest end in its subtree.
    SubtreeEnd(CteAddr),
    /// The tree is deeper than [`super::MAX_DEPTH`].
    TooDeep(CteAddr),
}

/// Checks the whole tree under `root` and returns its number of nodes.
pub fn check_invariants<M: CteMemory>(mem: &M, root: CteAddr) -> Result<u64, Violation> {
    check(mem, root, None, None, 0).map(|(count, _)| count)
}

type Bound = Option<(Capability, CteAddr)>;

/// Checks the subtree at `t`, whose keys must lie strictly between `lo` and
/// `hi`; returns its node count and largest end.
fn check<M: CteMemory>(
    mem: &M,
    t: CteAddr,
    lo: Bound,
    hi: Bound,
    depth: u32,
) -> Result<(u64, u64), Violation> {
    if t == 0 {
        return Ok((0, 0));
    }
    if depth >= MAX_DEPTH {
        return Err(Violation::TooDeep(t));
    }
    let n = mem.read(t);
    if n.cap.is_null() {
        return Err(Violation::EmptyNode(t));
    }
    let above = lo.is_none_or(|(c, a)| cmp_entries(&n.cap, t, &c, a) == Ordering::Greater);
    let below = hi.is_none_or(|(c, a)| cmp_entries(&n.cap, t, &c, a) == Ordering::Less);
    if !above || !below {
        return Err(Violation::Order(t));
    }
    check_levels(mem, t)?;
    let (lcount, lend) = check(mem, n.mdb.left, lo, Some((n.cap, t)), depth + 1)?;
    let (rcount, rend) = check(mem, n.mdb.right, Some((n.cap, t)), hi, depth + 1)?;
    let end = n.cap.end().max(lend).max(rend);
    if n.mdb.subtree_end != end {
        return Err(Violation::SubtreeEnd(t));
    }
    Ok((lcount + rcount + 1, end))
}

/// The AA rules at one node: leaves are on level 1; a left child is one
/// level down; a right child is on the same level or one down; a right
/// grandchild is below; a node above level 1 has two children.
fn check_levels<M: CteMemory>(mem: &M, t: CteAddr) -> Result<(), Violation> {
    let level = |a: CteAddr| if a == 0 { 0 } else { mem.read(a).mdb.level };
    let n = mem.read(t).mdb;
    let (l, r) = (level(n.left), level(n.right));
    let rr = if n.right == 0 {
        0
    } else {
        level(mem.read(n.right).mdb.right)
    };
    let ok = n.level >= 1
        && l.checked_add(1) == Some(n.level)
        && (r == n.level || r.checked_add(1) == Some(n.level))
        && rr < n.level
        && (n.level == 1 || n.left != 0 && n.right != 0);
    if ok { Ok(()) } else { Err(Violation::Level(t)) }
}
