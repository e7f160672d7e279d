//! `monitor`: one per OSNode, the OSNode's link to the others.
//!
//! * On an OSNode the boot driver started, the CPU driver makes the monitor
//!   its first program and gives it the OSNode's resources: the Kernel and
//!   IPI capabilities, the rest of the core's RAM, the boot archive and the
//!   frame of its channel to the hub. It says hello on that channel.
//! * On the first OSNode, init starts the monitor as the *hub* (argument
//!   `hub`) with the Kernel capability: the boot driver hands it each new
//!   OSNode's channel ([`hub`]); it keeps the registry of names and routes
//!   messages between the other monitors (a star: one channel per OSNode).
//!
//! Every monitor then serves the programs of its OSNode over LMP
//! (`corefish::monitor`: names, channels, capabilities and programs across
//! OSNodes, [`requests`]) and the other monitors over UMP ([`protocol`]);
//! a node monitor is also its OSNode's memory server and the parent of the
//! programs it starts ([`programs`]). Capabilities cross OSNodes as
//! descriptions: the sender's monitor keeps an exported anchor, the
//! receiver's makes a foreign copy ([`remote_caps`]).
//!
//! A monitor handles one request at a time; while it waits for another
//! monitor's answer it keeps answering the other monitors (whose requests
//! never wait themselves), so monitors cannot deadlock each other.

#![no_std]
#![no_main]

extern crate alloc;

mod hub;
mod link;
mod programs;
mod protocol;
mod remote_caps;
mod requests;

use alloc::vec::Vec;
use corefish::abi::cspace::{CPtr, init, root, task};
use corefish::abi::invoke as op;
use corefish::cap::{Cap, kind};
use corefish::channel::{Channel, Payload, Side, Waiting};
use corefish::{SysError, lmp, println, ram, sys};

use crate::link::Link;
use crate::protocol::{HELLO, NO_ROUTE, PING, TEXT};

corefish::entry!(main);

/// Where init puts the hub's Kernel capability.
pub const HUB_KERNEL: CPtr = CPtr::new(root::TASK, 32);
/// Where init puts the hub's IPI capability.
pub const HUB_IPI: CPtr = CPtr::new(root::TASK, 33);
/// Longest a monitor sleeps without a notification. Notifications are not
/// lost (the kernel remembers one that comes while the monitor is not yet
/// waiting), so this is only a backstop; it is long so that an idle machine
/// has no periodic wakeups (a real-time run on another core is not
/// disturbed by them, even in an emulator whose clock counts every core's
/// instructions).
const IDLE_BACKSTOP_NS: u64 = 10_000_000_000;
/// How long a monitor waits for another monitor's answer.
const REMOTE_TIMEOUT_NS: u64 = 5_000_000_000;

/// A monitor's state.
pub struct Monitor {
    /// This OSNode's id.
    pub me: u64,
    /// The core it was started on (it may move: `corefish::core_id()`
    /// says where it runs now).
    pub core: u64,
    /// Whether this is the hub.
    pub hub: bool,
    /// The Kernel capability.
    pub kernel: CPtr,
    /// The IPI capability (notifications to other OSNodes).
    pub ipi: CPtr,
    /// The channels to other monitors (a node has one: the hub).
    pub links: Vec<Link>,
    /// Request numbers.
    next_request: u64,
    /// Times the monitor woke from blocking before its backstop.
    woken: u64,
    /// Text arriving for requests of other monitors: (source, request, bytes).
    texts: Vec<(u64, u64, Vec<u8>)>,
    /// Names, channels and capabilities across OSNodes.
    pub remote: remote_caps::RemoteCaps,
    /// Per-program request state and local exports.
    pub requests: requests::Requests,
    /// Programs this monitor started.
    pub programs: programs::Programs,
    /// The hub's own state.
    pub hub_state: hub::HubState,
}

fn main() -> i32 {
    let is_hub = corefish::args().trim() == "hub";
    let (kernel, ipi) = if is_hub {
        (HUB_KERNEL, HUB_IPI)
    } else {
        (init::KERNEL, init::IPI)
    };
    let Ok(who) = sys::invoke(kernel, op::KERNEL_OSNODE, [0; 4]) else {
        println!("monitor: no Kernel capability; nothing to do");
        return 1;
    };
    let mut m = Monitor {
        me: who[0],
        core: who[1],
        hub: is_hub,
        kernel,
        ipi,
        links: Vec::new(),
        next_request: 1,
        woken: 0,
        texts: Vec::new(),
        remote: remote_caps::RemoteCaps::default(),
        requests: requests::Requests::default(),
        programs: programs::Programs::default(),
        hub_state: hub::HubState::default(),
    };
    if !is_hub && let Err(e) = m.join() {
        println!("monitor: cannot reach the hub: {e}");
        return 1;
    }
    m.run()
}

