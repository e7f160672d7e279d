//! `move`, and the two operations on the boot driver's own core, which it
//! cannot stop: updating its kernel in place (the old kernel stops the KCB
//! and jumps to the new one, KERNEL_REPLACE) and handing its OSNode over
//! to another core (the old kernel stops the OSNode and starts the target
//! itself, IPI_HANDOVER; the boot driver carries on there).

use alloc::boxed::Box;
use alloc::string::String;

use bootctl::report::{Moved, Updated};
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

    /// Updates the kernel of the boot driver's own core in place: the new
    /// kernel is prepared on its image's shared text (its parameters, its
    /// copy of the writable part and its starting tables) here, then the
    /// old one stops the KCB, switches to those tables and jumps to it,
    /// and this continues under the new kernel. The pause is that of the
    /// invocation.
    pub fn update_self(&mut self, core: CoreId, kernel: &str) -> Result<Updated, BootError> {
        let t0 = sys::tsc();
        let mech = &mut self.mech;
        let (old, (version, paused, total)) =
            self.table
                .replace(core, |table, plan| -> Result<_, BootError> {
                    let apic = table.core(core)?.apic;
                    let target = Target::Resume {
                        osnode: 0,
                        phys: plan.phys,
                    };
                    let (loaded, prepared) =
                        mech.load_and_prepare(core, apic, kernel, target, "")?;
                    let asked = sys::tsc();
                    // The old kernel switches to the new one's starting
                    // tables as it jumps (its code stays where it is).
                    let replaced = invoke(
                        mech.kernel,
                        op::KERNEL_REPLACE,
                        [loaded.phys, loaded.entry, loaded.tables_phys, 0],
                    );
                    if let Err(e) = replaced {
                        loaded.free();
                        prepared.discard();
                        return Err(BootError::Sys("replace", e));
                    }
                    let back = sys::tsc();
                    // Running again means the new kernel resumed OSNode 0.
                    let (version, kcb_layout) = acknowledged(&loaded);
                    let (installed, _) = prepared.keep(loaded);
                    let started = Started {
                        kernel: Kernel {
                            version: version.clone(),
                            layouts: installed.block.info,
                        },
                        image: String::from(kernel),
                        kcb_layout,
                        installed,
                    };
                    Ok((
                        started,
                        (version, mech.ns(back - asked), mech.ns(back - t0)),
                    ))
                })?;
        self.retire(old);
        Ok(Updated {
            core,
            kernel: version,
            kcb: 0,
            paused_ns: paused,
            stop_ns: 0,
            boot_ns: total,
        })
    }
}

/// The version and KCB layout of a kernel that resumed the boot driver's
/// own OSNode. Without its acknowledgement the version is unknown (`?`);
/// the KCB is at the kernel's newest layout either way (taking a KCB over
/// converts it to that).
fn acknowledged(loaded: &Loaded) -> (String, u32) {
    match loaded.ack() {
        Some(ack) => (String::from(ack.version_text()), ack.kcb_layout as u32),
        None => (String::from("?"), loaded.info.kcb_newest),
    }
}
