//! `cargo xtask fuzz --host [--cases N] [--seed S]`: the parsers that take
//! outside input, fuzzed on the host (stable Rust has no libFuzzer here:
//! this is a seeded, structure-aware mutation fuzzer on valid inputs).
//!
//! For each target (`targets`: ELF images, the boot archive, the boot
//! driver's commands, `boot.cfg`, boot-parameter pages, protocol messages,
//! KCB layout conversion, multiboot2 boot information) it makes `N` inputs
//! by mutating valid seeds (`mutate`; the built archive's ELF modules and
//! the archive itself, one of each command, the archive's `boot.cfg`, a
//! parameter page as the boot driver writes one, a KCB of each layout),
//! runs the parser on each
//! under `catch_unwind`, and counts the inputs accepted and refused and
//! the distinct reasons given. Any panic fails the run, and so does a
//! refusal whose message is empty; the first such inputs are written to
//! `target/fuzz-host/<target>-<case>.bin`. The same seed (`--seed`, 1 by
//! default) makes the same inputs from the same built archive. Aborts,
//! stack overflows and hangs are not caught: they end the run.

mod kcb;
mod messages;
mod multiboot2;
mod mutate;
mod targets;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use mutate::Mutator;
use targets::{Outcome, Target};

/// Crashing inputs kept per target.
const KEPT_CRASHES: usize = 5;

/// What a target's run found.
pub struct Findings {
    /// The target.
    pub name: &'static str,
    /// Inputs run.
    pub cases: u64,
    /// Inputs accepted.
    pub accepted: u64,
    /// Refusals, by message (its first words).
    pub reasons: BTreeMap<String, u64>,
    /// Panics.
    pub panics: u64,
    /// Refusals with an empty message.
    pub silent: u64,
    /// The first inputs that panicked or were refused silently: the
    /// input's file and what happened.
    pub kept: Vec<(PathBuf, String)>,
    /// Seconds taken.
    pub seconds: f64,
}

/// Runs every target `cases` times from `seed`; prints and returns the
/// findings, failing if any target panicked or refused without a reason.
pub fn fuzz(cases: u64, seed: u64) -> Result<Vec<Findings>> {
    let images = crate::build::build_all()?;
    let archive = std::fs::read(images.archive())
        .with_context(|| format!("cannot read {}", images.archive().display()))?;
    let out = harness::workspace_root().join("target/fuzz-host");
    std::fs::create_dir_all(&out)?;
    let targets = targets::all(&archive)?;
    // Panics are expected to be caught here; their messages are kept, not printed.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let found: Result<Vec<Findings>> = targets
        .iter()
        .map(|t| run_target(t, cases, seed, &out))
        .collect();
    std::panic::set_hook(hook);
    let found = found?;
    let mut failed = Vec::new();
    for f in &found {
        print(f);
        if f.panics > 0 || f.silent > 0 {
            failed.push(f.name);
        }
    }
    if !failed.is_empty() {
        bail!(
            "host fuzzing found panics or silent refusals in {failed:?} (inputs in {})",
            out.display()
        );
    }
    Ok(found)
}

fn run_target(target: &Target, cases: u64, seed: u64, out: &std::path::Path) -> Result<Findings> {
    if target.seeds.is_empty() {
        bail!("target {} has no seed", target.name);
    }
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut mutators: Vec<Mutator> = target.seeds.iter().cloned().map(Mutator::new).collect();
    let mut found = Findings {
        name: target.name,
        cases,
        accepted: 0,
        reasons: BTreeMap::new(),
        panics: 0,
        silent: 0,
        kept: Vec::new(),
        seconds: 0.0,
    };
    let started = Instant::now();
    for case in 0..cases {
        let pick = rng.random_range(0..mutators.len());
        let deep = case % 16 == 0;
        let input = mutators[pick].next(&mut rng);
        let trouble = match catch_unwind(AssertUnwindSafe(|| (target.run)(input, deep))) {
            Ok(Outcome::Accepted) => {
                found.accepted += 1;
                None
            }
            Ok(Outcome::Refused(why)) if why.trim().is_empty() => {
                found.silent += 1;
                Some(String::from("refused without a reason"))
            }
            Ok(Outcome::Refused(why)) => {
                *found.reasons.entry(reason(&why)).or_default() += 1;
                None
            }
            Err(payload) => {
                found.panics += 1;
                let message = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "a panic without a message".into());
                Some(format!("panic: {message}"))
            }
        };
        if let Some(what) = trouble
            && found.kept.len() < KEPT_CRASHES
        {
            let file = out.join(format!("{}-{case}.bin", target.name));
            std::fs::write(&file, input)?;
            found.kept.push((file, what));
        }
    }
    found.seconds = started.elapsed().as_secs_f64();
    Ok(found)
}

/// A refusal's kind: its message with every number written `N` and every
/// quoted text `…` (they name the value that was wrong, not the reason).
fn reason(why: &str) -> String {
    let mut kind = String::new();
    let mut chars = why.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            while chars.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
                chars.next();
            }
            kind.push('N');
        } else if c == '`' || c == '"' {
            for d in chars.by_ref() {
                if d == c {
                    break;
                }
            }
            kind.push_str("`…`");
        } else {
            kind.push(c);
        }
    }
    kind
}

fn print(f: &Findings) {
    let refused: u64 = f.reasons.values().sum();
    println!(
        "fuzz --host: {}: {} cases in {:.1} s: {} accepted, {} refused for {} reasons, {} panics, {} silent",
        f.name,
        f.cases,
        f.seconds,
        f.accepted,
        refused,
        f.reasons.len(),
        f.panics,
        f.silent
    );
    let mut top: Vec<_> = f.reasons.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1));
    for (why, n) in top.iter().take(6) {
        println!("fuzz --host:   {n:>8}  {why}");
    }
    for (file, what) in &f.kept {
        println!("fuzz --host:   {what} ({})", file.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_drop_the_values() {
        assert_eq!(
            reason("program header 3 is malformed"),
            "program header N is malformed"
        );
        assert_eq!(reason("unknown command `frob`"), "unknown command `…`");
        assert_eq!(
            reason("relocation at 0x1f00 outside"),
            "relocation at N outside"
        );
        assert_eq!(reason("not a 64-bit ELF file"), "not a N-bit ELF file");
    }

    #[test]
    fn panics_and_silent_refusals_are_caught_and_kept() {
        let target = Target {
            name: "test-target",
            seeds: vec![vec![0; 64]],
            run: |input, _| match input.first() {
                Some(&0xff) => panic!("boom"),
                Some(&0x01) => Outcome::Refused(String::new()),
                Some(_) => Outcome::Refused("refused 3 times".into()),
                None => Outcome::Accepted,
            },
        };
        let out = std::env::temp_dir().join("corefish-hostfuzz-test");
        std::fs::create_dir_all(&out).unwrap();
        let found = run_target(&target, 20_000, 1, &out).unwrap();
        assert!(found.panics > 0, "no panic caught");
        assert!(found.silent > 0, "no silent refusal caught");
        assert!(found.kept.len() == KEPT_CRASHES);
        assert!(found.kept.iter().all(|(file, what)| {
            file.exists() && (what == "panic: boom" || what == "refused without a reason")
        }));
        assert!(found.reasons.get("refused N times").is_some_and(|&n| n > 0));
    }
}
