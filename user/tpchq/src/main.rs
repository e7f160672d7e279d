//! `tpchq`: a TPC-H query engine split across OSNodes (the paper's second
//! use case: kernel updates under a database workload).
//!
//! * `tpchq run SF_MILLI SECONDS INTERVAL_MS CORE...`: the coordinator. It
//!   starts a worker on every listed core (through the monitors), binds to
//!   each over UMP, and runs rounds for SECONDS (0: until `tpchq stop ID`,
//!   which binds to the name `tpchq-stop-ID` it exports, ID being the
//!   coordinator's dispatcher id, which it prints): every round asks each
//!   worker for Q1 and Q6 over its partition of `lineitem` and merges the
//!   answers. Every round's answers must equal the first round's; it
//!   prints how many rounds finished in each interval of INTERVAL_MS
//!   (`tpch: interval ...`), then the answers and the slowest worker reply.
//! * `tpchq worker NAME SF_MILLI INDEX COUNT`: generates partition INDEX of
//!   COUNT of the table at scale SF_MILLI/1000 in memory, exports NAME,
//!   and answers rounds until told to stop.
//! * `tpchq stop ID`: ends coordinator ID's run.
//!
//! A worker ends when told to, or after ten minutes without a request (its
//! coordinator is gone); the coordinator tells every worker to stop on
//! every way out, errors included. While it waits for a worker, the
//! coordinator asks the worker's monitor every [`POLL_NS`] whether it
//! ended, so a worker that ran out of memory or crashed is reported as
//! such (`worker on core 2: out of memory (2.4 MB)`) within a second.
//!
//! The data and queries are `lib/tpch` (host-tested against an independent
//! implementation); this program is the distribution over OSNodes.

#![no_std]
#![no_main]

extern crate alloc;

mod wire;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use corefish::channel::Channel;
use corefish::proto::ending::Size;
use corefish::proto::monitor::Delivery;
use corefish::{SysError, monitor, println, sys};
use tpch::{Q1, Q6, Scale, Table};

corefish::entry!(main);

/// The ring bindings arrive on.
const RING: usize = 2;
/// The ring a stop request (a binding to `tpchq-stop`) arrives on.
const STOP_RING: usize = 3;
/// The name a coordinator exports for `tpchq stop`, before its id.
const STOP_NAME: &str = "tpchq-stop-";
/// How long a worker waits for a request before it ends.
const IDLE_NS: u64 = 600_000_000_000;
/// Longest a worker may take to answer one round before it counts as
/// stalled (and the run fails).
const STALL_NS: u64 = 60_000_000_000;
/// Longest the workers may take to start and export their names.
const START_NS: u64 = 120_000_000_000;
/// How often the coordinator checks that a worker it waits for still runs.
const POLL_NS: u64 = 500_000_000;

fn main() -> i32 {
    let args = corefish::args();
    let words: Vec<&str> = args.split_whitespace().collect();
    let result = match words.as_slice() {
        ["run", sf, seconds, interval, cores @ ..] if !cores.is_empty() => {
            match (
                number(sf),
                number(seconds),
                number(interval),
                cores_of(cores),
            ) {
                (Some(sf), Some(s), Some(i), Some(cores)) if sf > 0 && i > 0 => {
                    coordinate(sf as u32, s, i, &cores)
                }
                _ => Err(String::from("bad number")),
            }
        }
        ["worker", name, sf, index, count] => match (number(sf), number(index), number(count)) {
            (Some(sf), Some(i), Some(n)) if sf > 0 && i < n => {
                work(name, sf as u32, i as u32, n as u32).map_err(|e| format!("{e}"))
            }
            _ => Err(String::from("bad number")),
        },
        ["stop", id] => monitor::connect(&format!("{STOP_NAME}{id}"))
            .map(|_| println!("tpchq: stop sent"))
            .map_err(|e| format!("no run {id} to stop: {e}")),
        _ => {
            println!(
                "usage: tpchq run SF_MILLI SECONDS INTERVAL_MS CORE... | tpchq worker NAME SF_MILLI INDEX COUNT | tpchq stop ID"
            );
            return 2;
        }
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            println!("tpch: failed: {e}");
            1
        }
    }
}

