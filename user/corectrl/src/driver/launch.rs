//! Starting a kernel on a core: the mechanism every boot shares.
//!
//! 1. *load*: the image, the kernel's own RAM, a new KCB and the boot
//!    parameters ([`super::prepare`]).
//! 2. *start*: the trampoline is prepared, INIT and STARTUP are sent (a
//!    second STARTUP only if the core has not arrived within
//!    [`SECOND_STARTUP_AFTER_NS`]; QEMU and current processors need no delay
//!    after INIT, so none is made), and the boot driver waits for the core
//!    to arrive in the trampoline and for the kernel's acknowledgement.
//! 3. *monitor*: for a new KCB, the hub (the first OSNode's monitor) gets
//!    the channel frame and waits for the new monitor's hello.
//!
//! A failure after the start sends INIT again (the core stops wherever it
//! was) and gives everything back ([`Mechanism::undo`]).

use bootctl::{CoreId, KcbId, Table};
use bootproto::params::{
    ACK_FAULTED, ACK_FINISHED, ACK_REFUSED, ACK_RUNNING, ACK_STOPPED, BootAck,
};
use corefish::abi::invoke as op;
use corefish::proto::hub;
use corefish::sys::{self, invoke};
use corefish::{CPtr, lmp};

use super::prepare::{Prepared, Target};
use super::{Installed, Mechanism, OsNodeMemory};
use crate::error::{BootError, NmiStop, Unacknowledged};
use crate::image::Loaded;
use crate::trampoline;
/// When a core that has not arrived in the trampoline gets a second STARTUP.
pub const SECOND_STARTUP_AFTER_NS: u64 = 10_000_000;
/// How long a core may take to arrive in the trampoline.
const ARRIVAL_TIMEOUT_NS: u64 = 500_000_000;
/// How long a kernel may take from the trampoline to running its OSNode
/// (an update's check may allow less).
pub const ACK_TIMEOUT_NS: u64 = 5_000_000_000;
/// How long a kernel asked to stop by an NMI has to report it.
const NMI_ANSWER_NS: u64 = 500_000_000;
/// How long a new monitor may take to say hello.
const MONITOR_TIMEOUT_MS: u64 = 5_000;

/// A kernel that runs its KCB, and when each phase ended (TSC).
pub struct Launched {
    /// Its image block.
    pub loaded: Loaded,
    /// What the start made.
    pub prepared: Prepared,
    /// Its acknowledgement.
    pub ack: BootAck,
    /// When the image and parameters were ready.
    pub loaded_tsc: u64,
    /// When the core arrived in the trampoline.
    pub arrived_tsc: u64,
    /// When the new monitor said hello (the ack's running time for a
    /// resumed KCB).
    pub hello_tsc: u64,
}

impl Mechanism {
    /// Starts core `core` (APIC `apic`) with the CPU driver image `kernel`
    /// for `target`, up to its monitor's hello for a new KCB; the kernel
    /// has `ack_within_ns` from its start to acknowledge. On failure the
    /// core is stopped again and everything given back.
    pub fn launch(
        &mut self,
        table: &Table<Installed, OsNodeMemory>,
        core: CoreId,
        apic: u32,
        kernel: &str,
        target: Target,
        ack_within_ns: u64,
    ) -> Result<Launched, BootError> {
        let (loaded, prepared) = self.load_and_prepare(core, apic, kernel, target, "")?;
        self.set_route(prepared.osnode, Some(apic));
        let loaded_tsc = sys::tsc();
        let started = self
            .start(apic, &loaded)
            .and_then(|arrived| Ok((arrived, self.wait_ack(core, apic, &loaded, ack_within_ns)?)));
        let (arrived_tsc, ack) = match started {
            Ok(done) => done,
            Err(BootError::NoAck(core, Unacknowledged::NotEntered)) => {
                // Decided once INIT has stopped it: a kernel that entered its
                // main meanwhile may have touched its KCB.
                let _ = invoke(
                    self.ipi,
                    op::IPI_INIT,
                    [u64::from(apic), trampoline::HALT, 0, 0],
                );
                let state = match loaded.ack() {
                    None => Unacknowledged::NotEntered,
                    Some(_) => Unacknowledged::Dead,
                };
                self.undo(table, apic, loaded, prepared);
                return Err(BootError::NoAck(core, state));
            }
            Err(e) => {
                self.undo(table, apic, loaded, prepared);
                return Err(e);
            }
        };
        let hello_tsc = match prepared.channel() {
            Some(channel) => match self.meet_monitor(core, prepared.osnode, channel) {
                Ok(tsc) => tsc,
                Err(e) => {
                    self.undo(table, apic, loaded, prepared);
                    return Err(e);
                }
            },
            None => ack.tsc_running,
        };
        Ok(Launched {
            loaded,
            prepared,
            ack,
            loaded_tsc,
            arrived_tsc,
            hello_tsc,
        })
    }
    /// INIT, STARTUP (twice if needed); returns the TSC at arrival.
    pub fn start(&mut self, apic: u32, loaded: &Loaded) -> Result<u64, BootError> {
        self.trampoline.prepare(loaded);
        let apic_word = u64::from(apic);
        let ipi = |operation, arg| {
            invoke(self.ipi, operation, [apic_word, arg, 0, 0])
                .map_err(|e| BootError::Sys("IPI", e))
        };
        // The bootstrap core goes to the trampoline straight from INIT.
        ipi(op::IPI_INIT, trampoline::PAGE)?;
        ipi(op::IPI_STARTUP, u64::from(self.vector))?;
        let sent = sys::time_ns();
        let mut second = false;
        loop {
            if let Some(tsc) = self.trampoline.arrived() {
                return Ok(tsc);
            }
            let waited = sys::time_ns() - sent;
            if !second && waited >= SECOND_STARTUP_AFTER_NS {
                ipi(op::IPI_STARTUP, u64::from(self.vector))?;
                second = true;
            }
            if waited >= ARRIVAL_TIMEOUT_NS {
                return Err(BootError::NoStart(apic));
            }
            core::hint::spin_loop();
        }
    }

