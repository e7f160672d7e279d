//! What the host fuzzer feeds, and to which parser: each target takes one
//! input and says whether the parser accepted it or why it refused it.
//!
//! * `elf`: `elfload::ElfImage::parse`, then for an accepted image what a
//!   loader does with it (the pages it may share, the part it copies,
//!   loaded; every 16th case, to keep a million cases in seconds). Seeds:
//!   every ELF module of the built boot archive (kernels and programs).
//! * `archive`: `bootarchive::Archive::parse` and every module of an
//!   accepted one. Seed: the built boot archive.
//! * `command`: `bootcmd::parse` of one command line. Seeds: one of each
//!   command.
//! * `config`: `bootcmd::config` of a whole startup configuration. Seed:
//!   the archive's `boot.cfg`.
//! * `params`: `bootproto::params::BootParams::decode` of a parameter page
//!   (its parameters' bytes; a shorter page reads as zero-filled),
//!   `validate`, and every accessor a kernel uses (writable part, memory
//!   map, names, command line and its words). Seed: a page as the boot
//!   driver writes one.
//! * `messages`: every typed protocol message decoded from the same words,
//!   and what is accepted encoded and decoded again (`super::messages`).
//!   Seeds: each small opcode with small arguments.
//! * `kcb`: KCB layout conversion (`super::kcb`). Seeds: a KCB of each
//!   layout.
//! * `multiboot2`: the loader's reading of GRUB's boot information
//!   (`super::multiboot2`). Seeds: one as under BIOS, one as under UEFI.

use bootarchive::Archive;
use bootproto::PhysRange;
use bootproto::memmap::{MemoryKind, MemoryMap};
use bootproto::params::{BootParams, MEMORY_MAP_CAPACITY, PARAMS_PAGE};
use elfload::ElfImage;

/// What a parser made of an input.
pub enum Outcome {
    /// Accepted.
    Accepted,
    /// Refused, with the error's text.
    Refused(String),
}

/// One parser and the seeds to mutate for it.
pub struct Target {
    /// Its name on the command line and in the report.
    pub name: &'static str,
    /// Valid inputs.
    pub seeds: Vec<Vec<u8>>,
    /// Runs the parser on an input (`deep`: also the costly follow-up).
    pub run: fn(&[u8], bool) -> Outcome,
}

/// Every target, seeded from the boot archive `archive`.
pub fn all(archive: &[u8]) -> anyhow::Result<Vec<Target>> {
    let parsed = Archive::parse(archive)
        .map_err(|e| anyhow::anyhow!("the built boot archive does not parse: {e}"))?;
    let elves: Vec<Vec<u8>> = parsed
        .modules()
        .filter(|m| m.data.starts_with(b"\x7fELF"))
        .map(|m| m.data.to_vec())
        .collect();
    let config = parsed.get(bootcmd::CONFIG_MODULE).map_or_else(
        || bootcmd::DEFAULT_CONFIG.as_bytes().to_vec(),
        |m| m.data.to_vec(),
    );
    let commands: Vec<Vec<u8>> = COMMANDS.iter().map(|c| c.as_bytes().to_vec()).collect();
    Ok(vec![
        Target {
            name: "elf",
            seeds: elves,
            run: elf,
        },
        Target {
            name: "archive",
            seeds: vec![archive.to_vec()],
            run: archive_target,
        },
        Target {
            name: "command",
            seeds: commands,
            run: command,
        },
        Target {
            name: "config",
            seeds: vec![config],
            run: config_target,
        },
        Target {
            name: "params",
            seeds: vec![params_seed()],
            run: params,
        },
        Target {
            name: "messages",
            seeds: super::messages::seeds(),
            run: super::messages::run,
        },
        Target {
            name: "kcb",
            seeds: super::kcb::seeds(),
            run: super::kcb::run,
        },
        Target {
            name: "multiboot2",
            seeds: super::multiboot2::seeds(),
            run: super::multiboot2::run,
        },
    ])
}

/// One of each of the boot driver's commands.
const COMMANDS: [&str; 19] = [
    "boot 3 --kernel cpudriver-v2 --kcb new",
    "boot all",
    "boot 2 --kcb 7",
    "stop 2",
    "update 1 cpudriver-v2",
    "update 0 cpudriver-faulty --check-ms 500",
    "give 4 2",
    "move 0 3",
    "rt 2 jitter 20000",
    "park 3 2",
    "unpark 5 3",
    "fault 2",
    "fault 3 --hang",
    "fault 1 --mid-change",
    "trace 2 on",
    "trace 2 dump",
    "trace 2 off",
    "list",
    "help",
];

