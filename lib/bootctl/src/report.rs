//! The boot driver's one-line reports of what it did, each written and
//! read through one template ([`crate::template`]): the boot driver prints
//! them, `cargo xtask bench` parses them. Times are nanoseconds, printed as
//! milliseconds to the microsecond.

use alloc::string::String;
use core::fmt;

use crate::template::{fields, ms, parse_ms, render};
use crate::{CoreId, KcbId};

/// How long each phase of a boot took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Phases {
    /// Loading and relocating the image, making the KCB and parameters.
    pub load_ns: u64,
    /// From INIT/STARTUP to the core's first instruction.
    pub start_ns: u64,
    /// From the first instruction to the kernel running its OSNode.
    pub kernel_ns: u64,
    /// From then to the monitor's hello (0 for a resumed KCB).
    pub monitor_ns: u64,
    /// The whole boot, as the boot driver saw it.
    pub total_ns: u64,
}

/// A core booted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booted {
    /// The core.
    pub core: CoreId,
    /// Its kernel's `name version`.
    pub kernel: String,
    /// The KCB it runs.
    pub kcb: KcbId,
    /// Whether the KCB is new (else it resumed).
    pub fresh: bool,
    /// Timings.
    pub phases: Phases,
}

const BOOTED: &str =
    "core {} booted: {}, KCB {} ({}), in {} ms: load {}, start {}, kernel {}, monitor {} ms";

impl fmt::Display for Booted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.phases;
        let fresh = if self.fresh { "new" } else { "resumed" };
        f.write_str(&render(
            BOOTED,
            &[
                &self.core,
                &self.kernel,
                &self.kcb,
                &fresh,
                &ms(p.total_ns),
                &ms(p.load_ns),
                &ms(p.start_ns),
                &ms(p.kernel_ns),
                &ms(p.monitor_ns),
            ],
        ))
    }
}

impl Booted {
    /// Reads a boot report out of `line`.
    pub fn parse(line: &str) -> Option<Self> {
        let v = fields(BOOTED, line)?;
        Some(Self {
            core: v[0].parse().ok()?,
            kernel: v[1].into(),
            kcb: v[2].parse().ok()?,
            fresh: match v[3] {
                "new" => true,
                "resumed" => false,
                _ => return None,
            },
            phases: Phases {
                total_ns: parse_ms(v[4])?,
                load_ns: parse_ms(v[5])?,
                start_ns: parse_ms(v[6])?,
                kernel_ns: parse_ms(v[7])?,
                monitor_ns: parse_ms(v[8])?,
            },
        })
    }
}

/// A `boot all` finished: how many of the cores that were off booted, and
/// the whole time, from the request to the last core's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootedAll {
    /// Cores that booted.
    pub booted: u32,
    /// Cores that were off (and were tried).
    pub tried: u32,
    /// The whole time.
    pub total_ns: u64,
}

const BOOTED_ALL: &str = "boot all: {} of {} cores booted in {} ms";

impl fmt::Display for BootedAll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(
            BOOTED_ALL,
            &[&self.booted, &self.tried, &ms(self.total_ns)],
        ))
    }
}

impl BootedAll {
    /// Reads a `boot all` summary out of `line`.
    pub fn parse(line: &str) -> Option<Self> {
        let v = fields(BOOTED_ALL, line)?;
        Some(Self {
            booted: v[0].parse().ok()?,
            tried: v[1].parse().ok()?,
            total_ns: parse_ms(v[2])?,
        })
    }
}

/// A core stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// The core.
    pub core: CoreId,
    /// The KCB it ran (now stopped).
    pub kcb: KcbId,
    /// From the request to the kernel's halt (for a core taken while it
    /// idled: to the boot driver's taking it).
    pub halted_ns: u64,
    /// On the stopped core: from the stop request's interrupt entering its
    /// kernel to the halt; none for a core taken while it idled (nothing
    /// ran on it).
    pub in_kernel_ns: Option<u64>,
    /// From the request to the boot driver seeing the acknowledgement.
    pub seen_ns: u64,
    /// Cores that took part: the boot driver's, the stopped one, and any
    /// other whose kernel received an IPI meanwhile (none, by design).
    pub cores_involved: u32,
}

const STOPPED: &str = "core {} stopped: KCB {} kept, halted {} ms after the request ({} ms in its kernel, seen after {} ms), {} cores involved";
const STOPPED_IDLE: &str = "core {} stopped: KCB {} kept, taken idle {} ms after the request (no interrupt, seen after {} ms), cores involved: {}";

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (core, kcb, halted, seen) = (
            &self.core,
            &self.kcb,
            &ms(self.halted_ns),
            &ms(self.seen_ns),
        );
        f.write_str(&match self.in_kernel_ns {
            Some(in_kernel) => render(
                STOPPED,
                &[
                    core,
                    kcb,
                    halted,
                    &ms(in_kernel),
                    seen,
                    &self.cores_involved,
                ],
            ),
            None => render(
                STOPPED_IDLE,
                &[core, kcb, halted, seen, &self.cores_involved],
            ),
        })
    }
}

impl Stopped {
    /// Reads a stop report out of `line`.
    pub fn parse(line: &str) -> Option<Self> {
        let (v, in_kernel_ns) = match fields(STOPPED, line) {
            Some(mut v) => {
                let in_kernel = parse_ms(v.remove(3))?;
                (v, Some(in_kernel))
            }
            None => (fields(STOPPED_IDLE, line)?, None),
        };
        Some(Self {
            core: v[0].parse().ok()?,
            kcb: v[1].parse().ok()?,
            halted_ns: parse_ms(v[2])?,
            in_kernel_ns,
            seen_ns: parse_ms(v[3])?,
            cores_involved: v[4].parse().ok()?,
        })
    }
}

