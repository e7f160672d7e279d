//! Insertion into and removal from the AA tree, with the rotations (skew,
//! split) that keep it balanced and the `subtree_end` augmentation correct.
//!
//! Nodes are CTEs, so a removed node cannot be replaced by copying another
//! node's value into it (values are where they are): removal relinks the
//! in-order neighbour into the removed node's place instead.

use super::MAX_DEPTH;
use crate::{Capability, CteAddr, CteMemory, MdbNode, order::cmp_entries};
use core::cmp::Ordering;

/// Inserts the CTE at `at`, which must hold a capability and not be in the
/// tree yet. Does nothing for address 0 or an empty CTE.
pub fn insert<M: CteMemory>(mem: &mut M, root: &mut CteAddr, at: CteAddr) {
    if at == 0 {
        return;
    }
    let cap = mem.read(at).cap;
    if cap.is_null() {
        return;
    }
    *root = insert_below(mem, *root, at, &cap, 0);
}

/// Removes the CTE at `at` from the tree and clears its links (its
/// capability stays). Returns whether it was found.
pub fn remove<M: CteMemory>(mem: &mut M, root: &mut CteAddr, at: CteAddr) -> bool {
    if at == 0 {
        return false;
    }
    let cap = mem.read(at).cap;
    let mut found = false;
    *root = remove_below(mem, *root, at, &cap, 0, &mut found);
    found
}

fn insert_below<M: CteMemory>(
    mem: &mut M,
    t: CteAddr,
    x: CteAddr,
    xcap: &Capability,
    depth: u32,
) -> CteAddr {
    if t == 0 {
        modify(mem, x, |n| {
            *n = MdbNode {
                left: 0,
                right: 0,
                subtree_end: xcap.end(),
                level: 1,
                flags: n.flags,
            }
        });
        return x;
    }
    if depth >= MAX_DEPTH {
        return t;
    }
    let n = mem.read(t);
    match cmp_entries(xcap, x, &n.cap, t) {
        Ordering::Less => {
            let l = insert_below(mem, n.mdb.left, x, xcap, depth + 1);
            modify(mem, t, |m| m.left = l);
        }
        Ordering::Greater => {
            let r = insert_below(mem, n.mdb.right, x, xcap, depth + 1);
            modify(mem, t, |m| m.right = r);
        }
        Ordering::Equal => return t,
    }
    update(mem, t);
    let t = skew(mem, t);
    split(mem, t)
}

fn remove_below<M: CteMemory>(
    mem: &mut M,
    t: CteAddr,
    x: CteAddr,
    xcap: &Capability,
    depth: u32,
    found: &mut bool,
) -> CteAddr {
    if t == 0 || depth >= MAX_DEPTH {
        return t;
    }
    let n = mem.read(t);
    let t = match cmp_entries(xcap, x, &n.cap, t) {
        Ordering::Less => {
            let l = remove_below(mem, n.mdb.left, x, xcap, depth + 1, found);
            modify(mem, t, |m| m.left = l);
            t
        }
        Ordering::Greater => {
            let r = remove_below(mem, n.mdb.right, x, xcap, depth + 1, found);
            modify(mem, t, |m| m.right = r);
            t
        }
        Ordering::Equal => {
            *found = true;
            let replacement = replace(mem, &n.mdb, depth);
            modify(mem, t, |m| {
                *m = MdbNode {
                    flags: m.flags,
                    ..MdbNode::default()
                }
            });
            if replacement == 0 {
                return 0;
            }
            replacement
        }
    };
    rebalance(mem, t)
}

/// Takes the in-order neighbour of a node with links `links` out of the
/// node's subtree and gives it the node's place (links and level). Returns
/// the neighbour, or 0 for a leaf.
fn replace<M: CteMemory>(mem: &mut M, links: &MdbNode, depth: u32) -> CteAddr {
    let (left, right) = (links.left, links.right);
    if left == 0 && right == 0 {
        return 0;
    }
    let mut ignored = false;
    let s = if left == 0 {
        extreme(mem, right, |m| m.left)
    } else {
        extreme(mem, left, |m| m.right)
    };
    let scap = mem.read(s).cap;
    let (left, right) = if left == 0 {
        (
            0,
            remove_below(mem, right, s, &scap, depth + 1, &mut ignored),
        )
    } else {
        (
            remove_below(mem, left, s, &scap, depth + 1, &mut ignored),
            right,
        )
    };
    modify(mem, s, |m| {
        m.left = left;
        m.right = right;
        m.level = links.level;
    });
    s
}

