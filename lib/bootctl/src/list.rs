//! `corectrl list`: the table of cores, then the table of KCBs.

use alloc::format;
use alloc::string::String;
use core::fmt::Write;

use crate::CoreId;
use crate::table::{CoreState, KcbState, Table};

/// What the boot driver learns of a running core beyond the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Liveness {
    /// Its monitor's answer to a ping: the round trip in ns and how often
    /// it woke before its backstop; `None`: it did not answer.
    pub monitor: Option<(u64, u64)>,
    /// IPIs its kernel received, if the boot driver started that kernel
    /// (it counts them in its boot-parameter page).
    pub ipis: Option<u64>,
}

/// The list. `look(core)` is asked about each running core (for the one
/// running KCB 0, the boot driver's own, its monitor is the hub and not
/// shown).
pub fn list<I, M>(table: &Table<I, M>, mut look: impl FnMut(CoreId) -> Liveness) -> String {
    let mut text =
        String::from("CORE  APIC  STATE    KCB  MONITOR                     IPIS  KERNEL\n");
    for (id, core) in table.cores().iter().enumerate() {
        let id = id as CoreId;
        let (state, kcb, kernel) = match &core.state {
            CoreState::Running { kcb, kernel } => {
                ("running", format!("{kcb}"), kernel.version.as_str())
            }
            CoreState::Off => ("off", String::from("-"), "-"),
        };
        let live = if core.is_running() {
            look(id)
        } else {
            Liveness::default()
        };
        let monitor = match core.kcb() {
            Some(0) => String::from("hub"),
            Some(_) => match live.monitor {
                Some((rtt, woken)) => {
                    format!("up ({}.{} us, {woken} woken)", rtt / 1000, rtt % 1000 / 100)
                }
                None => String::from("silent"),
            },
            None => String::from("-"),
        };
        let ipis = live.ipis.map_or(String::from("-"), |n| format!("{n}"));
        let _ = writeln!(
            text,
            "{id:>4}  {:>4}  {state:<7}  {kcb:>3}  {monitor:<26}  {ipis:>4}  {kernel}",
            core.apic
        );
    }
    text.push_str(" KCB  STATE\n");
    for kcb in table.kcbs() {
        let state = match kcb.state {
            KcbState::Running { core } => format!("running on core {core}"),
            KcbState::Parked { host } => format!("parked on core {host}"),
            KcbState::Stopped if kcb.damaged => String::from("stopped, may be damaged"),
            KcbState::Stopped => String::from("stopped"),
        };
        let _ = writeln!(text, "{:>4}  {state}", kcb.id);
    }
    let running = table.cores().iter().filter(|c| c.is_running()).count();
    let _ = writeln!(
        text,
        "{} cores, {running} running; {} KCBs",
        table.cores().len(),
        table.kcbs().len()
    );
    text
}
