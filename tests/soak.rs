//! The decoupled operations at random (split from `decoupled.rs`): 100 of
//! stop and resume, update, park, unpark and give on OSNodes 1-3 across
//! cores 1-4, while `umpmesh` on every OSNode exchanges numbered,
//! checksummed messages with the others; every message arrives in order
//! and intact, and `corectrl list` agrees with a model at the end.

use qemu_tests::{BOOT_TIMEOUT, HarnessError, Machine, config, type_line};

/// A deterministic pseudo-random sequence (xorshift), for the soak test.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Where one of OSNodes 1-3 is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// Running on this core.
    Runs(u32),
    /// Parked on this (running) core.
    Parked(u32),
}

/// Types `corectrl <command>` and waits for its success line (`ok`) or its
/// error (`<verb> <first argument>: ...`); panics on an error.
fn corectrl(m: &mut Machine, command: &str, ok: &str) -> Result<(), HarnessError> {
    let mut words = command.split_whitespace();
    let error = format!(
        "{} {}: ",
        words.next().unwrap_or(""),
        words.next().unwrap_or("")
    );
    type_line(m, &format!("corectrl {command}"))?;
    let answer = m.expect_line(&format!("the answer to `{command}`"), BOOT_TIMEOUT, |l| {
        l.contains(ok) || l.contains(&error)
    })?;
    assert!(
        answer.contains(ok),
        "`corectrl {command}` answered `{answer}`"
    );
    Ok(())
}

#[test]
fn soak_a_hundred_operations_while_programs_exchange_messages() -> Result<(), HarnessError> {
    const OPS: usize = 100;
    const MESSAGES: u64 = 300_000;
    // Five cores: OSNode 0 (core 0: the boot driver and the hub) stays;
    // OSNodes 1-3 move around cores 1-4, so one core is always free.
    let mut m = Machine::start(&config(5, 512)?, "decoupled_soak")?;
    m.expect("Corefish shell; type `help`.", BOOT_TIMEOUT)?;
    corectrl(&mut m, "stop 4", "core 4 stopped")?;
    for core in 1..4 {
        type_line(
            &mut m,
            &format!("run --core {core} umpmesh {core} 4 {MESSAGES}"),
        )?;
        m.expect(&format!("started umpmesh on core {core} as "), BOOT_TIMEOUT)?;
    }
    type_line(&mut m, &format!("run umpmesh 0 4 {MESSAGES} &"))?;
    m.expect("started umpmesh as ", BOOT_TIMEOUT)?;

    let mut places = [Place::Runs(1), Place::Runs(2), Place::Runs(3)];
    let mut v2 = [false; 5];
    let mut rng = Rng(0x5eed_2026_1126);
    for _ in 0..OPS {
        let node = rng.below(3);
        let kcb = node + 1;
        let running: Vec<u32> = places
            .iter()
            .filter_map(|p| {
                if let Place::Runs(c) = p {
                    Some(*c)
                } else {
                    None
                }
            })
            .collect();
        let free: Vec<u32> = (1..5).filter(|c| !running.contains(c)).collect();
        match places[node] {
            Place::Parked(_) => {
                let to = free[rng.below(free.len())];
                corectrl(
                    &mut m,
                    &format!("unpark {kcb} {to}"),
                    &format!("KCB {kcb} unparked to core {to}"),
                )?;
                places[node] = Place::Runs(to);
            }
            Place::Runs(core) => {
                // A core that hosts a parked OSNode gives it back first
                // (stopping the host would stop it too).
                if let Some(guest) = places.iter().position(|p| *p == Place::Parked(core)) {
                    let to = free[rng.below(free.len())];
                    corectrl(
                        &mut m,
                        &format!("unpark {} {to}", guest + 1),
                        &format!("unparked to core {to}"),
                    )?;
                    places[guest] = Place::Runs(to);
                    continue;
                }
                let hosts: Vec<u32> = running.iter().copied().filter(|&c| c != core).collect();
                match rng.below(4) {
                    0 => {
                        corectrl(
                            &mut m,
                            &format!("stop {core}"),
                            &format!("core {core} stopped: KCB {kcb} kept"),
                        )?;
                        corectrl(
                            &mut m,
                            &format!("boot {core} --kcb {kcb}"),
                            &format!("KCB {kcb} (resumed)"),
                        )?;
                        v2[core as usize] = false;
                    }
                    1 => {
                        let next = !v2[core as usize];
                        let image = if next { "cpudriver-v2" } else { "cpudriver" };
                        corectrl(
                            &mut m,
                            &format!("update {core} {image}"),
                            &format!("core {core} updated to {image} "),
                        )?;
                        v2[core as usize] = next;
                    }
                    2 if !hosts.is_empty() => {
                        let host = hosts[rng.below(hosts.len())];
                        corectrl(
                            &mut m,
                            &format!("park {core} {host}"),
                            &format!("core {core} parked on core {host}"),
                        )?;
                        places[node] = Place::Parked(host);
                    }
                    _ => {
                        let to = free[rng.below(free.len())];
                        corectrl(
                            &mut m,
                            &format!("stop {core}"),
                            &format!("core {core} stopped: KCB {kcb} kept"),
                        )?;
                        let image = if v2[core as usize] {
                            "cpudriver-v2"
                        } else {
                            "cpudriver"
                        };
                        corectrl(
                            &mut m,
                            &format!("give {kcb} {to}"),
                            &format!("KCB {kcb} now runs on core {to} under {image} "),
                        )?;
                        v2[to as usize] = v2[core as usize];
                        places[node] = Place::Runs(to);
                    }
                }
            }
        }
    }
    // Every program finishes with every message, in order and intact (some
    // may have finished while the operations went on).
    let verdicts = |m: &Machine| {
        m.lines()
            .into_iter()
            .filter(|l| l.contains("umpmesh: "))
            .collect::<Vec<_>>()
    };
    while verdicts(&m).len() < 4 {
        m.expect_line("a umpmesh verdict", BOOT_TIMEOUT, |l| {
            l.contains("umpmesh: ")
        })?;
    }
    for line in verdicts(&m) {
        assert!(
            line.contains(&format!(
                ": 3 peers, {MESSAGES} messages each way with each, all in order and intact"
            )),
            "{line}"
        );
    }
    // The boot driver's view agrees with the model.
    type_line(&mut m, "corectrl list")?;
    m.expect(" KCB  STATE", BOOT_TIMEOUT)?;
    for (node, place) in places.iter().enumerate() {
        let want = match place {
            Place::Runs(c) => format!("{:>4}  running on core {c}", node + 1),
            Place::Parked(h) => format!("{:>4}  parked on core {h}", node + 1),
        };
        m.expect(&want, BOOT_TIMEOUT)?;
    }
    let lines = m.lines();
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("panic") || l.contains("killed") || l.contains("refused")),
        "something failed: {:?}",
        lines
            .iter()
            .filter(|l| l.contains("panic") || l.contains("killed") || l.contains("refused"))
            .collect::<Vec<_>>()
    );
    Ok(())
}
