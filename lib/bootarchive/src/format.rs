//! Constants and field offsets of the archive format (see the crate docs).

/// The first eight bytes of every archive.
pub const MAGIC: [u8; 8] = *b"CFARCHV1";
/// The format version this crate reads and writes.
pub const VERSION: u32 = 1;
/// Bytes in the header.
pub const HEADER_SIZE: usize = 32;
/// Bytes in one entry of the table.
pub const ENTRY_SIZE: usize = 64;
/// Bytes in an entry's name field.
pub const NAME_CAPACITY: usize = 48;
/// Every module starts on a multiple of this.
pub const ALIGN: u64 = 4096;
/// Most entries an archive may have.
pub const MAX_ENTRIES: u32 = 1024;

pub(crate) const COUNT_AT: usize = 12;
pub(crate) const VERSION_AT: usize = 8;
pub(crate) const TOTAL_AT: usize = 16;
pub(crate) const OFFSET_IN_ENTRY: usize = NAME_CAPACITY;
pub(crate) const SIZE_IN_ENTRY: usize = NAME_CAPACITY + 8;

/// Whether `name` is a valid module name.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= NAME_CAPACITY && !name.chars().any(char::is_control)
}
