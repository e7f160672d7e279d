//! The capability system of the Corefish CPU driver.
//!
//! A capability names a typed object (a range of physical memory, a kernel
//! object made of such memory, or a range of some other resource such as I/O
//! ports) together with the rights its holder has over it. Capabilities live
//! in *capability table entries* ([`Cte`], 64 bytes) inside CNode objects in
//! physical memory. This crate owns their layout, the rules that create,
//! copy, restrict and destroy them, and the *mapping database* (MDB) that
//! remembers how they were derived from each other.
//!
//! Two properties shape the design:
//!
//! * **All state is plain memory, reached through a trait.** The crate never
//!   dereferences anything itself: every read and write of a CTE goes through
//!   [`CteMemory`] with copy semantics. The kernel implements it over its
//!   direct map; host tests implement it over a map.
//! * **All references are physical addresses of CTEs** ([`CteAddr`]), and the
//!   MDB is an intrusive tree threaded through the CTEs themselves, whose root
//!   the caller stores (the kernel keeps it in the Kernel Control Block). So
//!   the whole capability state outlives the kernel instance that built it:
//!   another kernel, or a newer one, can pick it up unchanged.
//!
//! Layering: [`types`], [`rights`] and [`cte`] describe what a capability is;
//! [`order`] defines the total order and the copy and ancestor relations;
//! [`mdb`] keeps all capabilities in that order in a balanced tree and answers
//! the derivation queries; [`ops`] implements the operations the kernel
//! offers, each of which validates everything first and changes nothing when
//! it returns a [`CapError`].

#![no_std]
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

pub mod cte;
pub mod error;
pub mod mdb;
pub mod ops;
pub mod order;
pub mod rights;
pub mod types;

pub use cte::{
    CTE_SIZE, Capability, Cte, CteAddr, CteMemory, FLAG_COPY, FLAG_EXPORTED, FLAG_FOREIGN,
    FLAG_REVOKING, MdbNode,
};
pub use error::CapError;
pub use ops::Deleted;
pub use rights::Rights;
pub use types::{
    DISPATCHER_SIZE, KCB_SIZE, L2_SLOTS, L2CNODE_SIZE, MAX_L1_SLOTS, MAX_RETYPE_COUNT,
    MIN_L1_SLOTS, ObjType, PAGE_SIZE, VNODE_SIZE,
};
