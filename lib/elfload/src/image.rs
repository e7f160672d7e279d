//! A validated ELF image and loading it into memory.

use crate::header::{
    EHDR_SIZE, ET_EXEC, Header, PF_W, PF_X, PHDR_SIZE, PT_DYNAMIC, PT_INTERP, PT_LOAD,
    ProgramHeader,
};
use crate::reloc::{R_X86_64_NONE, R_X86_64_RELATIVE, RELA_SIZE, Relocation, rela_table};
use crate::{EM_X86_64, ElfError, MAX_IMAGE_SIZE, PAGE_SIZE};

/// A loadable segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Virtual address of its first byte.
    pub vaddr: u64,
    /// Bytes in memory (the tail beyond `filesz` is zeroed).
    pub memsz: u64,
    /// Bytes taken from the file.
    pub filesz: u64,
    /// Offset of those bytes in the file.
    pub offset: u64,
    /// Whether the segment is writable.
    pub writable: bool,
    /// Whether the segment is executable.
    pub executable: bool,
}

/// A validated ELF image.
#[derive(Debug, Clone, Copy)]
pub struct ElfImage<'a> {
    file: &'a [u8],
    header: Header,
    vaddr_start: u64,
    vaddr_end: u64,
    /// File offset and count of the RELA entries.
    relocs: (usize, usize),
}

impl<'a> ElfImage<'a> {
    /// Validates `file` as an x86_64 image.
    pub fn parse(file: &'a [u8]) -> Result<Self, ElfError> {
        let header = Header::parse(file, EM_X86_64)?;
        let table_len = u64::from(header.phnum) * PHDR_SIZE as u64;
        let table_end = header
            .phoff
            .checked_add(table_len)
            .ok_or(ElfError::Truncated)?;
        if table_end > file.len() as u64 {
            return Err(ElfError::Truncated);
        }
        let mut image = Self {
            file,
            header,
            vaddr_start: u64::MAX,
            vaddr_end: 0,
            relocs: (0, 0),
        };

        let mut dynamic = None;
        let (mut start, mut end) = (u64::MAX, 0);
        for (index, ph) in image.program_headers().enumerate() {
            let index = index as u16;
            match ph.kind {
                PT_INTERP => return Err(ElfError::NotStatic),
                PT_LOAD => {
                    let file_end = ph.offset.checked_add(ph.filesz);
                    let mem_end = ph.vaddr.checked_add(ph.memsz);
                    match (file_end, mem_end) {
                        (Some(fe), Some(me))
                            if fe <= file.len() as u64 && ph.filesz <= ph.memsz =>
                        {
                            start = start.min(ph.vaddr);
                            end = end.max(me);
                        }
                        _ => return Err(ElfError::BadSegment { index }),
                    }
                }
                PT_DYNAMIC => dynamic = Some((ph, index)),
                _ => {}
            }
        }
        if end == 0 {
            return Err(ElfError::NoLoadableSegment);
        }
        image.vaddr_start = start & !(PAGE_SIZE - 1);
        image.vaddr_end = end
            .checked_next_multiple_of(PAGE_SIZE)
            .ok_or(ElfError::ImageTooLarge)?;
        if image.vaddr_end - image.vaddr_start > MAX_IMAGE_SIZE {
            return Err(ElfError::ImageTooLarge);
        }
        image.check_overlaps()?;
        if !image
            .segments()
            .any(|s| s.executable && header.entry >= s.vaddr && header.entry < s.vaddr + s.memsz)
        {
            return Err(ElfError::BadEntry);
        }
        if let Some((ph, _)) = dynamic {
            image.relocs = image.locate_relocations(ph)?;
            image.check_relocations()?;
        }
        Ok(image)
    }

    /// The virtual range the image occupies, page-aligned.
    pub fn vaddr_range(&self) -> (u64, u64) {
        (self.vaddr_start, self.vaddr_end)
    }

    /// Bytes of memory the image needs.
    pub fn memory_size(&self) -> u64 {
        self.vaddr_end - self.vaddr_start
    }

    /// The entry point's virtual address (add the bias to run it).
    pub fn entry(&self) -> u64 {
        self.header.entry
    }

    /// Whether the image may be loaded at any (page-aligned) bias.
    pub fn is_relocatable(&self) -> bool {
        self.header.kind != ET_EXEC
    }