/// A core's kernel updated under its OSNode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Updated {
    /// The core.
    pub core: CoreId,
    /// The new kernel's `name version`.
    pub kernel: String,
    /// The KCB, resumed.
    pub kcb: KcbId,
    /// How long its programs did not run: from the old kernel's halt to the
    /// new one running the KCB.
    pub paused_ns: u64,
    /// The stop.
    pub stop_ns: u64,
    /// The boot.
    pub boot_ns: u64,
}

const UPDATED: &str =
    "core {} updated to {}: KCB {} resumed; its programs paused {} ms (stop {}, boot {} ms)";

impl fmt::Display for Updated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(
            UPDATED,
            &[
                &self.core,
                &self.kernel,
                &self.kcb,
                &ms(self.paused_ns),
                &ms(self.stop_ns),
                &ms(self.boot_ns),
            ],
        ))
    }
}

impl Updated {
    /// Reads an update report out of `line`.
    pub fn parse(line: &str) -> Option<Self> {
        let v = fields(UPDATED, line)?;
        Some(Self {
            core: v[0].parse().ok()?,
            kernel: v[1].into(),
            kcb: v[2].parse().ok()?,
            paused_ns: parse_ms(v[3])?,
            stop_ns: parse_ms(v[4])?,
            boot_ns: parse_ms(v[5])?,
        })
    }
}

/// A stopped KCB given to a core (`give`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    /// The KCB.
    pub kcb: KcbId,
    /// The core.
    pub core: CoreId,
    /// The kernel's `name version`.
    pub kernel: String,
    /// The boot.
    pub boot_ns: u64,
}

const GIVEN: &str = "KCB {} now runs on core {} under {}, booted in {} ms";

impl fmt::Display for Given {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(
            GIVEN,
            &[&self.kcb, &self.core, &self.kernel, &ms(self.boot_ns)],
        ))
    }
}

/// A parked KCB unparked onto a core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unparked {
    /// The KCB.
    pub kcb: KcbId,
    /// The core.
    pub core: CoreId,
    /// The kernel's `name version`.
    pub kernel: String,
    /// The boot.
    pub boot_ns: u64,
}

const UNPARKED: &str = "KCB {} unparked to core {} under {}, booted in {} ms";

impl fmt::Display for Unparked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(
            UNPARKED,
            &[&self.kcb, &self.core, &self.kernel, &ms(self.boot_ns)],
        ))
    }
}

impl Unparked {
    /// Reads an unpark report out of `line`.
    pub fn parse(line: &str) -> Option<Self> {
        let v = fields(UNPARKED, line)?;
        Some(Self {
            kcb: v[0].parse().ok()?,
            core: v[1].parse().ok()?,
            kernel: v[2].into(),
            boot_ns: parse_ms(v[3])?,
        })
    }
}

/// A core's OSNode parked on another core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parked {
    /// The core stopped.
    pub core: CoreId,
    /// The host.
    pub host: CoreId,
    /// The KCB now parked.
    pub kcb: KcbId,
    /// Stopping the core.
    pub stop_ns: u64,
    /// Attaching the KCB to the host.
    pub attach_ns: u64,
}

const PARKED: &str = "core {} parked on core {}: KCB {} runs there too (stop {} ms, attach {} ms)";

impl fmt::Display for Parked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(
            PARKED,
            &[
                &self.core,
                &self.host,
                &self.kcb,
                &ms(self.stop_ns),
                &ms(self.attach_ns),
            ],
        ))
    }
}

impl Parked {
    /// Reads a park report out of `line`.
    pub fn parse(line: &str) -> Option<Self> {
        let v = fields(PARKED, line)?;
        Some(Self {
            core: v[0].parse().ok()?,
            host: v[1].parse().ok()?,
            kcb: v[2].parse().ok()?,
            stop_ns: parse_ms(v[3])?,
            attach_ns: parse_ms(v[4])?,
        })
    }
}

/// An OSNode moved to another core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The OSNode.
    pub kcb: KcbId,
    /// The core it left.
    pub from: CoreId,
    /// The core it runs on now.
    pub to: CoreId,
    /// The kernel's `name version`.
    pub kernel: String,
    /// The whole move.
    pub total_ns: u64,
}

const MOVED: &str = "OSNode {} moved from core {} to core {} under {}, in {} ms";

impl fmt::Display for Moved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(
            MOVED,
            &[
                &self.kcb,
                &self.from,
                &self.to,
                &self.kernel,
                &ms(self.total_ns),
            ],
        ))
    }
}

/// A program run on a core lent to the real-time kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtRun {
    /// The core.
    pub core: CoreId,
    /// The program.
    pub program: String,
    /// Its exit code.
    pub exit_code: u64,
    /// From the real-time kernel running the program to its end.
    pub run_ns: u64,
    /// The real-time kernel's `name version`.
    pub kernel: String,
    /// The OSNode parked meanwhile.
    pub kcb: KcbId,
    /// Where it was parked.
    pub host: CoreId,
    /// The kernel it is back under.
    pub back_kernel: String,
}

const RT_RUN: &str = "rt {}: {} ended with code {} after {} ms under {}; OSNode {} (parked on core {} meanwhile) is back on core {} under {}";

impl fmt::Display for RtRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(
            RT_RUN,
            &[
                &self.core,
                &self.program,
                &self.exit_code,
                &ms(self.run_ns),
                &self.kernel,
                &self.kcb,
                &self.host,
                &self.core,
                &self.back_kernel,
            ],
        ))
    }
}
