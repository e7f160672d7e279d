//! `corectrl rt <core> <program> [args]`: lends a core to the real-time
//! kernel (`cpudriver-rt`) for one program.
//!
//! The core's OSNode is parked on the boot driver's own core meanwhile (its
//! programs keep running there), the core boots `cpudriver-rt` with a fresh,
//! throw-away KCB whose one program is the given one, and the boot driver
//! waits for the kernel to report the program's end (a notification to
//! OSNode 0, no polling: an idle machine stays quiet while the real-time
//! program runs). Then INIT takes the core back, the real-time kernel's
//! memory and KCB are given back, and the OSNode is unparked onto the core
//! under the kernel it ran before. Everything is checked before the OSNode
//! is parked: a missing core, program or kernel changes nothing. The
//! real-time run is outside the table: the core is off there meanwhile.

use alloc::format;
use alloc::string::String;

use bootctl::CoreId;
use bootctl::report::RtRun;
use bootproto::params::{ACK_FINISHED, PROGRAM_CAPACITY};
use corefish::sys;

use super::Driver;
use super::prepare::Target;
use crate::error::BootError;
use crate::image;

/// The real-time kernel's image.
pub const RT_KERNEL: &str = "cpudriver-rt";

impl Driver {
    /// Runs `rt.program` with its arguments on `rt.core` under the
    /// real-time kernel, for at most `rt.limit_s` seconds (see the module
    /// documentation).
    pub fn rt(&mut self, rt: &bootcmd::Rt<'_>) -> Result<RtRun, BootError> {
        let (core, program, args) = (rt.core, rt.program, rt.args);
        self.table.stoppable(core)?;
        let line = if args.is_empty() {
            String::from(program)
        } else {
            format!("{program} {args}")
        };
        if line.len() >= PROGRAM_CAPACITY {
            return Err(BootError::ProgramTooLong(line.len()));
        }
        let file =
            corefish::modules::get(program).ok_or_else(|| BootError::NoProgram(program.into()))?;
        if elfload::ElfImage::parse(file).is_err() || image::check(program, file).is_ok() {
            // Not an ELF program, or a kernel image.
            return Err(BootError::NoProgram(program.into()));
        }
        let rt_file = corefish::modules::get(RT_KERNEL)
            .ok_or_else(|| BootError::NoImage(RT_KERNEL.into()))?;
        image::check(RT_KERNEL, rt_file)?;

        let host = self.table.my_core();
        let parked = self.park(core, host)?;
        let run = self.run_rt(core, &line, rt.limit_s);
        // The OSNode comes back whatever happened to the run.
        let back = self.unpark(parked.kcb, core)?;
        let (kernel, exit_code, run_ns) = run?;
        Ok(RtRun {
            core,
            program: program.into(),
            exit_code,
            run_ns,
            kernel,
            kcb: parked.kcb,
            host,
            back_kernel: back.kernel,
        })
    }

    /// Boots `core` (whose OSNode is parked) with the real-time kernel and
    /// `line` as its program, waits for the end, and takes the core back.
    /// Returns the kernel's version, the exit code and the run time.
    fn run_rt(
        &mut self,
        core: CoreId,
        line: &str,
        limit_s: u64,
    ) -> Result<(String, u64, u64), BootError> {
        let apic = self.table.core(core)?.apic;
        let target = Target::New {
            osnode: self.table.unused_id(),
        };
        let mech = &mut self.mech;
        let (loaded, prepared) = mech.load_and_prepare(core, apic, RT_KERNEL, target, line)?;
        let ack = match mech
            .start(apic, &loaded)
            .and_then(|_| mech.wait_ack(core, apic, &loaded, super::launch::ACK_TIMEOUT_NS))
        {
            Ok(ack) => ack,
            Err(e) => {
                mech.undo(&self.table, apic, loaded, prepared);
                return Err(e);
            }
        };
        let kernel = String::from(ack.version_text());
        // The kernel notifies OSNode 0 when the program ends (remembered if
        // it comes before this waits).
        let deadline = sys::time_ns() + limit_s.saturating_mul(1_000_000_000);
        let finished = loop {
            match loaded.ack() {
                Some(done) if done.stage == ACK_FINISHED => break Some(done),
                _ if sys::time_ns() >= deadline => break None,
                _ => {
                    sys::wait_rings(deadline, corefish::abi::dispatcher::NOTIFY_BIT);
                }
            }
        };
        // Halted (or overrunning): INIT takes the core back either way, and
        // the real-time OSNode's memory goes.
        mech.undo(&self.table, apic, loaded, prepared);
        let done = finished.ok_or(BootError::RtTimeout(core, limit_s))?;
        let run_ns = mech.ns(done.tsc_stopped.saturating_sub(ack.tsc_running));
        Ok((kernel, done.exit_code, run_ns))
    }
}
