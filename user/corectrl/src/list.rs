//! `corectrl list`: every core and every KCB.

use alloc::format;
use alloc::string::String;
use core::fmt::Write;

use crate::driver::{CoreState, Driver};

/// The table of cores, then the table of KCBs.
pub fn list(driver: &Driver) -> String {
    let mut text =
        String::from("CORE  APIC  STATE    KCB  MONITOR                     IPIS  KERNEL\n");
    for (id, core) in driver.cores.iter().enumerate() {
        let state = match core.state {
            CoreState::Running => "running",
            CoreState::Off => "off",
        };
        let kcb = core.kcb.map_or(String::from("-"), |k| format!("{k}"));
        let monitor = match (core.state, core.kcb) {
            (CoreState::Running, Some(0)) => String::from("hub"),
            (CoreState::Running, Some(_)) => match driver.monitor_status(id as u32) {
                Some((rtt, woken)) => {
                    format!("up ({}.{} us, {woken} woken)", rtt / 1000, rtt % 1000 / 100)
                }
                None => String::from("silent"),
            },
            _ => String::from("-"),
        };
        let kernel = if core.kernel.is_empty() {
            "-"
        } else {
            &core.kernel
        };
        // IPIs its kernel received, as it counts them in its boot-parameter
        // page (not known for the first core's kernel, which the loader
        // started).
        let ipis = driver
            .ipis_received(id)
            .map_or(String::from("-"), |n| format!("{n}"));
        let _ = writeln!(
            text,
            "{id:>4}  {:>4}  {state:<7}  {kcb:>3}  {monitor:<26}  {ipis:>4}  {kernel}",
            core.apic
        );
    }
    text.push_str(" KCB  STATE\n");
    for kcb in &driver.kcbs {
        let state = match (kcb.core, kcb.host) {
            (Some(core), _) => format!("running on core {core}"),
            (None, Some(host)) => format!("parked on core {host}"),
            (None, None) => String::from("stopped"),
        };
        let _ = writeln!(text, "{:>4}  {state}", kcb.id);
    }
    let running = driver
        .cores
        .iter()
        .filter(|c| c.state == CoreState::Running)
        .count();
    let _ = writeln!(
        text,
        "{} cores, {running} running; {} KCBs",
        driver.cores.len(),
        driver.kcbs.len()
    );
    text
}
