//! An image cut down to what loading it reads.
//!
//! A build with debug information carries far more bytes than it loads:
//! DWARF, the symbol table and the section headers follow the segments in
//! the file (a Corefish program is about 1.2 MB of which 30 KB are loaded).
//! The boot archive carries each image [`strip`]ped: the file up to the end
//! of the last byte any program header names (segments of every type, the
//! headers themselves), rounded up to a page as a loader that maps a
//! segment's last page from the file reads it, with the ELF header's
//! section-table fields cleared (a file with no sections). Every byte kept
//! stays at its offset and, but for those fields, as it was (an image
//! whose first segment loads its ELF header shows the cleared fields
//! there; Corefish's images load no header). The full image stays on the
//! host for symbols and backtraces.
//!
//! This is done here rather than with `objcopy --strip-debug` so that the
//! result is exactly "the same image, shorter", checked by the same
//! validation as any image, with no tool that may rewrite the layout.

use crate::{ElfError, ElfImage, PAGE_SIZE};

/// `e_shoff`, `e_shnum` and `e_shstrndx`: where the ELF header describes
/// the section headers.
const SECTION_FIELDS: [core::ops::Range<usize>; 2] = [40..48, 60..64];

/// Cuts `file`, a valid image ([`ElfImage::parse`], else its error and
/// `file` unchanged), to what a loader reads: clears the section-table
/// fields of its ELF header and returns how many bytes to keep.
pub fn strip(file: &mut [u8]) -> Result<usize, ElfError> {
    let image = ElfImage::parse(file)?;
    // `read_end` is within the file, so the rounding cannot overflow.
    let end = image
        .read_end()
        .next_multiple_of(PAGE_SIZE)
        .min(image.file_len() as u64) as usize;
    for fields in SECTION_FIELDS {
        file[fields].fill(0);
    }
    Ok(end)
}
