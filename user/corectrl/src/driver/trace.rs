//! `trace`: a core under the tracing kernel (`cpudriver-trace`) and back,
//! its programs running on throughout (an update each way, checked and
//! rolled back like any), and what it recorded (docs/design.md, *A tracing
//! kernel*).
//!
//! `trace N on` gives core N a fresh ring (`ktrace::ring`: [`RING_BYTES`]
//! of the boot driver's memory, its header written here) and updates the
//! core to the tracing kernel, which finds the ring in its boot parameters
//! (every tracing kernel this boot driver starts on that core while the
//! ring is active gets it, and no other kernel). A kernel marks the ring's
//! header when it takes it; if the updated core's kernel did not, `on`
//! fails and the core is updated back (if that fails too, the ring stays
//! given, untaken, so that `trace N off` can try again). `trace N off`
//! updates the core back to the image it ran before and keeps the ring, so that `trace
//! N dump` still reads it; the next `trace N on` replaces it. A ring is
//! freed only when no tracing kernel runs its core, and `trace N on` is
//! refused while one does.
//! `dump` prints one timeline line per recorded event and a summary
//! (`ktrace::text`), which `cargo xtask trace` turns into a Chrome
//! trace-event file.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use bootctl::CoreId;
use corefish::cap::{Cap, kind};
use corefish::vspace::{self, Mapping};
use corefish::{ObjType, ram, slots};
use zerocopy::IntoBytes;

use super::{Driver, Mechanism};
use crate::error::BootError;

/// The tracing kernel's image.
pub const TRACE_KERNEL: &str = "cpudriver-trace";
/// Bytes of a core's ring (2046 events).
pub const RING_BYTES: u64 = 64 << 10;

/// A ring given to the tracing kernel of one core.
struct Ring {
    mapping: Mapping,
    phys: u64,
    /// The KCB the core ran at `trace on`, and the image that ran it then,
    /// for `trace off`.
    kcb: bootctl::KcbId,
    previous: String,
    /// Whether kernels started on the core get it.
    active: bool,
}

impl Ring {
    /// A fresh ring with its header, for a core that runs KCB `kcb` under
    /// `previous`.
    fn new(kcb: bootctl::KcbId, previous: String, tsc_hz: u64) -> Result<Self, BootError> {
        let frame = ram::alloc(ObjType::Frame, RING_BYTES).map_err(BootError::NoMemory)?;
        let made = Cap::<kind::Frame>::at(frame).identify().and_then(|id| {
            Ok((
                id.base,
                vspace::map(frame, RING_BYTES, corefish::abi::invoke::MAP_WRITE)?,
            ))
        });
        let (phys, mapping) = match made {
            Ok(done) => done,
            Err(e) => {
                let _ = Cap::<kind::Any>::at(frame).delete();
                slots::free(frame);
                return Err(BootError::Sys("trace ring", e));
            }
        };
        let mut ring = Self {
            mapping,
            phys,
            kcb,
            previous,
            active: true,
        };
        ring.clear(tsc_hz);
        Ok(ring)
    }

    /// Empties the ring and writes its header.
    fn clear(&mut self, tsc_hz: u64) {
        let bytes = self.mapping.bytes_mut();
        bytes.fill(0);
        let header = ktrace::ring::header_for(RING_BYTES as usize, tsc_hz);
        bytes[..ktrace::HEADER_BYTES].copy_from_slice(header.as_bytes());
    }

    /// The header's word at `offset`, which the kernel stores.
    fn header_word(&self, offset: usize) -> u64 {
        let at = self.mapping.vaddr + offset as u64;
        // SAFETY: the offsets used are 8-aligned words of this mapping's
        // header; the kernel stores them atomically (Release), so they are
        // loaded so.
        unsafe { core::sync::atomic::AtomicU64::from_ptr(at as *mut u64) }
            .load(core::sync::atomic::Ordering::Acquire)
    }

    /// The writer's count of records.
    fn written(&self) -> u64 {
        self.header_word(ktrace::ring::WRITTEN_OFFSET)
    }

    /// Whether a kernel took the ring to write.
    fn taken(&self) -> bool {
        self.header_word(ktrace::ring::TAKEN_OFFSET) == ktrace::ring::TAKEN
    }

