//! Requests of this OSNode's programs (`corefish::monitor`), and the
//! deliveries other monitors ask this one to make to its programs.
//!
//! Text and a capability arrive ahead of a request, keyed by the badge of
//! the sender's endpoint (each program has its own badge).

use alloc::string::String;
use alloc::vec::Vec;
use corefish::cap::{Cap, kind};
use corefish::channel::CHANNEL_BYTES;
use corefish::lmp::{self, Message};
use corefish::proto::badge::Badge;
use corefish::proto::intermon::{self, CapDesc};
use corefish::proto::kernel::Exit;
use corefish::proto::monitor::{Delivery, NAME_MAX, Reply, Request};
use corefish::proto::{hub, memserv, refusal};
use corefish::{CPtr, ObjType, SysError, println, ram, slots};

use crate::Monitor;
use crate::remote_caps::{describe, travels};

/// What a program sent ahead of its next request.
struct Pending {
    badge: u64,
    text: Vec<u8>,
    cap: Option<CPtr>,
}

/// A name exported by a program of this OSNode.
struct Service {
    name: String,
    endpoint: CPtr,
}

/// A delivery its receiver could not take yet: (endpoint, delivery,
/// capability, whether the capability is the monitor's to delete once
/// delivered).
type Undelivered = (CPtr, Delivery, CPtr, bool);

/// Request state.
#[derive(Default)]
pub struct Requests {
    pending: Vec<Pending>,
    /// Exported names; the handle is the index.
    services: Vec<Service>,
    next_binding: u64,
    /// Deliveries waiting for their receiver (it takes one capability at a
    /// time), oldest first.
    undelivered: alloc::collections::VecDeque<Undelivered>,
}

impl Requests {
    fn pending(&mut self, badge: u64) -> &mut Pending {
        let i = match self.pending.iter().position(|p| p.badge == badge) {
            Some(i) => i,
            None => {
                self.pending.push(Pending {
                    badge,
                    text: Vec::new(),
                    cap: None,
                });
                self.pending.len() - 1
            }
        };
        &mut self.pending[i]
    }

