//! Writing an archive (host side, needs a heap).

use alloc::string::String;
use alloc::vec::Vec;

use crate::ArchiveError;
use crate::format::{
    ALIGN, ENTRY_SIZE, HEADER_SIZE, MAGIC, MAX_ENTRIES, NAME_CAPACITY, VERSION, valid_name,
};

/// Collects modules and lays them out as an archive.
#[derive(Debug, Default, Clone)]
pub struct ArchiveBuilder {
    modules: Vec<(String, Vec<u8>)>,
}

impl ArchiveBuilder {
    /// An empty archive.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a module; its name must be valid and new.
    pub fn add(&mut self, name: &str, data: &[u8]) -> Result<&mut Self, ArchiveError> {
        let index = self.modules.len() as u32;
        if index >= MAX_ENTRIES {
            return Err(ArchiveError::TooManyEntries { count: index + 1 });
        }
        if !valid_name(name) {
            return Err(ArchiveError::BadName { index });
        }
        if self.modules.iter().any(|(n, _)| n == name) {
            return Err(ArchiveError::DuplicateName { index });
        }
        self.modules.push((name.into(), data.into()));
        Ok(self)
    }

    /// The archive's bytes: header, table, then each module page-aligned in
    /// the order added.
    pub fn build(&self) -> Vec<u8> {
        let table_end = (HEADER_SIZE + self.modules.len() * ENTRY_SIZE) as u64;
        let mut offsets = Vec::with_capacity(self.modules.len());
        let mut cursor = table_end.next_multiple_of(ALIGN);
        for (_, data) in &self.modules {
            offsets.push(cursor);
            cursor = (cursor + data.len() as u64).next_multiple_of(ALIGN);
        }
        let total = offsets
            .last()
            .zip(self.modules.last())
            .map_or(table_end, |(o, (_, d))| o + d.len() as u64);

        let mut out = Vec::with_capacity(total as usize);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(self.modules.len() as u32).to_le_bytes());
        out.extend_from_slice(&total.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
        for ((name, data), offset) in self.modules.iter().zip(&offsets) {
            let mut field = [0u8; NAME_CAPACITY];
            field[..name.len()].copy_from_slice(name.as_bytes());
            out.extend_from_slice(&field);
            out.extend_from_slice(&offset.to_le_bytes());
            out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        }
        for ((_, data), &offset) in self.modules.iter().zip(&offsets) {
            out.resize(offset as usize, 0);
            out.extend_from_slice(data);
        }
        out
    }
}
