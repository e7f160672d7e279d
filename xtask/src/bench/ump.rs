//! `cargo xtask bench` (group `ump`): UMP latency between programs on
//! cores 1 and 2 of a 4-core machine, one-way and round trip, both ends
//! spinning; once with the other cores idle, once with cores 0 and 3 busy.

use anyhow::Result;
use harness::Images;

use super::machine::pair_machine;
use super::options::BenchOptions;
use super::report::Report;
use super::umpbench;

/// Messages per run.
const MESSAGES: u32 = 10_000;

/// Measures UMP one-way and round-trip latency between cores 1 and 2, with
/// the other cores idle, then with cores 0 and 3 busy.
pub fn measure(images: &Images, options: &BenchOptions, report: &mut Report) -> Result<()> {
    let _step = crate::progress::step("UMP latency");
    let messages = options.times(MESSAGES / 1000) * 1000;
    for loaded in [false, true] {
        let names = ["bench_ump", "bench_ump_loaded"];
        let (mut m, load) = pair_machine(images, options, loaded, names)?;
        umpbench::serve(&mut m, 2, "bench")?;
        let [oneway, rtt] = umpbench::client(
            &mut m,
            &format!("run --core 1 umpbench client bench {messages}"),
        )?;
        umpbench::add(
            report,
            "Messages",
            &load,
            [
                (
                    "ump.oneway",
                    "UMP one-way, core 1 to core 2, both spinning",
                    &oneway,
                ),
                (
                    "ump.rtt",
                    "UMP round trip, core 1 to core 2 and back, both spinning",
                    &rtt,
                ),
            ],
        )?;
    }
    Ok(())
}
