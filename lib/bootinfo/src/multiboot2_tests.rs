//! Boot information structures built the way GRUB lays them out, good and
//! bad; and arbitrary bytes, which must be refused or read, never panic.

extern crate std;

use proptest::prelude::*;

use super::*;

use crate::sample::{Mbi, bios, e820, framebuffer_tag, module, rsdp_v2};

#[test]
fn a_bios_boot_is_read() {
    let d = parse(&bios().end()).unwrap();
    assert_eq!(d.firmware, Firmware::Bios);
    assert_eq!(d.cmdline(), "kernel=cpudriver-v2");
    assert_eq!(d.archive, Some(PhysRange::new(0x20_0000, 0x10_0000)));
    assert_eq!(d.regions().len(), 3);
    assert_eq!(d.regions()[2], Region::new(0x10_0000, 0x1ff0_0000, 1));
    let fb = d.framebuffer.unwrap().unwrap();
    assert_eq!(
        (fb.width, fb.height, fb.bpp, fb.red.position),
        (1024, 768, 32, 16)
    );
    let Rsdp::Copy { bytes, len } = d.rsdp else {
        panic!("no RSDP copy")
    };
    assert_eq!((len, &bytes[..8]), (36, &b"RSD PTR "[..]));
}

#[test]
fn a_uefi_boot_prefers_the_efi_map() {
    let mbi = crate::sample::uefi();
    let d = parse(&mbi).unwrap();
    assert_eq!(d.firmware, Firmware::Uefi);
    assert_eq!(
        d.regions(),
        [
            Region::new(0, 0x9f000, 1),
            Region::new(0x10_0000, 0x20_0000, 1),
            Region::new(0x30_0000, 0x1000, 2),
            Region::new(0x30_1000, 0x2000, 3),
        ]
    );
}

#[test]
fn missing_and_bad_tags_say_which() {
    let no_map = Mbi::new().tag(TAG_ACPI_NEW, &rsdp_v2()).end();
    assert_eq!(
        parse(&no_map).err().map(|r| r.error),
        Some(Multiboot2Error::NoMemoryMap)
    );
    let no_acpi = Mbi::new().tag(TAG_MMAP, &e820(&[(0, 0x1000, 1)])).end();
    assert_eq!(
        parse(&no_acpi).err().map(|r| r.error),
        Some(Multiboot2Error::NoRsdp)
    );
    let mut bad = rsdp_v2();
    bad[9] ^= 1;
    let bad_acpi = Mbi::new()
        .tag(TAG_MMAP, &e820(&[]))
        .tag(TAG_ACPI_NEW, &bad)
        .end();
    assert_eq!(
        parse(&bad_acpi).err().map(|r| r.error),
        Some(Multiboot2Error::BadRsdp)
    );
    let services = bios().tag(TAG_EFI_BS, &[]).end();
    assert_eq!(
        parse(&services).err().map(|r| r.error),
        Some(Multiboot2Error::BootServicesRunning)
    );
    let backwards = bios().tag(TAG_MODULE, &module(0, 0)).end();
    assert!(
        parse(&backwards).is_ok(),
        "only the first module is the archive"
    );
    let mut backwards = Mbi::new()
        .tag(TAG_MODULE, &module(0x30_0000, 0x20_0000))
        .end();
    assert_eq!(
        parse(&backwards).err().map(|r| r.error),
        Some(Multiboot2Error::BadModule)
    );
    backwards[0] = 9;
    assert_eq!(
        parse(&backwards).err().map(|r| r.error),
        Some(Multiboot2Error::BadSize(9))
    );
    let short_map = Mbi::new().tag(TAG_MMAP, &[16, 0, 0, 0, 0, 0, 0, 0]).end();
    assert_eq!(
        parse(&short_map).err().map(|r| r.error),
        Some(Multiboot2Error::BadMemoryMap)
    );
    let no_nul = bios().tag(TAG_CMDLINE, b"abc").end();
    assert_eq!(
        parse(&no_nul).err().map(|r| r.error),
        Some(Multiboot2Error::BadCmdline)
    );
}

