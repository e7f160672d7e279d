//! Round trips through the writer and reader, and every way an archive can
//! be malformed.

use bootarchive::{ALIGN, Archive, ArchiveBuilder, ArchiveError, ENTRY_SIZE, HEADER_SIZE};
use proptest::prelude::*;

fn sample() -> Vec<u8> {
    let mut b = ArchiveBuilder::new();
    b.add("cpudriver", &[1; 5000]).unwrap();
    b.add("init", b"hello").unwrap();
    b.add("empty", &[]).unwrap();
    b.build()
}

fn put_u64(bytes: &mut [u8], at: usize, v: u64) {
    bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

fn entry_field(index: usize, field: usize) -> usize {
    HEADER_SIZE + index * ENTRY_SIZE + field
}

#[test]
fn reads_what_was_written() {
    let bytes = sample();
    let a = Archive::parse(&bytes).unwrap();
    assert_eq!(a.len(), 3);
    let names: Vec<_> = a.modules().map(|m| m.name).collect();
    assert_eq!(names, ["cpudriver", "init", "empty"]);
    assert_eq!(a.get("cpudriver").unwrap().data, &[1; 5000][..]);
    assert_eq!(a.get("init").unwrap().data, b"hello");
    assert_eq!(a.get("empty").unwrap().data, b"");
    assert!(a.get("nope").is_none());
    assert!(a.modules().all(|m| m.offset % ALIGN == 0));
}

#[test]
fn trailing_padding_is_ignored() {
    let mut bytes = sample();
    let total = bytes.len();
    bytes.resize(total + 4096, 0xee);
    assert_eq!(Archive::parse(&bytes).unwrap().total_len(), total);
}

#[test]
fn empty_archive_is_valid() {
    let bytes = ArchiveBuilder::new().build();
    assert_eq!(bytes.len(), HEADER_SIZE);
    assert!(Archive::parse(&bytes).unwrap().is_empty());
}

#[test]
fn each_defect_gets_its_error() {
    let good = sample();

    let mut b = good.clone();
    b[0] = b'X';
    assert_eq!(Archive::parse(&b).unwrap_err(), ArchiveError::BadMagic);

    let mut b = good.clone();
    b[8] = 2;
    assert_eq!(
        Archive::parse(&b).unwrap_err(),
        ArchiveError::UnsupportedVersion { found: 2 }
    );

    let mut b = good.clone();
    b[12..16].copy_from_slice(&5000u32.to_le_bytes());
    assert_eq!(
        Archive::parse(&b).unwrap_err(),
        ArchiveError::TooManyEntries { count: 5000 }
    );

    let b = &good[..good.len() - 1];
    assert_eq!(
        Archive::parse(b).unwrap_err(),
        ArchiveError::Truncated {
            needed: good.len() as u64,
            available: good.len() as u64 - 1
        }
    );

    let mut b = good.clone();
    put_u64(&mut b, 16, 40); // total shorter than the entry table
    assert!(matches!(
        Archive::parse(&b).unwrap_err(),
        ArchiveError::Truncated { .. }
    ));

    let mut b = good.clone();
    put_u64(&mut b, entry_field(1, 56), 1 << 40); // size beyond the end
    assert_eq!(
        Archive::parse(&b).unwrap_err(),
        ArchiveError::OutOfRange { index: 1 }
    );

    let mut b = good.clone();
    put_u64(&mut b, entry_field(1, 48), u64::MAX - 1); // offset + size overflows
    assert_eq!(
        Archive::parse(&b).unwrap_err(),
        ArchiveError::OutOfRange { index: 1 }
    );

    let mut b = good.clone();
    put_u64(&mut b, entry_field(0, 48), 0); // data over the header
    assert_eq!(
        Archive::parse(&b).unwrap_err(),
        ArchiveError::OutOfRange { index: 0 }
    );

    let mut b = good.clone();
    let off = u64::from_le_bytes(b[entry_field(1, 48)..][..8].try_into().unwrap());
    put_u64(&mut b, entry_field(1, 48), off + 1);
    put_u64(&mut b, entry_field(1, 56), 1);
    assert_eq!(
        Archive::parse(&b).unwrap_err(),
        ArchiveError::Misaligned { index: 1 }
    );

    let mut b = good.clone();
    put_u64(&mut b, entry_field(1, 48), 4096); // init placed over cpudriver
    assert_eq!(
        Archive::parse(&b).unwrap_err(),
        ArchiveError::Overlap {
            first: 0,
            second: 1
        }
    );

    let mut b = good.clone();
    b[entry_field(1, 0)] = 0; // empty name
    assert_eq!(
        Archive::parse(&b).unwrap_err(),
        ArchiveError::BadName { index: 1 }
    );

    let mut b = good.clone();
    b[entry_field(1, 0)] = 0xff; // not UTF-8
    assert_eq!(
        Archive::parse(&b).unwrap_err(),
        ArchiveError::BadName { index: 1 }
    );

    let mut b = good.clone();
    b[entry_field(1, 40)] = b'x'; // garbage after the NUL
    assert_eq!(
        Archive::parse(&b).unwrap_err(),
        ArchiveError::BadName { index: 1 }
    );

    let mut b = good.clone();
    b[entry_field(1, 0)..entry_field(1, 4)].copy_from_slice(b"cpud");
    b[entry_field(1, 4)..entry_field(1, 9)].copy_from_slice(b"river");
    assert_eq!(
        Archive::parse(&b).unwrap_err(),
        ArchiveError::DuplicateName { index: 1 }
    );
}

#[test]
fn writer_refuses_bad_names() {
    let mut b = ArchiveBuilder::new();
    b.add("a", b"1").unwrap();
    assert_eq!(
        b.add("a", b"2").unwrap_err(),
        ArchiveError::DuplicateName { index: 1 }
    );
    assert_eq!(
        b.add("", b"2").unwrap_err(),
        ArchiveError::BadName { index: 1 }
    );
    assert_eq!(
        b.add(&"n".repeat(49), b"2").unwrap_err(),
        ArchiveError::BadName { index: 1 }
    );
    assert_eq!(
        b.add("tab\there", b"2").unwrap_err(),
        ArchiveError::BadName { index: 1 }
    );
    assert_eq!(Archive::parse(&b.build()).unwrap().len(), 1);
}

fn modules() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    proptest::collection::btree_map(
        "[a-z][a-z0-9._-]{0,20}",
        proptest::collection::vec(any::<u8>(), 0..9000),
        0..6,
    )
    .prop_map(|m| m.into_iter().collect())
}

