//! Building the images: the PVH loader, every CPU driver variant, and the
//! boot archive that carries the CPU drivers, the programs and `boot.cfg`.
//!
//! Kernel code needs compiler flags host code must not get (static
//! relocation model or static PIE, no red zone, frame pointers), so each
//! image is built by its own cargo invocation with `CARGO_ENCODED_RUSTFLAGS`,
//! an explicit `--target` (which spares build scripts and proc-macros those
//! flags) and a target directory of its own. Images are copied to
//! `target/corefish/images/`; the boot archive carries them stripped to what
//! loading them reads (`elfload::strip`), about a tenth of their bytes: the
//! debug information and symbols stay in the files on the host.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};
use bootarchive::ArchiveBuilder;
use harness::Images;

/// The only target these machines have; naming it explicitly keeps the
/// image flags away from build scripts and proc-macros.
pub const TARGET: &str = "x86_64-unknown-linux-gnu";

/// Flags of the loader: a static executable at a fixed address.
#[rustfmt::skip]
pub const LOADER_FLAGS: &[&str] = &[
    "-C", "relocation-model=static",
    "-C", "target-feature=+crt-static",
    "-C", "no-redzone=yes",
    "-C", "force-frame-pointers=yes",
];

/// Flags of a CPU driver: a static PIE, so that it can be loaded at any
/// address; no red zone (interrupts may arrive while the kernel idles);
/// frame pointers for backtraces in fatal reports.
#[rustfmt::skip]
pub const KERNEL_FLAGS: &[&str] = &[
    "-C", "relocation-model=pie",
    "-C", "target-feature=+crt-static",
    "-C", "no-redzone=yes",
    "-C", "force-frame-pointers=yes",
];

/// Flags of a user program: a static PIE linked with `user/link.ld`
/// (programs keep the red zone: the kernel never runs on their stacks).
#[rustfmt::skip]
pub const USER_FLAGS: &[&str] = &[
    "-C", "relocation-model=pie",
    "-C", "target-feature=+crt-static",
    "-C", "force-frame-pointers=yes",
    "-C", "link-arg=-nostartfiles",
    "-C", "link-arg=-nostdlib",
    "-C", "link-arg=-Wl,--gc-sections",
    "-C", "link-arg=-Wl,-z,norelro",
    "-C", "link-arg=-Wl,--build-id=none",
];

/// The programs that go into the boot archive (package = binary = module name).
#[rustfmt::skip]
pub const PROGRAMS: &[&str] = &[
    // The system.
    "init", "memserv", "serial", "shell", "monitor", "corectrl",
    // Programs to run from the shell, and the tests' programs.
    "hello", "sleeper", "threads", "upcalls", "faulter", "confine", "holder", "lmpring", "lmpnode", "fuzz", "umpmesh", "xcap", "umpbench", "busy", "counter", "nap", "jitter", "tpchq", "attack",
];

/// Packages that are not host-testable: freestanding images and the user
/// runtime (user programs are added from [`PROGRAMS`]). `baremetal` is
/// tested on the host: its symbols are exported only outside its tests.
pub const FREESTANDING: &[&str] = &["cpudriver", "loader", "corefish"];

/// Every package that only builds freestanding (host tests and host clippy
/// leave them out).
pub fn freestanding() -> impl Iterator<Item = &'static str> {
    FREESTANDING.iter().chain(PROGRAMS).copied()
}

/// A CPU driver build that goes into the boot archive.
pub struct KernelVariant {
    /// Module name in the boot archive (and `kernel=` value).
    pub name: &'static str,
    /// Cargo features of the `cpudriver` package.
    pub features: &'static [&'static str],
}

/// Every CPU driver the boot archive carries.
pub const KERNELS: &[KernelVariant] = &[
    KernelVariant {
        name: "cpudriver",
        features: &[],
    },
    // The same source with a different version string and time slice, for
    // booting cores with another kernel and updating kernels.
    KernelVariant {
        name: "cpudriver-v2",
        features: &["v2"],
    },
    // The same source with KCB layout 1, the previous one: a kernel
    // update from it converts its KCBs; an update back to it is refused.
    KernelVariant {
        name: "cpudriver-kcb1",
        features: &["kcb1"],
    },
    // The real-time kernel: one program, no interrupts, timer or scheduler.
    KernelVariant {
        name: "cpudriver-rt",
        features: &["rt"],
    },
    // Deliberately bad kernels, for the updates that roll back: one faults
    // in ring 0 at its first interrupt once it runs an OSNode, one hangs
    // before it takes its KCB.
    KernelVariant {
        name: "cpudriver-faulty",
        features: &["faulty"],
    },
    KernelVariant {
        name: "cpudriver-hang",
        features: &["hang"],
    },
    // The tracing kernel (`corectrl trace N on`).
    KernelVariant {
        name: "cpudriver-trace",
        features: &["trace"],
    },
];

