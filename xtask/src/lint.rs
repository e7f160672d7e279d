//! `cargo xtask lint`: formatting and clippy over every crate, the
//! freestanding images included (checked one package at a time with the
//! kernel flags, since feature unification across the workspace would pull
//! `std` features into their dependencies).

use std::process::Command;

use crate::build::{KERNEL_FLAGS, LOADER_FLAGS, PROGRAMS, TARGET, USER_FLAGS};

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} reported problems"))
    }
}

/// Checks formatting and lints; fails on any warning.
pub fn lint() -> Result<(), String> {
    let cargo = crate::build::cargo();
    run(
        Command::new(&cargo).args(["fmt", "--all", "--", "--check"]),
        "cargo fmt --check",
    )?;
    let mut host = Command::new(&cargo);
    host.args(["clippy", "--quiet", "--workspace", "--all-targets"]);
    for package in crate::test::freestanding() {
        host.args(["--exclude", package]);
    }
    run(host.args(["--", "-D", "warnings"]), "clippy (host crates)")?;
    let target = harness::workspace_root().join("target");
    let images = [
        ("cpudriver", KERNEL_FLAGS, "kernel"),
        ("loader", LOADER_FLAGS, "loader"),
    ];
    let programs = PROGRAMS.iter().map(|p| (*p, USER_FLAGS, "user"));
    for (package, flags, dir) in images.into_iter().chain(programs) {
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
            .arg(target.join(dir))
            .env("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f"))
            .env_remove("RUSTFLAGS")
            .args(["--", "-D", "warnings"]);
        run(&mut image, &format!("clippy ({package})"))?;
    }
    Ok(())
}