proptest! {
    #[test]
    fn round_trip(mods in modules()) {
        let mut b = ArchiveBuilder::new();
        for (name, data) in &mods {
            b.add(name, data).unwrap();
        }
        let bytes = b.build();
        let a = Archive::parse(&bytes).unwrap();
        let back: Vec<(String, Vec<u8>)> = a.modules().map(|m| (m.name.to_string(), m.data.to_vec())).collect();
        prop_assert_eq!(back, mods);
    }

    /// Any prefix shorter than the archive is refused as truncated.
    #[test]
    fn every_truncation_is_refused(mods in modules(), cut in any::<prop::sample::Index>()) {
        let mut b = ArchiveBuilder::new();
        for (name, data) in &mods {
            b.add(name, data).unwrap();
        }
        let bytes = b.build();
        let len = cut.index(bytes.len());
        let is_truncated = matches!(Archive::parse(&bytes[..len]), Err(ArchiveError::Truncated { .. }));
        prop_assert!(is_truncated);
    }

    /// Corrupting any bytes never panics, and an accepted result still
    /// only hands out in-bounds, non-overlapping, aligned modules.
    #[test]
    fn corruption_never_panics(mods in modules(), flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut b = ArchiveBuilder::new();
        for (name, data) in &mods {
            b.add(name, data).unwrap();
        }
        let mut bytes = b.build();
        let header_and_table = (HEADER_SIZE + mods.len() * ENTRY_SIZE).min(bytes.len());
        for (at, value) in flips {
            // Aim at the header and table, where the interesting damage is.
            let i = at.index(header_and_table);
            bytes[i] = value;
        }
        if let Ok(a) = Archive::parse(&bytes) {
            let ms: Vec<_> = a.modules().collect();
            for (i, m) in ms.iter().enumerate() {
                prop_assert_eq!(m.offset % ALIGN, 0);
                prop_assert!(m.offset as usize + m.data.len() <= bytes.len());
                for other in &ms[..i] {
                    let disjoint = m.data.is_empty() || other.data.is_empty()
                        || m.offset + m.data.len() as u64 <= other.offset
                        || other.offset + other.data.len() as u64 <= m.offset;
                    prop_assert!(disjoint);
                    prop_assert_ne!(m.name, other.name);
                }
            }
        }
    }
}
