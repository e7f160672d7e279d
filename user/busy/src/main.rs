//! `busy SECONDS`: keeps its core busy (arithmetic, no system calls but the
//! clock) for SECONDS seconds, then exits; load for benchmarks.

#![no_std]
#![no_main]

use corefish::{println, sys};

corefish::entry!(main);

fn main() -> i32 {
    let seconds: u64 = corefish::args().trim().parse().unwrap_or(10);
    let end = sys::time_ns() + seconds * 1_000_000_000;
    let mut x: u64 = 1;
    let mut rounds = 0u64;
    while sys::time_ns() < end {
        for _ in 0..100_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        }
        rounds += 1;
    }
    println!(
        "spin: core {} done after {rounds} rounds ({:#x})",
        corefish::core_id(),
        x & 0xff
    );
    0
}
