//! The boot driver's language: the commands `corectrl` takes from the shell
//! and the startup configuration it reads from the boot archive.
//!
//! # Commands
//! ```text
//! boot <core>|all [--kernel <image>] [--kcb new|<kcb-id>]
//! stop <core>
//! update <core> <image> [--check-ms <ms>]
//! give <kcb-id> <core>
//! move <core> <to-core>
//! rt <core> <program> [args...]
//! fault <core> [--hang|--mid-change]
//! trace <core> on|off|dump
//! park <core> <host-core>
//! unpark <kcb-id> <core>
//! list
//! help
//! ```
//! `boot` starts a core (or every core that is not running) with a CPU
//! driver image from the boot archive (default [`DEFAULT_KERNEL`]) and a
//! KCB: a new one (the default: a new OSNode with its own monitor) or an
//! existing one that is not running (its OSNode resumes as it was). `stop`
//! halts a core; its KCB stays intact, stopped, ready to run again.
//! `update` stops a core and boots it again with another image and the same
//! KCB: its programs carry on under the new kernel, which must pass a
//! check within `--check-ms` (default [`CHECK_MS`]) or the core goes back
//! to the kernel it ran before. `give` boots a core with
//! a stopped KCB (the image that ran it last): the OSNode moves there.
//! `park` stops a core and adds its KCB to another running core, which then
//! multiplexes both OSNodes; `unpark` takes a parked KCB off its host and
//! boots a core with it. `fault` makes a core's kernel take a page fault in
//! ring 0, or with `--hang` stop answering, or with `--mid-change` fault
//! where its objects may be half changed (a test of the recovery: the boot
//! driver resumes the OSNode under a fresh kernel, or in the last case
//! refuses to and marks the KCB damaged). `trace` updates a core to the
//! tracing kernel (`on`) and back (`off`), and prints what it recorded
//! (`dump`). `list` shows the cores and the KCBs.
//!
//! # Startup configuration
//! The boot archive's module [`CONFIG_MODULE`] (Barrelfish's `menu.lst`
//! idea) holds `boot` commands, one per line, that the boot driver runs at
//! startup in order; `#` starts a comment. Without the module the boot
//! driver runs [`DEFAULT_CONFIG`]: every core with the standard kernel.
//!
//! Parsing borrows from the input and allocates nothing.

#![no_std]
#![deny(clippy::unwrap_used)]
#![forbid(unsafe_code)]

/// The CPU driver image `boot` uses unless told otherwise.
pub const DEFAULT_KERNEL: &str = "cpudriver";
/// The boot-archive module with the startup configuration.
pub const CONFIG_MODULE: &str = "boot.cfg";
/// What the boot driver does at startup without a configuration.
pub const DEFAULT_CONFIG: &str = "boot all\n";

/// Which cores a command is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreSpec {
    /// Every core (that the command applies to).
    All,
    /// The core with this Corefish id (its index in the firmware's list).
    One(u32),
}

/// Which KCB a booted core runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KcbChoice {
    /// A new KCB: a new OSNode, started with a monitor.
    New,
    /// The existing KCB with this id, resumed as it was.
    Existing(u64),
}

/// A `boot` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Boot<'a> {
    /// The core(s) to start.
    pub core: CoreSpec,
    /// The CPU driver image (a boot-archive module name).
    pub kernel: &'a str,
    /// The KCB to run.
    pub kcb: KcbChoice,
}

/// A command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command<'a> {
    /// Start a core.
    Boot(Boot<'a>),
    /// Stop a core (its KCB stays, stopped).
    Stop(u32),
    /// Stop a core and boot it again with another image and the same KCB.
    Update(Update<'a>),
    /// Boot a core with a stopped KCB (KCB id, core).
    Give(u64, u32),
    /// Move the OSNode of a core to another core that is off (core, to).
    Move(u32, u32),
    /// Stop a core and park its KCB on a host core (core, host).
    Park(u32, u32),
    /// Take a parked KCB off its host and boot a core with it (KCB id, core).
    Unpark(u64, u32),
    /// Lend a core to the real-time kernel for one program.
    Rt(Rt<'a>),
    /// Make a core's kernel take a fault (or hang), and recover its OSNode.
    Fault(Fault),
    /// Trace a core: under the tracing kernel, back, or print the trace.
    Trace(u32, TraceAction),
    /// Show the cores and KCBs.
    List,
    /// Show the commands.
    Help,
}

/// What `trace <core>` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceAction {
    /// Update the core to the tracing kernel, with a fresh ring.
    On,
    /// Update it back to the kernel it ran before.
    Off,
    /// Print the ring's timeline and summary.
    Dump,
}

/// `fault <core> [--hang|--mid-change]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// The core.
    pub core: u32,
    /// How its kernel is to fail.
    pub kind: FaultKind,
}

