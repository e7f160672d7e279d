//! Loading and relocating synthetic static-PIE images, and refusing every
//! kind of malformed image.

use elfload::{Backing, ElfError, ElfImage, Relocation};
use proptest::prelude::*;

mod common;

use common::*;

#[test]
fn describes_the_image() {
    let f = build(&[(0x1100, 8, 0x40)], &[]);
    let img = ElfImage::parse(&f).unwrap();
    assert_eq!(img.vaddr_range(), (0, BSS_END));
    assert_eq!(img.memory_size(), BSS_END);
    assert_eq!(img.entry(), ENTRY);
    assert!(img.is_relocatable());
    assert_eq!(img.segments().count(), 2);
    assert_eq!(
        img.relocations().collect::<Vec<_>>(),
        [Relocation {
            offset: 0x1100,
            kind: 8,
            addend: 0x40
        }]
    );
}

#[test]
fn file_bytes_are_found_by_address() {
    let f = build(&[], &[]);
    let img = ElfImage::parse(&f).unwrap();
    assert_eq!(img.file_bytes_at(ENTRY, 4), Some(&f[0x100..0x104]));
    assert_eq!(img.file_bytes_at(0x1100, 16), Some(&f[0x1100..0x1110]));
    // Zeroed memory and ranges across segments have no file bytes.
    assert_eq!(img.file_bytes_at(0x3000, 4), None);
    assert_eq!(img.file_bytes_at(0xffe, 4), None);
    assert_eq!(img.file_bytes_at(u64::MAX - 1, 4), None);
}

proptest! {
    /// Every relocated word holds bias + addend; every other byte is the
    /// file's byte, or zero beyond the file-backed part.
    #[test]
    fn relocates_every_word(
        slots in proptest::collection::btree_set(0u64..0x5e0, 0..64),
        addends in proptest::collection::vec(any::<i64>(), 64),
        bias_pages in 0u64..(1 << 30),
        high in any::<bool>(),
    ) {
        let relocs: Vec<(u64, u32, i64)> = slots.iter().zip(&addends).map(|(&s, &a)| (0x1100 + s * 8, 8, a)).collect();
        let f = build(&relocs, &[]);
        let img = ElfImage::parse(&f).unwrap();
        let bias = if high { 0xffff_8000_0000_0000 } else { 0 } + bias_pages * 4096;
        let mut dest = vec![0xccu8; BSS_END as usize + 100];
        img.load_into(&mut dest, bias).unwrap();
        let mut patched = vec![false; BSS_END as usize];
        for &(offset, _, addend) in &relocs {
            prop_assert_eq!(get64(&dest, offset as usize), bias.wrapping_add(addend as u64));
            patched[offset as usize..offset as usize + 8].fill(true);
        }
        for addr in 0..BSS_END as usize {
            if patched[addr] {
                continue;
            }
            let want = if addr < 0x2000 { f[addr] } else { 0 };
            prop_assert_eq!(dest[addr], want, "byte at {:#x}", addr);
        }
        // Bytes past the image are left alone.
        prop_assert!(dest[BSS_END as usize..].iter().all(|&b| b == 0xcc));
    }

    /// No truncation of a valid image loads, and none panics.
    #[test]
    fn truncation_is_refused(cut in 0usize..0x2000) {
        let f = build(&[(0x1100, 8, 1)], &[]);
        prop_assert!(ElfImage::parse(&f[..cut]).is_err());
    }

    /// Arbitrary corruption of the headers never panics; what is accepted
    /// still loads within its declared size.
    #[test]
    fn corruption_never_panics(flips in proptest::collection::vec((0usize..0x240, any::<u8>()), 1..6)) {
        let mut f = build(&[(0x1100, 8, 1), (0x1200, 8, 2)], &[]);
        for (at, v) in flips {
            f[at] = v;
        }
        if let Ok(img) = ElfImage::parse(&f)
            && img.memory_size() <= 1 << 20 {
                let mut dest = vec![0; img.memory_size() as usize];
                let bias = if img.is_relocatable() { 0x20_0000 } else { 0 };
                prop_assert_eq!(img.load_into(&mut dest, bias), Ok(()));
            }
    }
}

