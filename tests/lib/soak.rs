//! The soak: the decoupled operations at random on a running machine, for
//! as many operations as asked (`tests/soak.rs` runs 100, `cargo xtask
//! soak` any number), while programs exchange checksummed, numbered
//! messages on every OSNode (`umpmesh`) and the database workload
//! (`tpchq`) checks its answers every round.
//!
//! The operations, on OSNodes 1 to `cores - 2` (OSNode 0, the boot driver's,
//! stays on core 0; one core is always free): stop and resume, update
//! (between `cpudriver` and `cpudriver-v2`), an update to the faulty kernel
//! that rolls back, tracing on and off, park and unpark, give, move, and a
//! kernel fault recovered (`corectrl fault`). After every operation
//! `corectrl list` must say what a model of the machine says (where each
//! KCB is, what kernel each core runs); at the end every message must have
//! arrived, in order and intact, and every query round have given the
//! first round's answers, which must be the host's.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::interleaved::{without_interleaved, without_reports};
use crate::{BOOT_TIMEOUT, HarnessError, Machine, type_line};

/// What to soak.
#[derive(Debug, Clone)]
pub struct Soak {
    /// Operations.
    pub ops: usize,
    /// The seed of the operations' choice.
    pub seed: u64,
    /// Cores (at least 4: core 0, two OSNodes that move, a free core).
    pub cores: u32,
    /// Messages each `umpmesh` sends each peer.
    pub messages: u64,
    /// Whether `tpchq` runs too (scale 0.005, a worker on every OSNode).
    pub tpch: bool,
}

/// What a soak did.
#[derive(Debug, Clone, Default)]
pub struct SoakReport {
    /// Operations done, by kind.
    pub per_kind: BTreeMap<&'static str, usize>,
    /// `corectrl list` checks against the model (one after each operation).
    pub list_checks: usize,
    /// Messages received and checked, over every program.
    pub messages: u64,
    /// Query rounds, every one checked.
    pub tpch_rounds: u64,
    /// How long the operations and the checks took.
    pub elapsed: Duration,
}

/// The TPC-H scale of the soak's workload (0.005).
pub const TPCH_MILLI: u32 = 5;
/// How often `tpchq` reports (ms): seldom, so that its lines rarely land
/// in the boot driver's answers (they are taken out where they do).
const TPCH_INTERVAL_MS: u32 = 5000;

/// A deterministic pseudo-random sequence (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// The splitmix64 finaliser of `seed`: one-to-one, so every seed gives its
/// own sequence (zero, which xorshift cannot leave, becomes a constant).
fn splitmix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    match z ^ (z >> 31) {
        0 => 0x5eed,
        z => z,
    }
}

/// Where an OSNode is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Runs(u32),
    Parked(u32),
}

/// The model: where each moving OSNode is and which image runs its KCB.
struct Model {
    places: Vec<Place>,
    v2: Vec<bool>,
    cores: u32,
}

impl Model {
    fn running(&self) -> Vec<u32> {
        self.places
            .iter()
            .filter_map(|p| match p {
                Place::Runs(c) => Some(*c),
                Place::Parked(_) => None,
            })
            .collect()
    }
    fn free(&self) -> Vec<u32> {
        let running = self.running();
        (1..self.cores).filter(|c| !running.contains(c)).collect()
    }
    fn image(&self, node: usize) -> &'static str {
        if self.v2[node] {
            "cpudriver-v2"
        } else {
            "cpudriver"
        }
    }
    fn version(&self, node: usize) -> &'static str {
        if self.v2[node] {
            "cpudriver-v2 0.1.0-v2"
        } else {
            "cpudriver 0.1.0"
        }
    }
}

/// Why a soak failed.
pub type SoakError = String;

fn harness(e: HarnessError) -> SoakError {
    format!("{e}")
}