impl Monitor {
    /// A node monitor's start: its RAM, its archive, hello to the hub.
    fn join(&mut self) -> Result<(), SysError> {
        // The kernel fills the RAM CNode from slot 0, in order.
        let mut regions = 0;
        while regions < 256 && ram::add(CPtr::new(init::RAM_CNODE, regions)).is_ok() {
            regions += 1;
        }
        // The spawning code reads the archive from the usual task slot.
        let _ = Cap::<kind::Any>::at(init::ARCHIVE).copy_to(task::BOOT_ARCHIVE);
        let channel = Channel::open(init::CHANNEL, Side::B)?;
        let mut hub = Link::new(0, 0, channel, self.ipi);
        // Said before the hello, so that it is on the console before the
        // boot driver reports the core booted.
        println!(
            "monitor: core {} up (OSNode {}), {} KiB of RAM in {regions} regions",
            self.core,
            self.me,
            ram::available() >> 10
        );
        hub.send([HELLO, self.core, self.me, sys::tsc(), 0, 0, 0]);
        self.links.push(hub);
        Ok(())
    }

    /// Serves programs and monitors (never returns). With nothing to do it
    /// blocks until an LMP message or a notification from another OSNode
    /// arrives, or a backstop passes, or (while deliveries wait for their
    /// receivers) a short while.
    fn run(&mut self) -> i32 {
        loop {
            let mut progress = self.pump(None).is_some();
            progress |= self.retry_deliveries();
            if let Some(message) = lmp::try_recv(lmp::INBOX) {
                progress = true;
                self.handle_lmp(message);
            }
            if progress {
                continue;
            }
            for link in &self.links {
                link.prepare_to_wait();
            }
            // A message that came after the last poll is found here; one
            // that comes later brings a notification.
            if self.pump(None).is_none() {
                let backstop = if self.deliveries_waiting() {
                    1_000_000
                } else {
                    IDLE_BACKSTOP_NS
                };
                let rings = (1 << lmp::INBOX) | corefish::abi::dispatcher::NOTIFY_BIT;
                if !sys::wait_rings(sys::time_ns() + backstop, rings) {
                    self.woken += 1;
                }
            }
            for link in &self.links {
                link.stop_waiting();
            }
        }
    }

    /// Flushes outboxes and handles what arrived; returns `Some` when
    /// anything happened, with the reply to request `awaited` (from, op,
    /// request number) if it came.
    fn pump(&mut self, awaited: Option<(u64, u64, u64)>) -> Option<Option<Payload>> {
        let mut progress = false;
        let mut found = None;
        for i in 0..self.links.len() {
            progress |= self.links[i].flush();
            while let Some(message) = self.links[i].try_recv() {
                progress = true;
                let from = self.links[i].osnode;
                let source = if self.hub {
                    from
                } else {
                    protocol::src(&message)
                };
                let wanted = awaited.is_some_and(|(peer, op, req)| {
                    protocol::is_reply(&message)
                        && protocol::op(&message) == op
                        && message[2] == req
                        && source == peer
                        && protocol::dst(&message) == self.me
                });
                if wanted && found.is_none() {
                    found = Some(message);
                } else {
                    self.handle_ump(from, message);
                }
            }
        }
        (progress || found.is_some()).then_some(found)
    }

    /// Sends `message` towards OSNode `dst`; false if there is no way.
    pub fn send_to(&mut self, dst: u64, message: Payload) -> bool {
        let link = if self.hub {
            self.links.iter_mut().find(|l| l.osnode == dst)
        } else {
            self.links.first_mut()
        };
        match link {
            Some(link) => {
                link.send(message);
                true
            }
            None => false,
        }
    }

