//! The jitter loop of Corefish's `jitter` program (a counter counted down
//! from 1,000, timed with the TSC), summarised the same way.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use jitterstats::{Histogram, Summary};

/// The counter the jitter loop counts down (shared, so every store happens).
static COUNTER: AtomicU32 = AtomicU32::new(0);

fn one_sample() -> u64 {
    // SAFETY: `rdtsc` only reads the time-stamp counter.
    let start = unsafe { core::arch::x86_64::_rdtsc() };
    COUNTER.store(1000, Ordering::Relaxed);
    while COUNTER.load(Ordering::Relaxed) != 0 {
        COUNTER.store(COUNTER.load(Ordering::Relaxed) - 1, Ordering::Relaxed);
    }
    // SAFETY: as above.
    unsafe { core::arch::x86_64::_rdtsc() - start }
}

/// Runs `samples` samples on the calling CPU and prints their histogram
/// and summary.
pub fn jitter(label: &str, samples: usize) {
    std::thread::sleep(Duration::from_millis(100));
    for _ in 0..1000 {
        std::hint::black_box(one_sample());
    }
    let mut cycles: Vec<u64> = (0..samples.max(1)).map(|_| one_sample()).collect();
    let histogram = Histogram::of(&cycles);
    println!("peer: {label} jitter: {histogram}");
    if let Some(summary) = Summary::of(&mut cycles) {
        println!("peer: {label} jitter: {summary}");
    }
}