fn number(word: &str) -> Option<u64> {
    word.parse().ok()
}

fn cores_of(words: &[&str]) -> Option<Vec<u64>> {
    words.iter().map(|w| number(w)).collect()
}

/// A worker: its partition, then rounds until STOP.
fn work(name: &str, sf: u32, index: u32, count: u32) -> Result<(), SysError> {
    let scale = Scale { milli: sf };
    let table = Table::generate(scale, tpch::partition(scale, index, count));
    monitor::export(name, RING)?;
    let mut channel =
        monitor::accept(RING, sys::time_ns() + START_NS).ok_or(SysError::DispatcherNotReady)?;
    loop {
        let Some(m) = channel.recv(sys::time_ns() + IDLE_NS) else {
            println!("tpchq: worker {name}: no request for ten minutes, ending");
            return Ok(());
        };
        match m[0] {
            wire::QUERY => {
                let round = m[1];
                let deadline = sys::time_ns() + STALL_NS;
                wire::send_answer(
                    &mut channel,
                    round,
                    wire::KIND_Q1,
                    &tpch::q1(&table).to_words(),
                    deadline,
                )?;
                wire::send_answer(
                    &mut channel,
                    round,
                    wire::KIND_Q6,
                    &tpch::q6(&table).to_words(),
                    deadline,
                )?;
            }
            wire::STOP => return Ok(()),
            _ => return Err(SysError::BadArgument),
        }
    }
}

/// Why the worker `id` on `core` is gone, if it ended.
fn gone(core: u64, id: u64) -> Option<String> {
    let ending = monitor::status(core, id).ok()??;
    Some(match ending.out_of_memory() {
        Some(bytes) => format!("worker on core {core}: out of memory ({})", Size(bytes)),
        None => format!("worker on core {core}: {ending}"),
    })
}

/// One worker as the coordinator sees it.
struct Worker {
    core: u64,
    /// Its id on its core.
    id: u64,
    channel: Channel,
    /// Its slowest answer so far (ns).
    slowest_ns: u64,
}

/// The coordinator.
fn coordinate(sf: u32, seconds: u64, interval_ms: u64, cores: &[u64]) -> Result<(), String> {
    let count = cores.len() as u32;
    let id = corefish::dispatcher_id();
    // Before any worker exists, so that a failure here leaves none behind.
    monitor::export(&format!("{STOP_NAME}{id}"), STOP_RING)
        .map_err(|e| format!("{STOP_NAME}{id}: {e}"))?;
    let mut workers = Vec::new();
    let result = start_workers(sf, id, count, cores, &mut workers)
        .and_then(|()| run_rounds(sf, seconds, interval_ms, cores, id, &mut workers));
    // Every way out tells the workers to end.
    for w in &mut workers {
        let _ = w.channel.send(
            &[wire::STOP, 0, 0, 0, 0, 0, 0],
            sys::time_ns() + 1_000_000_000,
        );
    }
    result
}

/// Starts a worker on each core and binds to each.
fn start_workers(
    sf: u32,
    id: u64,
    count: u32,
    cores: &[u64],
    workers: &mut Vec<Worker>,
) -> Result<(), String> {
    let mut ids = Vec::new();
    for (i, &core) in cores.iter().enumerate() {
        let command = format!("tpchq worker tpch{id}-{i} {sf} {i} {count}");
        let spawned = monitor::spawn_on(core, &command);
        ids.push(spawned.map_err(|e| format!("worker on core {core}: {e}"))?);
    }
    let deadline = sys::time_ns() + START_NS;
    for (i, (&core, &worker)) in cores.iter().zip(&ids).enumerate() {
        let name = format!("tpch{id}-{i}");
        let channel = loop {
            let until = deadline.min(sys::time_ns() + POLL_NS);
            match monitor::connect_when_exported(&name, until) {
                Ok(channel) => break channel,
                Err(e) => {
                    if let Some(why) = gone(core, worker) {
                        return Err(why);
                    }
                    if sys::time_ns() >= deadline {
                        return Err(format!("worker on core {core}: {e}"));
                    }
                }
            }
        };
        workers.push(Worker {
            core,
            id: worker,
            channel,
            slowest_ns: 0,
        });
    }
    Ok(())
}

