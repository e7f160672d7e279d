//! The hub: the first OSNode's monitor. The boot driver gives it each new
//! OSNode's channel (`FRAME`, then `ADD`, which waits for that monitor's
//! hello); `STATUS` pings a core's monitor; `KCB` then `PARK`, and
//! `UNPARK`, park and unpark OSNodes ([`crate::parking`]). Only the boot
//! driver's endpoint, badged as the boot driver's, may ask any of this. The
//! hub also keeps the registry of exported names, and routes every message
//! between other monitors.

use alloc::vec::Vec;
use corefish::abi::error::SysError;
use corefish::channel::{Channel, Side};
use corefish::lmp::{self, Message};
use corefish::proto::hub::{Alive, HubError, Reply, Request};
use corefish::proto::intermon::{self, Message as Ump};
use corefish::proto::monitor::NAME_MAX;
use corefish::{CPtr, println, sys};

use crate::Monitor;
use crate::link::Link;

/// Longest an `ADD` waits for the new monitor's hello, whatever it asks:
/// the hub serves no one else meanwhile.
const MAX_ADD_WAIT_MS: u64 = 60_000;

/// Most names the hub keeps, of all OSNodes.
pub const NAMES_MAX: usize = 1024;

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
    /// KCB capabilities received ahead of their `PARK`, by OSNode.
    kcbs: Vec<(u64, CPtr)>,
}

/// Keeps `cap` for `key` in `list` until its request comes, in place of
/// one kept for the same key before (the boot driver sends one at a time;
/// the list cannot grow past the cores and OSNodes there are).
fn keep_ahead(list: &mut Vec<(u64, CPtr)>, key: u64, cap: CPtr) {
    if let Some(i) = list.iter().position(|&(k, _)| k == key) {
        let (_, old) = list.swap_remove(i);
        let _ = corefish::cap::Cap::<corefish::cap::kind::Any>::at(old).delete();
        corefish::slots::free(old);
    }
    list.push((key, cap));
}

/// Takes what [`keep_ahead`] kept for `key`.
fn take_ahead(list: &mut Vec<(u64, CPtr)>, key: u64) -> Option<CPtr> {
    let i = list.iter().position(|&(k, _)| k == key)?;
    Some(list.swap_remove(i).1)
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
        if self.names.len() >= NAMES_MAX {
            return Err(SysError::OverLimit);
        }
        self.names.push(Name {
            name: name.into(),
            osnode,
            handle,
        });
        Ok(())
    }

    /// Forgets the name served by `handle` on `osnode` (its exporter
    /// ended).
    pub fn unregister(&mut self, osnode: u64, handle: u64) {
        self.names
            .retain(|n| (n.osnode, n.handle) != (osnode, handle));
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
                    keep_ahead(&mut self.hub_state.frames, core, frame);
                }
                return;
            }
            Request::Kcb { osnode } => {
                if let Some(kcb) = m.cap {
                    keep_ahead(&mut self.hub_state.kcbs, osnode, kcb);
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
            Request::Status { core, within_ms } => Reply::Status(self.status(core, within_ms)),
            Request::Park { host, osnode } => {
                Reply::Park(match take_ahead(&mut self.hub_state.kcbs, osnode) {
                    Some(kcb) => self.park(host, osnode, kcb),
                    None => Err(SysError::SlotEmpty),
                })
            }
            Request::Unpark { host, osnode } => Reply::Unpark(self.unpark(host, osnode)),
        };
        if let Err(e) = lmp::reply(&m, reply.to_words(), None) {
            println!("monitor: cannot answer the boot driver: {e}");
        }
    }

    /// ADD: takes a new OSNode's channel, whose frame came ahead, and waits
    /// for its monitor's hello; returns the hello's TSC.
    fn add(&mut self, core: u64, osnode: u64, timeout_ms: u64) -> Result<u64, HubError> {
        let Some(frame) = take_ahead(&mut self.hub_state.frames, core) else {
            return Err(HubError::Refused(SysError::SlotEmpty));
        };
        let mut channel = Channel::open(frame, Side::A).map_err(HubError::Refused)?;
        let timeout_ms = timeout_ms.min(MAX_ADD_WAIT_MS);
        let deadline = sys::time_ns() + timeout_ms * 1_000_000;
        let hello = channel.recv_notified(deadline).ok_or(HubError::NoAnswer)?;
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

    /// STATUS: whether core `core`'s monitor answers, and how fast.
    fn status(&mut self, core: u64, within_ms: u64) -> Result<Alive, HubError> {
        let osnode = self
            .links
            .iter()
            .find(|l| l.core == core)
            .map(|l| l.osnode)
            .ok_or(HubError::NoAnswer)?;
        let sent = sys::time_ns();
        let ping = intermon::Request::Ping;
        let answer = match within_ms {
            0 => self.call_remote(osnode, ping, &[]),
            ms => self.call_remote_within(osnode, ping, &[], ms.saturating_mul(1_000_000)),
        };
        match answer {
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
