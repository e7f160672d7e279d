//! Access rights carried by a capability.
//!
//! Rights only ever shrink along a chain of copies: copy keeps them, mint
//! intersects them with a mask, and retype gives fresh objects all rights.

use core::fmt;

bitflags::bitflags! {
    /// A set of access rights (a bit set over [`Rights::ALL`]; bits
    /// outside it are dropped by `from_bits_truncate`).
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct Rights: u8 {
        /// Read the object (map readable, read state).
        const READ = 1;
        /// Write the object; also needed to retype memory.
        const WRITE = 2;
        /// Map the object executable.
        const EXECUTE = 4;
        /// Send the capability to others.
        const GRANT = 8;
        /// Every right.
        const ALL = Self::READ.bits() | Self::WRITE.bits() | Self::EXECUTE.bits() | Self::GRANT.bits();
    }
}

impl Rights {
    /// No rights.
    pub const NONE: Self = Self::empty();
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