    /// A copy of the ring, read a word at a time while its kernel may
    /// write it, and the writer's count read again after the copy (for
    /// `ktrace::ring::snapshot`, which keeps only what the writer did not
    /// reach meanwhile).
    fn copy(&self) -> (Vec<u8>, u64) {
        let words = (self.mapping.bytes / 8) as usize;
        let mut out = Vec::with_capacity(words * 8);
        for i in 0..words {
            let at = self.mapping.vaddr + i as u64 * 8;
            // The kernel writes the ring a word at a time: an aligned 64-bit
            // load reads each word whole, and records torn across words are
            // left out by the counts (`ktrace::ring::snapshot`).
            // SAFETY: an 8-aligned word of this mapping (the ring's frame,
            // mapped for as long as `self` lives).
            let word = unsafe { (at as *const u64).read_volatile() };
            out.extend_from_slice(&word.to_le_bytes());
        }
        core::sync::atomic::fence(core::sync::atomic::Ordering::Acquire);
        let after = self.written();
        (out, after)
    }
}

/// The rings of the cores, by core, and rings no kernel uses any more,
/// kept for the next `trace on` (the boot driver's memory comes from a
/// bump allocator that takes nothing back, so a ring let go would be lost:
/// there are never more rings than cores traced at once).
#[derive(Default)]
pub struct Rings {
    rings: Vec<Option<Ring>>,
    spare: Vec<Ring>,
}

impl Rings {
    /// The active ring of core `core`, for its next kernel's boot
    /// parameters: its address and size.
    pub fn active(&self, core: CoreId) -> Option<(u64, u64)> {
        let ring = self.rings.get(core as usize)?.as_ref()?;
        ring.active.then_some((ring.phys, RING_BYTES))
    }

    /// The ring of core `core`, which must exist (the table said so):
    /// the list grows to it.
    fn slot(&mut self, core: CoreId) -> &mut Option<Ring> {
        let i = core as usize;
        if self.rings.len() <= i {
            self.rings.resize_with(i + 1, || None);
        }
        &mut self.rings[i]
    }

    /// The ring of core `core`, if it has one (any number).
    fn get_mut(&mut self, core: CoreId) -> Option<&mut Ring> {
        self.rings.get_mut(core as usize)?.as_mut()
    }

    /// An empty ring for KCB `kcb`, last run by `previous`: a spare one
    /// if there is one.
    fn fresh(
        &mut self,
        kcb: bootctl::KcbId,
        previous: String,
        tsc_hz: u64,
    ) -> Result<Ring, BootError> {
        let Some(mut ring) = self.spare.pop() else {
            return Ring::new(kcb, previous, tsc_hz);
        };
        ring.clear(tsc_hz);
        ring.kcb = kcb;
        ring.previous = previous;
        ring.active = true;
        Ok(ring)
    }

    /// Keeps a ring no kernel may use any more for the next `trace on`.
    fn retire(&mut self, ring: Ring) {
        self.spare.push(ring);
    }
}

impl Driver {
    /// `trace N on`: a fresh ring for core `core`, and the core updated to
    /// the tracing kernel.
    pub fn trace_on(&mut self, core: CoreId) -> Result<String, BootError> {
        let (_, kcb, _) = self.table.running_core(core)?;
        let previous = self.table.kcb(kcb)?.image.clone();
        // A tracing kernel there already writes a ring (or none): a fresh
        // one now could free the memory it writes.
        if self.mech.rings.active(core).is_some() || previous == TRACE_KERNEL {
            return Err(BootError::Traced(core));
        }
        let ring = self
            .mech
            .rings
            .fresh(kcb, previous.clone(), self.mech.machine.tsc_hz)?;
        if let Some(old) = self.mech.rings.slot(core).replace(ring) {
            self.mech.rings.retire(old);
        }
        match self.update(core, TRACE_KERNEL, bootcmd::CHECK_MS) {
            Ok(updated) if self.mech.rings.get_mut(core).is_some_and(|r| r.taken()) => Ok(format!(
                "{updated}; core {core} traces into {} KiB",
                RING_BYTES >> 10
            )),
            Ok(_) => {
                // The kernel came up without the ring: nothing would be
                // recorded. Back to what ran before, and the ring goes
                // (no tracing kernel runs the core once that succeeds).
                self.set_ring_active(core, false);
                let back = self.update(core, &previous, bootcmd::CHECK_MS);
                if back.is_err() && self.runs_tracing_kernel(core) {
                    // Still (or again) the tracing kernel, without a ring:
                    // `trace off` can try the way back again.
                    self.set_ring_active(core, true);
                } else if let Some(ring) = self.mech.rings.slot(core).take() {
                    self.mech.rings.retire(ring);
                }
                back?;
                Err(BootError::RingNotTaken(core, previous))
            }
            Err(e) => {
                // The ring goes only if no tracing kernel runs the core now
                // (it rolled back, or the core is off); else it stays, in use.
                if !self.runs_tracing_kernel(core)
                    && let Some(ring) = self.mech.rings.slot(core).take()
                {
                    self.mech.rings.retire(ring);
                }
                Err(e)
            }
        }
    }

