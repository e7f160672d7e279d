//! Why an image was refused.

/// Why an ELF image could not be loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElfError {
    /// The file ends before a structure it declares.
    Truncated,
    /// The file does not start with the ELF magic.
    BadMagic,
    /// Not a 64-bit, little-endian, version-1 ELF file.
    WrongClass,
    /// Neither an executable nor a position-independent executable.
    WrongType {
        /// `e_type` found.
        found: u16,
    },
    /// Built for another machine.
    WrongMachine {
        /// `e_machine` found.
        found: u16,
    },
    /// Program-header table malformed (entry size, count).
    BadProgramHeaders,
    /// No `PT_LOAD` segment.
    NoLoadableSegment,
    /// A segment's file bytes lie outside the file, its file size exceeds
    /// its memory size, or its addresses overflow.
    BadSegment {
        /// Index of the program header.
        index: u16,
    },
    /// Two loadable segments overlap in memory.
    SegmentOverlap,
    /// The image needs more than [`crate::MAX_IMAGE_SIZE`] bytes of memory.
    ImageTooLarge,
    /// The entry point is not inside an executable segment.
    BadEntry,
    /// The image asks for a dynamic linker or shared libraries.
    NotStatic,
    /// The dynamic section or the relocation table it names is malformed.
    BadDynamic,
    /// The image uses a relocation table format this loader does not
    /// implement (`REL`, `RELR`, PLT relocations).
    UnsupportedRelocationFormat,
    /// A relocation of a type other than `R_X86_64_RELATIVE`/`NONE`.
    UnsupportedRelocation {
        /// The relocation type.
        kind: u32,
    },
    /// A relocation would write outside the image.
    RelocationOutOfImage {
        /// Its target virtual address.
        offset: u64,
    },
    /// The destination buffer is smaller than the image (or the part of
    /// it to load).
    DestinationTooSmall,
    /// A relocation would write into a page mapped from the file.
    RelocationInSharedPage {
        /// Its target virtual address.
        offset: u64,
    },
    /// A fixed-address image was asked to load with a non-zero bias, or a
    /// bias is not page-aligned.
    BadBias,
}

impl core::fmt::Display for ElfError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Self::Truncated => f.write_str("ELF file truncated"),
            Self::BadMagic => f.write_str("not an ELF file"),
            Self::WrongClass => f.write_str("not a 64-bit little-endian ELF file"),
            Self::WrongType { found } => write!(f, "ELF type {found} is not an executable"),
            Self::WrongMachine { found } => write!(f, "built for machine {found}, not x86_64 (62)"),
            Self::BadProgramHeaders => f.write_str("malformed program-header table"),
            Self::NoLoadableSegment => f.write_str("no loadable segment"),
            Self::BadSegment { index } => write!(f, "program header {index} is malformed"),
            Self::SegmentOverlap => f.write_str("loadable segments overlap"),
            Self::ImageTooLarge => f.write_str("image too large"),
            Self::BadEntry => f.write_str("entry point outside executable code"),
            Self::NotStatic => f.write_str("image needs a dynamic linker"),
            Self::BadDynamic => f.write_str("malformed dynamic section or relocation table"),
            Self::UnsupportedRelocationFormat => f.write_str("unsupported relocation table format"),
            Self::UnsupportedRelocation { kind } => write!(f, "unsupported relocation type {kind}"),
            Self::RelocationOutOfImage { offset } => {
                write!(f, "relocation at {offset:#x} outside the image")
            }
            Self::DestinationTooSmall => f.write_str("destination smaller than the image"),
            Self::RelocationInSharedPage { offset } => {
                write!(
                    f,
                    "relocation at {offset:#x} in a page shared with the file"
                )
            }
            Self::BadBias => {
                f.write_str("load bias not page-aligned or not allowed for this image")
            }
        }
    }
}
