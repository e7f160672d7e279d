//! The dump's text: one timeline [`Line`] per event, rendered and parsed
//! from one format, and a [`Summary`].
//!
//! A line: `trace C @S us +D us KIND WHAT`, where `C` is the core, `S`
//! the start in µs since the first event of the dump and `D` the time in
//! the kernel (µs, three decimals; `+0` for an instant), `KIND` one of
//! `Kind::name` and `WHAT` the rest (the system call and its result, the
//! vector, the target, the dispatcher or the KCB).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use crate::event::{Event, Kind};

/// One timeline line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The core.
    pub core: u32,
    /// Its start, ns since the first event of the dump.
    pub start_ns: u64,
    /// Its time in the kernel, ns (0 for an instant).
    pub dur_ns: u64,
    /// Its kind.
    pub kind: Kind,
    /// What it was (no line break).
    pub what: String,
}

/// The name of system call `number` (`abi::syscall`).
pub fn syscall_name(number: u32) -> &'static str {
    use abi::syscall::{DEBUG_CHECK, DEBUG_PRINT, EXIT, INVOKE, RESUME, TIME, WAIT, YIELD};
    match u64::from(number) {
        INVOKE => "INVOKE",
        YIELD => "YIELD",
        WAIT => "WAIT",
        DEBUG_PRINT => "DEBUG_PRINT",
        TIME => "TIME",
        EXIT => "EXIT",
        RESUME => "RESUME",
        DEBUG_CHECK => "DEBUG_CHECK",
        _ => "unknown",
    }
}

/// What `event` was, as the line's last field says it.
pub fn what(event: &Event) -> String {
    match *event {
        Event::Syscall {
            number,
            cap_type,
            error,
            ..
        } => {
            let mut s = String::from(syscall_name(number));
            if let Some(ty) = cap_type {
                match caps::ObjType::from_raw(ty) {
                    Some(ty) => {
                        let _ = write!(s, " on {ty:?}");
                    }
                    None => {
                        let _ = write!(s, " on type {ty}");
                    }
                }
            }
            match abi::error::SysError::from_code(error) {
                Ok(()) => s.push_str(" -> ok"),
                Err(e) => {
                    let _ = write!(s, " -> {e:?}");
                }
            }
            s
        }
        Event::Interrupt { vector, .. } => format!("vector {vector:#x}"),
        Event::Ipi { target, vector, .. } => format!("to APIC {target}, vector {vector:#x}"),
        Event::Dispatch { dcb, .. } => format!("dispatcher {dcb}"),
        Event::KcbSwitch { kcb, .. } => format!("KCB at {kcb:#x}"),
    }
}

/// TSC ticks as ns at `tsc_hz` (0 Hz: as if 1 GHz).
pub fn ticks_ns(ticks: u64, tsc_hz: u64) -> u64 {
    let hz = if tsc_hz == 0 { 1_000_000_000 } else { tsc_hz };
    (u128::from(ticks) * 1_000_000_000 / u128::from(hz)) as u64
}

/// The timeline lines of `events` on core `core`, by start (an instant
/// inside a span is recorded before the span ends), times from the first.
pub fn lines(core: u32, events: &[Event], tsc_hz: u64) -> Vec<Line> {
    let base = events.iter().map(|e| e.span().0).min().unwrap_or(0);
    let mut events: Vec<&Event> = events.iter().collect();
    events.sort_by_key(|e| e.span().0);
    events
        .into_iter()
        .map(|e| {
            let (start, dur) = e.span();
            Line {
                core,
                start_ns: ticks_ns(start - base, tsc_hz),
                dur_ns: ticks_ns(dur, tsc_hz),
                kind: e.kind(),
                what: what(e),
            }
        })
        .collect()
}

fn us(ns: u64) -> String {
    match ns {
        0 => String::from("0"),
        ns => format!("{}.{:03}", ns / 1000, ns % 1000),
    }
}

fn parse_us(text: &str) -> Option<u64> {
    if text == "0" {
        return Some(0);
    }
    let (whole, frac) = text.split_once('.')?;
    if frac.len() != 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = whole.parse().ok()?;
    whole.checked_mul(1000)?.checked_add(frac.parse().ok()?)
}

