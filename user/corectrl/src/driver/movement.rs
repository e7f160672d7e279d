//! `move`, and handing the boot driver's own OSNode over to another core,
//! which it cannot stop (the old kernel stops the OSNode and starts the
//! target itself, IPI_HANDOVER; the boot driver carries on there). The
//! other operation on its own core, the in-place update, is in
//! [`super::update`].

use alloc::boxed::Box;
use alloc::string::String;

use bootctl::report::Moved;
use bootctl::{CoreId, Kernel, Started};
use corefish::abi::invoke as op;
use corefish::sys::{self, invoke};

use super::Driver;
use super::prepare::Target;
use crate::error::BootError;
use crate::image::Loaded;

impl Driver {
    /// Moves the OSNode running on core `from` to core `to` (which must be
    /// off): stop and give, or, for the boot driver's own OSNode, a
    /// handover.
    pub fn move_osnode(&mut self, from: CoreId, to: CoreId) -> Result<Moved, BootError> {
        self.table.core(from)?;
        self.table.off_core(to)?;
        if from != self.table.my_core() {
            let halt = self.stop(from)?;
            let kcb = halt.report.kcb;
            let given = self
                .give(kcb, to)
                .map_err(|e| BootError::MoveFailed(kcb, Box::new(e)))?;
            return Ok(Moved {
                kcb,
                from,
                to,
                kernel: given.kernel,
                total_ns: given.boot_ns,
            });
        }
        self.hand_over(from, to)
    }

    /// Hands the boot driver's own OSNode over from `from` to `to`:
    /// everything is prepared here, then this core's kernel stops the
    /// OSNode and starts `to` itself, and this continues there.
    fn hand_over(&mut self, from: CoreId, to: CoreId) -> Result<Moved, BootError> {
        let t0 = sys::tsc();
        let mech = &mut self.mech;
        let (old, (parked_here, kernel)) =
            self.table
                .hand_over(from, to, |_, plan| -> Result<_, BootError> {
                    let target = Target::Resume {
                        osnode: 0,
                        phys: plan.phys,
                    };
                    let (loaded, prepared) =
                        mech.load_and_prepare(to, plan.to_apic, &plan.image, target, "")?;
                    mech.set_route(0, Some(plan.to_apic));
                    mech.trampoline.prepare(&loaded);
                    // This returns on core `to`, under its new kernel.
                    let handed = invoke(
                        mech.ipi,
                        op::IPI_HANDOVER,
                        [u64::from(plan.to_apic), u64::from(mech.vector), 0, 0],
                    );
                    if let Err(e) = handed {
                        mech.set_route(0, Some(plan.from_apic));
                        loaded.free();
                        prepared.discard();
                        return Err(BootError::Sys("handover", e));
                    }
                    // Running here at all means the new kernel resumed OSNode 0,
                    // so the records follow whatever happens.
                    let (version, kcb_layout) = acknowledged(&loaded);
                    let kernel = Kernel {
                        version,
                        layouts: loaded.info,
                    };
                    let (installed, _) = prepared.keep(loaded);
                    let started = Started {
                        kernel: kernel.clone(),
                        image: plan.image.clone(),
                        kcb_layout,
                        installed,
                    };
                    Ok((started, (plan.parked_here.clone(), kernel.version)))
                })?;
        self.retire(old);
        // The OSNodes parked on the old core stopped with it.
        for id in parked_here {
            self.mech.sync_route(&self.table, id);
        }
        Ok(Moved {
            kcb: 0,
            from,
            to,
            kernel,
            total_ns: self.mech.ns(sys::tsc() - t0),
        })
    }
}

/// The version and KCB layout of a kernel that resumed the boot driver's
/// own OSNode. Without its acknowledgement the version is unknown (`?`);
/// the KCB is at the kernel's newest layout either way (taking a KCB over
/// converts it to that).
pub(super) fn acknowledged(loaded: &Loaded) -> (String, u32) {
    match loaded.ack() {
        Some(ack) => (String::from(ack.version_text()), ack.kcb_layout as u32),
        None => (String::from("?"), loaded.info.kcb_newest),
    }
}
