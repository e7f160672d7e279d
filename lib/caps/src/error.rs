//! Why a capability operation was refused.
//!
//! Every operation in [`crate::ops`] checks all of its arguments before it
//! changes anything, so an error always means "nothing happened".

use core::fmt;

/// Why a capability operation was refused. A refused operation changes
/// nothing. Each variant has exactly one meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CapError {
    /// A CNode index is beyond the CNode's slot count.
    SlotOutOfRange,
    /// A capability address walks through something that is not a CNode of
    /// the expected level (an empty L1 slot, a non-L2 cap in an L1 slot, or a
    /// root that is not an L1 CNode).
    NotACNode,
    /// The slot an operation acts on holds no capability.
    SlotEmpty,
    /// A destination slot already holds a capability.
    SlotOccupied,
    /// The operation needs a capability of another type (for example, only
    /// root types can be created from nothing).
    WrongType,
    /// The source type cannot be retyped into the requested type.
    IllegalRetype,
    /// An offset, size or base is not aligned as the type requires.
    Misaligned,
    /// An object size is zero, not the size the type requires, or (when
    /// retyping into the same type) not strictly smaller than the source.
    BadSize,
    /// The object count is zero, too large, or does not match the number of
    /// destination slots.
    BadCount,
    /// The requested range does not fit inside the source, or overflows.
    OutOfBounds,
    /// The new objects would overlap existing descendants of the source (or,
    /// for a root, any existing capability).
    Overlap,
    /// The source capability lacks a right the operation needs.
    InsufficientRights,
    /// This type of capability cannot be copied or minted.
    NotCopyable,
    /// The child is not a valid kernel-derived descendant of the parent
    /// (wrong type pair, range not inside, or it already exists).
    NotDerivable,
    /// A malformed argument: a badge where none is allowed, a second badge,
    /// a null slot address, or a destination slot named twice.
    BadArgument,
    /// The operation would delete a capability that has copies on other
    /// OSNodes ([`crate::FLAG_EXPORTED`]): the monitor must revoke those first.
    Exported,
    /// The capability is a copy of another OSNode's ([`crate::FLAG_FOREIGN`]),
    /// which cannot be retyped or exported.
    Foreign,
    /// The capability is a copy ([`crate::FLAG_COPY`]): only an original
    /// may revoke.
    NotOriginal,
}

impl fmt::Display for CapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SlotOutOfRange => "slot index beyond the CNode",
            Self::NotACNode => "not a CNode of the expected level",
            Self::SlotEmpty => "slot holds no capability",
            Self::SlotOccupied => "destination slot is occupied",
            Self::WrongType => "capability of the wrong type",
            Self::IllegalRetype => "source cannot be retyped into this type",
            Self::Misaligned => "offset, size or base misaligned",
            Self::BadSize => "object size invalid for the type",
            Self::BadCount => "object count invalid",
            Self::OutOfBounds => "range outside the source",
            Self::Overlap => "range overlaps existing descendants",
            Self::InsufficientRights => "insufficient rights",
            Self::NotCopyable => "capability type cannot be copied",
            Self::NotDerivable => "not a valid derived capability of the parent",
            Self::BadArgument => "malformed argument",
            Self::Exported => "capability has copies on other OSNodes",
            Self::Foreign => "capability belongs to another OSNode",
            Self::NotOriginal => "a copy cannot revoke",
        })
    }
}