#[test]
fn refuses_each_kind_of_bad_image() {
    let good = build(&[(0x1100, 8, 1)], &[]);
    let with = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut f = good.clone();
        edit(&mut f);
        ElfImage::parse(&f).map(|_| ())
    };
    assert_eq!(with(&|f| f[1] = b'X'), Err(ElfError::BadMagic));
    assert_eq!(with(&|f| f[4] = 1), Err(ElfError::WrongClass));
    assert_eq!(with(&|f| f[5] = 2), Err(ElfError::WrongClass));
    assert_eq!(
        with(&|f| put16(f, 16, 1)),
        Err(ElfError::WrongType { found: 1 })
    );
    assert_eq!(
        with(&|f| put16(f, 18, 183)),
        Err(ElfError::WrongMachine { found: 183 })
    );
    assert_eq!(
        with(&|f| put16(f, 54, 32)),
        Err(ElfError::BadProgramHeaders)
    );
    assert_eq!(with(&|f| put64(f, 32, 0x1ff0)), Err(ElfError::Truncated));
    assert_eq!(with(&|f| put32(f, 64, 3)), Err(ElfError::NotStatic)); // PT_INTERP
    assert_eq!(
        with(&|f| put64(f, 64 + 56 + 32, 0x2000)),
        Err(ElfError::BadSegment { index: 1 })
    ); // filesz > memsz... and past the file
    assert_eq!(
        with(&|f| put64(f, 64 + 56 + 40, 0x10)),
        Err(ElfError::BadSegment { index: 1 })
    ); // memsz < filesz
    assert_eq!(
        with(&|f| put64(f, 64 + 56 + 16, 0x800)),
        Err(ElfError::SegmentOverlap)
    );
    assert_eq!(
        with(&|f| put64(f, 64 + 56 + 40, 1 << 31)),
        Err(ElfError::ImageTooLarge)
    );
    assert_eq!(with(&|f| put64(f, 24, 0x1100)), Err(ElfError::BadEntry)); // entry in data
    assert_eq!(
        with(&|f| {
            put32(f, 64, 6);
            put32(f, 64 + 56, 6);
        }),
        Err(ElfError::NoLoadableSegment)
    );

    let bad_dyn =
        |extra: &[(u64, u64)]| ElfImage::parse(&build(&[(0x1100, 8, 1)], extra)).map(|_| ());
    assert_eq!(bad_dyn(&[(1, 5)]), Err(ElfError::NotStatic)); // DT_NEEDED
    assert_eq!(
        bad_dyn(&[(17, 0x800)]),
        Err(ElfError::UnsupportedRelocationFormat)
    ); // DT_REL
    assert_eq!(
        bad_dyn(&[(36, 0x800)]),
        Err(ElfError::UnsupportedRelocationFormat)
    ); // DT_RELR
    assert_eq!(
        bad_dyn(&[(2, 24)]),
        Err(ElfError::UnsupportedRelocationFormat)
    ); // PLT relocations
    assert_eq!(bad_dyn(&[(9, 16)]), Err(ElfError::BadDynamic)); // RELAENT
    assert_eq!(bad_dyn(&[(7, 0x1ff0)]), Err(ElfError::BadDynamic)); // RELA outside file-backed data

    let reloc = |r: (u64, u32, i64)| ElfImage::parse(&build(&[r], &[])).map(|_| ());
    assert_eq!(
        reloc((0x1100, 1, 0)),
        Err(ElfError::UnsupportedRelocation { kind: 1 })
    ); // R_X86_64_64
    assert_eq!(
        reloc((BSS_END - 4, 8, 0)),
        Err(ElfError::RelocationOutOfImage {
            offset: BSS_END - 4
        })
    );
    assert_eq!(
        reloc((u64::MAX - 2, 8, 0)),
        Err(ElfError::RelocationOutOfImage {
            offset: u64::MAX - 2
        })
    );
    assert_eq!(reloc((0x1100, 0, 0)), Ok(())); // R_X86_64_NONE is fine
}

#[test]
fn load_refuses_bad_destinations() {
    let f = build(&[(0x1100, 8, 1)], &[]);
    let img = ElfImage::parse(&f).unwrap();
    let mut small = vec![0; BSS_END as usize - 1];
    assert_eq!(
        img.load_into(&mut small, 0),
        Err(ElfError::DestinationTooSmall)
    );
    assert!(
        small.iter().all(|&b| b == 0),
        "a refused load writes nothing"
    );
    let mut dest = vec![0; BSS_END as usize];
    assert_eq!(img.load_into(&mut dest, 0x1234), Err(ElfError::BadBias));

    let mut exec = f.clone();
    put16(&mut exec, 16, 2); // ET_EXEC: fixed address
    let img = ElfImage::parse(&exec).unwrap();
    assert!(!img.is_relocatable());
    assert_eq!(img.load_into(&mut dest, 0x1000), Err(ElfError::BadBias));
    assert_eq!(img.load_into(&mut dest, 0), Ok(()));
}

