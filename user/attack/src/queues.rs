//! Messages lost, blocked or forged: a child's exit notice dropped on a
//! full ring, a monitor's deliveries held up by one receiver, an exit
//! notice sent by a program.

use corefish::abi::cspace::task;
use corefish::cap::Cap;
use corefish::proto::kernel::{Exit, ExitKind, Missed};
use corefish::spawn::{self, Spec};
use corefish::{ObjType, lmp, modules, monitor, println, ram, sys};

use crate::{Verdict, broken, discard, refused, succeeded};

/// The ring exit notices arrive on in `flood-exit`.
const EXIT_RING: usize = 3;

/// `flood-exit`: fills the ring its child's exit notice will arrive on,
/// lets the child end, then empties the ring and waits for the notice.
pub fn flood_exit() -> Verdict {
    let Ok(me) = lmp::endpoint_to_self(EXIT_RING) else {
        return broken!("no endpoint");
    };
    let filler = [0x5a5a, 0, 0, 0];
    let mut queued = 0;
    while lmp::try_send(me, filler, None).is_ok() {
        queued += 1;
    }
    if queued == 0 {
        return broken!("could not fill its own ring");
    }
    let Some(image) = modules::get("hello") else {
        return broken!("no `hello` in the boot archive");
    };
    let spec = Spec {
        name: "hello",
        image,
        args: "flood",
        ram_bytes: 1 << 20,
        caps: &[],
        exit_endpoint: Some(me.cptr()),
        from: None,
    };
    let child = match spawn::spawn(&spec) {
        Ok(child) => child,
        Err(e) => return broken!("cannot start a child: {e}"),
    };
    // The child runs and ends while the ring is full; then the ring is
    // emptied (the fillers, and whatever the kernel says), and watched a
    // while longer.
    sys::sleep_until(sys::time_ns() + 2_000_000_000);
    let deadline = sys::time_ns() + 2_000_000_000;
    let mut verdict = succeeded!("its child's exit notice was dropped: the ring was full");
    while let Some(m) =
        lmp::try_recv(EXIT_RING).or_else(|| lmp::recv_any(&[EXIT_RING], deadline).map(|(_, m)| m))
    {
        if m.words == filler {
            continue;
        }
        if Exit::from_words(m.words).is_ok() {
            // It ended after the ring had room again: nothing was tried.
            verdict = broken!("the child ended only after the ring was emptied");
            break;
        }
        if m.badge == lmp::MISSED_BADGE && Missed::from_words(m.words).is_ok() {
            verdict = match child.ended() {
                Some((kind, code)) => refused!(
                    "the kernel marked the notice missed; the child's state says it ended ({kind:?}, {code})"
                ),
                None => broken!("a notice was missed, but the child has not ended"),
            };
            break;
        }
    }
    let _ = child.kill();
    verdict
}

/// `deliver-block`: a name whose receiver takes no capability (its ring's
/// slot is full and never emptied) holds a capability the monitor cannot
/// deliver; a second name's delivery must still arrive.
pub fn deliver_block() -> Verdict {
    let tag = sys::tsc() & 0xffff;
    let (stuck, open) = (alloc::format!("stuck-{tag}"), alloc::format!("open-{tag}"));
    let frame = match ram::alloc(ObjType::Frame, 4096) {
        Ok(frame) => frame,
        Err(e) => return broken!("no frame: {e}"),
    };
    if let Err(e) = monitor::export(&stuck, 4).and_then(|()| monitor::export(&open, 5)) {
        return broken!("export: {e}");
    }
    // The first fills ring 4's slot, which this program never empties.
    for _ in 0..2 {
        if let Err(e) = monitor::send_cap(&stuck, frame) {
            return broken!("sending to {stuck}: {e}");
        }
    }
    if let Err(e) = monitor::send_cap(&open, frame) {
        return broken!("sending to {open}: {e}");
    }
    let verdict = match monitor::receive_cap(5, sys::time_ns() + 3_000_000_000) {
        Some(cap) => {
            discard(cap);
            refused!("a delivery to another receiver went past the stuck one")
        }
        None => succeeded!("one receiver that takes nothing held up every later delivery"),
    };
    discard(frame);
    verdict
}

