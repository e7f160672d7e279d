//! `threads`: exercises the runtime's user-level threads and prints one
//! final line, `threads: ok (N switches)` or `threads: FAILED: <reason>`
//! (then exits with 1).
//!
//! It checks, in order: the main thread's id and a lone yield; eight
//! workers that each yield many times (strict round-robin turns, a shared
//! sum, every worker ran, stack locals and a float survive switches, the
//! id of the running thread), joined in order, with no WAIT while some
//! thread could run; join errors; a thread blocked on a flag; a thread
//! receiving a message the main thread sends it; the WAIT path when every
//! thread waits; and the reuse of finished threads' memory.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::hint::black_box;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};

use corefish::thread::{self, JoinError, ThreadId};
use corefish::{lmp, println};

corefish::entry!(main);

/// Worker threads of the round-robin test.
const WORKERS: usize = 8;
/// Yields of each worker.
const ROUNDS: u64 = 1000;
/// Stack words each worker checks.
const LOCALS: usize = 32;
/// The LMP ring the message tests use.
const TEST_RING: usize = 2;
/// Threads started and joined one by one at the end.
const SHORT_LIVED: u64 = 64;

/// Steps of all workers, in order.
static TICK: AtomicU64 = AtomicU64::new(0);
/// Sum of `worker index + 1` over all steps.
static SUM: AtomicU64 = AtomicU64::new(0);
/// Steps of each worker.
static RAN: [AtomicU64; WORKERS] = [const { AtomicU64::new(0) }; WORKERS];
/// The id each worker saw for itself.
static IDS: [AtomicU64; WORKERS] = [const { AtomicU64::new(u64::MAX) }; WORKERS];
/// First failure of a worker: `check * 256 + worker`, 0 for none.
static FAILURE: AtomicU64 = AtomicU64::new(0);
/// Set by the main thread for the blocked thread.
static FLAG: AtomicBool = AtomicBool::new(false);
/// Set by the blocked thread once it saw [`FLAG`].
static FLAG_SEEN: AtomicBool = AtomicBool::new(false);
/// The words the receiving thread got (valid once [`RECEIVED`] is set).
static WORDS: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
/// Set by the receiving thread.
static RECEIVED: AtomicBool = AtomicBool::new(false);
/// Polls of the condition in the WAIT test.
static POLLS: AtomicU64 = AtomicU64::new(0);
/// Short-lived threads that ran.
static SHORT_RAN: AtomicU64 = AtomicU64::new(0);

/// What a worker found wrong.
#[derive(Clone, Copy)]
enum Check {
    Turn = 1,
    Locals,
    Float,
    Current,
}

impl Check {
    fn describe(code: u64) -> &'static str {
        match code {
            1 => "a worker's turn came out of round-robin order",
            2 => "a worker's stack locals changed across a switch",
            3 => "a worker's float changed across switches",
            4 => "current() changed inside a worker",
            _ => "unknown check",
        }
    }
}

fn fail(check: Check, worker: usize) {
    let code = check as u64 * 256 + worker as u64;
    let _ = FAILURE.compare_exchange(0, code, SeqCst, SeqCst);
}

fn checksum(words: &[u64]) -> u64 {
    words.iter().enumerate().fold(0, |acc, (k, w)| {
        acc.rotate_left(7) ^ w.wrapping_mul(k as u64 + 1)
    })
}

/// One worker of the round-robin test.
fn worker(index: usize) {
    let me = thread::current();
    IDS[index].store(me.number(), SeqCst);
    let mut locals = [0u64; LOCALS];
    for (k, word) in locals.iter_mut().enumerate() {
        *word = (index as u64) << 32 | k as u64;
    }
    let mut float = index as f64 + 0.5;
    let mut last_tick: Option<u64> = None;
    for round in 0..ROUNDS {
        // Round robin: worker `index` comes first at `index`, then after
        // every other worker had one step.
        let tick = TICK.fetch_add(1, SeqCst);
        let expected = last_tick.map_or(index as u64, |t| t + WORKERS as u64);
        if tick != expected {
            fail(Check::Turn, index);
        }
        last_tick = Some(tick);
        SUM.fetch_add(index as u64 + 1, SeqCst);
        RAN[index].fetch_add(1, SeqCst);
        locals[round as usize % LOCALS] += round;
        float += 0.25;
        let before = checksum(black_box(&locals));
        thread::yield_now();
        if checksum(black_box(&locals)) != before {
            fail(Check::Locals, index);
        }
        if thread::current() != me {
            fail(Check::Current, index);
        }
    }
    for (k, &word) in locals.iter().enumerate() {
        let added: u64 = (0..ROUNDS).filter(|r| *r as usize % LOCALS == k).sum();
        if word != ((index as u64) << 32 | k as u64) + added {
            fail(Check::Locals, index);
        }
    }
    if black_box(float) != index as f64 + 0.5 + ROUNDS as f64 * 0.25 {
        fail(Check::Float, index);
    }
}

fn check(ok: bool, reason: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(String::from(reason))
    }
}

fn join(id: ThreadId) -> Result<(), String> {
    thread::join(id).map_err(|e| format!("join({id}): {e}"))
}