#[test]
fn code_and_read_only_data_are_shared_from_the_file() {
    let f = build(&[(DATA + 0x100, 8, 0x40)], &[]);
    let img = ElfImage::parse(&f).unwrap();
    let shared = img.in_place();
    assert_eq!(shared.pages(), 1);
    assert_eq!(shared.copied_bytes(&img), BSS_END - DATA);
    let backings: Vec<Backing> = img.segments().map(|s| shared.backing(&img, &s)).collect();
    assert_eq!(
        backings,
        [Backing::File { page: 0 }, Backing::Copy { page: 0 }]
    );
    // What is not shared is loaded as a whole load leaves it.
    let mut whole = vec![0u8; BSS_END as usize];
    img.load_into(&mut whole, 0x40_0000).unwrap();
    let mut tail = vec![0xccu8; (BSS_END - DATA) as usize];
    img.load_tail_into(&mut tail, 0x40_0000, shared).unwrap();
    assert_eq!(tail, whole[DATA as usize..]);
    let mut short = vec![0u8; (BSS_END - DATA) as usize - 1];
    assert_eq!(
        img.load_tail_into(&mut short, 0, shared),
        Err(ElfError::DestinationTooSmall)
    );
}

#[test]
fn nothing_is_shared_that_a_copy_would_change() {
    let share = |f: &[u8]| ElfImage::parse(f).unwrap().in_place().pages();
    // A relocated word in the code page.
    assert_eq!(share(&build(&[(ENTRY, 8, 1)], &[])), 0);
    // Writable code.
    let mut f = build(&[], &[]);
    put32(&mut f, 64 + 4, 7);
    assert_eq!(share(&f), 0);
    // Code with a zeroed tail.
    let mut f = build(&[], &[]);
    put64(&mut f, 64 + 32, 0x800);
    assert_eq!(share(&f), 0);
    // Code at a file offset out of step with its address: the image starts
    // at its first page, the file's bytes would land in the wrong place.
    let mut f = build(&[], &[]);
    put64(&mut f, 64 + 16, 0x10);
    put64(&mut f, 64 + 32, 0xff0);
    put64(&mut f, 64 + 40, 0xff0);
    assert_eq!(share(&f), 0);
}

proptest! {
    /// Whatever the relocations and bias, the copied part is what a whole
    /// load leaves there, and the shared pages are the file's bytes.
    #[test]
    fn a_tail_load_is_the_end_of_a_whole_load(
        slots in proptest::collection::btree_set(0u64..0x5e0, 0..32),
        addends in proptest::collection::vec(any::<i64>(), 32),
        bias_pages in 0u64..(1 << 30),
    ) {
        let relocs: Vec<(u64, u32, i64)> = slots.iter().zip(&addends).map(|(&s, &a)| (0x1100 + s * 8, 8, a)).collect();
        let f = build(&relocs, &[]);
        let img = ElfImage::parse(&f).unwrap();
        let shared = img.in_place();
        let skip = (shared.pages() * 4096) as usize;
        let mut whole = vec![0u8; BSS_END as usize];
        img.load_into(&mut whole, bias_pages * 4096).unwrap();
        prop_assert_eq!(&whole[..skip], &f[..skip]);
        let mut tail = vec![0x5au8; BSS_END as usize - skip];
        img.load_tail_into(&mut tail, bias_pages * 4096, shared).unwrap();
        prop_assert_eq!(&tail[..], &whole[skip..]);
    }

    /// Over corrupted headers, every segment an accepted image has is
    /// shared whole (read-only, file-backed, inside the file) or copied
    /// whole, and the copy loads.
    #[test]
    fn sharing_never_cuts_a_segment(flips in proptest::collection::vec((0usize..0x240, any::<u8>()), 1..6)) {
        let mut f = build(&[(0x1100, 8, 1)], &[]);
        for (at, v) in flips {
            f[at] = v;
        }
        if let Ok(img) = ElfImage::parse(&f)
            && img.memory_size() <= 1 << 20 {
                let shared = img.in_place();
                let start = img.vaddr_range().0;
                for s in img.segments().filter(|s| s.memsz > 0) {
                    let first = (s.vaddr - start) / 4096;
                    let end = (s.vaddr + s.memsz - start).div_ceil(4096);
                    match shared.backing(&img, &s) {
                        Backing::File { page } => {
                            prop_assert!(end <= shared.pages());
                            prop_assert!(!s.writable && s.filesz == s.memsz);
                            prop_assert_eq!(page * 4096 + s.vaddr % 4096, s.offset);
                            prop_assert!((page + end - first) * 4096 <= (f.len() as u64).next_multiple_of(4096));
                        }
                        Backing::Copy { page } => {
                            prop_assert!(first >= shared.pages());
                            prop_assert_eq!(page, first - shared.pages());
                        }
                    }
                }
                let mut tail = vec![0; shared.copied_bytes(&img) as usize];
                let bias = if img.is_relocatable() { 0x20_0000 } else { 0 };
                prop_assert_eq!(img.load_tail_into(&mut tail, bias, shared), Ok(()));
            }
    }
}
