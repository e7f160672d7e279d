//! `cargo xtask lint`: formatting, the README's generated paper table
//! (`bench::paper`), and clippy over every crate, the freestanding images
//! included (checked one package at a time with the
//! kernel flags, since feature unification across the workspace would pull
//! `std` features into their dependencies).

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::build::{KERNEL_FLAGS, LOADER_FLAGS, PROGRAMS, TARGET, USER_FLAGS};

fn run(command: &mut Command, what: &str) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {what}"))?;
    if !status.success() {
        bail!("{what} reported problems");
    }
    Ok(())
}

/// Checks formatting and lints; fails on any warning.
pub fn lint() -> Result<()> {
    let cargo = crate::build::cargo();
    run(
        Command::new(&cargo).args(["fmt", "--all", "--", "--check"]),
        "cargo fmt --check",
    )?;
    crate::bench::paper::check_readme()?;
    let mut host = Command::new(&cargo);
    host.args(["clippy", "--quiet", "--workspace", "--all-targets"]);
    for package in crate::build::freestanding() {
        host.args(["--exclude", package]);
    }
    run(host.args(["--", "-D", "warnings"]), "clippy (host crates)")?;
    let target = harness::workspace_root().join("target");
    let kernels = crate::build::KERNELS
        .iter()
        .map(|k| ("cpudriver", KERNEL_FLAGS, "kernel", k.features));
    let loader = [("loader", LOADER_FLAGS, "loader", &[][..])];
    let programs = PROGRAMS.iter().map(|p| (*p, USER_FLAGS, "user", &[][..]));
    for (package, flags, dir, features) in kernels.chain(loader).chain(programs) {
        let mut image = Command::new(&cargo);
        image
            .args([
                "clippy",
                "--quiet",
                "--package",
                package,
                "--target",
                TARGET,
                "--release",
            ])
            .arg("--target-dir")
            .arg(target.join(dir));
        if !features.is_empty() {
            image.arg("--features").arg(features.join(","));
        }
        image
            .env("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f"))
            .env_remove("RUSTFLAGS")
            .args(["--", "-D", "warnings"]);
        let what = if features.is_empty() {
            format!("clippy ({package})")
        } else {
            format!("clippy ({package}, features {})", features.join(","))
        };
        run(&mut image, &what)?;
    }
    Ok(())
}
