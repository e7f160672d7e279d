//! The hub: the first OSNode's monitor. The boot driver gives it each new
//! OSNode's channel (`FRAME`, then `ADD`, which waits for that monitor's
//! hello); `STATUS` pings a core's monitor. The hub also keeps the registry
//! of exported names, and routes every message between other monitors.

use alloc::vec::Vec;
use corefish::abi::error::SysError;
use corefish::abi::invoke as op;
use corefish::channel::{Channel, Side};
use corefish::lmp::{self, Message};
use corefish::proto::monitor::{ADD, FRAME, MOVED, NO_ANSWER, PARK, REPLY, STATUS, UNPARK};
use corefish::{CPtr, println, sys};

use crate::Monitor;
use crate::link::Link;
use crate::protocol::{ATTACH, DETACH, HELLO, PING};

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
        if name.is_empty() || name.len() > corefish::monitor::NAME_MAX {
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
    /// A request of the boot driver.
    pub fn boot_driver_request(&mut self, m: Message) {
        let words = match m.words[0] {
            FRAME => {
                if let Some(frame) = m.cap {
                    self.hub_state.frames.push((m.words[1], frame));
                }
                return;
            }
            ADD => self.add(&m),
            MOVED => {
                let [_, osnode, core, _] = m.words;
                if let Some(link) = self.links.iter_mut().find(|l| l.osnode == osnode) {
                    link.core = core;
                }
                return;
            }
            STATUS => self.status(m.words[1]),
            PARK => self.on_host(
                m.words[1],
                ATTACH,
                op::KERNEL_KCB_ATTACH,
                [m.words[2], m.words[3]],
            ),
            UNPARK => self.on_host(m.words[1], DETACH, op::KERNEL_KCB_DETACH, [m.words[2], 0]),
            _ => [REPLY, SysError::InvalidOperation as u64, 0, 0],
        };
        if let Err(e) = lmp::reply(&m, words, None) {
            println!("monitor: cannot answer the boot driver: {e}");
        }
    }

    /// ADD: takes a new OSNode's channel, whose frame came ahead, and waits
    /// for its monitor's hello.
    fn add(&mut self, m: &Message) -> [u64; 4] {
        let [_, core, osnode, timeout_ms] = m.words;
        let Some(at) = self.hub_state.frames.iter().position(|&(c, _)| c == core) else {
            return [REPLY, SysError::SlotEmpty as u64, 0, 0];
        };
        let (_, frame) = self.hub_state.frames.swap_remove(at);
        let mut channel = match Channel::open(frame, Side::A) {
            Ok(c) => c,
            Err(e) => return [REPLY, e as u64, 0, 0],
        };
        let deadline = sys::time_ns() + timeout_ms.saturating_mul(1_000_000);
        let Some(hello) = channel.recv(deadline) else {
            return [REPLY, NO_ANSWER, 0, 0];
        };
        if hello[0] != HELLO || hello[1] != core || hello[2] != osnode {
            println!(
                "monitor: core {core}'s channel said {:#x} from core {}, OSNode {} instead of hello",
                hello[0], hello[1], hello[2]
            );
            return [REPLY, SysError::BadArgument as u64, 0, 0];
        }
        // A core booted again replaces what the hub knew of it.
        self.links.retain(|l| l.core != core && l.osnode != osnode);
        self.links.push(Link::new(osnode, core, channel, self.ipi));
        [REPLY, 0, hello[3], 0]
    }

    /// PARK and UNPARK: the monitor on core `host` (this one, or another
    /// through UMP) invokes its kernel.
    fn on_host(&mut self, host: u64, remote: u64, local: u64, args: [u64; 2]) -> [u64; 4] {
        let result = if host == corefish::core_id() {
            sys::invoke(self.kernel, local, [args[0], args[1], 0, 0]).map(|_| ())
        } else {
            match self.osnode_on(host) {
                Some(osnode) => self
                    .call_remote(osnode, remote, [args[0], args[1], 0, 0], &[])
                    .map(|_| ()),
                None => Err(SysError::BadArgument),
            }
        };
        [REPLY, result.err().map_or(0, |e| e as u64), 0, 0]
    }

    /// STATUS: whether core `core`'s monitor answers, and how fast.
    fn status(&mut self, core: u64) -> [u64; 4] {
        let Some(osnode) = self.links.iter().find(|l| l.core == core).map(|l| l.osnode) else {
            return [REPLY, NO_ANSWER, 0, 0];
        };
        let sent = sys::time_ns();
        match self.call_remote(osnode, PING, [0; 4], &[]) {
            Ok([_, woken, _]) => [REPLY, 0, sys::time_ns() - sent, woken],
            Err(_) => [REPLY, NO_ANSWER, 0, 0],
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
