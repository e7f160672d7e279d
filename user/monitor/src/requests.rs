//! Requests of this OSNode's programs (`corefish::monitor`), and the
//! deliveries other monitors ask this one to make to its programs.
//!
//! Text and a capability arrive ahead of a request, keyed by the badge of
//! the sender's endpoint (each program has its own badge).

use alloc::string::String;
use alloc::vec::Vec;
use corefish::abi::dispatcher::EXIT_MESSAGE;
use corefish::cap::{Cap, kind};
use corefish::channel::CHANNEL_BYTES;
use corefish::lmp::{self, Message};
use corefish::monitor::{
    BOUND, CAP, CAP_ARRIVED, CONNECT, EXPORT, REPLY, REVOKE, SEND_CAP, SPAWN, TEXT,
};
use corefish::proto::memserv::MEM_REQUEST;
use corefish::proto::{monitor as boot, serial};
use corefish::{CPtr, ObjType, SysError, println, ram, slots};

use crate::Monitor;
use crate::protocol::{BIND, DELIVER, LOOKUP, REGISTER, UNIMPORT};
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

/// A delivery its receiver could not take yet: (endpoint, words, capability,
/// whether the capability is the monitor's to delete once delivered).
type Undelivered = (CPtr, [u64; 4], CPtr, bool);

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
    /// An LMP message on the monitor's inbox.
    pub fn handle_lmp(&mut self, m: Message) {
        match m.words[0] & 0xffff {
            TEXT => {
                let mut bytes = [0u8; 24];
                let n = serial::unpack(&m.words[1..], (m.words[0] >> 16) as usize, &mut bytes);
                self.requests
                    .pending(m.badge)
                    .text
                    .extend_from_slice(&bytes[..n]);
            }
            CAP => {
                if let Some(cap) = m.cap
                    && let Some(old) = self.requests.pending(m.badge).cap.replace(cap)
                {
                    discard(old);
                }
            }
            op @ (EXPORT | CONNECT | SEND_CAP | REVOKE | SPAWN) => {
                let (text, cap) = self.requests.take(m.badge);
                let result = self.program_request(op, m.words[1], &text, cap);
                let (words, give) = match result {
                    Ok((value, give)) => ([REPLY, 0, value, 0], give),
                    Err(e) => ([REPLY, e as u64, 0, 0], None),
                };
                if let Err(e) = lmp::reply(&m, words, give) {
                    println!("monitor: cannot answer a program: {e}");
                }
            }
            MEM_REQUEST if !self.hub => self.serve_memory(&m),
            EXIT_MESSAGE => self.program_ended(m.badge, m.words[1], m.words[3]),
            boot::FRAME | boot::ADD | boot::STATUS | boot::MOVED | boot::PARK | boot::UNPARK
                if self.hub =>
            {
                self.boot_driver_request(m)
            }
            _ => {
                if m.cap.is_some() {
                    let _ = lmp::reply(&m, [REPLY, SysError::InvalidOperation as u64, 0, 0], None);
                }
            }
        }
    }

    /// One request; returns the reply value and a capability to give.
    fn program_request(
        &mut self,
        op: u64,
        word: u64,
        text: &[u8],
        cap: Option<CPtr>,
    ) -> Result<(u64, Option<CPtr>), SysError> {
        match op {
            EXPORT => self
                .export(text, cap.ok_or(SysError::SlotEmpty)?)
                .map(|()| (0, None)),
            CONNECT => self.connect(text).map(|(id, frame)| (id, Some(frame))),
            SEND_CAP => self
                .send_cap(text, cap.ok_or(SysError::SlotEmpty)?)
                .map(|()| (0, None)),
            REVOKE => {
                let cap = cap.ok_or(SysError::SlotEmpty)?;
                let result = self.revoke_exports(cap);
                discard(cap);
                result.map(|()| (0, None))
            }
            SPAWN => {
                let text = core::str::from_utf8(text).map_err(|_| SysError::BadArgument)?;
                self.spawn_on_core(word, text).map(|id| (id, None))
            }
            _ => Err(SysError::InvalidOperation),
        }
    }

    /// EXPORT: records the service here and its name at the hub.
    fn export(&mut self, name: &[u8], endpoint: CPtr) -> Result<(), SysError> {
        let name_text = core::str::from_utf8(name).map_err(|_| SysError::BadArgument)?;
        if name.is_empty() || name.len() > corefish::monitor::NAME_MAX {
            discard(endpoint);
            return Err(SysError::BadArgument);
        }
        let handle = self.requests.services.len() as u64;
        let registered = if self.hub {
            let me = self.me;
            self.hub_state.register(name, me, handle)
        } else {
            self.call_remote(0, REGISTER, [handle, 0, 0, 0], name)
                .map(|_| ())
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
            self.call_remote(0, LOOKUP, [0; 4], name)
                .map(|v| (v[0], v[1]))
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
            self.deliver(handle, BOUND, binding, frame, false)
        } else {
            self.remote.export(self.kernel, frame, id, osnode)?;
            let sent =
                self.call_remote(osnode, BIND, [handle, describe(&id), id.base, id.size], &[]);
            if sent.is_err()
                && let Some(i) = self.remote.exports.iter().position(|e| e.anchor == frame)
            {
                self.remote.drop_export(self.kernel, i);
                return sent.map(|_| (0, frame));
            }
            sent.map(|_| ())
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
            return self.deliver(handle, CAP_ARRIVED, 0, cap, true);
        }
        let id = Cap::<kind::Any>::at(cap).identify()?;
        if let Err(e) = travels(&id).and_then(|()| self.remote.export(self.kernel, cap, id, osnode))
        {
            discard(cap);
            return Err(e);
        }
        let sent = self.call_remote(
            osnode,
            DELIVER,
            [handle, describe(&id), id.base, id.size],
            &[],
        );
        if let Err(e) = sent {
            if let Some(i) = self.remote.exports.iter().position(|e| e.anchor == cap) {
                self.remote.drop_export(self.kernel, i);
            }
            return Err(e);
        }
        Ok(())
    }

    /// REVOKE: every export inside `cap` loses its copies elsewhere, then
    /// its anchor.
    pub fn revoke_exports(&mut self, cap: CPtr) -> Result<(), SysError> {
        let id = Cap::<kind::Any>::at(cap).identify()?;
        loop {
            let Some(&i) = self.remote.exports_inside(id.base, id.size).first() else {
                return Ok(());
            };
            let export = &self.remote.exports[i];
            let (desc, base, size) = (describe(&export.cap), export.cap.base, export.cap.size);
            let importers = export.importers.clone();
            for osnode in importers {
                self.call_remote(osnode, UNIMPORT, [desc, base, size, 0], &[])?;
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
        op: u64,
        word: u64,
        cap: CPtr,
        owned: bool,
    ) -> Result<(), SysError> {
        let service = self
            .requests
            .services
            .get(handle as usize)
            .ok_or(SysError::SlotEmpty)?;
        let endpoint = service.endpoint;
        self.requests
            .undelivered
            .push_back((endpoint, [op, word, 0, 0], cap, owned));
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
        while let Some(&(endpoint, words, cap, owned)) = self.requests.undelivered.front() {
            match lmp::try_send(Cap::at(endpoint), words, Some(cap)) {
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
    pub fn bound_here(&mut self, handle: u64, desc: [u64; 3]) -> Result<[u64; 3], SysError> {
        let anchor = self.remote.import(self.kernel, desc[0], desc[1], desc[2])?;
        self.requests.next_binding += 1;
        let binding = self.requests.next_binding;
        self.deliver(handle, BOUND, binding, anchor, false)?;
        Ok([binding, 0, 0])
    }

    /// DELIVER from another monitor: this OSNode's copy of a capability
    /// goes to the exporter.
    pub fn delivered_here(&mut self, handle: u64, desc: [u64; 3]) -> Result<(), SysError> {
        let anchor = self.remote.import(self.kernel, desc[0], desc[1], desc[2])?;
        self.deliver(handle, CAP_ARRIVED, 0, anchor, false)
    }

    /// A node monitor is its OSNode's memory server.
    fn serve_memory(&mut self, m: &Message) {
        use corefish::proto::memserv::MEM_REPLY;
        match ram::alloc_ram(m.words[1].clamp(4096, 64 << 20)) {
            Ok(cap) => {
                let _ = lmp::reply(m, [MEM_REPLY, 0, 0, 0], Some(cap));
                discard(cap);
            }
            Err(e) => {
                let _ = lmp::reply(m, [MEM_REPLY, e as u64, 0, 0], None);
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
