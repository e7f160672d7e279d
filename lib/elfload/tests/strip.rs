//! A stripped image is the same image, shorter: what a loader reads stays
//! byte for byte, the rest (debug information, symbols, section headers)
//! goes, and a bad image is refused unchanged.

use elfload::{ElfError, ElfImage, strip};
use proptest::prelude::*;

mod common;

use common::*;

/// `build`'s image followed by `debug` bytes of "debug information" and a
/// section header table the ELF header points at.
fn with_sections(mut f: Vec<u8>, debug: usize) -> Vec<u8> {
    f.extend(std::iter::repeat_n(0xdb, debug));
    let table = f.len() as u64;
    f.extend(std::iter::repeat_n(0x5e, 3 * 64));
    put64(&mut f, 40, table);
    put16(&mut f, 58, 64);
    put16(&mut f, 60, 3);
    put16(&mut f, 62, 2);
    f
}

/// Strips a copy of `f`: the kept bytes.
fn stripped(f: &[u8]) -> Result<Vec<u8>, ElfError> {
    let mut copy = f.to_vec();
    let keep = strip(&mut copy)?;
    copy.truncate(keep);
    Ok(copy)
}

/// Everything a loader learns from `f`, and what it loads at `bias` but
/// the ELF header's section-table fields, where a segment loads them (the
/// only bytes stripping changes; Corefish's images load no header).
fn as_loaded(f: &[u8]) -> impl PartialEq + std::fmt::Debug {
    let img = ElfImage::parse(f).expect("an image");
    let mut memory = vec![0u8; img.memory_size().min(1 << 20) as usize];
    let bias = if img.is_relocatable() { 0x20_0000 } else { 0 };
    let loaded = img.load_into(&mut memory, bias);
    for at in (40..48).chain(60..64) {
        for s in img
            .segments()
            .filter(|s| (s.offset..s.offset + s.filesz).contains(&at))
        {
            let i = s.vaddr - img.vaddr_range().0 + (at - s.offset);
            if let Some(byte) = memory.get_mut(i as usize) {
                *byte = 0;
            }
        }
    }
    (
        img.vaddr_range(),
        img.entry(),
        img.segments().collect::<Vec<_>>(),
        img.relocations().collect::<Vec<_>>(),
        img.in_place().pages(),
        loaded,
        memory,
    )
}

#[test]
fn a_stripped_image_is_the_same_image_shorter() {
    let f = with_sections(build(&[(DATA + 0x100, 8, 0x40)], &[]), 0x5000);
    let s = stripped(&f).unwrap();
    // The segments end at 0x2000, a page boundary.
    assert_eq!(s.len(), 0x2000);
    assert_eq!(as_loaded(&s), as_loaded(&f));
    // No section table any more; every other byte as it was.
    assert_eq!(get64(&s, 40), 0);
    assert_eq!(&s[60..64], &[0; 4]);
    assert_eq!(&s[..40], &f[..40]);
    assert_eq!(&s[48..60], &f[48..60]);
    assert_eq!(&s[64..], &f[64..0x2000]);
}

#[test]
fn the_last_page_of_a_segment_is_kept_whole() {
    let mut f = build(&[], &[]);
    // The data segment's file bytes end in the middle of its page.
    put64(&mut f, 64 + 56 + 32, 0xa00);
    let f = with_sections(f, 0x3000);
    let s = stripped(&f).unwrap();
    assert_eq!(s.len(), 0x2000);
    assert_eq!(as_loaded(&s), as_loaded(&f));
}

#[test]
fn bytes_any_program_header_names_are_kept() {
    let mut f = with_sections(build(&[], &[]), 0x3000);
    // A note past the loaded segments (program header 2, the dynamic one,
    // turned into a PT_NOTE of 16 bytes at 0x2800).
    phdr(&mut f, 2, 4, 4, 0x2800, 0x9000, 0x10, 0x10);
    let s = stripped(&f).unwrap();
    assert_eq!(s.len(), 0x3000);
    assert_eq!(&s[0x2800..0x2810], &f[0x2800..0x2810]);
}

#[test]
fn an_image_with_nothing_to_strip_stays_whole() {
    let f = build(&[(DATA + 0x100, 8, 0x40)], &[]);
    assert_eq!(stripped(&f).unwrap(), f);
}

#[test]
fn a_bad_image_is_refused_unchanged() {
    let mut f = with_sections(build(&[], &[]), 0x100);
    f[18] = 3; // EM_386
    let before = f.clone();
    assert_eq!(strip(&mut f), Err(ElfError::WrongMachine { found: 3 }));
    assert_eq!(f, before);
    let mut short = f[..0x1800].to_vec();
    put16(&mut short, 18, 62);
    let before = short.clone();
    assert!(strip(&mut short).is_err());
    assert_eq!(short, before);
}

proptest! {
    /// Whatever image the headers describe, if it is accepted its stripped
    /// form is accepted and loads the same; if not, it is refused the same.
    #[test]
    fn any_image_strips_to_the_same_image(
        flips in proptest::collection::vec((0usize..0x240, any::<u8>()), 1..6),
        debug in 0usize..0x3000,
    ) {
        let mut f = with_sections(build(&[(0x1100, 8, 1), (0x1200, 8, 2)], &[]), debug);
        for (at, v) in flips {
            f[at] = v;
        }
        match ElfImage::parse(&f) {
            Ok(_) => {
                let s = stripped(&f).expect("an accepted image strips");
                prop_assert!(s.len() <= f.len());
                prop_assert_eq!(as_loaded(&s), as_loaded(&f));
            }
            Err(e) => prop_assert_eq!(stripped(&f).err(), Some(e)),
        }
    }
}
