//! Reading and validating an archive.

use crate::ArchiveError;
use crate::format::{
    ALIGN, COUNT_AT, ENTRY_SIZE, HEADER_SIZE, MAGIC, MAX_ENTRIES, NAME_CAPACITY, OFFSET_IN_ENTRY,
    SIZE_IN_ENTRY, TOTAL_AT, VERSION, VERSION_AT, valid_name,
};

/// A validated archive borrowed from memory.
#[derive(Debug, Clone, Copy)]
pub struct Archive<'a> {
    bytes: &'a [u8],
    count: u32,
}

/// One module of an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Module<'a> {
    /// The module's name.
    pub name: &'a str,
    /// Offset of its data from the start of the archive (a multiple of 4096).
    pub offset: u64,
    /// Its data.
    pub data: &'a [u8],
}

impl<'a> Archive<'a> {
    /// Validates `bytes` as an archive. Bytes beyond the recorded total
    /// length are ignored (boot loaders may round the size up).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ArchiveError> {
        let available = bytes.len() as u64;
        if bytes.len() < HEADER_SIZE {
            return Err(ArchiveError::Truncated {
                needed: HEADER_SIZE as u64,
                available,
            });
        }
        if bytes[..8] != MAGIC {
            return Err(ArchiveError::BadMagic);
        }
        let version = u32_at(bytes, VERSION_AT);
        if version != VERSION {
            return Err(ArchiveError::UnsupportedVersion { found: version });
        }
        let count = u32_at(bytes, COUNT_AT);
        if count > MAX_ENTRIES {
            return Err(ArchiveError::TooManyEntries { count });
        }
        let total = u64_at(bytes, TOTAL_AT);
        let table_end = (HEADER_SIZE + count as usize * ENTRY_SIZE) as u64;
        if total < table_end {
            return Err(ArchiveError::Truncated {
                needed: table_end,
                available: total,
            });
        }
        if total > available {
            return Err(ArchiveError::Truncated {
                needed: total,
                available,
            });
        }
        let archive = Self {
            bytes: &bytes[..total as usize],
            count,
        };
        for index in 0..count {
            let (name, offset, size) = archive.raw_entry(index);
            let name = name.ok_or(ArchiveError::BadName { index })?;
            let end = offset
                .checked_add(size)
                .ok_or(ArchiveError::OutOfRange { index })?;
            if offset < table_end || end > total {
                return Err(ArchiveError::OutOfRange { index });
            }
            if offset % ALIGN != 0 {
                return Err(ArchiveError::Misaligned { index });
            }
            for earlier in 0..index {
                let (other_name, other_offset, other_size) = archive.raw_entry(earlier);
                if other_name == Some(name) {
                    return Err(ArchiveError::DuplicateName { index });
                }
                // Empty modules occupy no bytes and overlap nothing.
                if size > 0
                    && other_size > 0
                    && offset < other_offset + other_size
                    && other_offset < end
                {
                    return Err(ArchiveError::Overlap {
                        first: earlier,
                        second: index,
                    });
                }
            }
        }
        Ok(archive)
    }

    /// Number of modules.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether the archive has no modules.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Total length in bytes.
    pub fn total_len(&self) -> usize {
        self.bytes.len()
    }

    /// The modules in table order.
    pub fn modules(&self) -> impl Iterator<Item = Module<'a>> + '_ {
        (0..self.count).map(|i| self.module(i))
    }

    /// The module called `name`.
    pub fn get(&self, name: &str) -> Option<Module<'a>> {
        self.modules().find(|m| m.name == name)
    }

    /// Entry `index`, already validated by `parse`.
    fn module(&self, index: u32) -> Module<'a> {
        let (name, offset, size) = self.raw_entry(index);
        Module {
            name: name.unwrap_or(""),
            offset,
            data: &self.bytes[offset as usize..(offset + size) as usize],
        }
    }

    /// Decodes entry `index` without checking its range (the table itself is
    /// known to be in bounds).
    fn raw_entry(&self, index: u32) -> (Option<&'a str>, u64, u64) {
        let at = HEADER_SIZE + index as usize * ENTRY_SIZE;
        let bytes: &'a [u8] = self.bytes;
        let field = &bytes[at..at + NAME_CAPACITY];
        let len = field.iter().position(|&b| b == 0).unwrap_or(NAME_CAPACITY);
        let padding_clean = field[len..].iter().all(|&b| b == 0);
        let name = core::str::from_utf8(&field[..len])
            .ok()
            .filter(|n| padding_clean && valid_name(n));
        (
            name,
            u64_at(bytes, at + OFFSET_IN_ENTRY),
            u64_at(bytes, at + SIZE_IN_ENTRY),
        )
    }
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}
