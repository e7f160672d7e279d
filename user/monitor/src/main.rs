//! `monitor`: one per OSNode, the OSNode's link to the others.
//!
//! * On an OSNode the boot driver started, the CPU driver makes the monitor
//!   its first program and gives it the OSNode's resources: the Kernel and
//!   IPI capabilities, the rest of the core's RAM, the boot archive and the
//!   frame of its channel to the hub. It says hello on that channel, then
//!   answers what arrives ([`node`]).
//! * On the first OSNode, init starts the monitor as the *hub* (argument
//!   `hub`): the boot driver hands it each new core's channel frame and the
//!   hub waits for that monitor's hello; it keeps polling every channel
//!   ([`hub`]).
//!
//! Monitors reach each other through the hub (a star): one channel per
//! OSNode, set up by the boot driver when it boots the core. Messages are
//! `corefish::proto::monitor`.

#![no_std]
#![no_main]

extern crate alloc;

mod hub;
mod node;

use corefish::abi::cspace::init;
use corefish::cap::{Cap, kind};

corefish::entry!(main);

fn main() -> i32 {
    let has_channel = Cap::<kind::Frame>::at(init::CHANNEL).identify().is_ok();
    if corefish::args().trim() == "hub" {
        hub::run()
    } else if has_channel {
        node::run()
    } else {
        corefish::println!("monitor: no channel to the hub and not the hub; nothing to do");
        1
    }
}
