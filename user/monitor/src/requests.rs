//! Requests of this OSNode's programs (`corefish::monitor`): names
//! ([`crate::services`]), channels and capabilities to them (delivered by
//! [`crate::deliveries`]), revocations, programs on other cores.
//!
//! Text and a capability arrive ahead of a request, keyed by the badge of
//! the sender's endpoint (each program has its own badge); text is bounded.

use alloc::vec::Vec;
use corefish::cap::{Cap, kind};
use corefish::channel::CHANNEL_BYTES;
use corefish::lmp::{self, Message};
use corefish::proto::badge::Badge;
use corefish::proto::intermon;
use corefish::proto::kernel::{Exit, Missed};
use corefish::proto::monitor::{Delivery, Reply, Request};
use corefish::proto::{hub, memserv, refusal};
use corefish::{CPtr, ObjType, SysError, ram, slots};

use crate::Monitor;
use crate::remote_caps::{describe, travels};

/// What a program sent ahead of its next request.
struct Pending {
    badge: u64,
    text: Vec<u8>,
    /// More text came than [`TEXT_MAX`]: the request is refused.
    too_long: bool,
    cap: Option<CPtr>,
}

/// Most bytes of text a program may send ahead of one request (a name or
/// a command line is far less): more is refused with its request.
const TEXT_MAX: usize = 1024;

/// Most channels one program makes in its life (each a page of the
/// monitor's memory).
const CONNECTS_PER_PROGRAM: u64 = 256;

/// Request state.
#[derive(Default)]
pub struct Requests {
    /// Channels made for each program so far (by badge).
    connects: Vec<(u64, u64)>,
    /// What programs sent ahead of their next request (an entry while
    /// something waits).
    pending: Vec<Pending>,
    /// Binding ids.
    pub next_binding: u64,
    /// Names exported here.
    pub services: crate::services::Services,
    /// Deliveries waiting for their receivers.
    pub deliveries: crate::deliveries::Deliveries,
}

impl Requests {
    fn pending(&mut self, badge: u64) -> &mut Pending {
        let i = match self.pending.iter().position(|p| p.badge == badge) {
            Some(i) => i,
            None => {
                self.pending.push(Pending {
                    badge,
                    text: Vec::new(),
                    too_long: false,
                    cap: None,
                });
                self.pending.len() - 1
            }
        };
        &mut self.pending[i]
    }

    /// Counts one more channel for `badge`; false past
    /// [`CONNECTS_PER_PROGRAM`].
    fn count_connect(&mut self, badge: u64) -> bool {
        let i = match self.connects.iter().position(|c| c.0 == badge) {
            Some(i) => i,
            None => {
                self.connects.push((badge, 0));
                self.connects.len() - 1
            }
        };
        self.connects[i].1 += 1;
        self.connects[i].1 <= CONNECTS_PER_PROGRAM
    }

    /// Adds text for `badge`'s next request (as far as [`TEXT_MAX`]).
    fn add_text(&mut self, badge: u64, text: &[u8]) {
        let p = self.pending(badge);
        if p.text.len() + text.len() > TEXT_MAX {
            p.too_long = true;
        } else {
            p.text.extend_from_slice(text);
        }
    }

    /// Takes what came ahead of a request: the text (`Err` if too long)
    /// and the capability.
    fn take(&mut self, badge: u64) -> (Result<Vec<u8>, SysError>, Option<CPtr>) {
        let Some(i) = self.pending.iter().position(|p| p.badge == badge) else {
            return (Ok(Vec::new()), None);
        };
        let p = self.pending.swap_remove(i);
        let text = if p.too_long {
            Err(SysError::BadArgument)
        } else {
            Ok(p.text)
        };
        (text, p.cap)
    }
}

/// Deletes a capability this monitor holds only for a moment.
fn discard(cap: CPtr) {
    let _ = Cap::<kind::Any>::at(cap).delete();
    slots::free(cap);
}

