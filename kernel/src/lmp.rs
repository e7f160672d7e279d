//! LMP: kernel-mediated messages between dispatchers of one OSNode. A
//! message (four words, the sender's badge, optionally one capability) is
//! written into a ring of the receiver's dispatcher frame; a capability is
//! copied into the slot the receiver named for that ring; a full ring
//! refuses (`EndpointFull`: the sender retries or gives up, nothing is
//! dropped silently). The kernel also uses LMP for notices: it tells a
//! dispatcher's spawner that it ended, and turns interrupts into messages.
//! A notice cannot wait, so when its ring is full the kernel marks the ring
//! in the frame's `missed` word and wakes the receiver, which learns what
//! it missed from the objects themselves (a child's status, the device).

use abi::cspace::SlotRef;
use abi::dispatcher::{MESSAGE_HAS_CAP, Message, RECEIVE_SLOT_VALID, RING_SLOTS};
use abi::error::SysError;
use abi::invoke::state;
use caps::{Capability, CteAddr, ObjType};
use osnode::PAddr;
use osnode::dcb::DCB_MAGIC;
use proto::kernel::{Exit, ExitKind, Interrupt};

use crate::arch::objects::KernelMemory;
use crate::cspace::{self, sys};
use crate::node;

/// Delivers a message to the dispatcher `endpoint` names. Returns whether
/// that woke it.
pub fn send(
    mem: &mut KernelMemory,
    endpoint: &Capability,
    words: [u64; 4],
    transfer: Option<CteAddr>,
) -> Result<bool, SysError> {
    if endpoint.obj_type() != ObjType::EndPoint {
        return Err(SysError::WrongType);
    }
    let listener = endpoint.base;
    let ring = endpoint.extra as usize;
    if ring >= abi::dispatcher::ENDPOINTS {
        return Err(SysError::BadArgument);
    }
    let (magic, listener_state, kcb, frame_phys) = {
        let d = mem.dcb(listener);
        (d.magic, d.state, d.kcb, d.frame_phys)
    };
    let alive = matches!(
        listener_state,
        state::READY | state::RUNNABLE | state::BLOCKED
    );
    // LMP is local: the receiver must belong to an OSNode this core runs
    // (a sender can only hold endpoints of its own OSNode; interrupts go to
    // whichever OSNode of the core routed them).
    if magic != DCB_MAGIC || !alive || frame_phys == 0 || !node::in_ring(mem, kcb) {
        return Err(SysError::DispatcherNotReady);
    }
    let frame = mem.frame_of(listener).ok_or(SysError::DispatcherNotReady)?;
    let (head, tail) = frame.ring_counters(ring);
    if head.wrapping_sub(tail) as usize >= RING_SLOTS {
        return Err(SysError::EndpointFull);
    }
    let mut flags = 0;
    if let Some(source) = transfer {
        let slot_word = frame.receive_slot(ring);
        if slot_word & RECEIVE_SLOT_VALID == 0 {
            return Err(SysError::NoReceiveSlot);
        }
        let root = mem.dcb(listener).cspace.cap;
        let dest = cspace::dest(mem, &root, SlotRef::unpack(slot_word & !RECEIVE_SLOT_VALID))?;
        let mut mdb_root = mem.kcb(kcb).mdb_root;
        let copied = caps::ops::copy(mem, &mut mdb_root, source, dest);
        mem.kcb(kcb).mdb_root = mdb_root;
        copied.map_err(|e| match e {
            caps::CapError::SlotOccupied => SysError::NoReceiveSlot,
            other => sys(other),
        })?;
        frame.clear_receive_slot(ring);
        flags = MESSAGE_HAS_CAP;
    }
    let message = Message {
        badge: endpoint.word,
        words,
        flags,
        reserved: [0; 2],
    };
    frame.push_message(ring, head, &message);
    let waiting = {
        let d = mem.dcb(listener);
        d.flags & osnode::dcb::WAITING != 0 && d.wait_rings & (1 << ring) != 0
    };
    if waiting {
        osnode::sched::wake(mem, kcb, listener, false);
    }
    Ok(waiting)
}

