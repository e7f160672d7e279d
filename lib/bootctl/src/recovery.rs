//! The reports of what the boot driver did when a kernel failed: an update
//! that did not pass its check and went back to the kernel before
//! ([`RolledBack`]). Written and read through one template each, like
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