fn refused(e: impl std::fmt::Display) -> Outcome {
    Outcome::Refused(e.to_string())
}

fn elf(input: &[u8], deep: bool) -> Outcome {
    let image = match ElfImage::parse(input) {
        Ok(image) => image,
        Err(e) => return refused(e),
    };
    let shared = image.in_place();
    for segment in image.segments() {
        let _ = shared.backing(&image, &segment);
    }
    let _ = image.relocations().count();
    let _ = image.file_bytes_at(image.entry(), 16);
    if deep && image.memory_size() <= 16 << 20 {
        let bias = if image.is_relocatable() { 0x40_0000 } else { 0 };
        let mut tail = vec![0u8; shared.copied_bytes(&image) as usize];
        if let Err(e) = image.load_tail_into(&mut tail, bias, shared) {
            return refused(e);
        }
        let mut whole = vec![0u8; image.memory_size() as usize];
        if let Err(e) = image.load_into(&mut whole, bias) {
            return refused(e);
        }
    }
    Outcome::Accepted
}

fn archive_target(input: &[u8], _: bool) -> Outcome {
    match Archive::parse(input) {
        Ok(a) => {
            for module in a.modules() {
                let found = a.get(module.name).map(|m| m.data.len());
                assert_eq!(
                    found,
                    Some(module.data.len()),
                    "a listed module is not found"
                );
            }
            Outcome::Accepted
        }
        Err(e) => refused(e),
    }
}

fn command(input: &[u8], _: bool) -> Outcome {
    match bootcmd::parse(String::from_utf8_lossy(input).trim()) {
        Ok(_) => Outcome::Accepted,
        Err(e) => refused(e),
    }
}

fn config_target(input: &[u8], _: bool) -> Outcome {
    let text = String::from_utf8_lossy(input);
    let mut outcome = Outcome::Accepted;
    for (_, parsed) in bootcmd::config(&text) {
        if let Err(e) = parsed {
            outcome = refused(e);
        }
    }
    outcome
}

/// A parameter page as the boot driver writes one for a core on shared text.
fn params_seed() -> Vec<u8> {
    let mut p = BootParams::new();
    p.core_id = 3;
    p.apic_id = 3;
    p.kernel_phys = 0x20_0000;
    p.kernel_size = 0x10_0000;
    p.params_phys = 0x40_0000;
    p.archive_phys = 0x100_0000;
    p.archive_size = 0x80_0000;
    p.phys_top = 0x4000_0000;
    p.tsc_hz = 2_600_000_000;
    p.apic_timer_hz = 62_500_000;
    p.kcb_phys = 0x50_0000;
    p.osnode_id = 7;
    p.channel_phys = 0x51_0000;
    p.channel_size = 0x1000;
    p.data_offset = 0x8_0000;
    p.data_phys = 0x40_1000;
    let mut map = MemoryMap::<MEMORY_MAP_CAPACITY>::default();
    for (base, size, kind) in [
        (0, 0x10_0000, MemoryKind::Reserved),
        (0x10_0000, 0x3ff0_0000, MemoryKind::Ram),
        (0x20_0000, 0x10_0000, MemoryKind::KernelImage),
        (0x100_0000, 0x80_0000, MemoryKind::BootArchive),
    ] {
        let _ = map.set(PhysRange::new(base, size), kind);
    }
    p.set_memory_map(&map);
    let _ = p.set_kernel_name("cpudriver");
    let _ = p.set_cmdline("log=info fatal=exit checks");
    let _ = p.set_program("");
    let mut page = vec![0u8; PARAMS_PAGE];
    p.encode(&mut page);
    // Only the parameters themselves: the rest of a page is not read (a
    // shorter page decodes as if zero-filled, which cutting it tries).
    page.truncate(size_of::<BootParams>());
    page
}

fn params(input: &[u8], _: bool) -> Outcome {
    let p = BootParams::decode(input);
    let map = p.memory_map();
    let _ = map.memory_top();
    let _ = map.kind_at(p.kernel_phys);
    if let Ok(line) = p.cmdline() {
        for word in ["log", "fatal", "checks", "kernel"] {
            let _ = line.get(word);
        }
    }
    let _ = (p.kernel_name(), p.program(), p.data_range());
    match p.validate() {
        Ok(()) => Outcome::Accepted,
        Err(e) => refused(e),
    }
}