/// Tells the exit endpoint of `dcb` (if it has one) that it ended.
pub fn notify_exit(mem: &mut KernelMemory, dcb: PAddr, kind: ExitKind, code: u64) {
    let (endpoint, id) = {
        let d = mem.dcb(dcb);
        (d.exit_endpoint.cap, d.id)
    };
    if endpoint.obj_type() != ObjType::EndPoint {
        return;
    }
    notice(mem, &endpoint, Exit { kind, id, code }.to_words());
}

/// Sends a kernel notice; when the receiver's ring is full, marks the
/// notice missed there instead and wakes the receiver if it waits on that
/// ring. Returns whether a dispatcher woke.
fn notice(mem: &mut KernelMemory, endpoint: &Capability, words: [u64; 4]) -> bool {
    match send(mem, endpoint, words, None) {
        Ok(woke) => woke,
        Err(SysError::EndpointFull) => {
            let (listener, ring) = (endpoint.base, endpoint.extra as usize);
            let Some(frame) = mem.frame_of(listener) else {
                return false;
            };
            frame.mark_missed(ring);
            let (kcb, waiting) = {
                let d = mem.dcb(listener);
                let waiting =
                    d.flags & osnode::dcb::WAITING != 0 && d.wait_rings & (1 << ring) != 0;
                (d.kcb, waiting)
            };
            if waiting {
                osnode::sched::wake(mem, kcb, listener, false);
            }
            waiting
        }
        Err(e) => {
            log::debug!("notice {:#x} not delivered: {e}", words[0]);
            false
        }
    }
}

/// Turns interrupt `vector` into a message to the endpoint routed to it.
/// Returns whether a dispatcher woke.
pub fn deliver_interrupt(mem: &mut KernelMemory, vector: u8) -> bool {
    // The OSNode of this core that routed the vector (the current one first).
    let owner = node::ring(mem).into_iter().find(|&k| {
        mem.kcb(k)
            .irq_route(vector)
            .is_some_and(|r| r.endpoint.cap.obj_type() == ObjType::EndPoint)
    });
    let Some(kcb) = owner.or_else(node::current) else {
        return false;
    };
    let (endpoint, gsi_plus_one) = match mem.kcb(kcb).irq_route(vector) {
        Some(route) => {
            route.count += 1;
            (route.endpoint.cap, route.gsi_plus_one)
        }
        None => return false,
    };
    // A level-triggered line stays asserted until the driver has served the
    // device: mask it until the driver acknowledges (IRQ_ACK).
    if gsi_plus_one != 0 && crate::arch::irq::is_level(u64::from(gsi_plus_one - 1)) {
        crate::arch::irq::mask(u64::from(gsi_plus_one - 1));
    }
    send_interrupt(mem, &endpoint, vector)
}

/// Tells the driver behind OSNode `kcb`'s route of `vector` to look at its
/// device, as an interrupt would (without counting one): after its line
/// was re-pointed at another core, an edge that reached the old core while
/// it stopped was never served, and an edge-triggered device keeps its
/// line raised (sending no new edge) until its driver serves it.
pub fn replay_interrupt(mem: &mut KernelMemory, kcb: PAddr, vector: u8) -> bool {
    let Some(endpoint) = mem.kcb(kcb).irq_route(vector).map(|r| r.endpoint.cap) else {
        return false;
    };
    send_interrupt(mem, &endpoint, vector)
}

/// Sends the interrupt message for `vector` to `endpoint`; returns whether
/// it made a dispatcher runnable.
fn send_interrupt(mem: &mut KernelMemory, endpoint: &Capability, vector: u8) -> bool {
    if endpoint.obj_type() != ObjType::EndPoint {
        return false;
    }
    notice(mem, endpoint, Interrupt { vector }.to_words())
}
