//! The shell's commands, answered by init: `help`, `ps`, `run`, `kill`,
//! `mem`, `caps`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use corefish::abi::cspace::CPtr;
use corefish::abi::invoke::state;
use corefish::cap::{Cap, kind};
use corefish::{SysError, ram};

use crate::archive::Modules;
use crate::procs::{Procs, State};

/// What a command produced.
pub enum Outcome {
    /// Text to answer now.
    Answer(String),
    /// Answer when program `id` ends.
    WaitFor(u64),
}

/// Runs one command line.
pub fn run(procs: &mut Procs, modules: &Modules, line: &str) -> Outcome {
    let mut words = line.split_whitespace();
    let answer = match words.next().unwrap_or("") {
        "help" => help(modules),
        "ps" => ps(procs),
        "run" => return run_program(procs, modules, line),
        "kill" => kill(procs, words.next()),
        "mem" => mem(),
        "caps" => caps(procs, words.next()),
        "corectrl" => corectrl(procs, line.trim_start_matches("corectrl")),
        "" => String::new(),
        other => format!("unknown command `{other}`; try `help`\n"),
    };
    Outcome::Answer(answer)
}

fn help(modules: &Modules) -> String {
    let mut text = String::from(
        "help              this list\n\
         ps                the programs init started\n\
         run NAME [ARGS]   start a program from the boot archive and wait for it (`&` at the end: do not wait)\n\
         run --core N NAME [ARGS]\n                   start it on core N (its monitor reports its end)\n\
         kill ID           end a program and free everything it had\n\
         mem               free and total memory\n\
         caps ID           the capabilities in a program's CSpace\n\
         corectrl ...      the boot driver: `corectrl help`\n\
         programs:",
    );
    for name in modules.names() {
        let _ = write!(text, " {name}");
    }
    text.push('\n');
    text
}

fn ps(procs: &mut Procs) -> String {
    let mut text = String::from("  ID  DISP  STATE        CPU ms  NAME\n");
    for p in &procs.list {
        let status = p.child.dispatcher().status().ok();
        let state = match p.state {
            State::Running => match status.map(|s| s.state) {
                Some(state::BLOCKED) => "waiting".into(),
                _ => String::from("running"),
            },
            State::Exited(code) => format!("exited({code})"),
            State::Faulted(vector) => format!("killed(#{vector})"),
            State::Killed => "killed".into(),
        };
        let (disp, cpu) = status.map_or((0, 0), |s| (s.id, s.runtime_ns / 1_000_000));
        let _ = writeln!(
            text,
            "{:>4}  {:>4}  {:<11}  {:>6}  {}",
            p.id, disp, state, cpu, p.name
        );
    }
    text
}

fn run_program(procs: &mut Procs, modules: &Modules, line: &str) -> Outcome {
    const USAGE: &str = "usage: run [--core N] NAME [ARGS] [&]\n";
    let rest = line.trim_start_matches("run").trim();
    let (rest, background) = match rest.strip_suffix('&') {
        Some(r) => (r.trim(), true),
        None => (rest, false),
    };
    let rest = match rest.strip_prefix("--core") {
        Some(after) => {
            let after = after.trim_start();
            let (core, command) = after.split_once(' ').unwrap_or((after, ""));
            let Ok(core) = core.parse::<u64>() else {
                return Outcome::Answer(USAGE.into());
            };
            if core != corefish::core_id() {
                return Outcome::Answer(run_elsewhere(core, command.trim()));
            }
            command.trim()
        }
        None => rest,
    };
    let (name, args) = rest.split_once(' ').unwrap_or((rest, ""));
    if name.is_empty() {
        return Outcome::Answer(USAGE.into());
    }
    match procs.start(modules, name, args.trim(), crate::procs::Role::Program, &[]) {
        Ok(id) if background => Outcome::Answer(format!("started {name} as {id}\n")),
        Ok(id) => Outcome::WaitFor(id),
        Err(e) => Outcome::Answer(format!("run: {e}\n")),
    }
}

/// Starts a program on another core, through the monitors; it runs in the
/// background (its monitor reports its end).
fn run_elsewhere(core: u64, command: &str) -> String {
    let name = command.split_whitespace().next().unwrap_or("");
    if name.is_empty() {
        return "usage: run [--core N] NAME [ARGS] [&]\n".into();
    }
    match corefish::monitor::spawn_on(core, command) {
        Ok(id) => format!("started {name} on core {core} as {id}\n"),
        Err(SysError::BadArgument) => {
            format!(
                "run: no program `{name}` in the boot archive, or no OSNode runs on core {core}\n"
            )
        }
        Err(e) => format!("run: core {core}: {e}\n"),
    }
}

fn kill(procs: &mut Procs, id: Option<&str>) -> String {
    let Some(id) = id.and_then(|s| s.parse::<u64>().ok()) else {
        return "usage: kill ID\n".into();
    };
    match procs.get(id) {
        Some(p) if p.service => format!("kill: {id} ({}) is a system service\n", p.name),
        Some(p) if p.state == State::Running => {
            p.state = State::Killed;
            procs.release(id);
            format!("killed {id}\n")
        }
        Some(_) => format!("{id} has already ended\n"),
        None => format!("no program {id}\n"),
    }
}

fn mem() -> String {
    let served = match corefish::memserv::stats() {
        Ok(stats) => format!(
            "memory server: {} KiB free of {} KiB\n",
            stats.free >> 10,
            stats.total >> 10
        ),
        Err(SysError::InvalidOperation) => "memory server: bad answer\n".into(),
        Err(e) => format!("memory server: {e}\n"),
    };
    format!(
        "{served}init: {} KiB free of its own\n",
        ram::available() >> 10
    )
}

/// Forwards a command to the boot driver and returns its answer.
fn corectrl(procs: &mut Procs, command: &str) -> String {
    let Some((endpoint, page)) = procs.corectrl.as_mut() else {
        return "corectrl: the boot driver is not running\n".into();
    };
    let mut text = Vec::new();
    let ran = corefish::commands::run(
        *endpoint,
        page.bytes_mut(),
        command.trim().as_bytes(),
        |p| text.extend_from_slice(p),
    );
    match ran {
        Ok(_) => String::from_utf8_lossy(&text).into_owned(),
        Err(SysError::InvalidOperation) => "corectrl: bad answer\n".into(),
        Err(e) => format!("corectrl: {e}\n"),
    }
}

fn caps(procs: &mut Procs, id: Option<&str>) -> String {
    let Some(id) = id.and_then(|s| s.parse::<u64>().ok()) else {
        return "usage: caps ID\n".into();
    };
    let Some(p) = procs.get(id) else {
        return format!("no program {id}\n");
    };
    if p.state != State::Running {
        return format!("{id} has ended; its capabilities are gone\n");
    }
    let root = p.child.root_cnode();
    let mut text = format!("capabilities of {} ({}):\n", id, p.name);
    let slots = Cap::<kind::L1CNode>::at(root.cptr())
        .identify()
        .map_or(0, |i| i.extra);
    for l1 in 0..slots {
        // An empty root slot holds no L2 CNode.
        if root.identify_in(CPtr::new(l1, 0)) == Err(SysError::NotACNode) {
            continue;
        }
        for l2 in 0..256 {
            if let Ok(cap) = root.identify_in(CPtr::new(l1, l2)) {
                let ty = cap.ty.map_or(String::from("?"), |t| format!("{t:?}"));
                let _ = writeln!(
                    text,
                    "  {l1}.{l2:<3} {ty:<16} base {:#x} size {:#x} rights {:?}",
                    cap.base, cap.size, cap.rights
                );
            }
        }
    }
    text
}
