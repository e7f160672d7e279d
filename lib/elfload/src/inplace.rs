//! Which of an image's pages a loader may map straight from its file,
//! unchanged and read-only, instead of copying them.
//!
//! A program's code and read-only data are the same bytes in every copy of
//! it. Mapped from the file itself (the boot archive keeps each module on a
//! page boundary), every program started from that file shares them: one
//! copy in memory instead of one per program, nothing to copy or zero at a
//! start, and an emulator that translated the code once keeps its
//! translation for every later start (a fresh copy is new code to it).
//!
//! The shared pages are a *prefix* of the image: pages `0..pages` (counted
//! from [`ElfImage::vaddr_range`]'s start). A loader maps the segments that
//! lie there from the file and copies the rest ([`ElfImage::load_tail_into`])
//! into memory of its own, as usual. A page may be shared only if every
//! segment touching it may be: read-only, wholly backed by the file (no
//! zeroed tail), at a file offset congruent to its address modulo the page
//! size, within the file rounded up to a page; and no relocation writes
//! into it. The prefix ends at the first page that fails, pulled back to the
//! start of any segment it would cut, so every segment is either shared
//! whole or copied whole. The usual layout (code, read-only data, then
//! writable data) shares the first two.

use crate::image::{ElfImage, Segment};
use crate::reloc::R_X86_64_RELATIVE;
use crate::{ElfError, PAGE_SIZE};

/// The pages at the start of an image that are mapped from its file; made
/// only by [`ElfImage::in_place`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InPlace {
    pages: u64,
}

/// Where a segment's memory comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backing {
    /// The file's pages from this one (its offset in the file, in pages):
    /// map them read-only.
    File {
        /// The first page's index in the file.
        page: u64,
    },
    /// The loader's copy of the rest of the image, from this page of it.
    Copy {
        /// The first page's index in the copy.
        page: u64,
    },
}

impl InPlace {
    /// Nothing shared: the whole image is copied (a file that does not lie
    /// on a page boundary in memory cannot be mapped).
    pub const NONE: Self = Self { pages: 0 };

    /// Pages at the start of the image that come from the file.
    pub fn pages(&self) -> u64 {
        self.pages
    }

    /// Bytes of the image the loader copies: from the end of the shared
    /// pages to the end of the image.
    pub fn copied_bytes(&self, image: &ElfImage<'_>) -> u64 {
        image.memory_size() - self.pages * PAGE_SIZE
    }

    /// Where `segment` (one of the image's) gets its memory.
    pub fn backing(&self, image: &ElfImage<'_>, segment: &Segment) -> Backing {
        let (first, _) = span(image, segment);
        if first < self.pages {
            Backing::File {
                page: segment.offset / PAGE_SIZE,
            }
        } else {
            Backing::Copy {
                page: first - self.pages,
            }
        }
    }
}

impl ElfImage<'_> {
    /// The pages of this image that a loader may map from its file (none
    /// if the file is not laid out for it).
    pub fn in_place(&self) -> InPlace {
        let total = self.memory_size() / PAGE_SIZE;
        let file_pages = (self.file_len() as u64).div_ceil(PAGE_SIZE);
        let mut pages = total;
        let touching = || self.segments().filter(|s| s.memsz > 0);
        for s in touching().filter(|s| !shareable(self, s, file_pages)) {
            pages = pages.min(span(self, &s).0);
        }
        let start = self.vaddr_range().0;
        for r in self.relocations().filter(|r| r.kind == R_X86_64_RELATIVE) {
            pages = pages.min((r.offset - start) / PAGE_SIZE);
        }
        // No segment is cut in two: pull the end back to the start of one
        // it would cut, until none is (each pass only lowers it).
        loop {
            let cut = touching()
                .map(|s| span(self, &s))
                .find(|&(first, end)| first < pages && pages < end);
            match cut {
                Some((first, _)) => pages = first,
                None => break,
            }
        }
        InPlace { pages }
    }

    /// What [`ElfImage::load_into`] does for the part of the image after
    /// the pages `shared` maps from the file: `dest` holds the image from
    /// page `shared.pages()` on.
    pub fn load_tail_into(
        &self,
        dest: &mut [u8],
        bias: u64,
        shared: InPlace,
    ) -> Result<(), ElfError> {
        self.load_from_page(dest, bias, shared.pages)
    }
}

/// The pages of the image `segment` touches: (first, end), from the image's start.
fn span(image: &ElfImage<'_>, segment: &Segment) -> (u64, u64) {
    let start = image.vaddr_range().0;
    let first = (segment.vaddr - start) / PAGE_SIZE;
    let end = (segment.vaddr + segment.memsz - start).div_ceil(PAGE_SIZE);
    (first, end)
}

/// Whether `segment` may be mapped from a file of `file_pages` pages.
fn shareable(image: &ElfImage<'_>, segment: &Segment, file_pages: u64) -> bool {
    let (first, end) = span(image, segment);
    !segment.writable
        && segment.filesz == segment.memsz
        && segment.offset % PAGE_SIZE == segment.vaddr % PAGE_SIZE
        && segment.offset / PAGE_SIZE + (end - first) <= file_pages
}