impl core::fmt::Display for Line {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "trace {} @{} us +{} us {} {}",
            self.core,
            us(self.start_ns),
            us(self.dur_ns),
            self.kind.name(),
            self.what
        )
    }
}

impl Line {
    /// Reads a line out of `text` (which may carry a prefix before
    /// `trace `, as a serial log's lines do); `None` if it is no line.
    pub fn parse(text: &str) -> Option<Self> {
        let at = text.find("trace ")?;
        let mut words = text[at..].trim_end().splitn(8, ' ');
        let _trace = words.next()?;
        let core = words.next()?.parse().ok()?;
        let start_ns = parse_us(words.next()?.strip_prefix('@')?)?;
        (words.next()? == "us").then_some(())?;
        let dur_ns = parse_us(words.next()?.strip_prefix('+')?)?;
        (words.next()? == "us").then_some(())?;
        let name = words.next()?;
        let kind = Kind::ALL.into_iter().find(|k| k.name() == name)?;
        let what = String::from(words.next()?);
        Some(Line {
            core,
            start_ns,
            dur_ns,
            kind,
            what,
        })
    }
}

/// What a dump adds up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The core.
    pub core: u32,
    /// Events in the dump.
    pub events: usize,
    /// Events lost to the ring's wrapping before the oldest shown.
    pub lost: u64,
    /// From the first event's start to the last one's end, ns.
    pub window_ns: u64,
    /// Events per kind, in [`Kind::ALL`] order.
    pub per_kind: [usize; Kind::ALL.len()],
    /// Time in the kernel (system calls and interrupts), ns.
    pub kernel_ns: u64,
    /// The most frequent system calls: what, how many, time in the kernel
    /// (ns), most frequent first (at most five).
    pub top: Vec<(String, usize, u64)>,
}

impl Summary {
    /// The summary of `events` on core `core` (`lost` before them).
    pub fn of(core: u32, events: &[Event], lost: u64, tsc_hz: u64) -> Self {
        let mut per_kind = [0; Kind::ALL.len()];
        let mut kernel = 0;
        let mut calls: Vec<(String, usize, u64)> = Vec::new();
        for e in events {
            per_kind[e.kind() as usize - 1] += 1;
            let (_, dur) = e.span();
            kernel += dur;
            if let Event::Syscall { .. } = e {
                let name = what(e);
                let name = name.split(" -> ").next().unwrap_or("").into();
                match calls.iter_mut().find(|c| c.0 == name) {
                    Some(c) => {
                        c.1 += 1;
                        c.2 += dur;
                    }
                    None => calls.push((name, 1, dur)),
                }
            }
        }
        calls.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        calls.truncate(5);
        for c in &mut calls {
            c.2 = ticks_ns(c.2, tsc_hz);
        }
        let first = events.iter().map(|e| e.span().0).min().unwrap_or(0);
        let last = events
            .iter()
            .map(|e| e.span().0 + e.span().1)
            .max()
            .unwrap_or(0);
        Summary {
            core,
            events: events.len(),
            lost,
            window_ns: ticks_ns(last.saturating_sub(first), tsc_hz),
            per_kind,
            kernel_ns: ticks_ns(kernel, tsc_hz),
            top: calls,
        }
    }
}

impl core::fmt::Display for Summary {
    /// Two lines: the counts and the time in the kernel, then the top
    /// system calls.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let [syscalls, interrupts, ipis, dispatches, kcbs] = self.per_kind;
        let percent = (self.kernel_ns as u128 * 1000)
            .checked_div(self.window_ns as u128)
            .unwrap_or(0);
        writeln!(
            f,
            "trace {} summary: {} events over {} us ({} earlier ones overwritten): {syscalls} system calls, {interrupts} interrupts, {ipis} IPIs sent, {dispatches} dispatcher switches, {kcbs} KCB switches; {} us in the kernel ({}.{}%)",
            self.core,
            self.events,
            us(self.window_ns),
            self.lost,
            us(self.kernel_ns),
            percent / 10,
            percent % 10
        )?;
        write!(f, "trace {} top system calls:", self.core)?;
        if self.top.is_empty() {
            f.write_str(" none")?;
        }
        for (i, (name, count, ns)) in self.top.iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            write!(f, "{sep}{name} {count}x ({} us)", us(*ns))?;
        }
        Ok(())
    }
}
