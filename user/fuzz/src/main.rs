//! `fuzz [COUNT]`: the kernel under hostile system calls, from a fixed seed.
//! `fuzz messages [COUNT]`: the services under hostile messages.
//!
//! The first mode makes COUNT system calls (default 100,000): capability
//! invocations aimed at a sandbox CNode full of assorted capabilities
//! ([`sandbox`]), their arguments packed as each operation expects or
//! noise, and other system calls with hostile arguments ([`calls`]); now and
//! then a child wrecks its own dispatcher frame and makes the kernel use it
//! ([`victim`]). After every batch the kernel checks this OSNode's mapping
//! database (`DEBUG_CHECK`, on a kernel booted with `checks`) and the
//! fuzzer checks that no right grew; at the end a health check (retype,
//! map, write, read, message to itself) must pass. It prints
//! `fuzz: N calls ... mapping database consistent ...; health check passed`
//! or `fuzz: FAILED: ...`.
//!
//! The second mode sends COUNT random messages (default 10,000) to init,
//! the memory server, the serial driver and the hub ([`messages`]), then
//! checks that they still answer.

#![no_std]
#![no_main]

extern crate alloc;

mod calls;
mod messages;
mod rng;
mod sandbox;
mod victim;

use corefish::abi::syscall;
use corefish::{println, sys};

use crate::rng::Rng;
use crate::sandbox::Sandbox;

corefish::entry!(main);

/// The seed of every run.
pub const SEED: u64 = 0x00c0_fe15_0bad_5eed;
/// Calls by default.
pub const DEFAULT_CALLS: u64 = 100_000;
/// Messages by default.
pub const DEFAULT_MESSAGES: u64 = 10_000;
/// Calls between two checks (and refills of the sandbox, which fuzzing
/// empties).
const BATCH: u64 = 500;
/// Batches between two victims.
const VICTIM_EVERY: u64 = 4;

fn main() -> i32 {
    let args = corefish::args();
    let mut words = args.split_whitespace();
    let result = match words.next() {
        Some("victim") => victim::victim(words.next().and_then(|s| s.parse().ok()).unwrap_or(1)),
        Some("messages") => {
            let count = words.next().and_then(|s| s.parse().ok());
            fuzz_messages(count.unwrap_or(DEFAULT_MESSAGES))
        }
        Some(count) => match count.parse() {
            Ok(count) => fuzz_calls(count),
            Err(_) => Err("usage: fuzz [COUNT] | fuzz messages [COUNT]".into()),
        },
        None => fuzz_calls(DEFAULT_CALLS),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            // On a line of its own (the console may hold an open line).
            println!("\nfuzz: FAILED: {e}");
            1
        }
    }
}

/// The kernel's check of this OSNode's mapping database: `Ok(Some(n))`
/// (consistent, `n` capabilities), `Ok(None)` (the kernel was not booted
/// with `checks`), or what is broken.
fn check_mdb() -> Result<Option<u64>, alloc::string::String> {
    match sys::call(syscall::DEBUG_CHECK, [0; 6]) {
        Ok(v) if v[0] == 0 => Ok(Some(v[1])),
        Ok(v) => Err(alloc::format!(
            "the mapping database is broken: invariant {} at CTE {:#x}",
            v[0],
            v[1]
        )),
        Err(corefish::SysError::InvalidSyscall) => Ok(None),
        Err(e) => Err(alloc::format!("DEBUG_CHECK: {e}")),
    }
}

fn fuzz_calls(count: u64) -> Result<(), alloc::string::String> {
    let sandbox = Sandbox::make().map_err(|e| alloc::format!("cannot make the sandbox: {e}"))?;
    let mut rng = Rng::new(SEED);
    let mut victims = victim::Victims::default();
    let (mut accepted, mut refused, mut checks) = (0u64, 0u64, 0u64);
    let mut largest = 0;
    let started = sys::time_ns();
    for i in 0..count {
        let ok = if rng.chance(90) {
            calls::invoke(&mut rng, &sandbox)
        } else {
            calls::other_call(&mut rng)
        };
        if ok {
            accepted += 1;
        } else {
            refused += 1;
        }
        if i % BATCH != BATCH - 1 && i + 1 != count {
            continue;
        }
        let batch = i / BATCH;
        if let Some(n) = check_mdb()? {
            checks += 1;
            largest = largest.max(n);
        }
        sandbox
            .rights_hold()
            .map_err(|(slot, r)| alloc::format!("rights grew: slot {slot} holds {r:?}"))?;
        if batch.is_multiple_of(VICTIM_EVERY) {
            victims.run_one(&mut rng, &sandbox)?;
        }
        sandbox.fill().map_err(|e| {
            alloc::format!(
                "cannot refill the sandbox after {} calls: {e}; pool memory outside it: {:?}",
                i + 1,
                sandbox.strays()
            )
        })?;
    }
    let ms = (sys::time_ns() - started) / 1_000_000;
    sandbox.health_check()?;
    let consistent = match checks {
        0 => alloc::string::String::from("mapping database not checked (boot with `checks`)"),
        n => alloc::format!(
            "mapping database consistent at all {n} checks (at most {largest} capabilities)"
        ),
    };
    println!(
        "fuzz: {count} calls from seed {SEED:#x} in {ms} ms: {accepted} accepted, {refused} refused; {} victims ({} exited, {} faulted, {} ended); {consistent}; rights never grew; health check passed",
        victims.started, victims.exited, victims.faulted, victims.ended
    );
    Ok(())
}

fn fuzz_messages(count: u64) -> Result<(), alloc::string::String> {
    let sandbox = Sandbox::make().map_err(|e| alloc::format!("cannot make the sandbox: {e}"))?;
    let mut rng = Rng::new(SEED ^ 0x5eed);
    let mut tally = messages::Tally::default();
    let started = sys::time_ns();
    for _ in 0..count {
        messages::one(&mut rng, &sandbox, &mut tally);
    }
    let ms = (sys::time_ns() - started) / 1_000_000;
    messages::services_answer()?;
    // The serial driver may have left a line of the fuzzing's text open on
    // the console: the verdict starts a line of its own.
    println!(
        "\nfuzz: {} messages from seed {:#x} in {ms} ms: {} calls answered ({} refusals), {} unanswered, {} not taken; the services still answer",
        tally.sent,
        SEED ^ 0x5eed,
        tally.answered,
        tally.refused,
        tally.unanswered,
        tally.bounced
    );
    Ok(())
}