/// The main thread's id and a yield with no other thread.
fn alone() -> Result<(), String> {
    check(thread::current() == ThreadId::MAIN, "main is not thread 0")?;
    thread::yield_now();
    check(
        thread::stats().switches == 0,
        "a yield with no other thread switched",
    )
}

/// Eight workers yielding in turn, joined in order.
fn round_robin() -> Result<(), String> {
    let waits = thread::stats().waits;
    let ids: Vec<ThreadId> = (0..WORKERS)
        .map(|i| thread::spawn(move || worker(i)))
        .collect();
    for (i, id) in ids.iter().enumerate() {
        check(*id != ThreadId::MAIN, "a spawned thread got id 0")?;
        check(!ids[..i].contains(id), "two threads got the same id")?;
    }
    for &id in &ids {
        join(id)?;
    }
    let failure = FAILURE.load(SeqCst);
    if failure != 0 {
        return Err(format!(
            "worker {}: {}",
            failure % 256,
            Check::describe(failure / 256)
        ));
    }
    let steps = WORKERS as u64 * ROUNDS;
    check(TICK.load(SeqCst) == steps, "wrong number of steps")?;
    let sum = ROUNDS * (WORKERS * (WORKERS + 1) / 2) as u64;
    check(SUM.load(SeqCst) == sum, "wrong shared sum")?;
    for (i, id) in ids.iter().enumerate() {
        if RAN[i].load(SeqCst) != ROUNDS {
            return Err(format!("worker {i} ran {} rounds", RAN[i].load(SeqCst)));
        }
        check(
            IDS[i].load(SeqCst) == id.number(),
            "a worker saw another id than spawn returned",
        )?;
    }
    check(
        thread::stats().waits == waits,
        "the dispatcher waited while threads could run",
    )?;
    join(ids[0])?;
    check(
        thread::join(thread::current()) == Err(JoinError::Current),
        "joining itself was not refused",
    )
}

/// A thread blocked until the main thread sets a flag.
fn blocked_on_flag() -> Result<(), String> {
    let waiter = thread::spawn(|| {
        thread::block_until(|| FLAG.load(SeqCst));
        FLAG_SEEN.store(true, SeqCst);
    });
    for _ in 0..5 {
        thread::yield_now();
    }
    check(!FLAG_SEEN.load(SeqCst), "block_until returned early")?;
    FLAG.store(true, SeqCst);
    join(waiter)?;
    check(FLAG_SEEN.load(SeqCst), "block_until did not return")
}

/// A thread receiving a message the main thread sends to its own ring.
fn message() -> Result<(), String> {
    let endpoint =
        lmp::endpoint_to_self(TEST_RING).map_err(|e| format!("endpoint_to_self: {e:?}"))?;
    let waits = thread::stats().waits;
    let receiver = thread::spawn(|| {
        let message = thread::recv(TEST_RING);
        for (slot, word) in WORDS.iter().zip(message.words) {
            slot.store(word, SeqCst);
        }
        RECEIVED.store(true, SeqCst);
    });
    for _ in 0..5 {
        thread::yield_now();
    }
    check(!RECEIVED.load(SeqCst), "recv returned with no message")?;
    check(
        thread::stats().waits == waits,
        "recv slept while another thread could run",
    )?;
    let sent = [11, 22, 33, 44];
    lmp::send(endpoint, sent, None).map_err(|e| format!("send: {e:?}"))?;
    join(receiver)?;
    check(RECEIVED.load(SeqCst), "recv did not return")?;
    check(
        WORDS.iter().map(|w| w.load(SeqCst)).eq(sent),
        "recv returned other words",
    )?;

    // Every thread waits (main in join, the poller on its condition): the
    // dispatcher calls WAIT, which returns at once as a message is pending.
    let waits = thread::stats().waits;
    let pending = [5, 6, 7, 8];
    lmp::send(endpoint, pending, None).map_err(|e| format!("send: {e:?}"))?;
    let poller = thread::spawn(|| thread::block_until(|| POLLS.fetch_add(1, SeqCst) >= 5));
    join(poller)?;
    check(
        thread::stats().waits > waits,
        "no WAIT while every thread waited",
    )?;
    let message = thread::recv(TEST_RING);
    check(message.words == pending, "the pending message changed")
}

/// Threads started and joined one at a time (their memory is reused).
fn short_lived() -> Result<(), String> {
    for _ in 0..SHORT_LIVED {
        let id = thread::spawn(|| {
            SHORT_RAN.fetch_add(1, SeqCst);
        });
        join(id)?;
    }
    check(
        SHORT_RAN.load(SeqCst) == SHORT_LIVED,
        "a short-lived thread did not run",
    )
}

fn run() -> Result<u64, String> {
    alone()?;
    round_robin()?;
    blocked_on_flag()?;
    message()?;
    short_lived()?;
    Ok(thread::stats().switches)
}

fn main() -> i32 {
    match run() {
        Ok(switches) => {
            println!("threads: ok ({switches} switches)");
            0
        }
        Err(reason) => {
            println!("threads: FAILED: {reason}");
            1
        }
    }
}
