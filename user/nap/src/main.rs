//! `nap MS`: sleeps MS milliseconds (one deadline on the machine-wide
//! clock), then reports how late it woke and on which core: a sleeper whose
//! OSNode is parked or moved meanwhile must still wake at its deadline.

#![no_std]
#![no_main]

use corefish::{println, sys};

corefish::entry!(main);

fn main() -> i32 {
    let Ok(ms) = corefish::args().trim().parse::<u64>() else {
        println!("usage: nap MS");
        return 2;
    };
    let start_core = corefish::core_id();
    let deadline = sys::time_ns() + ms * 1_000_000;
    println!("nap: sleeping {ms} ms on core {start_core}");
    sys::sleep_until(deadline);
    let late_us = (sys::time_ns() - deadline) / 1000;
    println!(
        "nap: slept on core {start_core}, woke on core {} {late_us} us after its deadline",
        corefish::core_id()
    );
    0
}
