//! `boot` and `give`: starting a core with a new KCB or a stopped one
//! (what `update` does after the stop, `crate::driver::update`).

use alloc::string::String;

use bootcmd::KcbChoice;
use bootctl::report::{Booted, Given, Phases};
use bootctl::{CoreId, KcbId, KcbState, Kernel, Made, Started};
use corefish::sys;

use super::launch::{ACK_TIMEOUT_NS, Launched};
use super::prepare::Target;
use super::{Driver, kernel_image};
use crate::error::BootError;

impl Driver {
    /// Boots core `core` with kernel image `kernel` and the chosen KCB.
    pub fn boot(
        &mut self,
        core: CoreId,
        kernel: &str,
        choice: KcbChoice,
    ) -> Result<Booted, BootError> {
        self.boot_within(core, kernel, choice, ACK_TIMEOUT_NS)
    }

    /// [`boot`](Self::boot), with `ack_within_ns` for the kernel to
    /// acknowledge.
    pub fn boot_within(
        &mut self,
        core: CoreId,
        kernel: &str,
        choice: KcbChoice,
        ack_within_ns: u64,
    ) -> Result<Booted, BootError> {
        let t0 = sys::tsc();
        let mech = &mut self.mech;
        let (old, booted) = match choice {
            KcbChoice::New => self
                .table
                .boot_new(core, |table, plan| -> Result<_, BootError> {
                    kernel_image(kernel)?;
                    let target = Target::New { osnode: plan.kcb };
                    let launched =
                        mech.launch(table, core, plan.apic, kernel, target, ack_within_ns)?;
                    if launched.prepared.channel().is_none() {
                        // A new target always makes a KCB; should it not have,
                        // the core is stopped rather than left running with
                        // nothing recorded.
                        let Launched {
                            loaded, prepared, ..
                        } = launched;
                        mech.undo(table, plan.apic, loaded, prepared);
                        return Err(BootError::Sys("KCB", corefish::SysError::SlotEmpty));
                    }
                    let booted = mech.booted(core, plan.kcb, true, t0, &launched);
                    let (started, made) = started(kernel, launched);
                    let (phys, memory) =
                        made.ok_or(BootError::Sys("KCB", corefish::SysError::SlotEmpty))?;
                    Ok((started, Made { phys, memory }, booted))
                })?,
            KcbChoice::Existing(kcb) => {
                self.table
                    .boot_stopped(core, kcb, |table, plan| -> Result<_, BootError> {
                        table.kcb(kcb)?.runs_under(kernel, kernel_image(kernel)?)?;
                        let target = Target::Resume {
                            osnode: kcb,
                            phys: plan.phys,
                        };
                        let launched =
                            mech.launch(table, core, plan.apic, kernel, target, ack_within_ns)?;
                        let booted = mech.booted(core, kcb, false, t0, &launched);
                        mech.tell_hub(kcb, Some(core));
                        Ok((started(kernel, launched).0, booted))
                    })?
            }
        };
        self.retire(old);
        Ok(booted)
    }

    /// Boots core `core` with the stopped (or parked: it is taken off its
    /// host first) KCB `kcb`, under the image that ran it last: the OSNode
    /// moves there.
    pub fn give(&mut self, kcb: KcbId, core: CoreId) -> Result<Given, BootError> {
        let k = self.table.kcb(kcb)?;
        let image = k.image.clone();
        k.runs_under(&image, kernel_image(&image)?)?;
        if let KcbState::Parked { .. } = k.state {
            // The target is checked before the KCB leaves its host.
            self.table.off_core(core)?;
            self.unpark_only(kcb)?;
        }
        let booted = self.boot(core, &image, KcbChoice::Existing(kcb))?;
        Ok(Given {
            kcb,
            core,
            kernel: booted.kernel,
            boot_ns: booted.phases.total_ns,
        })
    }
}

impl super::Mechanism {
    /// The report of a boot that began at `t0`.
    fn booted(&self, core: CoreId, kcb: KcbId, fresh: bool, t0: u64, l: &Launched) -> Booted {
        Booted {
            core,
            kernel: String::from(l.ack.version_text()),
            kcb,
            fresh,
            phases: Phases {
                load_ns: self.ns(l.loaded_tsc - t0),
                start_ns: self.ns(l.arrived_tsc.saturating_sub(l.loaded_tsc)),
                kernel_ns: self.ns(l.ack.tsc_running.saturating_sub(l.arrived_tsc)),
                monitor_ns: self.ns(l.hello_tsc.saturating_sub(l.ack.tsc_running)),
                total_ns: self.ns(sys::tsc() - t0),
            },
        }
    }
}

/// What the table records of a kernel that runs its KCB, and for a new
/// KCB, its address and memory.
pub fn started(
    image: &str,
    launched: Launched,
) -> (
    Started<super::Installed>,
    Option<(u64, super::OsNodeMemory)>,
) {
    let Launched {
        loaded,
        prepared,
        ack,
        ..
    } = launched;
    let kernel = Kernel {
        version: String::from(ack.version_text()),
        layouts: loaded.info,
    };
    let (installed, made) = prepared.keep(loaded);
    (
        Started {
            kernel,
            image: String::from(image),
            kcb_layout: ack.kcb_layout as u32,
            installed,
        },
        made,
    )
}

/// Runs a `boot` command: one line of text per core (for `boot all`, then
/// a [`BootedAll`](bootctl::report::BootedAll) summary with the whole
/// time), and whether every boot succeeded.
pub fn boot_cores(driver: &mut Driver, boot: &bootcmd::Boot<'_>) -> (String, bool) {
    use core::fmt::Write;
    let cores: alloc::vec::Vec<CoreId> = match boot.core {
        bootcmd::CoreSpec::One(core) => alloc::vec![core],
        bootcmd::CoreSpec::All => (0..driver.table.cores().len() as CoreId)
            .filter(|&c| driver.table.off_core(c).is_ok())
            .collect(),
    };
    if cores.is_empty() {
        return (String::from("every core is running already\n"), true);
    }
    let t0 = sys::tsc();
    let mut text = String::new();
    let tried = cores.len() as u32;
    let mut booted = 0;
    for core in cores {
        match driver.boot(core, boot.kernel, boot.kcb) {
            Ok(report) => {
                booted += 1;
                let _ = writeln!(text, "{report}");
            }
            Err(e) => {
                let _ = writeln!(text, "boot {core}: {e}");
            }
        }
    }
    if boot.core == bootcmd::CoreSpec::All {
        let total_ns = driver.mech.ns(sys::tsc() - t0);
        let all = bootctl::report::BootedAll {
            booted,
            tried,
            total_ns,
        };
        let _ = writeln!(text, "{all}");
    }
    (text, booted == tried)
}