/// The last node reached from `t` by following `next`.
fn extreme<M: CteMemory>(mem: &M, mut t: CteAddr, next: impl Fn(&MdbNode) -> CteAddr) -> CteAddr {
    for _ in 0..MAX_DEPTH {
        let n = next(&mem.read(t).mdb);
        if n == 0 {
            break;
        }
        t = n;
    }
    t
}

/// Restores the AA properties at `t` after a removal below it.
fn rebalance<M: CteMemory>(mem: &mut M, t: CteAddr) -> CteAddr {
    update(mem, t);
    let n = mem.read(t).mdb;
    let should_be = level(mem, n.left)
        .min(level(mem, n.right))
        .saturating_add(1);
    if should_be < n.level {
        modify(mem, t, |m| m.level = should_be);
        if n.right != 0 && should_be < level(mem, n.right) {
            modify(mem, n.right, |m| m.level = should_be);
        }
    }
    let t = skew(mem, t);
    let r = skew(mem, right(mem, t));
    modify(mem, t, |m| m.right = r);
    if r != 0 {
        let rr = skew(mem, right(mem, r));
        modify(mem, r, |m| m.right = rr);
    }
    let t = split(mem, t);
    let r = split(mem, right(mem, t));
    modify(mem, t, |m| m.right = r);
    t
}

/// Rotates right when `t`'s left child is on `t`'s level.
fn skew<M: CteMemory>(mem: &mut M, t: CteAddr) -> CteAddr {
    if t == 0 {
        return 0;
    }
    let tn = mem.read(t).mdb;
    let l = tn.left;
    if l == 0 || level(mem, l) != tn.level {
        return t;
    }
    let l_right = mem.read(l).mdb.right;
    modify(mem, t, |m| m.left = l_right);
    update(mem, t);
    modify(mem, l, |m| m.right = t);
    update(mem, l);
    l
}

/// Rotates left and raises the middle node when `t` has two right
/// descendants on its level.
fn split<M: CteMemory>(mem: &mut M, t: CteAddr) -> CteAddr {
    if t == 0 {
        return 0;
    }
    let tn = mem.read(t).mdb;
    let r = tn.right;
    if r == 0 {
        return t;
    }
    let rn = mem.read(r).mdb;
    if rn.right == 0 || level(mem, rn.right) != tn.level {
        return t;
    }
    modify(mem, t, |m| m.right = rn.left);
    update(mem, t);
    modify(mem, r, |m| {
        m.left = t;
        m.level = m.level.saturating_add(1);
    });
    update(mem, r);
    r
}

/// Recomputes `subtree_end` of `t` from its capability and children.
fn update<M: CteMemory>(mem: &mut M, t: CteAddr) {
    let n = mem.read(t);
    let end = n
        .cap
        .end()
        .max(subtree_end(mem, n.mdb.left))
        .max(subtree_end(mem, n.mdb.right));
    if n.mdb.subtree_end != end {
        modify(mem, t, |m| m.subtree_end = end);
    }
}

fn modify<M: CteMemory>(mem: &mut M, at: CteAddr, f: impl FnOnce(&mut MdbNode)) {
    let mut cte = mem.read(at);
    f(&mut cte.mdb);
    mem.write(at, &cte);
}

fn level<M: CteMemory>(mem: &M, t: CteAddr) -> u32 {
    if t == 0 { 0 } else { mem.read(t).mdb.level }
}

fn right<M: CteMemory>(mem: &M, t: CteAddr) -> CteAddr {
    if t == 0 { 0 } else { mem.read(t).mdb.right }
}

fn subtree_end<M: CteMemory>(mem: &M, t: CteAddr) -> u64 {
    if t == 0 {
        0
    } else {
        mem.read(t).mdb.subtree_end
    }
}
