//! `attack MODE`: a hostile program. Started from the shell like any
//! other, with the capabilities every program gets, it tries one way of
//! reaching beyond them and prints `attack MODE: refused (...)` when the
//! system stopped it, or `attack MODE: succeeded (...)` when it did not.
//! The QEMU tests run every mode and then check that the machine still
//! works.
//!
//! | mode | what it tries |
//! |---|---|
//! | `hub-park` | have the hub park a KCB forged in its own frame on core 0 |
//! | `hub-hijack` | give the hub a channel as core 1's monitor |
//! | `hub-hang` | make the hub wait inside a boot driver's request |
//! | `revoke-archive` | revoke its read-only copy of the boot archive (init's goes too) |
//! | `revoke-endpoint` | revoke its copy of the memory server's endpoint |
//! | `rights-retype` | retype RAM without some rights into objects that have them |
//! | `rights-import` | receive from another OSNode more rights than were sent |
//! | `command-kill` | have init kill the memory server |
//! | `listen` | take the console's input from the shell |
//! | `memory` | take all the memory server's RAM |
//! | `name-squat` | register names without end |
//! | `strand` | keep its memory from going back by sending a frame of it to another core |
//! | `flood-exit` | lose its child's exit notice by filling the ring it arrives on |
//! | `flood-init` | lose its own exit notice by filling init's inbox (`run` must still return) |
//! | `deliver-block` | block every delivery of its monitor with a receiver that takes none |
//! | `forge-exit` | send the hub a program's exit notice, killing a program the hub started |

#![no_std]
#![no_main]

extern crate alloc;

mod caps;
mod hub;
mod queues;
mod services;

use alloc::string::String;
use corefish::cap::{Cap, kind};
use corefish::lmp::{self, Message};
use corefish::{CPtr, SysError, println, sys};

corefish::entry!(main);

/// What came of an attack.
pub enum Verdict {
    /// The system stopped it, for this reason.
    Refused(String),
    /// It worked: what it did.
    Succeeded(String),
    /// It could not be tried: what went wrong (a test counts this as a
    /// failure too).
    Broken(String),
}

/// `Verdict::Refused(format!(...))`.
#[macro_export]
macro_rules! refused {
    ($($arg:tt)*) => { $crate::Verdict::Refused(alloc::format!($($arg)*)) };
}

/// `Verdict::Broken(format!(...))`.
#[macro_export]
macro_rules! broken {
    ($($arg:tt)*) => { $crate::Verdict::Broken(alloc::format!($($arg)*)) };
}

/// `Verdict::Succeeded(format!(...))`.
#[macro_export]
macro_rules! succeeded {
    ($($arg:tt)*) => { $crate::Verdict::Succeeded(alloc::format!($($arg)*)) };
}

fn main() -> i32 {
    let args = corefish::args();
    let mut words = args.split_whitespace();
    let mode = words.next().unwrap_or("");
    let rest: alloc::vec::Vec<&str> = words.collect();
    let verdict = match mode {
        "hub-park" => hub::park(),
        "hub-hijack" => hub::hijack(),
        "hub-hang" => hub::hang(),
        "revoke-archive" => caps::revoke_archive(),
        "revoke-endpoint" => caps::revoke_endpoint(),
        "rights-retype" => caps::rights_retype(),
        "rights-import" => return caps::rights_import(),
        "rights-import-peer" => return caps::rights_import_peer(rest.first().copied()),
        "command-kill" => services::command_kill(),
        "listen" => services::listen(),
        "memory" => services::memory(),
        "name-squat" => services::name_squat(),
        "strand" => services::strand(),
        "strand-receiver" => return services::strand_receiver(rest.first().copied()),
        "flood-exit" => queues::flood_exit(),
        "flood-init" => return queues::flood_init(),
        "deliver-block" => queues::deliver_block(),
        "forge-exit" => queues::forge_exit(),
        "victim" => return queues::victim(rest.first().copied()),
        _ => {
            println!("usage: attack MODE (see the program's documentation)");
            return 2;
        }
    };
    match verdict {
        Verdict::Refused(why) => println!("attack {mode}: refused ({why})"),
        Verdict::Succeeded(what) => println!("attack {mode}: succeeded ({what})"),
        Verdict::Broken(what) => println!("attack {mode}: could not run ({what})"),
    }
    0
}

/// Sends `words` (and `cap`) to `server` with an endpoint for the reply,
/// and waits for the reply until `timeout_ns` from now; `None` if none
/// came by then (unlike `lmp::call`, which waits for ever).
pub fn call_within(
    server: CPtr,
    words: [u64; 4],
    timeout_ns: u64,
) -> Result<Option<Message>, SysError> {
    let reply = lmp::endpoint_to_self(lmp::REPLIES)?;
    lmp::arm(lmp::REPLIES)?;
    lmp::send(Cap::<kind::EndPoint>::at(server), words, Some(reply.cptr()))?;
    let _ = reply.delete();
    Ok(lmp::recv_any(&[lmp::REPLIES], sys::time_ns() + timeout_ns).map(|(_, m)| m))
}

/// Deletes a capability this program no longer needs.
pub fn discard(cap: CPtr) {
    let _ = Cap::<kind::Any>::at(cap).delete();
    corefish::slots::free(cap);
}
