//! CPU hotplug through sysfs, timed: the last CPU offline and online again
//! (`cycle`), and every CPU that is not online brought online (`online_all`,
//! for a peer booted with `maxcpus=1`).

use std::fs::OpenOptions;
use std::io::Write;
use std::time::{Duration, Instant};

/// The CPUs present (`/sys/devices/system/cpu/present`, e.g. `0-3`).
fn cpus() -> Result<u32, String> {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/present")
        .map_err(|e| format!("/sys/devices/system/cpu/present: {e}"))?;
    let last = text.trim().rsplit(['-', ',']).next().unwrap_or("0");
    last.parse::<u32>()
        .map(|n| n + 1)
        .map_err(|_| format!("cannot read `{}`", text.trim()))
}

/// Writes `value` to CPU `cpu`'s `online` file; returns how long it took.
fn set_online(cpu: u32, value: &str) -> Result<Duration, String> {
    let path = format!("/sys/devices/system/cpu/cpu{cpu}/online");
    let mut file = OpenOptions::new()
        .write(true)
        .open(&path)
        .map_err(|e| format!("{path}: {e}"))?;
    let start = Instant::now();
    file.write_all(value.as_bytes())
        .map_err(|e| format!("{path}: {e}"))?;
    Ok(start.elapsed())
}

/// Takes the last CPU offline and online `rounds` times; prints each step.
pub fn cycle(label: &str, rounds: u32) -> Result<(), String> {
    let n = cpus()?;
    if n < 2 {
        return Err(String::from("only one CPU"));
    }
    let cpu = n - 1;
    for _ in 0..rounds {
        let off = set_online(cpu, "0")?;
        println!("peer: {label} offline cpu{cpu} {:.3} ms", ms(off));
        let on = set_online(cpu, "1")?;
        println!("peer: {label} online cpu{cpu} {:.3} ms", ms(on));
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The CPUs of a sysfs list such as `0`, `0-3` or `0,2-5`.
fn parse_list(text: &str) -> Result<Vec<u32>, String> {
    let mut cpus = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let bad = || format!("cannot read the CPU list `{}`", text.trim());
        let (first, last): (u32, u32) = match part.split_once('-') {
            Some((a, b)) => (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?),
            None => {
                let n = part.parse().map_err(|_| bad())?;
                (n, n)
            }
        };
        if first > last {
            return Err(bad());
        }
        cpus.extend(first..=last);
    }
    Ok(cpus)
}

/// The CPUs of the sysfs list `/sys/devices/system/cpu/NAME`.
pub fn read_list(name: &str) -> Result<Vec<u32>, String> {
    let path = format!("/sys/devices/system/cpu/{name}");
    parse_list(&std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?)
}

/// Brings every present CPU that is offline online, one after another (as
/// Corefish's `corectrl boot all` boots every core that is off); prints each
/// step and then the whole: `peer: all online N cpus MS ms`.
pub fn online_all() -> Result<(), String> {
    let online = read_list("online")?;
    let offline: Vec<u32> = read_list("present")?
        .into_iter()
        .filter(|c| !online.contains(c))
        .collect();
    if offline.is_empty() {
        return Err(String::from(
            "every CPU is online already (boot with maxcpus=1)",
        ));
    }
    let start = Instant::now();
    for &cpu in &offline {
        let on = set_online(cpu, "1")?;
        println!("peer: all online cpu{cpu} {:.3} ms", ms(on));
    }
    let whole = start.elapsed();
    println!(
        "peer: all online {} cpus {:.3} ms",
        offline.len(),
        ms(whole)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_list;

    #[test]
    fn cpu_lists_parse() {
        assert_eq!(parse_list("0\n"), Ok(vec![0]));
        assert_eq!(parse_list("0-3\n"), Ok(vec![0, 1, 2, 3]));
        assert_eq!(parse_list("0,2-4"), Ok(vec![0, 2, 3, 4]));
        assert!(parse_list("3-1").is_err());
        assert!(parse_list("x").is_err());
    }
}
