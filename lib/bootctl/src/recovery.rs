//! The reports of what the boot driver did when a kernel failed: an update
//! that did not pass its check and went back to the kernel before
//! ([`RolledBack`]); a kernel that faulted or stopped answering, whose
//! OSNode was resumed under a fresh kernel ([`Recovered`]) or could not be
//! ([`NotRecovered`]). Written and read through one template each, like
//! [`crate::report`].

use alloc::string::String;
use core::fmt;

use crate::template::{fields, ms, parse_ms, render};
use crate::{CoreId, KcbId};

/// An update whose new kernel failed its check: the core runs its KCB
/// under the kernel it ran before again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolledBack {
    /// The core.
    pub core: CoreId,
    /// The image that failed.
    pub image: String,
    /// Why (one line, without `); rolled back to `).
    pub why: String,
    /// The image the core runs again.
    pub previous: String,
    /// The KCB, resumed under it.
    pub kcb: KcbId,
    /// From the boot driver seeing the failure to the KCB running again.
    pub rollback_ns: u64,
}

const ROLLED_BACK: &str =
    "update {}: {} failed its check ({}); rolled back to {} in {} ms, KCB {} resumed";

impl fmt::Display for RolledBack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(
            ROLLED_BACK,
            &[
                &self.core,
                &self.image,
                &self.why,
                &self.previous,
                &ms(self.rollback_ns),
                &self.kcb,
            ],
        ))
    }
}

impl RolledBack {
    /// Reads a rollback report out of `line`.
    pub fn parse(line: &str) -> Option<Self> {
        let v = fields(ROLLED_BACK, line)?;
        Some(Self {
            core: v[0].parse().ok()?,
            image: v[1].into(),
            why: v[2].into(),
            previous: v[3].into(),
            rollback_ns: parse_ms(v[4])?,
            kcb: v[5].parse().ok()?,
        })
    }
}

/// A kernel failed on its own (a fault, or no answer): its OSNode runs
/// again under a fresh kernel of the image that ran it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// The core whose kernel failed.
    pub core: CoreId,
    /// What happened (one line, without `; OSNode `).
    pub cause: String,
    /// The OSNode (its KCB's id).
    pub kcb: KcbId,
    /// The core it runs on now (the same, or another if that failed again).
    pub on: CoreId,
    /// The image of the fresh kernel.
    pub image: String,
    /// From the boot driver seeing the failure to the OSNode running again.
    pub recovery_ns: u64,
}

const RECOVERED: &str = "core {}: {}; OSNode {} recovered on core {} under {} in {} ms";

impl fmt::Display for Recovered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(
            RECOVERED,
            &[
                &self.core,
                &self.cause,
                &self.kcb,
                &self.on,
                &self.image,
                &ms(self.recovery_ns),
            ],
        ))
    }
}

impl Recovered {
    /// Reads a recovery report out of `line`.
    pub fn parse(line: &str) -> Option<Self> {
        let v = fields(RECOVERED, line)?;
        Some(Self {
            core: v[0].parse().ok()?,
            cause: v[1].into(),
            kcb: v[2].parse().ok()?,
            on: v[3].parse().ok()?,
            image: v[4].into(),
            recovery_ns: parse_ms(v[5])?,
        })
    }
}

/// A kernel failed on its own, and its OSNode could not be resumed: the
/// core is off, the KCB stopped (the rest of the machine carries on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRecovered {
    /// The core whose kernel failed.
    pub core: CoreId,
    /// What happened.
    pub cause: String,
    /// The OSNode.
    pub kcb: KcbId,
    /// Why it was not resumed.
    pub why: String,
}

const NOT_RECOVERED: &str = "core {}: {}; OSNode {} not recovered: {}";

impl fmt::Display for NotRecovered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(
            NOT_RECOVERED,
            &[&self.core, &self.cause, &self.kcb, &self.why],
        ))
    }
}

impl NotRecovered {
    /// Reads the report out of `line`.
    pub fn parse(line: &str) -> Option<Self> {
        let v = fields(NOT_RECOVERED, line)?;
        Some(Self {
            core: v[0].parse().ok()?,
            cause: v[1].into(),
            kcb: v[2].parse().ok()?,
            why: v[3].into(),
        })
    }
}
