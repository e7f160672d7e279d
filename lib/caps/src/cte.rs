//! The in-memory layout of capabilities and capability table entries, and
//! the trait through which the crate reaches them.
//!
//! Everything here is `#[repr(C)]` and made of plain integers, so any bit
//! pattern read from memory is a valid value: an unknown type number decodes
//! as an empty slot, and nothing else is interpreted without checking.

use crate::{ObjType, Rights};

/// Physical address of a CTE; 0 means "none".
pub type CteAddr = u64;

/// Bytes of one CTE.
pub const CTE_SIZE: u64 = 64;

/// [`Capability::flags`]: a copy of a capability another OSNode owns, made
/// by this OSNode's monitor ([`crate::ops::import`]). It names memory this
/// OSNode does not own, so it cannot be retyped or exported; its copies
/// carry the flag too.
pub const FLAG_FOREIGN: u8 = 1;
/// [`Capability::flags`]: the monitor's *anchor* for a capability that has
/// copies on other OSNodes ([`crate::ops::set_exported`]). It cannot be
/// deleted, alone or by a revoke, until the monitor has revoked the copies
/// elsewhere and cleared the flag; copies made from it do not carry it.
pub const FLAG_EXPORTED: u8 = 2;
/// [`Capability::flags`]: made by copy or mint (an LMP transfer is a copy),
/// not by retype or by the kernel. Its holder may delete it, never revoke
/// with it: a capability someone was given cannot take the giver's (or
/// anyone else's) away. Copies of it are copies too.
pub const FLAG_COPY: u8 = 4;
/// [`Capability::flags`]: on an exported anchor, set by a revoke of an
/// original that would delete it: the holder of an original asked for its
/// copies on other OSNodes to go, which is what lets the monitor revoke
/// them ([`crate::ops::mark_revoking`]). Copies do not carry it.
pub const FLAG_REVOKING: u8 = 8;

/// A capability: the typed object it names and the holder's rights.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Capability {
    /// [`ObjType`] as a number; decode with [`Capability::obj_type`].
    pub raw_type: u8,
    /// [`Rights`] bits.
    pub rights: u8,
    /// [`FLAG_FOREIGN`], [`FLAG_EXPORTED`].
    pub flags: u8,
    /// Reserved, 0.
    pub reserved: u8,
    /// Type-specific (see [`crate::types`]).
    pub extra: u32,
    /// First address (or number) of the named range.
    pub base: u64,
    /// Length of the named range.
    pub size: u64,
    /// Type-specific (see [`crate::types`]).
    pub word: u64,
}

/// The mapping-database links of a CTE (an intrusive AA-tree node).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct MdbNode {
    /// Left child (smaller keys).
    pub left: CteAddr,
    /// Right child (greater keys).
    pub right: CteAddr,
    /// Largest [`Capability::end`] in this node's subtree.
    pub subtree_end: u64,
    /// AA-tree level; 0 when not in the tree.
    pub level: u32,
    /// Reserved, 0.
    pub flags: u32,
}

/// A capability table entry: one slot of a CNode.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Cte {
    /// The capability in the slot (type `Null` when empty).
    pub cap: Capability,
    /// Its links in the mapping database.
    pub mdb: MdbNode,
}

const _: () = {
    assert!(size_of::<Capability>() == 32);
    assert!(size_of::<MdbNode>() == 32);
    assert!(size_of::<Cte>() == CTE_SIZE as usize);
    assert!(core::mem::offset_of!(Capability, base) == 8);
    assert!(core::mem::offset_of!(Capability, word) == 24);
    assert!(core::mem::offset_of!(MdbNode, level) == 24);
    assert!(core::mem::offset_of!(Cte, mdb) == 32);
};

/// How the crate reads and writes CTEs. Copy semantics: no reference into
/// the underlying memory ever escapes an implementation.
pub trait CteMemory {
    /// The CTE at physical address `at`.
    fn read(&self, at: CteAddr) -> Cte;
    /// Overwrites the CTE at physical address `at`.
    fn write(&mut self, at: CteAddr, cte: &Cte);
}

impl Cte {
    /// An empty slot.
    pub const NULL: Self = Self {
        cap: Capability::NULL,
        mdb: MdbNode {
            left: 0,
            right: 0,
            subtree_end: 0,
            level: 0,
            flags: 0,
        },
    };
}

impl Capability {
    /// The empty capability.
    pub const NULL: Self = Self {
        raw_type: 0,
        rights: 0,
        flags: 0,
        reserved: 0,
        extra: 0,
        base: 0,
        size: 0,
        word: 0,
    };

    /// A capability of type `ty` for `[base, base + size)` with `rights`;
    /// `extra` and `word` are 0.
    pub const fn new(ty: ObjType, rights: Rights, base: u64, size: u64) -> Self {
        Self {
            raw_type: ty as u8,
            rights: rights.bits(),
            flags: 0,
            reserved: 0,
            extra: 0,
            base,
            size,
            word: 0,
        }
    }

    /// Whether it is a copy of another OSNode's capability.
    pub const fn is_foreign(&self) -> bool {
        self.flags & FLAG_FOREIGN != 0
    }

    /// Whether it anchors copies on other OSNodes.
    pub const fn is_exported(&self) -> bool {
        self.flags & FLAG_EXPORTED != 0
    }

    /// Whether it is a copy ([`FLAG_COPY`]): it cannot revoke.
    pub const fn is_copy(&self) -> bool {
        self.flags & FLAG_COPY != 0
    }

    /// The same capability with `extra` set.
    pub const fn with_extra(mut self, extra: u32) -> Self {
        self.extra = extra;
        self
    }

    /// The same capability with `word` set.
    pub const fn with_word(mut self, word: u64) -> Self {
        self.word = word;
        self
    }

    /// The type; unknown type numbers read as [`ObjType::Null`].
    pub const fn obj_type(&self) -> ObjType {
        match ObjType::from_raw(self.raw_type) {
            Some(t) => t,
            None => ObjType::Null,
        }
    }

    /// Whether the slot is empty (type `Null` or unknown).
    pub const fn is_null(&self) -> bool {
        matches!(self.obj_type(), ObjType::Null)
    }

    /// The rights (unknown bits dropped).
    pub const fn rights(&self) -> Rights {
        Rights::from_bits_truncate(self.rights)
    }

    /// One past the end of the named range (saturating).
    pub const fn end(&self) -> u64 {
        self.base.saturating_add(self.size)
    }

    /// The badge of an endpoint (0 = unbadged); 0 for other types.
    pub const fn badge(&self) -> u64 {
        match self.obj_type() {
            ObjType::EndPoint => self.word,
            _ => 0,
        }
    }
}