    /// Sends a request (with text) to OSNode `dst` and waits for the reply,
    /// answering other monitors meanwhile. Returns the reply's values.
    pub fn call_remote(
        &mut self,
        dst: u64,
        op: u64,
        args: [u64; 4],
        text: &[u8],
    ) -> Result<[u64; 3], SysError> {
        let req = self.next_request;
        self.next_request += 1;
        let chunks: Vec<Payload> = protocol::text(self.me, dst, req, text).collect();
        for chunk in chunks {
            if !self.send_to(dst, chunk) {
                return Err(SysError::DispatcherNotReady);
            }
        }
        if !self.send_to(dst, protocol::request(op, self.me, dst, req, args)) {
            return Err(SysError::DispatcherNotReady);
        }
        let mut waiting = Waiting::new(sys::time_ns() + REMOTE_TIMEOUT_NS);
        loop {
            match self.pump(Some((dst, op, req))) {
                Some(Some(reply)) => {
                    SysError::from_code(reply[3])?;
                    return Ok([reply[4], reply[5], reply[6]]);
                }
                Some(None) => waiting.reset(),
                None => {
                    if !waiting.pause() {
                        return Err(SysError::DispatcherNotReady);
                    }
                }
            }
        }
    }

    /// Answers request `m` with `status` and `values`.
    fn answer(&mut self, m: &Payload, status: u64, values: [u64; 3]) {
        let reply = protocol::reply(m, self.me, status, values);
        let to = protocol::src(m);
        self.send_to(to, reply);
    }

    /// The text that came ahead of request `req` from `src`.
    fn take_text(&mut self, src: u64, req: u64) -> Vec<u8> {
        match self.texts.iter().position(|t| t.0 == src && t.1 == req) {
            Some(i) => self.texts.swap_remove(i).2,
            None => Vec::new(),
        }
    }

    /// A message from another monitor, which came in over the link to `from`.
    fn handle_ump(&mut self, from: u64, mut m: Payload) {
        if self.hub {
            // The hub vouches for the sender: it is whoever is behind the link.
            m[1] = protocol::route(from, protocol::dst(&m));
            if protocol::dst(&m) != self.me {
                let to = protocol::dst(&m);
                if !self.send_to(to, m) && !protocol::is_reply(&m) && protocol::op(&m) != TEXT {
                    self.answer(&m, NO_ROUTE, [0; 3]);
                }
                return;
            }
        }
        if protocol::is_reply(&m) || protocol::op(&m) == HELLO {
            return; // a reply that came too late, a repeated hello
        }
        let src = protocol::src(&m);
        match protocol::op(&m) {
            TEXT => {
                let req = m[2];
                let i = match self.texts.iter().position(|t| t.0 == src && t.1 == req) {
                    Some(i) => i,
                    None => {
                        self.texts.push((src, req, Vec::new()));
                        self.texts.len() - 1
                    }
                };
                protocol::text_bytes(&m, &mut self.texts[i].2);
            }
            PING => self.answer(&m, 0, [sys::tsc(), self.woken, 0]),
            op => {
                let text = self.take_text(src, m[2]);
                let (status, values) = match self.serve_remote(op, src, &m, &text) {
                    Ok(values) => (0, values),
                    Err(e) => (e as u64, [0; 3]),
                };
                self.answer(&m, status, values);
            }
        }
    }

    /// A request of another monitor that this one answers.
    fn serve_remote(
        &mut self,
        op: u64,
        src: u64,
        m: &Payload,
        text: &[u8],
    ) -> Result<[u64; 3], SysError> {
        use crate::protocol::{ATTACH, BIND, DELIVER, DETACH, LOOKUP, REGISTER, SPAWN, UNIMPORT};
        match op {
            REGISTER if self.hub => self.hub_state.register(text, src, m[3]).map(|()| [0; 3]),
            LOOKUP if self.hub => self
                .hub_state
                .lookup(text)
                .map(|(osnode, handle)| [osnode, handle, 0]),
            BIND => self.bound_here(m[3], [m[4], m[5], m[6]]),
            DELIVER => self
                .delivered_here(m[3], [m[4], m[5], m[6]])
                .map(|()| [0; 3]),
            UNIMPORT => {
                self.remote.unimport(m[3], m[4], m[5]);
                Ok([0; 3])
            }
            SPAWN => self.spawn_here(text).map(|id| [id, 0, 0]),
            ATTACH => {
                sys::invoke(self.kernel, op::KERNEL_KCB_ATTACH, [m[3], m[4], 0, 0]).map(|_| [0; 3])
            }
            DETACH => {
                sys::invoke(self.kernel, op::KERNEL_KCB_DETACH, [m[3], 0, 0, 0]).map(|_| [0; 3])
            }
            _ => Err(SysError::InvalidOperation),
        }
    }
}
