//! Access rights carried by a capability.
//!
//! Rights only ever shrink along a chain of copies: copy keeps them, mint
//! intersects them with a mask, and retype gives fresh objects all rights.

use core::fmt;

/// A set of access rights (a bit set over [`Rights::ALL`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rights(u8);

impl Rights {
    /// No rights.
    pub const NONE: Self = Self(0);
    /// Read the object (map readable, read state).
    pub const READ: Self = Self(1);
    /// Write the object; also needed to retype memory.
    pub const WRITE: Self = Self(2);
    /// Map the object executable.
    pub const EXECUTE: Self = Self(4);
    /// Send the capability to others.
    pub const GRANT: Self = Self(8);
    /// Every right.
    pub const ALL: Self = Self(15);

    /// The rights named by `bits`; bits outside [`Rights::ALL`] are dropped.
    pub const fn from_bits_truncate(bits: u8) -> Self {
        Self(bits & Self::ALL.0)
    }

    /// The bit pattern.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every right in `other` is in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The rights in both `self` and `other`.
    pub const fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// The rights in either `self` or `other`.
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

impl fmt::Debug for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (Self::READ, 'R'),
            (Self::WRITE, 'W'),
            (Self::EXECUTE, 'X'),
            (Self::GRANT, 'G'),
        ];
        f.write_str("Rights(")?;
        for (right, name) in names {
            let c = if self.contains(right) { name } else { '-' };
            fmt::Write::write_char(f, c)?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::Rights;

    #[test]
    fn set_operations() {
        let rw = Rights::READ.union(Rights::WRITE);
        assert!(rw.contains(Rights::READ));
        assert!(!rw.contains(Rights::GRANT));
        assert!(Rights::ALL.contains(rw));
        assert!(rw.contains(Rights::NONE));
        assert_eq!(
            rw.intersection(Rights::WRITE.union(Rights::GRANT)),
            Rights::WRITE
        );
        assert_eq!(Rights::from_bits_truncate(0xff), Rights::ALL);
        assert_eq!(Rights::from_bits_truncate(0x12).bits(), 2);
    }

    #[test]
    fn debug_names_rights() {
        extern crate std;
        use std::format;
        assert_eq!(
            format!("{:?}", Rights::READ.union(Rights::GRANT)),
            "Rights(R--G)"
        );
    }
}