impl Monitor {
    /// An LMP message on the monitor's inbox: a program's request, a
    /// program's end, a request for memory (a node monitor is its OSNode's
    /// memory server) or the boot driver's (the hub). What a message may
    /// ask is decided by the badge it came with (`proto::badge`): programs
    /// (and init, unbadged) make program requests, only the kernel's exit
    /// endpoints report ends, only the boot driver's endpoint makes its
    /// requests.
    pub fn handle_lmp(&mut self, m: Message) {
        let from = Badge::from_word(m.badge);
        let program = from.is_some_and(|b| b.is_program() || b == Badge::Unbadged);
        match Request::from_words(m.words) {
            Ok(request) if program => return self.program_message(request, m),
            Ok(_) => return self.refuse(&m, SysError::NotAllowed),
            Err(e) if !e.is_unknown() => return self.refuse(&m, SysError::InvalidOperation),
            Err(_) => {}
        }
        if m.badge == lmp::MISSED_BADGE && Missed::from_words(m.words).is_ok() {
            // Exit notices did not fit in the inbox.
            return self.reap_programs();
        }
        if let Ok(exit) = Exit::from_words(m.words) {
            // The kernel sends no capability with it; one that came goes.
            if let Some(cap) = m.cap {
                discard(cap);
            }
            // Only from the kernel; anyone else's is ignored.
            if let Some(Badge::Exit(id)) = from {
                self.program_ended(id, exit.kind, exit.code);
            }
            return;
        }
        if let Ok(request) = memserv::Request::from_words(m.words) {
            // The programs this monitor started take their memory here.
            return match from {
                Some(Badge::Hosted(_)) => self.serve_memory(&m, m.badge, request),
                _ => self.refuse(&m, SysError::NotAllowed),
            };
        }
        match hub::Request::from_words(m.words) {
            Ok(request) if self.hub && from == Some(Badge::BootDriver) => {
                self.boot_driver_request(request, m)
            }
            Ok(_) if self.hub => self.refuse(&m, SysError::NotAllowed),
            Ok(_) => self.refuse(&m, SysError::InvalidOperation),
            Err(_) => self.refuse(&m, SysError::InvalidOperation),
        }
    }

    /// Refuses a message this monitor does not serve, with `error` (if it
    /// expects a reply; anything else it brought is deleted). Refusals are
    /// answered, not logged: no program may fill the console through its
    /// monitor.
    fn refuse(&self, m: &Message, error: SysError) {
        if m.cap.is_some() {
            let _ = lmp::reply(m, refusal(m.words[0], error), None);
        }
    }

    /// A program's message: text or a capability for its next request, or
    /// the request, which is answered.
    fn program_message(&mut self, request: Request, m: Message) {
        match request {
            Request::Ended { badge } => {
                if let Some(cap) = m.cap {
                    discard(cap);
                }
                // Only the spawner (init, unbadged) says who ended.
                if m.badge == 0 {
                    self.forget_program(badge);
                }
            }
            Request::Text(text) => {
                // Text brings no capability; one that came goes.
                if let Some(cap) = m.cap {
                    discard(cap);
                }
                self.requests.add_text(m.badge, text.as_bytes())
            }
            Request::Cap => {
                if let Some(cap) = m.cap
                    && let Some(old) = self.requests.pending(m.badge).cap.replace(cap)
                {
                    discard(old);
                }
            }
            request => {
                let (text, cap) = self.requests.take(m.badge);
                let (reply, give) = match text {
                    Ok(text) => self.program_request(m.badge, request, &text, cap),
                    Err(e) => {
                        if let Some(cap) = cap {
                            discard(cap);
                        }
                        (Reply::refusal(request, e), None)
                    }
                };
                // A program that takes no answer is its own problem. What
                // went with the reply (a channel frame) is the caller's: the
                // monitor keeps no copy.
                let _ = lmp::reply(&m, reply.to_words(), give);
                if let Some(cap) = give {
                    discard(cap);
                }
            }
        }
    }

    /// The program with badge `badge` ended: its names and whatever it sent
    /// ahead of a request go.
    pub fn forget_program(&mut self, badge: u64) {
        self.forget_exporter(badge);
        self.unexport_sent_by(badge);
        self.requests.connects.retain(|c| c.0 != badge);
        let (_, cap) = self.requests.take(badge);
        if let Some(cap) = cap {
            discard(cap);
        }
    }

