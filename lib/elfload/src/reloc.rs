//! Relocation entries and the dynamic-section tags that locate them.

use crate::ElfError;
use crate::header::{read_u32, read_u64};

pub(crate) const R_X86_64_NONE: u32 = 0;
pub(crate) const R_X86_64_RELATIVE: u32 = 8;
pub(crate) const RELA_SIZE: usize = 24;

const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_PLTRELSZ: u64 = 2;
const DT_RELA: u64 = 7;
const DT_RELASZ: u64 = 8;
const DT_RELAENT: u64 = 9;
const DT_REL: u64 = 17;
const DT_RELSZ: u64 = 18;
const DT_RELRSZ: u64 = 35;
const DT_RELR: u64 = 36;

/// One `Elf64_Rela` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relocation {
    /// Virtual address of the word to patch.
    pub offset: u64,
    /// Relocation type (`R_X86_64_*`).
    pub kind: u32,
    /// The addend.
    pub addend: i64,
}

impl Relocation {
    pub(crate) fn parse(b: &[u8], at: usize) -> Result<Self, ElfError> {
        Ok(Self {
            offset: read_u64(b, at)?,
            kind: read_u32(b, at + 8)?,
            addend: read_u64(b, at + 16)? as i64,
        })
    }
}

/// Where the `RELA` table is, as virtual address and size, read from a
/// dynamic section's bytes.
pub(crate) fn rela_table(dynamic: &[u8]) -> Result<Option<(u64, u64)>, ElfError> {
    let (mut rela, mut relasz, mut relaent) = (None, 0, RELA_SIZE as u64);
    for entry in dynamic.chunks_exact(16) {
        let tag = read_u64(entry, 0)?;
        let value = read_u64(entry, 8)?;
        match tag {
            DT_NULL => break,
            DT_NEEDED => return Err(ElfError::NotStatic),
            DT_REL | DT_RELR => return Err(ElfError::UnsupportedRelocationFormat),
            DT_RELSZ | DT_RELRSZ | DT_PLTRELSZ if value != 0 => {
                return Err(ElfError::UnsupportedRelocationFormat);
            }
            DT_RELA => rela = Some(value),
            DT_RELASZ => relasz = value,
            DT_RELAENT => relaent = value,
            _ => {}
        }
    }
    if relasz == 0 {
        return Ok(None);
    }
    if relaent != RELA_SIZE as u64 || relasz % RELA_SIZE as u64 != 0 {
        return Err(ElfError::BadDynamic);
    }
    rela.map(|addr| Some((addr, relasz)))
        .ok_or(ElfError::BadDynamic)
}
