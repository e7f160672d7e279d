//! A synthetic static-PIE image for the tests, and byte helpers.

#![allow(dead_code)]

pub const TEXT: u64 = 0;
pub const DATA: u64 = 0x1000;
pub const RELA_AT: usize = 0x800;
pub const ENTRY: u64 = 0x100;
pub const BSS_END: u64 = 0x4000;

/// Builds a static PIE: a text segment (headers, code, RELA table), a data
/// segment (dynamic section, initialised words, then zeroed memory) and a
/// dynamic segment. `extra_dynamic` entries come before DT_NULL.
pub fn build(relocs: &[(u64, u32, i64)], extra_dynamic: &[(u64, u64)]) -> Vec<u8> {
    let mut f = vec![0u8; 0x2000];
    // ELF header.
    f[..4].copy_from_slice(b"\x7fELF");
    f[4] = 2;
    f[5] = 1;
    f[6] = 1;
    put16(&mut f, 16, 3); // ET_DYN
    put16(&mut f, 18, 62);
    put32(&mut f, 20, 1);
    put64(&mut f, 24, ENTRY);
    put64(&mut f, 32, 64); // phoff
    put16(&mut f, 52, 64);
    put16(&mut f, 54, 56);
    put16(&mut f, 56, 3);
    phdr(&mut f, 0, 1, 5, 0, TEXT, 0x1000, 0x1000);
    phdr(&mut f, 1, 1, 6, 0x1000, DATA, 0x1000, BSS_END - DATA);
    phdr(&mut f, 2, 2, 6, 0x1000, DATA, 0x100, 0x100);
    // Code bytes, to check they are copied unchanged.
    for (i, b) in f[ENTRY as usize..0x200].iter_mut().enumerate() {
        *b = i as u8 ^ 0x5a;
    }
    // Dynamic section.
    let mut dynamic = vec![
        (7u64, RELA_AT as u64),
        (8, (relocs.len() * 24) as u64),
        (9, 24),
    ];
    dynamic.extend_from_slice(extra_dynamic);
    dynamic.push((0, 0));
    for (i, (tag, val)) in dynamic.iter().enumerate() {
        put64(&mut f, 0x1000 + i * 16, *tag);
        put64(&mut f, 0x1008 + i * 16, *val);
    }
    // Initialised data after the dynamic section.
    for (i, b) in f[0x1100..0x2000].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(7);
    }
    for (i, &(offset, kind, addend)) in relocs.iter().enumerate() {
        let at = RELA_AT + i * 24;
        put64(&mut f, at, offset);
        put64(&mut f, at + 8, u64::from(kind));
        put64(&mut f, at + 16, addend as u64);
    }
    f
}

#[allow(clippy::too_many_arguments)]
pub fn phdr(
    f: &mut [u8],
    i: usize,
    kind: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
) {
    let at = 64 + i * 56;
    put32(f, at, kind);
    put32(f, at + 4, flags);
    put64(f, at + 8, offset);
    put64(f, at + 16, vaddr);
    put64(f, at + 24, vaddr);
    put64(f, at + 32, filesz);
    put64(f, at + 40, memsz);
    put64(f, at + 48, 0x1000);
}

pub fn put16(f: &mut [u8], at: usize, v: u16) {
    f[at..at + 2].copy_from_slice(&v.to_le_bytes());
}
pub fn put32(f: &mut [u8], at: usize, v: u32) {
    f[at..at + 4].copy_from_slice(&v.to_le_bytes());
}
pub fn put64(f: &mut [u8], at: usize, v: u64) {
    f[at..at + 8].copy_from_slice(&v.to_le_bytes());
}
pub fn get64(f: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(f[at..at + 8].try_into().unwrap())
}
