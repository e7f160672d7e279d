//! `cargo xtask bench` (group `switch`): the KCB switch on a multiplexing
//! core. UMP one-way latency between two programs on core 1 that yield
//! while they wait, once both in one OSNode (a dispatcher switch) and once
//! in two (the server's OSNode parked on core 1: a KCB switch); the
//! difference of the medians is the cost the second OSNode adds. Other
//! cores idle, then two busy.

use anyhow::Result;
use harness::{Images, Machine};

use super::machine::{Load, pair_machine, park};
use super::options::BenchOptions;
use super::report::Report;
use super::umpbench;

/// Messages per run (each is one switch each way).
const MESSAGES: u32 = 2_000;

/// Yielding UMP ping-pong on core 1 within one OSNode, then between
/// OSNode 1 and OSNode 2 parked on core 1; other cores idle, then cores 0
/// and 3 busy.
pub fn measure(images: &Images, options: &BenchOptions, report: &mut Report) -> Result<()> {
    let _step = crate::progress::step("KCB switch");
    for loaded in [false, true] {
        let names = ["bench_switch_idle", "bench_switch_loaded"];
        let (mut m, load) = pair_machine(images, options, loaded, names)?;
        umpbench::serve(&mut m, 1, "one yield")?;
        let [within, _] = pair(&mut m, "one", options)?;
        umpbench::serve(&mut m, 2, "two yield")?;
        park(&mut m, 2, 1)?;
        let [between, _] = pair(&mut m, "two", options)?;
        add(report, &load, &within, &between)?;
    }
    Ok(())
}

/// Adds the one-way figures within one OSNode and between two, and prints
/// the difference of their medians.
fn add(report: &mut Report, load: &Load, within: &str, between: &str) -> Result<()> {
    umpbench::add(
        report,
        "KCB switch",
        load,
        [
            (
                "switch.within",
                "dispatcher switch within one OSNode on core 1 (one-way of yielding programs)",
                within,
            ),
            (
                "switch.between",
                "KCB switch between two OSNodes on core 1 (one-way of yielding programs)",
                between,
            ),
        ],
    )?;
    if let (Some(a), Some(b)) = (umpbench::median_ns(within), umpbench::median_ns(between)) {
        println!(
            "bench: KCB switch cost, {}: median {:.0} ns more than a dispatcher switch",
            load.words,
            b - a
        );
    }
    Ok(())
}

/// Runs the yielding client of the umpbench pair `name` on core 1 (its
/// server already started); returns its results: one-way, round trip.
fn pair(m: &mut Machine, name: &str, options: &BenchOptions) -> Result<[String; 2]> {
    let messages = options.times(MESSAGES / 100) * 100;
    umpbench::client(
        m,
        &format!("run --core 1 umpbench client {name} {messages} yield"),
    )
}