/// The rounds, until the time is up or a stop comes; then the answers.
fn run_rounds(
    sf: u32,
    seconds: u64,
    interval_ms: u64,
    cores: &[u64],
    id: u64,
    workers: &mut [Worker],
) -> Result<(), String> {
    println!(
        "tpch: {} workers on cores {cores:?}, scale {sf}/1000, {seconds} s; stop with `tpchq stop {id}`",
        workers.len()
    );
    let start = sys::time_ns();
    let end = match seconds {
        0 => u64::MAX,
        s => start + s * 1_000_000_000,
    };
    let interval_ns = interval_ms * 1_000_000;
    let mut first: Option<(Q1, Q6)> = None;
    let (mut round, mut in_interval, mut interval) = (0u64, 0u64, 0u64);
    while sys::time_ns() < end && !stop_requested() {
        round += 1;
        let (q1, q6) = one_round(workers, round)?;
        match &first {
            None => first = Some((q1, q6)),
            Some((a, b)) if *a == q1 && *b == q6 => {}
            Some(_) => return Err(format!("round {round}: the answers differ from round 1's")),
        }
        in_interval += 1;
        let now = sys::time_ns();
        while now >= start + (interval + 1) * interval_ns {
            println!(
                "tpch: interval {interval} at {} ms: {in_interval} rounds",
                (start + (interval + 1) * interval_ns) / 1_000_000
            );
            interval += 1;
            in_interval = 0;
        }
    }
    let (q1, q6) = first.ok_or("no round finished")?;
    let slowest = workers
        .iter()
        .max_by_key(|w| w.slowest_ns)
        .map_or((0, 0), |w| (w.slowest_ns, w.core));
    println!("tpch: Q1 digest {:#018x}:", q1.digest());
    for line in format!("{q1}").lines() {
        println!("tpch:   {line}");
    }
    println!("tpch: Q6 revenue {q6}");
    println!(
        "tpch: done: {round} rounds, every answer equal to round 1's; slowest reply {} ms (worker on core {})",
        slowest.0 / 1_000_000,
        slowest.1
    );
    Ok(())
}

/// Whether `tpchq stop` bound to the stop name.
fn stop_requested() -> bool {
    match corefish::lmp::try_recv(STOP_RING) {
        Some(message) => {
            if let Some(cap) = message.cap {
                let _ = corefish::cap::Cap::<corefish::cap::kind::Any>::at(cap).delete();
                corefish::slots::free(cap);
            }
            matches!(
                Delivery::from_words(message.words),
                Ok(Delivery::Bound { .. })
            )
        }
        None => false,
    }
}

/// Asks every worker for round `round` and merges their answers.
fn one_round(workers: &mut [Worker], round: u64) -> Result<(Q1, Q6), String> {
    let asked = sys::time_ns();
    for w in workers.iter_mut() {
        w.channel
            .send(&[wire::QUERY, round, 0, 0, 0, 0, 0], asked + STALL_NS)
            .map_err(|e| format!("worker on core {}: {e}", w.core))?;
    }
    let mut q1 = Q1::default();
    let mut q6 = Q6::default();
    for w in workers.iter_mut() {
        let mut answers = wire::Answers::default();
        let (a, b) = loop {
            if let Some((a, b)) = answers.complete() {
                break (Q1::from_words(a), Q6::from_words(b));
            }
            let m = loop {
                let until = (asked + STALL_NS).min(sys::time_ns() + POLL_NS);
                if let Some(m) = w.channel.recv(until) {
                    break m;
                }
                if let Some(why) = gone(w.core, w.id) {
                    return Err(why);
                }
                if sys::time_ns() >= asked + STALL_NS {
                    return Err(format!(
                        "worker on core {} stalled in round {round}",
                        w.core
                    ));
                }
            };
            answers
                .take(round, &m)
                .map_err(|_| format!("worker on core {}: bad message", w.core))?;
        };
        let (a, b) = a
            .zip(b)
            .ok_or_else(|| format!("worker on core {}: bad answer", w.core))?;
        q1.merge(&a);
        q6.merge(&b);
        w.slowest_ns = w.slowest_ns.max(sys::time_ns() - asked);
    }
    Ok((q1, q6))
}
