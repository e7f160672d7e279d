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
//! OSNodes, [`requests`]) and the other monitors over UMP ([`peers`];
//! the messages are `proto::monitor` and `proto::intermon`);
//! a monitor is also the parent and the memory server of the programs it
//! starts ([`programs`], [`memory`]). Capabilities cross OSNodes as
//! descriptions: the sender's monitor keeps an exported anchor, the
//! receiver's makes a foreign copy ([`remote_caps`]).
//!
//! A monitor handles one request at a time; while it waits for another
//! monitor's answer it keeps answering the other monitors (whose requests
//! never wait themselves), so monitors cannot deadlock each other.

#![no_std]
#![no_main]

extern crate alloc;

mod chunks;
mod deliveries;
mod hub;
mod link;
mod memory;
mod parking;
mod peers;
mod programs;
mod remote_caps;
mod requests;
mod services;

use alloc::vec::Vec;
use corefish::abi::cspace::{CPtr, init, root, task};
use corefish::abi::invoke as op;
use corefish::cap::{Cap, kind};
use corefish::channel::{Channel, Side};
use corefish::proto::intermon::Message as Ump;
use corefish::{SysError, lmp, println, ram, sys};

use crate::link::Link;

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
    pub next_request: u64,
    /// Times the monitor woke from blocking before its backstop.
    pub woken: u64,
    /// Text arriving for requests of other monitors: (source, request, bytes).
    pub texts: Vec<(u64, u64, Vec<u8>)>,
    /// Names, channels and capabilities across OSNodes.
    pub remote: remote_caps::RemoteCaps,
    /// Per-program request state and local exports.
    pub requests: requests::Requests,
    /// Programs this monitor started.
    pub programs: programs::Programs,
    /// The hub's own state.
    pub hub_state: hub::HubState,
    /// OSNodes parked on this core, or by the hub elsewhere.
    pub parking: parking::Parking,
    /// Memory lent to the programs this monitor started.
    pub lending: memory::Lending,
    /// The chunks of the machine's memory that memory comes from.
    pub chunks: chunks::Chunks,
    /// The calls to other monitors waiting for their replies.
    pub calls: peers::Calls,
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
        parking: parking::Parking::default(),
        lending: memory::Lending::default(),
        chunks: chunks::Chunks::default(),
        calls: peers::Calls::default(),
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
        let hello = Ump::Hello {
            core: self.core,
            osnode: self.me,
            tsc: sys::tsc(),
        };
        // The first message on an empty channel: it goes.
        let _ = hub.send(hello.to_payload());
        // Said after the hello: the boot driver, which waits for it, goes on
        // while this line (and the kernel's deferred ones) reach the
        // console, so it may come after the boot driver's report.
        println!(
            "monitor: core {} up (OSNode {}), {} KiB of RAM in {regions} regions",
            self.core,
            self.me,
            ram::available() >> 10
        );
        self.links.push(hub);
        Ok(())
    }

    /// Serves programs and monitors (never returns). With nothing to do it
    /// blocks until an LMP message or a notification from another OSNode
    /// arrives, or a backstop passes, or (while deliveries wait for their
    /// receivers) a short while.
    fn run(&mut self) -> i32 {
        loop {
            self.top_up_own_memory();
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
}