#[test]
fn a_refusal_keeps_the_screen_to_say_it_on() {
    // No RSDP: refused, but the framebuffer (outside RAM) is there.
    let no_acpi = Mbi::new()
        .tag(TAG_MMAP, &e820(&[(0, 0x1000_0000, 1)]))
        .tag(TAG_FRAMEBUFFER, &framebuffer_tag(1))
        .end();
    let refused = parse(&no_acpi).unwrap_err();
    assert_eq!(refused.error, Multiboot2Error::NoRsdp);
    assert_eq!(refused.screen.map(|fb| fb.width), Some(1024));
    // A framebuffer in ACPI storage is no screen, refused or not.
    let in_nvs = Mbi::new()
        .tag(TAG_MMAP, &e820(&[(0x8000_0000, 0x1000, 4)]))
        .tag(TAG_FRAMEBUFFER, &framebuffer_tag(1))
        .end();
    assert_eq!(parse(&in_nvs).unwrap_err().screen, None);
    // Refused before the memory map was read: the framebuffer is unchecked,
    // so not used (it could lie over RAM).
    let early = Mbi::new()
        .tag(TAG_FRAMEBUFFER, &framebuffer_tag(1))
        .tag(TAG_CMDLINE, b"no NUL")
        .tag(TAG_MMAP, &e820(&[(0, 0x1000_0000, 1)]))
        .end();
    let refused = parse(&early).unwrap_err();
    assert_eq!(
        (refused.error, refused.screen),
        (Multiboot2Error::BadCmdline, None)
    );
}

#[test]
fn a_bad_acpi_2_rsdp_falls_back_to_acpi_1() {
    let mut v2 = rsdp_v2();
    v2[32] ^= 1;
    let v1 = {
        let mut v1 = rsdp_v2()[..20].to_vec();
        v1[15] = 0;
        let sum = v1.iter().fold(0u8, |s, &b| s.wrapping_add(b));
        v1[8] = v1[8].wrapping_sub(sum);
        v1
    };
    let both = bios().tag(TAG_ACPI_NEW, &v2).tag(TAG_ACPI_OLD, &v1).end();
    let Rsdp::Copy { len, .. } = parse(&both).unwrap().rsdp else {
        panic!("no RSDP")
    };
    assert_eq!(len, 20);
    let only_bad = Mbi::new()
        .tag(TAG_MMAP, &e820(&[]))
        .tag(TAG_ACPI_NEW, &v2)
        .end();
    assert_eq!(
        parse(&only_bad).unwrap_err().error,
        Multiboot2Error::BadRsdp
    );
}

#[test]
fn a_tag_running_past_the_end_is_refused() {
    let mut mbi = bios().end();
    // The command line tag claims more bytes than the MBI holds.
    mbi[12..16].copy_from_slice(&10_000u32.to_le_bytes());
    assert_eq!(
        parse(&mbi).err().map(|r| r.error),
        Some(Multiboot2Error::BadTag(8))
    );
    let mut no_end = bios().0;
    let total = no_end.len() as u32;
    no_end[..4].copy_from_slice(&total.to_le_bytes());
    assert_eq!(
        parse(&no_end).err().map(|r| r.error),
        Some(Multiboot2Error::NoEndTag)
    );
}

#[test]
fn framebuffers_the_console_cannot_use_are_named() {
    for (kind, why) in [(0, NoScreen::Indexed), (2, NoScreen::Text)] {
        let d = parse(&bios().tag(TAG_FRAMEBUFFER, &framebuffer_tag(kind)).end()).unwrap();
        assert_eq!(d.framebuffer, Some(Err(why)));
    }
    let mut high = framebuffer_tag(1);
    high[..8].copy_from_slice(&0x1_0000_0000u64.to_le_bytes());
    let d = parse(&bios().tag(TAG_FRAMEBUFFER, &high).end()).unwrap();
    assert_eq!(d.framebuffer, Some(Err(NoScreen::Unreachable)));
    let mut in_ram = framebuffer_tag(1);
    in_ram[..8].copy_from_slice(&0x1000_0000u64.to_le_bytes());
    let d = parse(&bios().tag(TAG_FRAMEBUFFER, &in_ram).end()).unwrap();
    assert_eq!(d.framebuffer, Some(Err(NoScreen::InMemory)));
    let d = parse(&bios().tag(TAG_FRAMEBUFFER, &framebuffer_tag(1)[..22]).end()).unwrap();
    assert_eq!(d.framebuffer, Some(Err(NoScreen::ShortTag)));
    let mut deep = framebuffer_tag(1);
    deep[20] = 8;
    let d = parse(&bios().tag(TAG_FRAMEBUFFER, &deep).end()).unwrap();
    assert_eq!(
        d.framebuffer,
        Some(Err(NoScreen::Geometry(screen::ScreenError::Depth(8))))
    );
}

proptest! {
    #[test]
    fn arbitrary_bytes_are_refused_or_read(mut bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if bytes.len() >= 4 && bytes[0] & 1 == 0 {
            let len = bytes.len() as u32;
            bytes[..4].copy_from_slice(&len.to_le_bytes());
        }
        let _ = parse(&bytes);
    }

    #[test]
    fn any_tag_sequence_is_refused_or_read(
        tags in proptest::collection::vec((0u32..20, proptest::collection::vec(any::<u8>(), 0..64)), 0..10),
    ) {
        let mut mbi = bios();
        for (kind, payload) in &tags {
            mbi = mbi.tag(*kind, payload);
        }
        let _ = parse(&mbi.end());
    }
}