/// How `fault` makes a kernel fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// A page fault in ring 0 where the kernel leaves its OSNodes intact.
    Fault,
    /// Halted with interrupts off: it stops answering.
    Hang,
    /// A page fault in ring 0 where objects may be half changed.
    MidChange,
}

/// `update <core> <image> [--check-ms <ms>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Update<'a> {
    /// The core.
    pub core: u32,
    /// The CPU driver image it changes to.
    pub kernel: &'a str,
    /// How long the new kernel has to acknowledge, resume the OSNode and
    /// have its monitor answer, before the core goes back to the kernel it
    /// ran before.
    pub check_ms: u64,
}

/// How long an updated kernel has to pass its check unless `--check-ms`
/// says otherwise.
pub const CHECK_MS: u64 = 2000;
/// The longest `--check-ms` may allow.
pub const CHECK_MAX_MS: u64 = 60_000;

/// `rt <core> [--limit <seconds>] <program> [args]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rt<'a> {
    /// The core lent.
    pub core: u32,
    /// The longest the program may run (seconds) before the boot driver
    /// takes the core back.
    pub limit_s: u64,
    /// The program.
    pub program: &'a str,
    /// Its arguments, as typed.
    pub args: &'a str,
}

/// The longest a real-time program runs unless `--limit` says otherwise.
pub const RT_LIMIT_S: u64 = 60;
/// The longest `--limit` may allow.
pub const RT_LIMIT_MAX_S: u64 = 3600;

/// Why a command was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError<'a> {
    /// The line holds no command.
    Empty,
    /// The first word is no command.
    UnknownCommand(&'a str),
    /// A command without its core.
    MissingCore,
    /// `update` without the image.
    MissingImage,
    /// `give` without the KCB.
    MissingKcb,
    /// `rt` without the program.
    MissingProgram,
    /// Something that should be a number is not.
    BadNumber(&'a str),
    /// An option this command does not have.
    UnknownOption(&'a str),
    /// An option without its value.
    MissingValue(&'static str),
    /// An option given twice.
    Repeated(&'static str),
    /// A word after the end of the command.
    Unexpected(&'a str),
    /// `boot all` with an existing KCB (one KCB cannot run on several cores).
    AllWithKcb,
    /// A command other than `boot` in the startup configuration.
    NotInConfig(&'a str),
}

impl core::fmt::Display for ParseError<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Empty => f.write_str("no command"),
            Self::UnknownCommand(w) => write!(f, "unknown command `{w}`; try `corectrl help`"),
            Self::MissingCore => f.write_str("which core?"),
            Self::MissingImage => f.write_str("which kernel image? (`update <core> <image>`)"),
            Self::MissingKcb => f.write_str("which KCB? (`give <kcb-id> <core>`)"),
            Self::MissingProgram => {
                f.write_str("which program? (`rt <core> [--limit <seconds>] <program> [args]`)")
            }
            Self::BadNumber(w) => write!(f, "`{w}` is not a number"),
            Self::UnknownOption(w) => write!(f, "unknown option `{w}`"),
            Self::MissingValue(o) => write!(f, "option {o} needs a value"),
            Self::Repeated(o) => write!(f, "option {o} given twice"),
            Self::Unexpected(w) => write!(f, "unexpected `{w}`"),
            Self::AllWithKcb => f.write_str("one KCB cannot run on all cores"),
            Self::NotInConfig(w) => write!(f, "only `boot` belongs in {CONFIG_MODULE}, not `{w}`"),
        }
    }
}

/// The help text.
pub const HELP: &str = "\
corectrl boot <core>|all [--kernel <image>] [--kcb new|<kcb-id>]
                  start a core with a CPU driver image and a new or a stopped KCB
corectrl stop <core>
                  halt a core; its KCB stays intact (stopped) and can run again
corectrl update <core> <image> [--check-ms <ms>]
                  stop a core and boot it with another kernel image and the same KCB;
                  unless the new kernel runs the KCB and its monitor answers within
                  the check (2000 ms; at most 60000), the core goes back to the
                  kernel it ran before
corectrl give <kcb-id> <core>
                  move a stopped KCB to a core that is off: boot it there
corectrl move <core> <to-core>
                  move a core's OSNode to a core that is off (the boot driver's own too)
corectrl park <core> <host-core>
                  stop a core; the host core runs its KCB too (multiplexing)
corectrl unpark <kcb-id> <core>
                  take a parked KCB off its host and boot a core with it
corectrl rt <core> [--limit <seconds>] <program> [args]
                  lend a core to the real-time kernel for one program: its OSNode is
                  parked meanwhile and comes back when the program ends, or when
                  it has run the limit (60 s; at most 3600)
corectrl fault <core> [--hang|--mid-change]
                  make a core's kernel take a page fault in ring 0 (or stop answering:
                  halted with interrupts off, for the watchdog to find; or fault where
                  it may have changed objects half way); its OSNode is then recovered
                  under a fresh kernel, or its KCB marked damaged (tests of the recovery)
corectrl trace <core> on|off|dump
                  update a core to the tracing kernel (on) and back (off), its programs
                  running on; dump: its system calls, interrupts, IPIs and switches
                  as a timeline with a summary
corectrl list     the cores (APIC id, state, kernel, KCB) and the KCBs
corectrl help     this list
";

fn number<T: core::str::FromStr>(word: &str) -> Result<T, ParseError<'_>> {
    word.parse().map_err(|_| ParseError::BadNumber(word))
}