    /// The loadable segments.
    pub fn segments(&self) -> impl Iterator<Item = Segment> + '_ {
        self.program_headers()
            .filter(|ph| ph.kind == PT_LOAD)
            .map(|ph| Segment {
                vaddr: ph.vaddr,
                memsz: ph.memsz,
                filesz: ph.filesz,
                offset: ph.offset,
                writable: ph.flags & PF_W != 0,
                executable: ph.flags & PF_X != 0,
            })
    }

    /// The `len` bytes the file gives the image at virtual address `vaddr`
    /// (before relocation), if one segment's file bytes hold them all: what
    /// a loader can inspect without loading.
    pub fn file_bytes_at(&self, vaddr: u64, len: u64) -> Option<&'a [u8]> {
        let end = vaddr.checked_add(len)?;
        let s = self
            .segments()
            .find(|s| vaddr >= s.vaddr && end <= s.vaddr.saturating_add(s.filesz))?;
        let from = usize::try_from(s.offset + (vaddr - s.vaddr)).ok()?;
        self.file
            .get(from..from.checked_add(usize::try_from(len).ok()?)?)
    }

    /// The relocations (all validated by `parse`).
    pub fn relocations(&self) -> impl Iterator<Item = Relocation> + '_ {
        let (at, count) = self.relocs;
        (0..count).filter_map(move |i| Relocation::parse(self.file, at + i * RELA_SIZE).ok())
    }

    /// Copies the image into `dest` (which will run at virtual address
    /// `bias + vaddr_range().0`), zeroes the rest, and applies every
    /// relocation for that bias.
    pub fn load_into(&self, dest: &mut [u8], bias: u64) -> Result<(), ElfError> {
        self.load_from_page(dest, bias, 0)
    }

    /// [`ElfImage::load_into`] for the image from page `from` on: `dest`
    /// holds it from there (the pages before are mapped from the file, and
    /// no relocation may write into them).
    pub(crate) fn load_from_page(
        &self,
        dest: &mut [u8],
        bias: u64,
        from: u64,
    ) -> Result<(), ElfError> {
        let skip = from
            .checked_mul(PAGE_SIZE)
            .filter(|&skip| skip <= self.memory_size())
            .ok_or(ElfError::DestinationTooSmall)?;
        let size = (self.memory_size() - skip) as usize;
        if dest.len() < size {
            return Err(ElfError::DestinationTooSmall);
        }
        if !bias.is_multiple_of(PAGE_SIZE) || (!self.is_relocatable() && bias != 0) {
            return Err(ElfError::BadBias);
        }
        let first = self.vaddr_start + skip;
        let relocations = || self.relocations().filter(|r| r.kind == R_X86_64_RELATIVE);
        if let Some(r) = relocations().find(|r| r.offset < first) {
            return Err(ElfError::RelocationInSharedPage { offset: r.offset });
        }
        let dest = &mut dest[..size];
        dest.fill(0);
        for s in self.segments() {
            // The part of the segment's file bytes at or after `first`.
            let from = s.vaddr.max(first);
            let to = s.vaddr + s.filesz;
            if from >= to {
                continue;
            }
            let at = (from - first) as usize;
            let file = (s.offset + (from - s.vaddr)) as usize;
            let len = (to - from) as usize;
            dest[at..at + len].copy_from_slice(&self.file[file..file + len]);
        }
        for r in relocations() {
            let at = (r.offset - first) as usize;
            dest[at..at + 8].copy_from_slice(&bias.wrapping_add(r.addend as u64).to_le_bytes());
        }
        Ok(())
    }

    /// Bytes in the file.
    pub(crate) fn file_len(&self) -> usize {
        self.file.len()
    }

    /// Where in the file the last byte a loader reads ends: the end of the
    /// ELF header, the program headers or any segment's file bytes,
    /// whichever is last (segments of any type, so that notes and the
    /// dynamic section stay whatever they lie in).
    pub(crate) fn read_end(&self) -> u64 {
        let table_end = self.header.phoff + u64::from(self.header.phnum) * PHDR_SIZE as u64;
        self.program_headers()
            .filter(|ph| ph.filesz > 0)
            .filter_map(|ph| ph.offset.checked_add(ph.filesz))
            .fold(table_end.max(EHDR_SIZE as u64), u64::max)
            .min(self.file.len() as u64)
    }

    fn program_headers(&self) -> impl Iterator<Item = ProgramHeader> + '_ {
        let base = self.header.phoff as usize;
        // The table was bounds-checked in `parse`.
        (0..usize::from(self.header.phnum))
            .filter_map(move |i| ProgramHeader::parse(self.file, base + i * PHDR_SIZE).ok())
    }

    fn check_overlaps(&self) -> Result<(), ElfError> {
        for (i, a) in self.segments().enumerate() {
            for b in self.segments().skip(i + 1) {
                if a.memsz > 0
                    && b.memsz > 0
                    && a.vaddr < b.vaddr + b.memsz
                    && b.vaddr < a.vaddr + a.memsz
                {
                    return Err(ElfError::SegmentOverlap);
                }
            }
        }
        Ok(())
    }

    /// Finds the RELA table named by the dynamic segment `dynamic` in the
    /// file, through the loadable segment that holds it.
    fn locate_relocations(&self, dynamic: ProgramHeader) -> Result<(usize, usize), ElfError> {
        let end = dynamic
            .offset
            .checked_add(dynamic.filesz)
            .ok_or(ElfError::BadDynamic)?;
        let bytes = self
            .file
            .get(dynamic.offset as usize..end as usize)
            .ok_or(ElfError::BadDynamic)?;
        let Some((addr, size)) = rela_table(bytes)? else {
            return Ok((0, 0));
        };
        let holder = self
            .segments()
            .find(|s| {
                addr >= s.vaddr
                    && addr
                        .checked_add(size)
                        .is_some_and(|e| e <= s.vaddr + s.filesz)
            })
            .ok_or(ElfError::BadDynamic)?;
        Ok((
            (holder.offset + (addr - holder.vaddr)) as usize,
            (size / RELA_SIZE as u64) as usize,
        ))
    }

    fn check_relocations(&self) -> Result<(), ElfError> {
        for r in self.relocations() {
            match r.kind {
                R_X86_64_NONE => {}
                R_X86_64_RELATIVE => {
                    let inside = r.offset >= self.vaddr_start
                        && r.offset.checked_add(8).is_some_and(|e| e <= self.vaddr_end);
                    if !inside {
                        return Err(ElfError::RelocationOutOfImage { offset: r.offset });
                    }
                }
                kind => return Err(ElfError::UnsupportedRelocation { kind }),
            }
        }
        Ok(())
    }
}