/// The cargo that runs xtask.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Builds `package`'s binary `bin` with `flags`, in its own target
/// directory; returns the ELF's path.
fn build_image(
    package: &str,
    bin: &str,
    features: &[&str],
    flags: &[&str],
    target_dir: &Path,
) -> Result<PathBuf> {
    let mut command = Command::new(cargo());
    command
        .args([
            "build",
            "--release",
            "--package",
            package,
            "--bin",
            bin,
            "--target",
            TARGET,
        ])
        .arg("--target-dir")
        .arg(target_dir)
        .env("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f"))
        .env_remove("RUSTFLAGS");
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    let status = command.status().context("cannot run cargo")?;
    if !status.success() {
        bail!("building {package} {bin} (features {features:?}) failed");
    }
    Ok(target_dir.join(TARGET).join("release").join(bin))
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    Ok(())
}

/// Reads `path` (the boot configuration) and adds it to the boot archive
/// as module `name`.
fn add(archive: &mut ArchiveBuilder, name: &str, path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    add_bytes(archive, name, &bytes)
}

/// Reads the ELF image at `path` and adds it to the boot archive as module
/// `name`, stripped to what loading it reads (`elfload::strip`: no debug
/// information or symbols, which stay in the file on the host).
fn add_image(archive: &mut ArchiveBuilder, name: &str, path: &Path) -> Result<()> {
    let mut bytes =
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let keep = elfload::strip(&mut bytes)
        .map_err(|e| anyhow!("{}: not a loadable image: {e}", path.display()))?;
    bytes.truncate(keep);
    add_bytes(archive, name, &bytes)
}

fn add_bytes(archive: &mut ArchiveBuilder, name: &str, bytes: &[u8]) -> Result<()> {
    // `ArchiveError` is `no_std`: not a `std::error::Error`.
    archive
        .add(name, bytes)
        .map_err(|e| anyhow!("boot archive: {e}"))?;
    Ok(())
}

/// Builds everything; returns where the images are.
pub fn build_all() -> Result<Images> {
    let target = harness::workspace_root().join("target");
    let images = Images::in_dir(Images::default_dir());
    std::fs::create_dir_all(images.dir())
        .with_context(|| format!("cannot create {}", images.dir().display()))?;

    let loader = build_image(
        "loader",
        "loader",
        &[],
        LOADER_FLAGS,
        &target.join("loader"),
    )?;
    copy(&loader, &images.loader())?;

    let mut archive = ArchiveBuilder::new();
    for variant in KERNELS {
        // A target directory per variant, so that switching features does
        // not rebuild the other.
        let kernel_dir = target.join(format!("kernel-{}", variant.name));
        let elf = build_image(
            "cpudriver",
            "cpudriver",
            variant.features,
            KERNEL_FLAGS,
            &kernel_dir,
        )?;
        copy(&elf, &images.kernel(variant.name))?;
        add_image(&mut archive, variant.name, &elf)?;
    }
    let script = harness::workspace_root().join("user").join("link.ld");
    let script_arg = format!("link-arg=-Wl,-T,{}", script.display());
    let mut user_flags: Vec<&str> = USER_FLAGS.to_vec();
    user_flags.extend(["-C", &script_arg]);
    for program in PROGRAMS {
        let elf = build_image(program, program, &[], &user_flags, &target.join("user"))?;
        copy(&elf, &images.kernel(program))?;
        add_image(&mut archive, program, &elf)?;
    }
    let config = harness::workspace_root()
        .join("user")
        .join(bootcmd::CONFIG_MODULE);
    add(&mut archive, bootcmd::CONFIG_MODULE, &config)?;
    std::fs::write(images.archive(), archive.build()).context("cannot write the boot archive")?;
    Ok(images)
}
