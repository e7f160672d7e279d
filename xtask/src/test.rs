//! `cargo xtask test`: formatting and lints, host tests of every library
//! crate, a benchmark smoke test, then the tests that boot the built images
//! in QEMU. Stops at the first failing step; the output ends with cargo's
//! own test summary lines.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::build::freestanding;

/// The package holding the tests that need built images.
const QEMU_TESTS: &str = "qemu-tests";

fn cargo_test(args: &[&str], images: &harness::Images) -> Result<()> {
    let status = Command::new(crate::build::cargo())
        .arg("test")
        .args(args)
        .env("COREFISH_IMAGES", images.dir())
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo test {} failed", args.join(" "));
    }
    Ok(())
}

/// Runs the whole suite (extra arguments go to the QEMU tests' harness,
/// e.g. a test-name filter).
pub fn test(extra: &[String]) -> Result<()> {
    crate::qemu::ensure_installed()?;
    crate::packages::ensure(&[crate::image::UEFI_FIRMWARE])?;
    crate::lint::lint()?;
    let images = crate::build::build_all()?;
    // The firmware tests boot it under SeaBIOS and OVMF.
    crate::image::make_iso(&images)?;
    let mut host = vec!["--workspace"];
    for package in freestanding().chain([QEMU_TESTS]) {
        host.extend(["--exclude", package]);
    }
    cargo_test(&host, &images)?;
    // The KCB code as the previous layout's kernel (`cpudriver-kcb1`) has it.
    cargo_test(&["--package", "osnode", "--features", "layout1"], &images)?;
    // The parsers of outside input, a short run (`cargo xtask fuzz --host`).
    crate::hostfuzz::fuzz(HOST_FUZZ_CASES, 1)?;
    smoke_bench()?;
    hung_guest_bench()?;
    let mut qemu = vec!["--package", QEMU_TESTS];
    if !extra.is_empty() {
        qemu.push("--");
        qemu.extend(extra.iter().map(String::as_str));
    }
    cargo_test(&qemu, &images)
}

/// Inputs per parser of the host fuzzer's run in the suite.
const HOST_FUZZ_CASES: u64 = 20_000;

/// Every row a Corefish-only `bench --quick` must fill.
const SMOKE_ROWS: &[&str] = &[
    "boot.idle",
    "boot.loaded",
    "boot.idle.kernel",
    "stop.idle",
    "stop.loaded",
    "stop.idle.busy",
    "stop.loaded.busy",
    "involved.idle",
    "involved.loaded",
    "update.idle",
    "update.loaded",
    "park.idle",
    "park.loaded",
    "unpark.idle",
    "unpark.loaded",
    "ump.oneway.idle",
    "ump.rtt.loaded",
    "switch.within.idle",
    "switch.between.idle",
    "switch.within.loaded",
    "switch.between.loaded",
    "jitter.rt.tcg",
    "jitter.standard.tcg",
    "jitter.rt.icount",
    "jitter.standard.icount",
    "scaling.boot.4",
    "scaling.stop.8",
    "workload.rate.all",
    "workload.rate.updating",
    "workload.pause.core0",
    "workload.pause.others",
];

/// The benchmarks' smoke test: a quick Corefish-only run writes its
/// results file and a report in which every row is there and has numbers;
/// the report is made again from the results file alone, and the run
/// compared with itself lists every row with a verdict.
fn smoke_bench() -> Result<()> {
    println!("xtask: benchmark smoke test (`cargo xtask bench --quick --no-linux`)");
    let mut options = crate::bench::BenchOptions::smoke();
    let dir = harness::workspace_root()
        .join("target")
        .join("bench")
        .join("smoke-test");
    let _ = std::fs::remove_dir_all(&dir);
    options.out = Some(dir.clone());
    let report = crate::bench::bench(&options).context("benchmark smoke test")?;
    let missing = report.missing(SMOKE_ROWS);
    let incomplete: Vec<&str> = report.incomplete().iter().map(|r| r.key.as_str()).collect();
    if !missing.is_empty() || !incomplete.is_empty() {
        bail!(
            "benchmark smoke test: rows missing {missing:?}, rows without numbers {incomplete:?}"
        );
    }
    // Every row is in the results file as it was measured.
    let kept = std::fs::read_to_string(dir.join("results.jsonl")).context("results.jsonl")?;
    for key in SMOKE_ROWS {
        if !kept
            .lines()
            .any(|l| l.contains(&format!("\"key\":\"{key}\"")))
        {
            bail!("benchmark smoke test: {key} is not in results.jsonl");
        }
    }
    // Made again from the results file alone (`bench report DIR`), and
    // compared with itself.
    crate::bench::report_from(&dir, Some(&dir)).context("report from results")?;
    let compared = std::fs::read_to_string(dir.join("compare.md")).context("compare.md")?;
    for key in SMOKE_ROWS {
        let row = compared.lines().find(|l| l.contains(&format!("({key})")));
        // A run compared with itself never differs.
        let verdict = |l: &str| {
            ["too few samples", "medians only", "within the noise"]
                .iter()
                .any(|v| l.contains(v))
        };
        if !row.is_some_and(verdict) {
            bail!("benchmark smoke test: no comparison of {key} with a verdict:\n{compared}");
        }
    }
    println!(
        "xtask: benchmark smoke test passed ({} rows, kept, rebuilt and compared)",
        report.rows.len()
    );
    Ok(())
}

/// The watchdog, end to end: a bench whose `ump` guests hang (started
/// with their processors stopped, `--inject-hang`) gives up on each after
/// its silence limit (5 s here: a wait of its own would be 120 s), measures
/// the group a second time, records it as failed with the reason, goes on
/// with the next group (`switch`), writes the report and fails naming the
/// group.
fn hung_guest_bench() -> Result<()> {
    println!("xtask: benchmark watchdog test (`ump` guests hang on purpose)");
    let mut options = crate::bench::BenchOptions::smoke();
    options.only = vec!["ump".into(), "switch".into()];
    options.inject_hang = Some("ump".into());
    options.watchdog = 5;
    let dir = harness::workspace_root()
        .join("target")
        .join("bench")
        .join("watchdog-test");
    // A fresh results file: the report must be this run's alone.
    let _ = std::fs::remove_dir_all(&dir);
    options.out = Some(dir.clone());
    let error = match crate::bench::bench(&options) {
        Ok(_) => bail!("benchmark watchdog test: a run with hung guests succeeded"),
        Err(e) => format!("{e:#}"),
    };
    if !error.contains("ump.failed") {
        bail!("benchmark watchdog test: the error does not name the failed group: {error}");
    }
    let report = std::fs::read_to_string(dir.join("report.md")).context("its report")?;
    let failed = report
        .lines()
        .find(|l| l.contains("group `ump`"))
        .unwrap_or_default();
    if !failed.contains("FAILED: no progress for 5 s") {
        bail!("benchmark watchdog test: no failed row with its reason in the report:\n{report}");
    }
    if !report.contains("KCB switch") || !report.contains("median ") {
        bail!("benchmark watchdog test: the next group's rows are missing:\n{report}");
    }
    let results = std::fs::read_to_string(dir.join("results.jsonl")).context("results")?;
    if !results
        .lines()
        .any(|l| l.contains("\"group\":\"ump\"") && l.contains("\"attempt\":2"))
    {
        bail!("benchmark watchdog test: the group was not measured a second time:\n{results}");
    }
    println!("xtask: benchmark watchdog test passed ({failed})");
    Ok(())
}
