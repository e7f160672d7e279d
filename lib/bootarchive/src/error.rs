//! Why an archive was refused.

/// Why an archive could not be read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveError {
    /// Fewer bytes than the header (or the entry table) needs.
    Truncated {
        /// Bytes needed.
        needed: u64,
        /// Bytes available.
        available: u64,
    },
    /// The first eight bytes are not `CFARCHV1`.
    BadMagic,
    /// A format version this reader does not know.
    UnsupportedVersion {
        /// The version found.
        found: u32,
    },
    /// More entries than [`crate::MAX_ENTRIES`].
    TooManyEntries {
        /// The count found.
        count: u32,
    },
    /// An entry's data lies (partly) outside the archive or inside its
    /// header and table.
    OutOfRange {
        /// Index of the entry.
        index: u32,
    },
    /// An entry's data does not start on a 4096-byte boundary.
    Misaligned {
        /// Index of the entry.
        index: u32,
    },
    /// Two entries' data overlap.
    Overlap {
        /// Index of the first entry.
        first: u32,
        /// Index of the second entry.
        second: u32,
    },
    /// An entry's name is empty, too long, not UTF-8 or has control
    /// characters.
    BadName {
        /// Index of the entry.
        index: u32,
    },
    /// Two entries have the same name.
    DuplicateName {
        /// Index of the later entry.
        index: u32,
    },
}

impl core::fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Self::Truncated { needed, available } => {
                write!(
                    f,
                    "archive truncated: needs {needed} bytes, has {available}"
                )
            }
            Self::BadMagic => f.write_str("not a Corefish boot archive (bad magic)"),
            Self::UnsupportedVersion { found } => write!(f, "unsupported archive version {found}"),
            Self::TooManyEntries { count } => {
                write!(f, "{count} entries, at most {} allowed", crate::MAX_ENTRIES)
            }
            Self::OutOfRange { index } => {
                write!(f, "entry {index} lies outside the archive's data area")
            }
            Self::Misaligned { index } => {
                write!(f, "entry {index} does not start on a 4096-byte boundary")
            }
            Self::Overlap { first, second } => write!(f, "entries {first} and {second} overlap"),
            Self::BadName { index } => write!(f, "entry {index} has an invalid name"),
            Self::DuplicateName { index } => write!(f, "entry {index} repeats an earlier name"),
        }
    }
}