/// Parses one command line (without the `corectrl` word).
pub fn parse(line: &str) -> Result<Command<'_>, ParseError<'_>> {
    let mut words = line.split_whitespace();
    let command = match words.next().ok_or(ParseError::Empty)? {
        "boot" => Command::Boot(parse_boot(&mut words)?),
        "stop" => Command::Stop(core_number(words.next())?),
        "update" => Command::Update(parse_update(&mut words)?),
        "give" => {
            let kcb = number(words.next().ok_or(ParseError::MissingKcb)?)?;
            Command::Give(kcb, core_number(words.next())?)
        }
        "move" => {
            let core = core_number(words.next())?;
            Command::Move(core, core_number(words.next())?)
        }
        "park" => {
            let core = core_number(words.next())?;
            Command::Park(core, core_number(words.next())?)
        }
        "unpark" => {
            let kcb = number(words.next().ok_or(ParseError::MissingKcb)?)?;
            Command::Unpark(kcb, core_number(words.next())?)
        }
        "rt" => {
            let core = core_number(words.next())?;
            let mut limit_s = RT_LIMIT_S;
            let mut program = words.next().ok_or(ParseError::MissingProgram)?;
            if program == "--limit" {
                let value = words.next().ok_or(ParseError::MissingValue("--limit"))?;
                limit_s = number(value)?;
                if limit_s == 0 || limit_s > RT_LIMIT_MAX_S {
                    return Err(ParseError::BadNumber(value));
                }
                program = words.next().ok_or(ParseError::MissingProgram)?;
            } else if program.starts_with('-') {
                return Err(ParseError::UnknownOption(program));
            }
            // The arguments are the rest of the line, as typed.
            let end = program.as_ptr() as usize - line.as_ptr() as usize + program.len();
            return Ok(Command::Rt(Rt {
                core,
                limit_s,
                program,
                args: line[end..].trim(),
            }));
        }
        "fault" => {
            let core = core_number(words.next())?;
            let kind = match words.next() {
                None => FaultKind::Fault,
                Some("--hang") => FaultKind::Hang,
                Some("--mid-change") => FaultKind::MidChange,
                Some(option) if option.starts_with('-') => {
                    return Err(ParseError::UnknownOption(option));
                }
                Some(other) => return Err(ParseError::Unexpected(other)),
            };
            Command::Fault(Fault { core, kind })
        }
        "trace" => {
            let core = core_number(words.next())?;
            let action = match words.next().ok_or(ParseError::MissingValue("trace"))? {
                "on" => TraceAction::On,
                "off" => TraceAction::Off,
                "dump" => TraceAction::Dump,
                other => return Err(ParseError::Unexpected(other)),
            };
            Command::Trace(core, action)
        }
        "list" => Command::List,
        "help" => Command::Help,
        other => return Err(ParseError::UnknownCommand(other)),
    };
    match words.next() {
        Some(extra) => Err(ParseError::Unexpected(extra)),
        None => Ok(command),
    }
}

