//! Host checks of the built images: the CPU driver is a static PIE that
//! relocates correctly at any base, and the boot archive carries every
//! image stripped to what loading it reads.

use elfload::ElfImage;
use qemu_tests::{HarnessError, Images};

fn read(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Loading the real CPU driver at two different biases: every relocated
/// word differs by exactly the difference of the biases and holds
/// bias + addend; every other byte is identical.
#[test]
fn cpudriver_relocates_at_any_base() -> Result<(), HarnessError> {
    let images = Images::locate()?;
    let elf = read(&images.kernel("cpudriver"));
    let image = ElfImage::parse(&elf).expect("the CPU driver is a valid image");
    assert!(image.is_relocatable());
    assert_eq!(image.vaddr_range().0, 0, "linked at 0");
    let relocs: Vec<_> = image.relocations().collect();
    assert!(
        relocs.len() > 10,
        "a static PIE kernel has relocations, found {}",
        relocs.len()
    );
    assert!(relocs.iter().all(|r| r.kind == 8), "only R_X86_64_RELATIVE");

    let size = image.memory_size() as usize;
    let (a, b) = (0xffff_8000_0011_f000u64, 0xffff_8000_7654_3000u64);
    let mut at_a = vec![0u8; size];
    let mut at_b = vec![0u8; size];
    image.load_into(&mut at_a, a).expect("load at a");
    image.load_into(&mut at_b, b).expect("load at b");

    let mut relocated = vec![false; size];
    for r in &relocs {
        let at = r.offset as usize;
        let word = |buf: &[u8]| u64::from_le_bytes(buf[at..at + 8].try_into().expect("8 bytes"));
        assert_eq!(
            word(&at_a),
            a.wrapping_add(r.addend as u64),
            "word at {at:#x}"
        );
        assert_eq!(
            word(&at_b).wrapping_sub(word(&at_a)),
            b - a,
            "word at {at:#x}"
        );
        relocated[at..at + 8].fill(true);
    }
    for (offset, ((x, y), moved)) in at_a.iter().zip(&at_b).zip(&relocated).enumerate() {
        if !moved {
            assert_eq!(x, y, "unrelocated byte {offset:#x} differs between bases");
        }
    }
    let entry_in_text = image
        .segments()
        .any(|s| s.executable && (s.vaddr..s.vaddr + s.memsz).contains(&image.entry()));
    assert!(entry_in_text);
    Ok(())
}

/// Every image in the boot archive is the built image cut to what loading
/// it reads (`elfload::strip`): the same segments, entry and relocations,
/// the same bytes up to where it ends, and none of the debug information.
#[test]
fn boot_archive_carries_every_image_stripped() -> Result<(), HarnessError> {
    let images = Images::locate()?;
    let archive_bytes = read(&images.archive());
    let archive = bootarchive::Archive::parse(&archive_bytes).expect("valid boot archive");
    assert!(archive.get("cpudriver").is_some(), "no cpudriver module");
    let mut modules = 0;
    for module in archive.modules().filter(|m| m.name != "boot.cfg") {
        let mut built = read(&images.kernel(module.name));
        let full = ElfImage::parse(&built)
            .expect("a built image")
            .segments()
            .collect::<Vec<_>>();
        let keep = elfload::strip(&mut built).expect("a built image strips");
        assert_eq!(
            module.data,
            &built[..keep],
            "{} is not the stripped image",
            module.name
        );
        let carried = ElfImage::parse(module.data).expect("a carried image");
        assert_eq!(
            carried.segments().collect::<Vec<_>>(),
            full,
            "{}",
            module.name
        );
        assert!(
            keep < built.len() / 2,
            "{}: {keep} of {} bytes kept",
            module.name,
            built.len()
        );
        modules += 1;
    }
    assert!(modules > 20, "only {modules} images in the archive");
    Ok(())
}

/// The standard kernel pays nothing for tracing: its image holds no code or
/// data of the tracing hooks (`kernel/src/trace.rs`), which every call
/// site reaches only behind a `cfg!(feature = "trace")` constant; the
/// tracing build's does (so the test looks for the right names).
#[test]
fn the_standard_kernel_carries_no_tracing_code() -> Result<(), HarnessError> {
    let images = Images::locate()?;
    // The mangled path of `cpudriver::trace::...` in the symbol table.
    let marker = b"9cpudriver5trace";
    let holds = |image: &str| {
        read(&images.kernel(image))
            .windows(marker.len())
            .any(|w| w == marker)
    };
    assert!(
        holds("cpudriver-trace"),
        "the tracing kernel names its hooks"
    );
    for image in ["cpudriver", "cpudriver-v2"] {
        assert!(!holds(image), "{image} carries tracing code");
    }
    Ok(())
}
