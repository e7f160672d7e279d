//! Raw ELF64 structures read from bytes (little-endian), bounds-checked.

use crate::ElfError;

pub(crate) const ET_EXEC: u16 = 2;
pub(crate) const ET_DYN: u16 = 3;
pub(crate) const PT_LOAD: u32 = 1;
pub(crate) const PT_DYNAMIC: u32 = 2;
pub(crate) const PT_INTERP: u32 = 3;
pub(crate) const PF_X: u32 = 1;
pub(crate) const PF_W: u32 = 2;
pub(crate) const PHDR_SIZE: usize = 56;
pub(crate) const EHDR_SIZE: usize = 64;

pub(crate) fn read_u16(b: &[u8], at: usize) -> Result<u16, ElfError> {
    let s = b.get(at..at + 2).ok_or(ElfError::Truncated)?;
    Ok(u16::from_le_bytes([s[0], s[1]]))
}

pub(crate) fn read_u32(b: &[u8], at: usize) -> Result<u32, ElfError> {
    let s = b.get(at..at + 4).ok_or(ElfError::Truncated)?;
    Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

pub(crate) fn read_u64(b: &[u8], at: usize) -> Result<u64, ElfError> {
    let s = b.get(at..at + 8).ok_or(ElfError::Truncated)?;
    let mut w = [0; 8];
    w.copy_from_slice(s);
    Ok(u64::from_le_bytes(w))
}

/// The ELF header fields the loader uses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    pub(crate) kind: u16,
    pub(crate) entry: u64,
    pub(crate) phoff: u64,
    pub(crate) phnum: u16,
}

impl Header {
    pub(crate) fn parse(b: &[u8], machine: u16) -> Result<Self, ElfError> {
        if b.len() < 4 {
            return Err(ElfError::Truncated);
        }
        if b[..4] != *b"\x7fELF" {
            return Err(ElfError::BadMagic);
        }
        if b.len() < EHDR_SIZE {
            return Err(ElfError::Truncated);
        }
        // EI_CLASS = ELFCLASS64, EI_DATA = little-endian, EI_VERSION = 1.
        if b[4] != 2 || b[5] != 1 || b[6] != 1 || read_u32(b, 20)? != 1 {
            return Err(ElfError::WrongClass);
        }
        let kind = read_u16(b, 16)?;
        if kind != ET_EXEC && kind != ET_DYN {
            return Err(ElfError::WrongType { found: kind });
        }
        let found = read_u16(b, 18)?;
        if found != machine {
            return Err(ElfError::WrongMachine { found });
        }
        if usize::from(read_u16(b, 54)?) != PHDR_SIZE {
            return Err(ElfError::BadProgramHeaders);
        }
        Ok(Self {
            kind,
            entry: read_u64(b, 24)?,
            phoff: read_u64(b, 32)?,
            phnum: read_u16(b, 56)?,
        })
    }
}

/// A program header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProgramHeader {
    pub(crate) kind: u32,
    pub(crate) flags: u32,
    pub(crate) offset: u64,
    pub(crate) vaddr: u64,
    pub(crate) filesz: u64,
    pub(crate) memsz: u64,
}

impl ProgramHeader {
    pub(crate) fn parse(b: &[u8], at: usize) -> Result<Self, ElfError> {
        Ok(Self {
            kind: read_u32(b, at)?,
            flags: read_u32(b, at + 4)?,
            offset: read_u64(b, at + 8)?,
            vaddr: read_u64(b, at + 16)?,
            filesz: read_u64(b, at + 32)?,
            memsz: read_u64(b, at + 40)?,
        })
    }
}
