//! The monitor of an OSNode the boot driver started: takes the OSNode's
//! RAM, says hello to the hub, then answers the hub's messages.

use corefish::abi::cspace::{CPtr, init};
use corefish::channel::{Channel, Side, Waiting};
use corefish::proto::monitor::{HELLO, PING, PONG};
use corefish::{println, ram, sys};

/// Runs the monitor; returns only if its channel cannot be used.
pub fn run() -> i32 {
    let mut regions = 0;
    for i in 0..256 {
        if ram::add(CPtr::new(init::RAM_CNODE, i)).is_ok() {
            regions += 1;
        }
    }
    let mut hub = match Channel::open(init::CHANNEL, Side::B) {
        Ok(c) => c,
        Err(e) => {
            println!("monitor: cannot map the channel to the hub: {e}");
            return 1;
        }
    };
    let core = corefish::core_id();
    // Said before the hello, so that it is on the console before the boot
    // driver reports the core booted.
    println!(
        "monitor: core {core} up, {} KiB of RAM in {regions} regions",
        ram::available() >> 10
    );
    let hello = [HELLO, core, 0, sys::tsc(), 0, 0, 0];
    if let Err(e) = hub.send(&hello, 0) {
        println!("monitor: cannot reach the hub: {e}");
        return 1;
    }
    let mut waiting = Waiting::new(0);
    loop {
        let Some(message) = hub.try_recv() else {
            waiting.pause();
            continue;
        };
        waiting.reset();
        match message[0] {
            PING => {
                let mut answer = message;
                answer[0] = PONG;
                if let Err(e) = hub.send(&answer, 0) {
                    println!("monitor: cannot answer the hub: {e}");
                }
            }
            other => println!("monitor: unknown message {other:#x} from the hub"),
        }
    }
}
