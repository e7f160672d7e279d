//! `jitter [SAMPLES]`: Barrelfish/DC's real-time benchmark. Times, with the
//! time-stamp counter, a counter counted down from 1,000 with a store each
//! step, SAMPLES times (default 100,000; after 100 ms of quiet and 1,000
//! samples of warm-up, which are dropped), and prints the summary
//! (`jitterstats::Summary`): min, median, p99, p99.9 and max cycles, and
//! how many samples lie more than 1,000 cycles above the minimum. On a core
//! that nothing interrupts (`corectrl rt <core> jitter`) they all lie
//! within; under the standard kernel, timer interrupts and other programs
//! show as outliers.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use corefish::{println, sys};
use jitterstats::{Histogram, Summary};

corefish::entry!(main);

/// Most samples (8 MiB of them).
const MAX_SAMPLES: usize = 1 << 20;
/// The counter the work counts down (a shared location, so every store
/// happens).
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Quiet time before measuring.
const SETTLE_NS: u64 = 100_000_000;
/// Samples taken and dropped before measuring.
const WARM_UP: usize = 1000;

/// Cycles of one count-down from 1,000.
fn one_sample() -> u64 {
    let start = sys::tsc();
    COUNTER.store(1000, Ordering::Relaxed);
    while COUNTER.load(Ordering::Relaxed) != 0 {
        COUNTER.store(COUNTER.load(Ordering::Relaxed) - 1, Ordering::Relaxed);
    }
    sys::tsc() - start
}

fn main() -> i32 {
    let args = corefish::args();
    let samples = match args.trim() {
        "" => 100_000,
        n => match n.parse::<usize>() {
            Ok(n) if (1..=MAX_SAMPLES).contains(&n) => n,
            _ => {
                println!("usage: jitter [SAMPLES] (1 to {MAX_SAMPLES})");
                return 2;
            }
        },
    };
    let mut cycles: Vec<u64> = Vec::new();
    if cycles.try_reserve_exact(samples).is_err() {
        println!("jitter: no memory for {samples} samples");
        return 1;
    }
    // Settle (whoever started this finishes its work) and warm up, as
    // benchmarks do; then measure.
    sys::sleep_until(sys::time_ns() + SETTLE_NS);
    for _ in 0..WARM_UP {
        core::hint::black_box(one_sample());
    }
    for _ in 0..samples {
        cycles.push(one_sample());
    }
    let histogram = Histogram::of(&cycles);
    let Some(summary) = Summary::of(&mut cycles) else {
        return 1;
    };
    let core = corefish::core_id();
    println!("jitter: on core {core}: {histogram}");
    println!("jitter: on core {core}: {summary}");
    0
}
