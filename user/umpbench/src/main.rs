//! `umpbench serve NAME [yield]` / `umpbench client NAME COUNT [yield]`:
//! UMP latency between two programs, both waiting by spinning (no
//! sleeping), as a benchmark of the channel itself. With `yield` both yield
//! the core between polls instead: run on one core, the latency is then
//! that of a switch between them, within one OSNode or, when one's OSNode
//! is parked on the other's core, between OSNodes (a KCB switch).
//!
//! The client sends COUNT pings, each carrying its TSC, and waits for each
//! echo: the round trip is measured by the client; the one-way time of
//! each ping (the TSC is the same clock on every core) by the server. Both
//! print the median, the 10th and 90th percentile in nanoseconds; the TSC
//! rate is measured against the system clock first.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use corefish::channel::Channel;
use corefish::{SysError, monitor, println, sys};

corefish::entry!(main);

const RING: usize = 2;
const PING: u64 = 1;
const DONE: u64 = 2;
const TIMEOUT_NS: u64 = 120_000_000_000;

fn main() -> i32 {
    let args = corefish::args();
    let words: Vec<&str> = args.split_whitespace().collect();
    let (words, wait) = match words.split_last() {
        Some((&"yield", rest)) => (rest, Wait::Yield),
        _ => (&words[..], Wait::Spin),
    };
    let result = match words[..] {
        ["serve", name] => serve(name, wait),
        ["client", name, count] => match count.parse() {
            Ok(count) => client(name, count, wait),
            Err(_) => Err(SysError::BadArgument),
        },
        _ => {
            println!("usage: umpbench serve NAME [yield] | umpbench client NAME COUNT [yield]");
            return 2;
        }
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            println!("umpbench: failed: {e}");
            1
        }
    }
}

/// TSC ticks per microsecond, measured over 20 ms of the system clock.
fn ticks_per_us() -> u64 {
    let (t0, c0) = (sys::time_ns(), sys::tsc());
    sys::sleep_until(t0 + 20_000_000);
    let (t1, c1) = (sys::time_ns(), sys::tsc());
    ((c1 - c0) * 1000 / (t1 - t0).max(1)).max(1)
}

/// "median M ns (10% A, 90% B)" of samples in TSC ticks.
fn summary(samples: &mut [u64], per_us: u64) -> alloc::string::String {
    samples.sort_unstable();
    let at = |q: usize| samples[(samples.len() - 1) * q / 100] * 1000 / per_us;
    alloc::format!("median {} ns (10% {}, 90% {})", at(50), at(10), at(90))
}

/// How a side waits for the next message.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// Polls continuously.
    Spin,
    /// Yields the core between polls.
    Yield,
}

impl Wait {
    fn label(self) -> &'static str {
        match self {
            Self::Spin => "",
            Self::Yield => " (yielding)",
        }
    }
}

fn recv(
    channel: &mut Channel,
    wait: Wait,
    deadline: u64,
) -> Result<corefish::channel::Payload, SysError> {
    for polls in 1u64.. {
        if let Some(m) = channel.try_recv() {
            return Ok(m);
        }
        match wait {
            Wait::Spin => core::hint::spin_loop(),
            Wait::Yield => sys::yield_now(),
        }
        if polls % 1024 == 0 && sys::time_ns() > deadline {
            return Err(SysError::DispatcherNotReady);
        }
    }
    Err(SysError::DispatcherNotReady)
}

fn serve(name: &str, wait: Wait) -> Result<(), SysError> {
    monitor::export(name, RING)?;
    let deadline = sys::time_ns() + TIMEOUT_NS;
    let mut channel = monitor::accept(RING, deadline).ok_or(SysError::DispatcherNotReady)?;
    let per_us = ticks_per_us();
    let mut one_way = Vec::new();
    loop {
        let m = recv(&mut channel, wait, deadline)?;
        let now = sys::tsc();
        match m[0] {
            PING => {
                one_way.push(now.saturating_sub(m[1]));
                channel.send(&m, deadline)?;
            }
            DONE => break,
            _ => return Err(SysError::BadArgument),
        }
    }
    println!(
        "umpbench: one-way to core {}{}: {} over {} messages",
        corefish::core_id(),
        wait.label(),
        summary(&mut one_way, per_us),
        one_way.len()
    );
    Ok(())
}

fn client(name: &str, count: u64, wait: Wait) -> Result<(), SysError> {
    let deadline = sys::time_ns() + TIMEOUT_NS;
    let mut channel = monitor::connect_when_exported(name, deadline)?;
    let per_us = ticks_per_us();
    let mut round_trips = Vec::new();
    for seq in 0..count {
        let sent = sys::tsc();
        channel.send(&[PING, sent, seq, 0, 0, 0, 0], deadline)?;
        let echo = recv(&mut channel, wait, deadline)?;
        let back = sys::tsc();
        if echo[0] != PING || echo[2] != seq {
            return Err(SysError::BadArgument);
        }
        round_trips.push(back - sent);
    }
    channel.send(&[DONE, 0, 0, 0, 0, 0, 0], deadline)?;
    println!(
        "umpbench: round trip from core {}{}: {} over {count} messages",
        corefish::core_id(),
        wait.label(),
        summary(&mut round_trips, per_us)
    );
    Ok(())
}