    /// The copies on other OSNodes of what the program with badge `badge`
    /// sent go (their importers revoke them), and so do their anchors: its
    /// memory can then go back to whoever lent it (the memory server, or a
    /// monitor), which a remote copy would keep from being revoked.
    fn unexport_sent_by(&mut self, badge: u64) {
        if badge == 0 {
            return;
        }
        while let Some(i) = self.remote.exports.iter().position(|e| e.sender == badge) {
            let export = &self.remote.exports[i];
            let (anchor, cap) = (export.anchor, describe(&export.cap));
            let mut all_gone = true;
            for osnode in export.importers.clone() {
                // An importer keeps one import per range: if another export
                // of this range went there too (a channel's frame, someone
                // else's copy), its copies are not this program's to take.
                if self.remote.shares_import(anchor, osnode) {
                    continue;
                }
                let unimported = self.call_remote(osnode, intermon::Request::Unimport { cap }, &[]);
                all_gone &= matches!(unimported, Ok(intermon::Reply::Unimport(Ok(()))));
            }
            // The calls served other requests meanwhile: find it again.
            let Some(i) = self.remote.exports.iter().position(|e| e.anchor == anchor) else {
                continue;
            };
            if all_gone {
                self.remote.drop_export(self.kernel, i);
            } else {
                // An importer that did not answer may still hold a copy:
                // the anchor stays (and the memory with it), as any
                // export's does until a revoke gets through.
                self.remote.exports[i].sender = 0;
            }
        }
    }

    /// One request; returns the reply and a capability to give with it.
    fn program_request(
        &mut self,
        badge: u64,
        request: Request,
        text: &[u8],
        cap: Option<CPtr>,
    ) -> (Reply, Option<CPtr>) {
        // A capability that came ahead of a request that takes none goes.
        let cap = match request {
            Request::Export | Request::SendCap | Request::Revoke => cap.ok_or(SysError::SlotEmpty),
            _ => {
                if let Some(cap) = cap {
                    discard(cap);
                }
                Err(SysError::SlotEmpty)
            }
        };
        match request {
            Request::Export => (
                Reply::Export(cap.and_then(|c| self.export(badge, text, c))),
                None,
            ),
            Request::Connect => match self.connect(badge, text) {
                // The caller gets the frame; the monitor's copy goes once
                // it went.
                Ok((binding, frame)) => (Reply::Connect(Ok(binding)), Some(frame)),
                Err(e) => (Reply::Connect(Err(e)), None),
            },
            Request::SendCap => (
                Reply::SendCap(cap.and_then(|c| self.send_cap(badge, text, c))),
                None,
            ),
            Request::Revoke => {
                let result = cap.and_then(|cap| {
                    let result = self.revoke_exports(cap);
                    discard(cap);
                    result
                });
                (Reply::Revoke(result), None)
            }
            Request::Spawn { core } => {
                let spawned = core::str::from_utf8(text)
                    .map_err(|_| SysError::BadArgument)
                    .and_then(|text| self.spawn_on_core(core, text));
                (Reply::Spawn(spawned), None)
            }
            Request::Status { core, id } => (Reply::Status(self.status_on_core(core, id)), None),
            Request::Text(_) | Request::Cap | Request::Ended { .. } => {
                // Handled as they come; never a request of their own.
                if let Ok(cap) = cap {
                    discard(cap);
                }
                (Reply::Export(Err(SysError::InvalidOperation)), None)
            }
        }
    }