/// Types `corectrl <command>` and waits for the line that has `ok`, or an
/// answer for the command that does not (`<verb> <first word>: ...`, or,
/// for `trace N on|off`, which update the core, a rollback's report
/// `update N: ...`).
fn corectrl(m: &mut Machine, command: &str, ok: &str) -> Result<String, SoakError> {
    let mut words = command.split_whitespace();
    let verb = words.next().unwrap_or("");
    let first = words.next().unwrap_or("");
    let error = format!("{verb} {first}: ");
    let rollback = format!("update {first}: ");
    let refused = |l: &str| l.contains(&error) || (verb == "trace" && l.contains(&rollback));
    type_line(m, &format!("corectrl {command}")).map_err(harness)?;
    // The lines since, without the kernels' and the programs' lines, which
    // may land in the middle of the answer's.
    let mut seen = String::new();
    let mut answer = String::new();
    m.expect_line(&format!("the answer to `{command}`"), BOOT_TIMEOUT, |l| {
        seen.push_str(l);
        seen.push('\n');
        let text = without_interleaved(&seen);
        // Only whole lines: an interleaved line may have cut the answer's.
        let whole = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
        match whole.lines().find(|l| l.contains(ok) || refused(l)) {
            Some(found) => {
                answer = found.to_owned();
                true
            }
            None => false,
        }
    })
    .map_err(harness)?;
    if answer.contains(ok) {
        Ok(answer)
    } else {
        Err(format!("`corectrl {command}` answered `{answer}`"))
    }
}

/// Checks `corectrl list` against the model.
fn check_list(m: &mut Machine, model: &Model) -> Result<(), SoakError> {
    type_line(m, "corectrl list").map_err(harness)?;
    // Kernel report lines (written when their core idles) and the
    // programs' lines may land in the middle of a line of the list: they
    // are taken out, and the list is whole once its last line is.
    let mut seen = String::new();
    let mut text = String::new();
    m.expect_line("the end of `corectrl list`", BOOT_TIMEOUT, |l| {
        seen.push_str(l);
        seen.push('\n');
        text = without_interleaved(&seen);
        text.lines()
            .any(|l| l.contains(" cores, ") && l.contains(" running; ") && l.ends_with(" KCBs"))
    })
    .map_err(harness)?;
    let lines: Vec<String> = text.lines().map(String::from).collect();
    for (node, place) in model.places.iter().enumerate() {
        let kcb = node + 1;
        let (want, core) = match place {
            Place::Runs(c) => (format!("{kcb:>4}  running on core {c}"), Some(*c)),
            Place::Parked(h) => (format!("{kcb:>4}  parked on core {h}"), None),
        };
        if !lines.iter().any(|l| l.trim_end() == want) {
            return Err(format!("`corectrl list` does not say `{want}`: {lines:?}"));
        }
        if let Some(c) = core {
            let row = lines
                .iter()
                .find(|l| l.starts_with(&format!("{c:>4}  ")) && l.contains(" running "))
                .ok_or_else(|| format!("core {c} is not running in {lines:?}"))?;
            // Its monitor answers: the OSNode runs, not only its kernel.
            if !row.contains("  up (") {
                return Err(format!("the OSNode on core {c} does not answer: {row}"));
            }
            let runs = row.split_whitespace().nth(3) == Some(&kcb.to_string());
            if !row.ends_with(model.version(node)) || !runs {
                return Err(format!(
                    "core {c} should run KCB {kcb} under {}: {row}",
                    model.version(node)
                ));
            }
        }
    }
    // The free cores are off, and no KCB came or went (the first OSNode of
    // the core stopped at the start stays stopped).
    for c in model.free() {
        let off = lines
            .iter()
            .any(|l| l.starts_with(&format!("{c:>4}  ")) && l.contains("  off "));
        if !off {
            return Err(format!("core {c} should be off: {lines:?}"));
        }
    }
    let kcbs = format!("; {} KCBs", model.places.len() + 2);
    if !lines.iter().any(|l| l.ends_with(&kcbs)) {
        return Err(format!("not {} KCBs: {lines:?}", model.places.len() + 2));
    }
    Ok(())
}

