//! The mapping database (MDB): every capability in one ordered, balanced,
//! intrusive search tree.
//!
//! The tree is an AA tree (Andersson, 1993) threaded through
//! [`crate::Cte::mdb`] and ordered by [`crate::order::cmp_entries`]. Each node
//! also records the largest range end in its subtree
//! ([`crate::MdbNode::subtree_end`]), which turns it into an interval tree:
//! "is there a descendant of `c` overlapping this range" costs O(log n + k).
//! The caller owns the root (the kernel keeps it in the Kernel Control
//! Block); mutating functions take it as `&mut CteAddr`.
//!
//! Recursion is bounded by [`MAX_DEPTH`], far above the height of any AA
//! tree that fits in memory; a deeper (hence corrupt) tree makes operations
//! stop early instead of overflowing the stack, and [`check_invariants`]
//! reports it.
//!
//! The functions here trust their caller about membership: [`insert`] expects
//! a non-empty CTE that is not in the tree yet. The checked operations of
//! [`crate::ops`] are the interface for everything else.

mod check;
mod query;
mod tree;

pub use check::{Violation, check_invariants};
pub use query::{
    Descendants, any_descendant_overlapping, contains, descendants, find_copy, first_descendant,
    has_copies, has_descendants, last_descendant, predecessor, successor,
};
pub(crate) use query::{any_in_domain_overlapping, descendant_overlapping_where};
pub use tree::{insert, remove};

/// Deepest recursion any tree walk performs. An AA tree of height `h` holds
/// at least `2^(h/2) - 1` nodes, so 128 levels allow 2^64 of them.
pub const MAX_DEPTH: u32 = 128;