/// A single core's number.
fn core_number(word: Option<&str>) -> Result<u32, ParseError<'_>> {
    match word {
        None => Err(ParseError::MissingCore),
        Some(w) if w.starts_with("--") => Err(ParseError::MissingCore),
        Some(w) => number(w),
    }
}

fn parse_update<'a>(
    words: &mut core::str::SplitWhitespace<'a>,
) -> Result<Update<'a>, ParseError<'a>> {
    let core = core_number(words.next())?;
    let kernel = match words.next().ok_or(ParseError::MissingImage)? {
        option if option.starts_with('-') => return Err(ParseError::MissingImage),
        kernel => kernel,
    };
    let mut check_ms = None;
    while let Some(word) = words.next() {
        match word {
            "--check-ms" => {
                let value = words.next().ok_or(ParseError::MissingValue("--check-ms"))?;
                let ms = number(value)?;
                if ms == 0 || ms > CHECK_MAX_MS {
                    return Err(ParseError::BadNumber(value));
                }
                if check_ms.replace(ms).is_some() {
                    return Err(ParseError::Repeated("--check-ms"));
                }
            }
            option if option.starts_with('-') => return Err(ParseError::UnknownOption(option)),
            other => return Err(ParseError::Unexpected(other)),
        }
    }
    Ok(Update {
        core,
        kernel,
        check_ms: check_ms.unwrap_or(CHECK_MS),
    })
}

fn parse_boot<'a>(words: &mut core::str::SplitWhitespace<'a>) -> Result<Boot<'a>, ParseError<'a>> {
    let core = match words.next().ok_or(ParseError::MissingCore)? {
        "all" => CoreSpec::All,
        word if word.starts_with("--") => return Err(ParseError::MissingCore),
        word => CoreSpec::One(number(word)?),
    };
    let mut kernel = None;
    let mut kcb = None;
    while let Some(word) = words.next() {
        match word {
            "--kernel" => {
                let value = words.next().ok_or(ParseError::MissingValue("--kernel"))?;
                if kernel.replace(value).is_some() {
                    return Err(ParseError::Repeated("--kernel"));
                }
            }
            "--kcb" => {
                let value = match words.next().ok_or(ParseError::MissingValue("--kcb"))? {
                    "new" => KcbChoice::New,
                    id => KcbChoice::Existing(number(id)?),
                };
                if kcb.replace(value).is_some() {
                    return Err(ParseError::Repeated("--kcb"));
                }
            }
            option if option.starts_with('-') => return Err(ParseError::UnknownOption(option)),
            other => return Err(ParseError::Unexpected(other)),
        }
    }
    let kcb = kcb.unwrap_or(KcbChoice::New);
    if core == CoreSpec::All && kcb != KcbChoice::New {
        return Err(ParseError::AllWithKcb);
    }
    Ok(Boot {
        core,
        kernel: kernel.unwrap_or(DEFAULT_KERNEL),
        kcb,
    })
}

/// The `boot` commands of a startup configuration, each with its line
/// number (from 1); blank and comment lines are skipped.
pub fn config(text: &str) -> impl Iterator<Item = (usize, Result<Boot<'_>, ParseError<'_>>)> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            return None;
        }
        let parsed = match parse(line) {
            Ok(Command::Boot(boot)) => Ok(boot),
            Ok(_) => Err(ParseError::NotInConfig(
                line.split_whitespace().next().unwrap_or(""),
            )),
            Err(e) => Err(e),
        };
        Some((i + 1, parsed))
    })
}
