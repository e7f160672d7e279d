//! Boot information structures laid out as GRUB lays them out, for the
//! tests and the host fuzzer's seeds.

use alloc::vec;
use alloc::vec::Vec;

use crate::multiboot2::{
    TAG_ACPI_NEW, TAG_CMDLINE, TAG_EFI_MMAP, TAG_EFI64, TAG_END, TAG_FRAMEBUFFER, TAG_MMAP,
    TAG_MODULE,
};

/// Builds an MBI tag by tag.
pub struct Mbi(pub Vec<u8>);

impl Mbi {
    /// An MBI with no tag yet.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self(vec![0; 8])
    }

    /// Adds a tag.
    pub fn tag(mut self, kind: u32, payload: &[u8]) -> Self {
        self.0.extend((kind).to_le_bytes());
        self.0.extend((8 + payload.len() as u32).to_le_bytes());
        self.0.extend(payload);
        while !self.0.len().is_multiple_of(8) {
            self.0.push(0);
        }
        self
    }

    /// Adds the end tag and the total size.
    pub fn end(self) -> Vec<u8> {
        let mut bytes = self.tag(TAG_END, &[]).0;
        let total = bytes.len() as u32;
        bytes[..4].copy_from_slice(&total.to_le_bytes());
        bytes
    }
}

/// A memory-map tag's payload: (base, length, E820 type) entries.
pub fn e820(entries: &[(u64, u64, u32)]) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend(24u32.to_le_bytes());
    p.extend(0u32.to_le_bytes());
    for &(base, size, kind) in entries {
        p.extend(base.to_le_bytes());
        p.extend(size.to_le_bytes());
        p.extend(kind.to_le_bytes());
        p.extend(0u32.to_le_bytes());
    }
    p
}

/// An EFI memory-map tag's payload: (UEFI type, base, pages) descriptors.
pub fn efi_map(descs: &[(u32, u64, u64)]) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend(48u32.to_le_bytes());
    p.extend(1u32.to_le_bytes());
    for &(kind, base, pages) in descs {
        let mut d = [0u8; 48];
        d[..4].copy_from_slice(&kind.to_le_bytes());
        d[8..16].copy_from_slice(&base.to_le_bytes());
        d[24..32].copy_from_slice(&pages.to_le_bytes());
        p.extend(d);
    }
    p
}

/// An ACPI 2 RSDP with good checksums.
pub fn rsdp_v2() -> Vec<u8> {
    let mut r = vec![0u8; 36];
    r[..8].copy_from_slice(b"RSD PTR ");
    r[15] = 2;
    r[16..20].copy_from_slice(&0x7fe_0000u32.to_le_bytes());
    r[20..24].copy_from_slice(&36u32.to_le_bytes());
    r[24..32].copy_from_slice(&0x7fe_1000u64.to_le_bytes());
    let first = r[..20].iter().fold(0u8, |s, &b| s.wrapping_add(b));
    r[8] = 0u8.wrapping_sub(first);
    let all = r.iter().fold(0u8, |s, &b| s.wrapping_add(b));
    r[32] = 0u8.wrapping_sub(all);
    r
}

/// A 1024x768x32 framebuffer tag's payload of type `kind` (1: RGB).
pub fn framebuffer_tag(kind: u8) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend(0x8000_0000u64.to_le_bytes());
    p.extend(4096u32.to_le_bytes());
    p.extend(1024u32.to_le_bytes());
    p.extend(768u32.to_le_bytes());
    p.extend([32, kind, 0, 0]);
    p.extend([16, 8, 8, 8, 0, 8, 0, 0]);
    p
}

/// A module tag's payload.
pub fn module(start: u32, end: u32) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend(start.to_le_bytes());
    p.extend(end.to_le_bytes());
    p.extend(b"boot.img\0");
    p
}

/// What GRUB gives under BIOS, more or less (before the end tag).
pub fn bios() -> Mbi {
    Mbi::new()
        .tag(TAG_CMDLINE, b"kernel=cpudriver-v2\0")
        .tag(TAG_MODULE, &module(0x20_0000, 0x30_0000))
        .tag(
            TAG_MMAP,
            &e820(&[
                (0, 0x9fc00, 1),
                (0x9fc00, 0x400, 2),
                (0x10_0000, 0x1ff0_0000, 1),
            ]),
        )
        .tag(TAG_FRAMEBUFFER, &framebuffer_tag(1))
        .tag(TAG_ACPI_NEW, &rsdp_v2())
}

/// What GRUB gives under UEFI, more or less: the BIOS tags, the EFI system
/// table and the EFI memory map.
pub fn uefi() -> Vec<u8> {
    bios()
        .tag(TAG_EFI64, &0x7f9e_e018u64.to_le_bytes())
        .tag(
            TAG_EFI_MMAP,
            &efi_map(&[
                (7, 0, 0x9f),
                (3, 0x10_0000, 0x100),
                (4, 0x20_0000, 0x100),
                (6, 0x30_0000, 1),
                (9, 0x30_1000, 2),
            ]),
        )
        .end()
}