/// Runs the soak on `m` (booted to the shell with `soak.cores` cores);
/// `progress` hears of every operation done.
pub fn run(
    m: &mut Machine,
    soak: &Soak,
    mut progress: impl FnMut(usize),
) -> Result<SoakReport, SoakError> {
    assert!(soak.cores >= 4, "a soak needs 4 cores or more");
    let nodes = soak.cores as usize - 2;
    let last = soak.cores - 1;
    corectrl(m, &format!("stop {last}"), &format!("core {last} stopped"))?;
    let peers = nodes + 1;
    for core in 1..=nodes {
        type_line(
            m,
            &format!("run --core {core} umpmesh {core} {peers} {}", soak.messages),
        )
        .map_err(harness)?;
        m.expect(&format!("started umpmesh on core {core} as "), BOOT_TIMEOUT)
            .map_err(harness)?;
    }
    type_line(m, &format!("run umpmesh 0 {peers} {} &", soak.messages)).map_err(harness)?;
    m.expect("started umpmesh as ", BOOT_TIMEOUT)
        .map_err(harness)?;
    let stop_tpch = if soak.tpch {
        let cores: Vec<String> = (0..=nodes).map(|c| c.to_string()).collect();
        let cores = cores.join(" ");
        Some(
            crate::start_tpchq(
                m,
                &format!("run {TPCH_MILLI} 0 {TPCH_INTERVAL_MS} {cores}"),
                &format!("tpch: {peers} workers on cores "),
            )
            .map_err(harness)?,
        )
    } else {
        None
    };

    let start = Instant::now();
    let mut model = Model {
        places: (1..=nodes as u32).map(Place::Runs).collect(),
        v2: vec![false; nodes],
        cores: soak.cores,
    };
    let mut report = SoakReport::default();
    let mut rng = Rng(splitmix(soak.seed));
    for op in 0..soak.ops {
        let kind = step(m, &mut model, &mut rng)?;
        *report.per_kind.entry(kind).or_default() += 1;
        check_list(m, &model).map_err(|e| format!("after operation {op} ({kind}): {e}"))?;
        report.list_checks += 1;
        progress(op + 1);
    }

    // Every program finishes with every message, in order and intact.
    // Read whole: a kernel's report line may land inside a verdict.
    let verdicts = |m: &Machine| {
        without_reports(&m.lines().join("\n"))
            .lines()
            .filter(|l| l.contains("umpmesh: ") && l.contains(" peers, "))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    // The programs may still be exchanging: as long as their messages
    // take, at the slowest rate seen under load (20,000 a second).
    let patience = BOOT_TIMEOUT + Duration::from_secs(soak.messages / 20_000);
    while verdicts(m).len() < peers {
        m.expect_line("a umpmesh verdict", patience, |l| {
            l.contains("umpmesh: ") && l.contains(" peers, ")
        })
        .map_err(harness)?;
    }
    let whole = format!(
        ": {nodes} peers, {} messages each way with each, all in order and intact",
        soak.messages
    );
    for line in verdicts(m) {
        if !line.contains(&whole) {
            return Err(format!("a program's messages: {line}"));
        }
        // What the program counted as it received and checked them.
        let Some(received) = line
            .split("intact (")
            .nth(1)
            .and_then(|r| r.split(" received and checked").next())
            .and_then(|n| n.parse::<u64>().ok())
        else {
            return Err(format!("no count of messages received in {line}"));
        };
        report.messages += received;
    }
    if let Some(stop) = stop_tpch {
        type_line(m, &format!("run {stop}")).map_err(harness)?;
        let done = m.expect("tpch: done: ", BOOT_TIMEOUT).map_err(harness)?;
        if !done.contains(" rounds, every answer equal to round 1's; ") {
            return Err(format!("the queries: {done}"));
        }
        report.tpch_rounds = done
            .split("done: ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        crate::assert_tpch_answers(m, TPCH_MILLI);
    }
    let lines = m.lines();
    if let Some(bad) = lines
        .iter()
        .find(|l| l.contains("panic") || l.contains(" killed") || l.contains("not recovered"))
    {
        return Err(format!("something failed: {bad}"));
    }
    report.elapsed = start.elapsed();
    Ok(report)
}

/// One operation on a random moving OSNode; its kind.
fn step(m: &mut Machine, model: &mut Model, rng: &mut Rng) -> Result<&'static str, SoakError> {
    let node = rng.below(model.places.len());
    let kcb = node + 1;
    let free = model.free();
    match model.places[node] {
        Place::Parked(_) => {
            let to = free[rng.below(free.len())];
            corectrl(
                m,
                &format!("unpark {kcb} {to}"),
                &format!("KCB {kcb} unparked to core {to}"),
            )?;
            model.places[node] = Place::Runs(to);
            Ok("unpark")
        }
        Place::Runs(core) => {
            // A core that hosts a parked OSNode gives it back first.
            if let Some(guest) = model.places.iter().position(|p| *p == Place::Parked(core)) {
                let to = free[rng.below(free.len())];
                corectrl(
                    m,
                    &format!("unpark {} {to}", guest + 1),
                    &format!("unparked to core {to}"),
                )?;
                model.places[guest] = Place::Runs(to);
                return Ok("unpark");
            }
            let hosts: Vec<u32> = model.running().into_iter().filter(|&c| c != core).collect();
            Ok(match rng.below(8) {
                0 => {
                    corectrl(
                        m,
                        &format!("stop {core}"),
                        &format!("core {core} stopped: KCB {kcb} kept"),
                    )?;
                    corectrl(
                        m,
                        &format!("boot {core} --kcb {kcb}"),
                        &format!("KCB {kcb} (resumed)"),
                    )?;
                    model.v2[node] = false;
                    "stop and resume"
                }
                1 => {
                    model.v2[node] = !model.v2[node];
                    let image = model.image(node);
                    corectrl(
                        m,
                        &format!("update {core} {image}"),
                        &format!("core {core} updated to {image} "),
                    )?;
                    "update"
                }
                2 if !hosts.is_empty() => {
                    let host = hosts[rng.below(hosts.len())];
                    corectrl(
                        m,
                        &format!("park {core} {host}"),
                        &format!("core {core} parked on core {host}"),
                    )?;
                    model.places[node] = Place::Parked(host);
                    "park"
                }
                3 => {
                    let to = free[rng.below(free.len())];
                    corectrl(
                        m,
                        &format!("stop {core}"),
                        &format!("core {core} stopped: KCB {kcb} kept"),
                    )?;
                    let image = model.image(node);
                    corectrl(
                        m,
                        &format!("give {kcb} {to}"),
                        &format!("KCB {kcb} now runs on core {to} under {image} "),
                    )?;
                    model.places[node] = Place::Runs(to);
                    "give"
                }
                4 => {
                    let to = free[rng.below(free.len())];
                    let version = model.version(node);
                    corectrl(
                        m,
                        &format!("move {core} {to}"),
                        &format!(
                            "OSNode {kcb} moved from core {core} to core {to} under {version}, in "
                        ),
                    )?;
                    model.places[node] = Place::Runs(to);
                    "move"
                }
                5 => {
                    let image = model.image(node);
                    corectrl(
                        m,
                        &format!("update {core} cpudriver-faulty"),
                        "failed its check (kernel fault: page fault (vector 14) at RIP ",
                    )
                    .and_then(|line| {
                        line.contains(&format!("); rolled back to {image} in "))
                            .then_some(())
                            .ok_or(format!("not rolled back to {image}: {line}"))
                    })?;
                    "update rolled back"
                }
                6 => {
                    corectrl(
                        m,
                        &format!("trace {core} on"),
                        &format!("core {core} traces into "),
                    )?;
                    corectrl(
                        m,
                        &format!("trace {core} off"),
                        &format!("core {core} no longer traces"),
                    )?;
                    "trace on and off"
                }
                _ => {
                    let image = model.image(node);
                    corectrl(
                        m,
                        &format!("fault {core}"),
                        &format!("OSNode {kcb} recovered on core {core} under {image} in "),
                    )?;
                    "fault recovered"
                }
            })
        }
    }
}
