//! `cargo xtask run`: boot Corefish with the serial console on this
//! terminal.

use harness::QemuConfig;

use crate::cli::RunOptions;

/// Builds, then runs QEMU until it exits.
pub fn run(options: &RunOptions) -> Result<(), String> {
    crate::qemu::ensure_installed()?;
    let images = crate::build::build_all()?;
    let mut config = QemuConfig::new(&images);
    config.cores = options.cores;
    config.mem_mib = options.mem_mib;
    config.accel = options.accel;
    config.icount = options.icount;
    config.debug = options.debug;
    let config = if options.append.is_empty() {
        config
    } else {
        config.append(&options.append)
    };
    eprintln!("xtask: {}", config.command_line("mon:stdio"));
    eprintln!(
        "xtask: serial console follows; Ctrl-A X quits, Ctrl-A C switches to the QEMU monitor"
    );
    if options.debug {
        eprintln!(
            "xtask: waiting for gdb: gdb -ex 'target remote :1234' {}",
            images.kernel("cpudriver").display()
        );
    }
    let status = config
        .command("mon:stdio")
        .status()
        .map_err(|e| format!("cannot start QEMU: {e}"))?;
    match status.code().and_then(harness::ExitCode::from_qemu_status) {
        Some(harness::ExitCode::Failure) => {
            Err("Corefish stopped on a fatal error (see above)".into())
        }
        _ => Ok(()),
    }
}