    /// The kernel's acknowledgement that it runs its KCB, within
    /// `within_ns`. A kernel that entered its main but did not acknowledge
    /// in time is asked to stop with an NMI, which tells what it left of
    /// its KCB.
    pub fn wait_ack(
        &self,
        core: CoreId,
        apic: u32,
        loaded: &Loaded,
        within_ns: u64,
    ) -> Result<BootAck, BootError> {
        let deadline = sys::time_ns().saturating_add(within_ns);
        let ack = loaded.await_ack(deadline, |ack| match ack.stage {
            // A real-time kernel's program may end before the first look.
            ACK_RUNNING | ACK_FINISHED | ACK_REFUSED | ACK_FAULTED => Some(ack),
            _ => None,
        });
        match ack {
            Some(ack) if ack.stage == ACK_REFUSED => Err(BootError::KernelRefused(core)),
            Some(ack) if ack.stage == ACK_FAULTED => Err(BootError::KernelFault(core, ack.fault)),
            Some(ack) => Ok(ack),
            None if loaded.ack().is_none() => {
                Err(BootError::NoAck(core, Unacknowledged::NotEntered))
            }
            None => Err(BootError::NoAck(
                core,
                match self.nmi_stop(apic, loaded) {
                    Some(fault) => Unacknowledged::Stopped(fault),
                    None => Unacknowledged::Dead,
                },
            )),
        }
    }

    /// Stops the kernel started from `block` on the core with APIC id
    /// `apic`, which does not answer: as it is, if it offers its idle core
    /// or has stopped or faulted already; else with an NMI
    /// (`bootproto::ack::NMI_OFFSET`; only a kernel whose main was entered
    /// has its NMI handler). How it stopped, if it did in time.
    pub fn nmi_stop(&self, apic: u32, block: &Loaded) -> Option<NmiStop> {
        let ended = |a: BootAck| match a.stage {
            ACK_STOPPED => Some(NmiStop::Stopped),
            ACK_FAULTED => Some(NmiStop::Faulted(a.fault)),
            _ => None,
        };
        if block.take_idle() {
            return Some(NmiStop::Stopped);
        }
        if let Some(stop) = block.ack().and_then(ended) {
            return Some(stop);
        }
        if let Some(me) = self.my_apic() {
            block.set_doorbell(me);
        }
        block.request_nmi_stop();
        invoke(self.ipi, op::IPI_NMI, [u64::from(apic), 0, 0, 0]).ok()?;
        block.await_ack(sys::time_ns() + NMI_ANSWER_NS, ended)
    }

    /// The local APIC id of the core the boot driver runs on now.
    pub fn my_apic(&self) -> Option<u32> {
        let core = usize::try_from(corefish::core_id()).ok()?;
        self.machine.cores.get(core).map(|c| c.apic)
    }

    /// The hub takes the channel and waits for the new monitor's hello;
    /// returns the hello's TSC.
    fn meet_monitor(
        &mut self,
        core: CoreId,
        osnode: KcbId,
        channel: CPtr,
    ) -> Result<u64, BootError> {
        let core_word = u64::from(core);
        let frame = hub::Request::Frame { core: core_word };
        lmp::send(self.hub, frame.to_words(), Some(channel))
            .map_err(|e| BootError::Sys("hub", e))?;
        let add = hub::Request::Add {
            core: core_word,
            osnode,
            timeout_ms: MONITOR_TIMEOUT_MS,
        };
        match self.ask_hub(add)? {
            hub::Reply::Add(Ok(hello)) => Ok(hello),
            _ => Err(BootError::MonitorSilent(core)),
        }
    }

    /// Stops a core whose start failed (or whose real-time run is over)
    /// and gives everything back; the OSNode table says again what the
    /// table says.
    pub fn undo(
        &mut self,
        table: &Table<Installed, OsNodeMemory>,
        apic: u32,
        loaded: Loaded,
        prepared: Prepared,
    ) {
        // INIT stops the core wherever it is (it then waits for STARTUP, or
        // for the bootstrap core, halts in the trampoline page), so its
        // kernel's memory can be reused.
        let _ = invoke(
            self.ipi,
            op::IPI_INIT,
            [u64::from(apic), trampoline::HALT, 0, 0],
        );
        self.sync_route(table, prepared.osnode);
        loaded.free();
        prepared.discard();
    }
}