/// `flood-init`: fills init's inbox, then ends at once: its own exit
/// notice finds init's ring full. The verdict is the shell's: `run` must
/// report this program's end (the test checks it); the line printed here
/// says how full the ring was.
pub fn flood_init() -> i32 {
    let init = Cap::at(task::PARENT_ENDPOINT);
    let mut sent = 0u64;
    // Messages init refuses (no reply endpoint: no answer either).
    while lmp::try_send(init, [0x7ead, sent, 0, 0], None).is_ok() {
        sent += 1;
        if sent >= 64 {
            break;
        }
    }
    println!("attack flood-init: {sent} messages queued at init; ending now");
    0
}

/// How many programs `forge-exit` has the hub start.
const VICTIMS: u64 = 12;
/// The ring a victim is bound on.
const VICTIM_RING: usize = 3;

/// `forge-exit`: has the hub start victims on this core (their ids at the
/// hub, 1 up, include this program's badge there, which is its id at
/// init), sends the hub an exit notice as the kernel would for a program
/// whose id is that badge, then checks that every victim still answers.
pub fn forge_exit() -> Verdict {
    let core = corefish::core_id();
    let tag = sys::tsc() & 0xffff;
    for i in 0..VICTIMS {
        let command = alloc::format!("attack victim victim-{tag}-{i}");
        if let Err(e) = monitor::spawn_on(core, &command) {
            return broken!("the hub starts no victim: {e}");
        }
    }
    // Not while the victims export: a victim whose id at the hub is this
    // program's badge there would have its requests mixed with this one's.
    sys::sleep_until(sys::time_ns() + 3_000_000_000);
    let mut victims = alloc::vec::Vec::new();
    for i in 0..VICTIMS {
        let name = alloc::format!("victim-{tag}-{i}");
        let deadline = sys::time_ns() + 10_000_000_000;
        match monitor::connect_when_exported(&name, deadline) {
            Ok(channel) => victims.push((name, channel)),
            Err(e) => return broken!("victim {name} cannot be reached: {e}"),
        }
    }
    let forged = Exit {
        kind: ExitKind::Exited,
        id: 0,
        code: 77,
    };
    if let Err(e) = lmp::send(Cap::at(task::MONITOR_ENDPOINT), forged.to_words(), None) {
        return refused!("cannot send the hub an exit notice: {e}");
    }
    sys::sleep_until(sys::time_ns() + 500_000_000);
    let mut dead = alloc::vec::Vec::new();
    for (name, channel) in &mut victims {
        let ping = [1u64, 0, 0, 0, 0, 0, 0];
        let deadline = sys::time_ns() + 2_000_000_000;
        let answered = channel.send(&ping, deadline).is_ok() && channel.recv(deadline).is_some();
        // A second message ends the victim.
        let _ = channel.send(&[2u64, 0, 0, 0, 0, 0, 0], sys::time_ns() + 100_000_000);
        if !answered {
            dead.push(name.clone());
        }
    }
    if dead.is_empty() {
        refused!("all {VICTIMS} victims answer after a forged exit notice")
    } else {
        succeeded!("a forged exit notice (code 77) ended {dead:?}")
    }
}

/// A victim of `forge-exit`: exports `name`, answers one ping on the
/// channel bound to it, ends at the next message (or after a minute).
pub fn victim(name: Option<&str>) -> i32 {
    let Some(name) = name else {
        return 2;
    };
    if monitor::export(name, VICTIM_RING).is_err() {
        return 1;
    }
    let deadline = sys::time_ns() + 60_000_000_000;
    let Some(mut channel) = monitor::accept(VICTIM_RING, deadline) else {
        return 1;
    };
    while let Some(message) = channel.recv(deadline) {
        if message[0] != 1 {
            break;
        }
        let _ = channel.send(&message, deadline);
    }
    0
}
