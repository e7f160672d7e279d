//! `measure`: the Linux peer's measuring program (a static binary in the
//! peer's initramfs; `cargo xtask bench` boots Debian's kernel with it in
//! the same QEMU machine type, core count, memory and accelerator as
//! Corefish).
//!
//! * `measure cycle LABEL ROUNDS`: takes the last CPU offline and online
//!   again through `/sys/devices/system/cpu/cpuK/online`, ROUNDS times (as
//!   Corefish's benchmark stops and boots its last core, with the others
//!   idle or each running a busy loop), and prints each step's wall time:
//!   `peer: LABEL offline cpuK MS ms` and `peer: LABEL online cpuK MS ms`.
//!   The time is that of the `write` to sysfs, which returns when the
//!   kernel has finished taking the CPU down or bringing it up (Linux's
//!   CPU hotplug, as the paper measured it).
//! * `measure online-all`: brings every CPU that is not online online, one
//!   after another, and prints the whole time (`peer: all online N cpus MS
//!   ms`; the peer boots with `maxcpus=1` for it).
//! * `measure jitter LABEL SAMPLES`: the jitter loop of Corefish's `jitter`
//!   program on the CPU it runs on (pin it with `taskset`), summarised the
//!   same way: `peer: LABEL jitter: <jitterstats::Summary>`.
//! * `measure tpch SF_MILLI SECONDS INTERVAL_MS`: `tpchq`'s engine with a
//!   worker thread per online CPU (see [`tpch`]).

mod hotplug;
mod jitter;
mod tpch;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let count = |word: &str| {
        word.parse::<u64>()
            .map_err(|_| format!("bad count `{word}`"))
    };
    let result = match words.as_slice() {
        ["cycle", label, rounds] => count(rounds).and_then(|n| hotplug::cycle(label, n as u32)),
        ["online-all"] => hotplug::online_all(),
        ["jitter", label, samples] => count(samples).map(|n| jitter::jitter(label, n as usize)),
        ["tpch", sf, seconds, interval] => match (count(sf), count(seconds), count(interval)) {
            (Ok(sf), Ok(s), Ok(i)) if sf > 0 && i > 0 => tpch::run(sf as u32, s, i),
            _ => Err(String::from("bad number")),
        },
        _ => Err(String::from(
            "usage: measure cycle LABEL ROUNDS | measure online-all | measure jitter LABEL SAMPLES | measure tpch SF_MILLI SECONDS INTERVAL_MS",
        )),
    };
    if let Err(e) = result {
        println!("peer: failed: {e}");
        std::process::exit(1);
    }
}
