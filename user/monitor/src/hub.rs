//! The hub: the first OSNode's monitor. The boot driver gives it each new
//! OSNode's channel (`FRAME`, then `ADD`, which waits for that monitor's
//! hello); `STATUS` pings a core's monitor. The hub also keeps the registry
//! of exported names, and routes every message between other monitors.

use alloc::vec::Vec;
use corefish::abi::error::SysError;
use corefish::abi::invoke as op;
use corefish::channel::{Channel, Side};
use corefish::lmp::{self, Message};
use corefish::proto::hub::{Alive, HubError, Reply, Request};
use corefish::proto::intermon::{self, Message as Ump};
use corefish::proto::monitor::NAME_MAX;
use corefish::{CPtr, println, sys};

use crate::Monitor;
use crate::link::Link;

/// A registered name.
struct Name {
    name: Vec<u8>,
    osnode: u64,
    handle: u64,
}

/// What only the hub keeps.
#[derive(Default)]
pub struct HubState {
    names: Vec<Name>,
    /// Channel frames received ahead of their `ADD`, by core.
    frames: Vec<(u64, CPtr)>,
}

impl HubState {
    /// Records `name` as served by `handle` on `osnode`.
    pub fn register(&mut self, name: &[u8], osnode: u64, handle: u64) -> Result<(), SysError> {
        if name.is_empty() || name.len() > NAME_MAX {
            return Err(SysError::BadArgument);
        }
        if self.names.iter().any(|n| n.name == name) {
            return Err(SysError::SlotOccupied);
        }
        self.names.push(Name {
            name: name.into(),
            osnode,
            handle,
        });
        Ok(())
    }

    /// Where `name` is served.
    pub fn lookup(&self, name: &[u8]) -> Result<(u64, u64), SysError> {
        self.names
            .iter()
            .find(|n| n.name == name)
            .map(|n| (n.osnode, n.handle))
            .ok_or(SysError::SlotEmpty)
    }
}

impl Monitor {
    /// A request of the boot driver (the reply, if it takes one).
    pub fn boot_driver_request(&mut self, request: Request, m: Message) {
        let reply = match request {
            Request::Frame { core } => {
                if let Some(frame) = m.cap {
                    self.hub_state.frames.push((core, frame));
                }
                return;
            }
            Request::Moved { osnode, core } => {
                if let Some(link) = self.links.iter_mut().find(|l| l.osnode == osnode) {
                    link.core = core.unwrap_or(u64::MAX);
                }
                return;
            }
            Request::Add {
                core,
                osnode,
                timeout_ms,
            } => Reply::Add(self.add(core, osnode, timeout_ms)),
            Request::Status { core } => Reply::Status(self.status(core)),
            Request::Park {
                host,
                kcb_phys,
                osnode,
            } => Reply::Park(self.on_host(
                host,
                intermon::Request::Attach { kcb_phys, osnode },
                op::KERNEL_KCB_ATTACH,
                [kcb_phys, osnode],
            )),
            Request::Unpark { host, osnode } => Reply::Unpark(self.on_host(
                host,
                intermon::Request::Detach { osnode },
                op::KERNEL_KCB_DETACH,
                [osnode, 0],
            )),
        };
        if let Err(e) = lmp::reply(&m, reply.to_words(), None) {
            println!("monitor: cannot answer the boot driver: {e}");
        }
    }

    /// ADD: takes a new OSNode's channel, whose frame came ahead, and waits
    /// for its monitor's hello; returns the hello's TSC.
    fn add(&mut self, core: u64, osnode: u64, timeout_ms: u64) -> Result<u64, HubError> {
        let Some(at) = self.hub_state.frames.iter().position(|&(c, _)| c == core) else {
            return Err(HubError::Refused(SysError::SlotEmpty));
        };
        let (_, frame) = self.hub_state.frames.swap_remove(at);
        let mut channel = Channel::open(frame, Side::A).map_err(HubError::Refused)?;
        let deadline = sys::time_ns() + timeout_ms.saturating_mul(1_000_000);
        let hello = channel.recv(deadline).ok_or(HubError::NoAnswer)?;
        let tsc = match Ump::from_payload(hello) {
            Ok(Ump::Hello {
                core: c,
                osnode: o,
                tsc,
            }) if (c, o) == (core, osnode) => tsc,
            other => {
                println!("monitor: core {core}'s channel said {other:?} instead of hello");
                return Err(HubError::Refused(SysError::BadArgument));
            }
        };
        // A core booted again replaces what the hub knew of it.
        self.links.retain(|l| l.core != core && l.osnode != osnode);
        self.links.push(Link::new(osnode, core, channel, self.ipi));
        Ok(tsc)
    }

    /// PARK and UNPARK: the monitor on core `host` (this one, or another
    /// through UMP) invokes its kernel.
    fn on_host(
        &mut self,
        host: u64,
        remote: intermon::Request,
        local: u64,
        args: [u64; 2],
    ) -> Result<(), SysError> {
        if host == corefish::core_id() {
            return sys::invoke(self.kernel, local, [args[0], args[1], 0, 0]).map(|_| ());
        }
        let osnode = self.osnode_on(host).ok_or(SysError::BadArgument)?;
        match self.call_remote(osnode, remote, &[])? {
            intermon::Reply::Attach(result) | intermon::Reply::Detach(result) => result,
            _ => Err(SysError::InvalidOperation),
        }
    }

    /// STATUS: whether core `core`'s monitor answers, and how fast.
    fn status(&mut self, core: u64) -> Result<Alive, HubError> {
        let osnode = self
            .links
            .iter()
            .find(|l| l.core == core)
            .map(|l| l.osnode)
            .ok_or(HubError::NoAnswer)?;
        let sent = sys::time_ns();
        match self.call_remote(osnode, intermon::Request::Ping, &[]) {
            Ok(intermon::Reply::Ping(Ok(pong))) => Ok(Alive {
                rtt_ns: sys::time_ns() - sent,
                woken: pong.woken,
            }),
            _ => Err(HubError::NoAnswer),
        }
    }

    /// The OSNode running on `core`, as far as the hub knows.
    pub fn osnode_on(&self, core: u64) -> Option<u64> {
        if core == corefish::core_id() {
            return Some(self.me);
        }
        self.links.iter().find(|l| l.core == core).map(|l| l.osnode)
    }
}