    /// CONNECT from the program with badge `caller`: a channel frame from
    /// this monitor's RAM, one end for the exporter (through its monitor),
    /// the other for the caller. The monitor keeps no copy (the frame lives
    /// as long as one of the two holds it); a program makes at most
    /// [`CONNECTS_PER_PROGRAM`] channels in its life (to names that were
    /// exported).
    fn connect(&mut self, caller: u64, name: &[u8]) -> Result<(u64, CPtr), SysError> {
        // A name not (yet) exported costs nothing: a program may wait for it.
        let (osnode, handle) = self.lookup(name)?;
        if !self.requests.count_connect(caller) {
            return Err(SysError::OverLimit);
        }
        let frame = ram::alloc(ObjType::Frame, CHANNEL_BYTES)?;
        let id = Cap::<kind::Frame>::at(frame).identify()?;
        self.requests.next_binding += 1;
        let binding = self.requests.next_binding;
        let result = if osnode == self.me {
            let copy = slots::alloc()?;
            Cap::<kind::Frame>::at(frame).copy_to(copy)?;
            self.deliver(handle, Delivery::Bound { binding }, copy, true)
        } else {
            if let Err(e) = self.remote.export(self.kernel, frame, id, osnode) {
                discard(frame);
                return Err(e);
            }
            let bind = intermon::Request::Bind {
                handle,
                frame: describe(&id),
            };
            let sent = match self.call_remote(osnode, bind, &[]) {
                Ok(intermon::Reply::Bind(result)) => result.map(|_| ()),
                Ok(_) => Err(SysError::InvalidOperation),
                Err(e) => Err(e),
            };
            if sent.is_err()
                && let Some(i) = self.remote.exports.iter().position(|e| e.anchor == frame)
            {
                self.remote.drop_export(self.kernel, i);
                return sent.map(|_| (0, frame));
            }
            // The anchor is the monitor's to keep; the caller gets a copy.
            let copy = slots::alloc()?;
            Cap::<kind::Frame>::at(frame).copy_to(copy)?;
            return sent.map(|()| (binding, copy));
        };
        match result {
            Ok(()) => Ok((binding, frame)),
            Err(e) => {
                discard(frame);
                Err(e)
            }
        }
    }

    /// SEND_CAP from the program with badge `sender`: a copy of `cap` for
    /// the exporter of `name`.
    fn send_cap(&mut self, sender: u64, name: &[u8], cap: CPtr) -> Result<(), SysError> {
        let (osnode, handle) = match self.lookup(name) {
            Ok(found) => found,
            Err(e) => {
                discard(cap);
                return Err(e);
            }
        };
        if osnode == self.me {
            return self.deliver(handle, Delivery::CapArrived, cap, true);
        }
        let id = Cap::<kind::Any>::at(cap).identify()?;
        if let Err(e) = travels(&id).and_then(|()| self.remote.export(self.kernel, cap, id, osnode))
        {
            discard(cap);
            return Err(e);
        }
        if let Some(export) = self.remote.exports.last_mut() {
            export.sender = sender;
        }
        let deliver = intermon::Request::Deliver {
            handle,
            cap: describe(&id),
        };
        let sent = match self.call_remote(osnode, deliver, &[]) {
            Ok(intermon::Reply::Deliver(result)) => result,
            Ok(_) => Err(SysError::InvalidOperation),
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            if let Some(i) = self.remote.exports.iter().position(|e| e.anchor == cap) {
                self.remote.drop_export(self.kernel, i);
            }
            return Err(e);
        }
        Ok(())
    }

    /// REVOKE: every export inside `cap` whose anchor the kernel marked
    /// as asked to go (the holder of an original prepared its revoke) loses
    /// its copies elsewhere, then its anchor. Exports nobody with the
    /// authority asked to revoke stay.
    pub fn revoke_exports(&mut self, cap: CPtr) -> Result<(), SysError> {
        let id = Cap::<kind::Any>::at(cap).identify()?;
        loop {
            let asked = self
                .remote
                .exports_inside(id.base, id.size)
                .into_iter()
                .find(|&i| {
                    Cap::<kind::Any>::at(self.remote.exports[i].anchor)
                        .identify()
                        .is_ok_and(|a| a.flags & corefish::caps::FLAG_REVOKING != 0)
                });
            let Some(i) = asked else {
                return Ok(());
            };
            let export = &self.remote.exports[i];
            let (anchor, cap) = (export.anchor, describe(&export.cap));
            let importers = export.importers.clone();
            for osnode in importers {
                match self.call_remote(osnode, intermon::Request::Unimport { cap }, &[])? {
                    intermon::Reply::Unimport(result) => result?,
                    _ => return Err(SysError::InvalidOperation),
                }
            }
            // The calls served other requests meanwhile: the list may have
            // changed.
            if let Some(i) = self.remote.exports.iter().position(|e| e.anchor == anchor) {
                self.remote.drop_export(self.kernel, i);
            }
        }
    }
}
