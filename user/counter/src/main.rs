//! `counter REPORTS [PERIOD_MS]`: counts in a busy loop and reports the
//! count every PERIOD_MS milliseconds (default 100), REPORTS times, then
//! says how many loop rounds it counted in all and exits. It never sleeps:
//! a program that must keep running across stops, updates and moves of its
//! OSNode, whose count shows that it did (it only ever goes up, and no
//! report is lost).

#![no_std]
#![no_main]

use corefish::{println, sys};

corefish::entry!(main);

fn main() -> i32 {
    let args = corefish::args();
    let mut words = args.split_whitespace();
    let Some(reports) = words.next().and_then(|w| w.parse::<u64>().ok()) else {
        println!("usage: counter REPORTS [PERIOD_MS]");
        return 2;
    };
    let period = words
        .next()
        .and_then(|w| w.parse::<u64>().ok())
        .unwrap_or(100)
        * 1_000_000;
    let mut count: u64 = 0;
    let mut next = sys::time_ns() + period;
    for report in 1..=reports {
        while sys::time_ns() < next {
            count += 1;
        }
        next += period;
        println!(
            "counter: report {report} of {reports} on core {}: {count}",
            corefish::core_id()
        );
    }
    println!("counter: done, {reports} reports, {count} rounds");
    0
}
