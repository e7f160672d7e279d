//! `sleeper [MS]`: sleeps for MS milliseconds (or until killed), then exits
//! with code 0.

#![no_std]
#![no_main]

use corefish::sys;

corefish::entry!(main);

fn main() -> i32 {
    match corefish::args().trim().parse::<u64>() {
        Ok(ms) => sys::sleep_until(sys::time_ns() + ms * 1_000_000),
        Err(_) => loop {
            sys::sleep_until(sys::time_ns() + 1_000_000_000);
        },
    }
    0
}