    /// `trace N off`: core `core` updated back to the image it ran before
    /// `trace N on` (the default image, if another KCB runs there now); the
    /// ring is kept for `dump`. If no tracing kernel runs the core any more
    /// (the traced OSNode left, or another update came), the ring is only
    /// no longer given.
    pub fn trace_off(&mut self, core: CoreId) -> Result<String, BootError> {
        let now = self.table.core(core)?.kcb();
        let tracing = self.runs_tracing_kernel(core);
        let previous = match self.mech.rings.get_mut(core) {
            Some(ring) if ring.active && !tracing => {
                ring.active = false;
                return Ok(format!(
                    "core {core} runs no tracing kernel now; its ring is no longer given"
                ));
            }
            Some(ring) if ring.active && now == Some(ring.kcb) => ring.previous.clone(),
            Some(ring) if ring.active => String::from(bootcmd::DEFAULT_KERNEL),
            _ => return Err(BootError::NotTraced(core)),
        };
        // Only the tracing image gets the ring (`Mechanism::trace_ring`):
        // the kernel that takes over goes without; one that rolls back to
        // the tracing kernel gets it again.
        let updated = self.update(core, &previous, bootcmd::CHECK_MS)?;
        self.set_ring_active(core, false);
        Ok(format!("{updated}; core {core} no longer traces"))
    }

    /// `trace N dump`: the timeline and summary of core `core`'s ring.
    pub fn trace_dump(&mut self, core: CoreId) -> Result<String, BootError> {
        self.table.core(core)?;
        let Some(ring) = self.mech.rings.get_mut(core) else {
            return Err(BootError::NotTraced(core));
        };
        let (bytes, after) = ring.copy();
        let (header, lost, events) = ktrace::ring::snapshot(&bytes, after)
            .map_err(|e| BootError::TraceRing(format!("{e}")))?;
        let mut text = String::new();
        for line in ktrace::text::lines(core, &events, header.tsc_hz) {
            let _ = writeln!(text, "{line}");
        }
        let summary = ktrace::text::Summary::of(core, &events, lost, header.tsc_hz);
        let _ = writeln!(text, "{summary}");
        Ok(text)
    }
}

impl Driver {
    /// Whether core `core` runs the tracing kernel now.
    fn runs_tracing_kernel(&self, core: CoreId) -> bool {
        self.table
            .core(core)
            .ok()
            .and_then(|c| c.kcb())
            .and_then(|kcb| self.table.kcb(kcb).ok())
            .is_some_and(|k| {
                k.image == TRACE_KERNEL && k.state == bootctl::KcbState::Running { core }
            })
    }

    fn set_ring_active(&mut self, core: CoreId, active: bool) {
        if let Some(ring) = self.mech.rings.get_mut(core) {
            ring.active = active;
        }
    }
}

impl Mechanism {
    /// The ring the next kernel started on core `core` with image
    /// `kernel` gets: the core's active ring, for the tracing image only.
    pub(super) fn trace_ring(&self, core: CoreId, kernel: &str) -> Option<(u64, u64)> {
        (kernel == TRACE_KERNEL)
            .then(|| self.rings.active(core))
            .flatten()
    }
}
