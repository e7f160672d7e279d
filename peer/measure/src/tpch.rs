//! The engine of Corefish's `tpchq` on Linux: the same `lib/tpch` (TPC-H
//! Q1 and Q6 over partitions of `lineitem`), with a worker thread per
//! online CPU, pinned to it, in place of a worker program per OSNode, and
//! the main thread as the coordinator. A round asks every worker for both
//! queries over its partition and merges the answers; every round's
//! answers must equal the first round's. It prints the rounds finished in
//! each interval as `tpchq` does (`peer: tpch: interval I at MS ms: R
//! rounds`, MS counted from the first round), then the answers in
//! `tpchq`'s words (so that the bench can check both computed the same)
//! and `peer: tpch: done: ...`.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tpch::{Q1, Q6, Scale, Table};

/// What a worker sends the coordinator.
enum Reply {
    /// Its partition is generated.
    Ready,
    /// Its answers to a round: (round, Q1, Q6).
    Answers(u64, Q1, Q6),
}

/// A worker as the coordinator sees it.
struct Worker {
    cpu: u32,
    /// Round numbers to answer; dropping it ends the worker.
    rounds: Sender<u64>,
    thread: JoinHandle<Result<(), String>>,
}

/// Pins the calling thread to `cpu`.
fn pin(cpu: u32) -> Result<(), String> {
    // SAFETY: `cpu_set_t` is plain data for which all zeroes is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `CPU_SET` sets one bit of the set through a bounds-checked
    // index (a CPU beyond the set's 1,024 panics, it writes nothing else).
    unsafe { libc::CPU_SET(cpu as usize, &mut set) };
    // SAFETY: the set is a valid `cpu_set_t` of the size passed, and pid 0
    // is the calling thread.
    let r = unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set) };
    if r != 0 {
        return Err(format!(
            "cannot pin to CPU {cpu}: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

/// A worker: pinned to `cpu`, its partition, then rounds until `rounds`
/// closes.
fn work(
    cpu: u32,
    scale: Scale,
    index: u32,
    count: u32,
    rounds: Receiver<u64>,
    replies: Sender<(usize, Reply)>,
) -> Result<(), String> {
    pin(cpu)?;
    let table = Table::generate(scale, tpch::partition(scale, index, count));
    let _ = replies.send((index as usize, Reply::Ready));
    while let Ok(round) = rounds.recv() {
        let answers = Reply::Answers(round, tpch::q1(&table), tpch::q6(&table));
        if replies.send((index as usize, answers)).is_err() {
            break;
        }
    }
    Ok(())
}

/// Runs rounds at scale `sf_milli`/1000 for `seconds` on every online CPU.
pub fn run(sf_milli: u32, seconds: u64, interval_ms: u64) -> Result<(), String> {
    let cpus = crate::hotplug::read_list("online")?;
    let scale = Scale { milli: sf_milli };
    let count = cpus.len() as u32;
    let (reply_to, replies) = channel();
    let mut workers = Vec::new();
    for (index, &cpu) in cpus.iter().enumerate() {
        let (rounds, asked) = channel();
        let reply_to = reply_to.clone();
        let thread =
            std::thread::spawn(move || work(cpu, scale, index as u32, count, asked, reply_to));
        workers.push(Worker {
            cpu,
            rounds,
            thread,
        });
    }
    drop(reply_to);
    let result = coordinate(&workers, &replies, sf_milli, seconds, interval_ms);
    // Every way out ends the workers (their channels close) and collects
    // their errors.
    let mut failures = Vec::new();
    for w in workers {
        drop(w.rounds);
        match w.thread.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failures.push(format!("worker on CPU {}: {e}", w.cpu)),
            Err(_) => failures.push(format!("worker on CPU {} panicked", w.cpu)),
        }
    }
    match (result, failures.first()) {
        (Err(e), _) => Err(e),
        (Ok(()), Some(f)) => Err(f.clone()),
        (Ok(()), None) => Ok(()),
    }
}

/// The next reply, or why there is none.
fn reply(replies: &Receiver<(usize, Reply)>) -> Result<(usize, Reply), String> {
    replies
        .recv_timeout(Duration::from_secs(60))
        .map_err(|e| format!("a worker did not answer: {e}"))
}

/// The rounds.
fn coordinate(
    workers: &[Worker],
    replies: &Receiver<(usize, Reply)>,
    sf_milli: u32,
    seconds: u64,
    interval_ms: u64,
) -> Result<(), String> {
    for _ in workers {
        if !matches!(reply(replies)?, (_, Reply::Ready)) {
            return Err(String::from("an answer before every worker was ready"));
        }
    }
    let cpus: Vec<u32> = workers.iter().map(|w| w.cpu).collect();
    println!(
        "peer: tpch: {} workers on CPUs {cpus:?}, scale {sf_milli}/1000, {seconds} s",
        workers.len()
    );
    let start = Instant::now();
    let interval = Duration::from_millis(interval_ms.max(1));
    let mut first: Option<(Q1, Q6)> = None;
    let (mut round, mut in_interval, mut intervals) = (0u64, 0u64, 0u32);
    while start.elapsed() < Duration::from_secs(seconds) {
        round += 1;
        for w in workers {
            w.rounds
                .send(round)
                .map_err(|_| format!("worker on CPU {} is gone", w.cpu))?;
        }
        let (mut q1, mut q6) = (Q1::default(), Q6::default());
        for _ in workers {
            match reply(replies)? {
                (_, Reply::Answers(r, a, b)) if r == round => {
                    q1.merge(&a);
                    q6.merge(&b);
                }
                (i, _) => return Err(format!("worker on CPU {}: out of turn", workers[i].cpu)),
            }
        }
        match &first {
            None => first = Some((q1, q6)),
            Some((a, b)) if *a == q1 && *b == q6 => {}
            Some(_) => return Err(format!("round {round}: the answers differ from round 1's")),
        }
        in_interval += 1;
        while start.elapsed() >= interval * (intervals + 1) {
            println!(
                "peer: tpch: interval {intervals} at {} ms: {in_interval} rounds",
                (interval * (intervals + 1)).as_millis()
            );
            intervals += 1;
            in_interval = 0;
        }
    }
    let (q1, q6) = first.ok_or("no round finished")?;
    println!("peer: tpch: Q1 digest {:#018x}:", q1.digest());
    println!("peer: tpch: Q6 revenue {q6}");
    println!("peer: tpch: done: {round} rounds, every answer equal to round 1's");
    Ok(())
}