    /// Takes what came ahead of a request.
    fn take(&mut self, badge: u64) -> (Vec<u8>, Option<CPtr>) {
        let p = self.pending(badge);
        (core::mem::take(&mut p.text), p.cap.take())
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
            Ok(_) => return self.refuse(&m, "a program request", SysError::NotAllowed),
            Err(e) if !e.is_unknown() => return self.refuse(&m, e, SysError::InvalidOperation),
            Err(_) => {}
        }
        if let Ok(exit) = Exit::from_words(m.words) {
            return match from {
                Some(Badge::Exit(id)) => self.program_ended(id, exit.kind, exit.code),
                _ => println!("monitor: an exit notice from {from:?}, not the kernel: ignored"),
            };
        }
        if !self.hub
            && let Ok(memserv::Request::Alloc { bytes, .. }) = memserv::Request::from_words(m.words)
        {
            if !program {
                return self.refuse(&m, "a memory request", SysError::NotAllowed);
            }
            return self.serve_memory(&m, bytes);
        }
        match hub::Request::from_words(m.words) {
            Ok(request) if self.hub && from == Some(Badge::BootDriver) => {
                self.boot_driver_request(request, m)
            }
            Ok(_) if self.hub => self.refuse(&m, "a boot driver's request", SysError::NotAllowed),
            Ok(_) => self.refuse(&m, "not the hub", SysError::InvalidOperation),
            Err(e) => self.refuse(&m, e, SysError::InvalidOperation),
        }
    }

    /// Refuses a message this monitor does not serve, with `error` (if it
    /// expects a reply; anything else it brought is deleted).
    fn refuse(&self, m: &Message, why: impl core::fmt::Display, error: SysError) {
        println!(
            "monitor: {why} from {:?}: {error}",
            Badge::from_word(m.badge)
        );
        if m.cap.is_some() {
            let _ = lmp::reply(m, refusal(m.words[0], error), None);
        }
    }

    /// A program's message: text or a capability for its next request, or
    /// the request, which is answered.
    fn program_message(&mut self, request: Request, m: Message) {
        match request {
            Request::Text(text) => self
                .requests
                .pending(m.badge)
                .text
                .extend_from_slice(text.as_bytes()),
            Request::Cap => {
                if let Some(cap) = m.cap
                    && let Some(old) = self.requests.pending(m.badge).cap.replace(cap)
                {
                    discard(old);
                }
            }
            request => {
                let (text, cap) = self.requests.take(m.badge);
                let (reply, give) = self.program_request(request, &text, cap);
                if let Err(e) = lmp::reply(&m, reply.to_words(), give) {
                    println!("monitor: cannot answer a program: {e}");
                }
            }
        }
    }

    /// One request; returns the reply and a capability to give with it.
    fn program_request(
        &mut self,
        request: Request,
        text: &[u8],
        cap: Option<CPtr>,
    ) -> (Reply, Option<CPtr>) {
        let cap = cap.ok_or(SysError::SlotEmpty);
        match request {
            Request::Export => (Reply::Export(cap.and_then(|c| self.export(text, c))), None),
            Request::Connect => match self.connect(text) {
                Ok((binding, frame)) => (Reply::Connect(Ok(binding)), Some(frame)),
                Err(e) => (Reply::Connect(Err(e)), None),
            },
            Request::SendCap => (
                Reply::SendCap(cap.and_then(|c| self.send_cap(text, c))),
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
            Request::Text(_) | Request::Cap => {
                // Handled as they come; never a request of their own.
                if let Ok(cap) = cap {
                    discard(cap);
                }
                (Reply::Export(Err(SysError::InvalidOperation)), None)
            }
        }
    }

    /// EXPORT: records the service here and its name at the hub.
    fn export(&mut self, name: &[u8], endpoint: CPtr) -> Result<(), SysError> {
        let name_text = core::str::from_utf8(name).map_err(|_| SysError::BadArgument)?;
        if name.is_empty() || name.len() > NAME_MAX {
            discard(endpoint);
            return Err(SysError::BadArgument);
        }
        let handle = self.requests.services.len() as u64;
        let registered = if self.hub {
            let me = self.me;
            self.hub_state.register(name, me, handle)
        } else {
            match self.call_remote(0, intermon::Request::Register { handle }, name) {
                Ok(intermon::Reply::Register(result)) => result,
                Ok(_) => Err(SysError::InvalidOperation),
                Err(e) => Err(e),
            }
        };
        match registered {
            Ok(()) => {
                self.requests.services.push(Service {
                    name: name_text.into(),
                    endpoint,
                });
                Ok(())
            }
            Err(e) => {
                discard(endpoint);
                Err(e)
            }
        }
    }

    /// Where a name is served: (OSNode, handle).
    fn lookup(&mut self, name: &[u8]) -> Result<(u64, u64), SysError> {
        if self.hub {
            self.hub_state.lookup(name)
        } else {
            match self.call_remote(0, intermon::Request::Lookup, name)? {
                intermon::Reply::Lookup(found) => found.map(|f| (f.osnode, f.handle)),
                _ => Err(SysError::InvalidOperation),
            }
        }
    }

    /// CONNECT: a channel frame from this monitor's RAM, one end for the
    /// exporter (through its monitor), the other for the caller.
    fn connect(&mut self, name: &[u8]) -> Result<(u64, CPtr), SysError> {
        let (osnode, handle) = self.lookup(name)?;
        let frame = ram::alloc(ObjType::Frame, CHANNEL_BYTES)?;
        let id = Cap::<kind::Frame>::at(frame).identify()?;
        self.requests.next_binding += 1;
        let binding = self.requests.next_binding;
        let result = if osnode == self.me {
            self.deliver(handle, Delivery::Bound { binding }, frame, false)
        } else {
            self.remote.export(self.kernel, frame, id, osnode)?;
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
            sent
        };
        result.map(|()| (binding, frame))
    }

    /// SEND_CAP: a copy of `cap` for the exporter of `name`.
    fn send_cap(&mut self, name: &[u8], cap: CPtr) -> Result<(), SysError> {
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
            let cap = describe(&export.cap);
            let importers = export.importers.clone();
            for osnode in importers {
                match self.call_remote(osnode, intermon::Request::Unimport { cap }, &[])? {
                    intermon::Reply::Unimport(result) => result?,
                    _ => return Err(SysError::InvalidOperation),
                }
            }
            self.remote.drop_export(self.kernel, i);
        }
    }

    /// Sends `op` with a copy of `cap` to the program that exported
    /// `handle`, now or (if it cannot take it yet) later; the monitor never
    /// waits for a program. `owned`: `cap` is a copy made for this delivery,
    /// deleted once delivered.
    fn deliver(
        &mut self,
        handle: u64,
        delivery: Delivery,
        cap: CPtr,
        owned: bool,
    ) -> Result<(), SysError> {
        let Some(service) = self.requests.services.get(handle as usize) else {
            if owned {
                discard(cap);
            }
            return Err(SysError::SlotEmpty);
        };
        let endpoint = service.endpoint;
        self.requests
            .undelivered
            .push_back((endpoint, delivery, cap, owned));
        self.retry_deliveries();
        Ok(())
    }

    /// Whether deliveries wait for their receivers.
    pub fn deliveries_waiting(&self) -> bool {
        !self.requests.undelivered.is_empty()
    }

    /// Delivers what waits, in order, as far as the receivers take it;
    /// whether any went.
    pub fn retry_deliveries(&mut self) -> bool {
        let mut progress = false;
        while let Some(&(endpoint, delivery, cap, owned)) = self.requests.undelivered.front() {
            match lmp::try_send(Cap::at(endpoint), delivery.to_words(), Some(cap)) {
                Err(SysError::EndpointFull | SysError::NoReceiveSlot) => break,
                result => {
                    if let Err(e) = result {
                        println!("monitor: a delivery was lost: {e}");
                    }
                    self.requests.undelivered.pop_front();
                    if owned {
                        discard(cap);
                    }
                    progress = true;
                }
            }
        }
        progress
    }

    /// BIND from another monitor: this OSNode's copy of the channel frame
    /// goes to the exporter.
    pub fn bound_here(&mut self, handle: u64, frame: CapDesc) -> Result<u64, SysError> {
        let copy = self.remote.import_copy(self.kernel, frame)?;
        self.requests.next_binding += 1;
        let binding = self.requests.next_binding;
        self.deliver(handle, Delivery::Bound { binding }, copy, true)?;
        Ok(binding)
    }

    /// DELIVER from another monitor: this OSNode's copy of a capability
    /// goes to the exporter.
    pub fn delivered_here(&mut self, handle: u64, cap: CapDesc) -> Result<(), SysError> {
        let copy = self.remote.import_copy(self.kernel, cap)?;
        self.deliver(handle, Delivery::CapArrived, copy, true)
    }

    /// A node monitor is its OSNode's memory server.
    fn serve_memory(&mut self, m: &Message, bytes: u64) {
        match ram::alloc_ram(bytes.clamp(4096, 64 << 20)) {
            Ok(cap) => {
                let _ = lmp::reply(m, memserv::Reply::Alloc(Ok(())).to_words(), Some(cap));
                discard(cap);
            }
            Err(e) => {
                let _ = lmp::reply(m, memserv::Reply::Alloc(Err(e)).to_words(), None);
            }
        }
    }

    /// The names exported here (for messages).
    pub fn service_name(&self, handle: u64) -> Option<&str> {
        self.requests
            .services
            .get(handle as usize)
            .map(|s| s.name.as_str())
    }
}
