//! The other monitors, over UMP (`proto::intermon`): sending towards an
//! OSNode (the hub routes), calls that wait for the answer while still
//! serving everyone else, and the requests this monitor answers.

use alloc::vec::Vec;
use corefish::channel::Payload;
use corefish::proto::ProtoError;
use corefish::proto::intermon::{Found, Message as Ump, Pong, Reply, Request, Route, Text};
use corefish::{SysError, println, sys};

use crate::Monitor;

/// Most bytes of text ahead of one request from another monitor.
const TEXT_MAX: usize = 1024;
/// Most requests whose text waits at once.
const TEXTS_MAX: usize = 64;

/// How long a monitor waits for another monitor's answer.
const REMOTE_TIMEOUT_NS: u64 = 5_000_000_000;
/// How often a monitor waiting for a reply looks without being notified.
const PEER_BACKSTOP_NS: u64 = 1_000_000;

/// A reply this monitor waits for: from whom, to which operation, which
/// request number.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Awaited {
    peer: u64,
    op: u64,
    req: u64,
}

/// The calls a monitor waits on, innermost last (a request it serves while
/// it waits may make a call of its own), and the replies that came for an
/// outer one while an inner one waited: each is kept for its caller.
#[derive(Default)]
pub struct Calls {
    waiting: Vec<Awaited>,
    early: Vec<(Awaited, Reply)>,
}

impl Awaited {
    /// Whether `reply`, which came along `route` for request `req`, is
    /// this one's.
    fn is(&self, route: Route, req: u64, reply: &Reply, me: u64) -> bool {
        (route.src, reply.op(), req) == (self.peer, self.op, self.req) && route.dst == me
    }
}

impl Monitor {
    /// Flushes outboxes and handles what arrived; returns `Some` when
    /// anything happened, with the reply `awaited` if it came.
    pub fn pump(&mut self, awaited: Option<Awaited>) -> Option<Option<Reply>> {
        let mut progress = false;
        let mut found = None;
        for i in 0..self.links.len() {
            progress |= self.links[i].flush();
            while let Some(mut payload) = self.links[i].try_recv() {
                progress = true;
                if self.hub {
                    // The hub vouches for the sender: whoever is behind the link.
                    payload = Ump::stamped(payload, self.links[i].osnode);
                }
                let message = match Ump::from_payload(payload) {
                    Ok(m) => m,
                    Err(e) => {
                        self.unreadable(payload, e);
                        continue;
                    }
                };
                if let Ump::Reply { route, req, reply } = message {
                    match awaited {
                        Some(a) if found.is_none() && a.is(route, req, &reply, self.me) => {
                            found = Some(reply);
                            continue;
                        }
                        _ => {}
                    }
                    let me = self.me;
                    if let Some(outer) = self
                        .calls
                        .waiting
                        .iter()
                        .find(|a| a.is(route, req, &reply, me))
                    {
                        self.calls.early.push((*outer, reply));
                        continue;
                    }
                }
                self.handle_ump(message);
            }
        }
        (progress || found.is_some()).then_some(found)
    }

    /// Sends `message` towards OSNode `dst`; false if there is no way.
    pub fn send_to(&mut self, dst: u64, message: Ump) -> bool {
        self.send_payload_to(dst, message.to_payload())
    }

    /// Sends the words `payload` towards OSNode `dst`; false if there is no
    /// way, or the way is full.
    fn send_payload_to(&mut self, dst: u64, payload: Payload) -> bool {
        let link = if self.hub {
            self.links.iter_mut().find(|l| l.osnode == dst)
        } else {
            self.links.first_mut()
        };
        match link {
            Some(link) => link.send(payload),
            None => false,
        }
    }

    /// A payload that does not decode: the hub passes on what is for
    /// another OSNode (its receiver judges it); a request with a known
    /// operation but a bad field is refused, so that its sender does not
    /// wait in vain; anything else is reported and dropped.
    fn unreadable(&mut self, payload: Payload, error: ProtoError) {
        let Some((header, route, req)) = Ump::envelope(&payload) else {
            println!("monitor: {error}");
            return;
        };
        if self.hub && route.dst != self.me {
            if self.send_payload_to(route.dst, payload) || header.reply {
                return;
            }
            // No such OSNode: refused here, as a readable request would be.
            if let Some(refusal) = Reply::refusal(header.op, SysError::DispatcherNotReady) {
                let _ = self.take_text(route.src, req);
                self.answer(route, req, refusal);
            }
            return;
        }
        println!("monitor: {error} from OSNode {}", route.src);
        if !header.reply
            && let Some(refusal) = Reply::refusal(header.op, SysError::BadArgument)
        {
            let _ = self.take_text(route.src, req);
            self.answer(route, req, refusal);
        }
    }

    /// Sends `request` (with `text` ahead of it) to OSNode `dst` and waits
    /// for the reply, answering other monitors meanwhile.
    pub fn call_remote(
        &mut self,
        dst: u64,
        request: Request,
        text: &[u8],
    ) -> Result<Reply, SysError> {
        self.call_remote_within(dst, request, text, REMOTE_TIMEOUT_NS)
    }

    /// [`call_remote`](Self::call_remote), waiting at most `timeout_ns`
    /// for the reply.
    pub fn call_remote_within(
        &mut self,
        dst: u64,
        request: Request,
        text: &[u8],
        timeout_ns: u64,
    ) -> Result<Reply, SysError> {
        let req = self.next_request;
        self.next_request += 1;
        let route = Route { src: self.me, dst };
        let texts = Text::split(text).map(Request::Text);
        for request in texts.chain([request]).collect::<Vec<_>>() {
            if !self.send_to(
                dst,
                Ump::Request {
                    route,
                    req,
                    request,
                },
            ) {
                return Err(SysError::DispatcherNotReady);
            }
        }
        let awaited = Awaited {
            peer: dst,
            op: request.op(),
            req,
        };
        self.calls.waiting.push(awaited);
        let result = self.wait_for(awaited, timeout_ns);
        self.calls.waiting.retain(|a| *a != awaited);
        result
    }

    /// Waits for the reply `awaited`, answering other monitors meanwhile.
    ///
    /// It blocks rather than polls: a monitor that sends on a link notifies
    /// the other end if that end waits, so the reply (or anything else that
    /// comes) wakes it; a look every [`PEER_BACKSTOP_NS`] covers a peer
    /// that did not notify.
    fn wait_for(&mut self, awaited: Awaited, timeout_ns: u64) -> Result<Reply, SysError> {
        let deadline = sys::time_ns().saturating_add(timeout_ns);
        loop {
            // It may have come while a call made meanwhile waited.
            if let Some(i) = self.calls.early.iter().position(|(a, _)| *a == awaited) {
                return Ok(self.calls.early.swap_remove(i).1);
            }
            match self.pump(Some(awaited)) {
                Some(Some(reply)) => return Ok(reply),
                Some(None) => continue,
                None => {}
            }
            let now = sys::time_ns();
            if now >= deadline {
                return Err(SysError::DispatcherNotReady);
            }
            for link in &self.links {
                link.prepare_to_wait();
            }
            // What came after the last look is found here; what comes later
            // brings a notification.
            let found = self.pump(Some(awaited));
            if found.is_none() {
                sys::wait_rings(
                    (now + PEER_BACKSTOP_NS).min(deadline),
                    corefish::abi::dispatcher::NOTIFY_BIT,
                );
            }
            for link in &self.links {
                link.stop_waiting();
            }
            if let Some(Some(reply)) = found {
                return Ok(reply);
            }
        }
    }

    /// Answers request `req` that came along `route`.
    fn answer(&mut self, route: Route, req: u64, reply: Reply) {
        let back = Route {
            src: self.me,
            dst: route.src,
        };
        self.send_to(
            route.src,
            Ump::Reply {
                route: back,
                req,
                reply,
            },
        );
    }

    /// The text that came ahead of request `req` from `src` (a name, a
    /// command line: far less than [`TEXT_MAX`]).
    fn take_text(&mut self, src: u64, req: u64) -> Vec<u8> {
        match self.texts.iter().position(|t| t.0 == src && t.1 == req) {
            Some(i) => self.texts.swap_remove(i).2,
            None => Vec::new(),
        }
    }

    /// A message from another monitor (its sender vouched for by the hub).
    fn handle_ump(&mut self, message: Ump) {
        if let Some(route) = message.route()
            && self.hub
            && route.dst != self.me
        {
            // Routed through the hub; a request that cannot go on is refused.
            if !self.send_to(route.dst, message)
                && let Ump::Request {
                    route,
                    req,
                    request,
                } = message
                && let Some(refusal) = Reply::refusal(request.op(), SysError::DispatcherNotReady)
            {
                self.answer(route, req, refusal);
            }
            return;
        }
        // A chunk granted after this monitor gave up waiting goes back.
        if let Ump::Reply {
            route,
            reply: Reply::Grant(Ok(granted)),
            ..
        } = message
            && !self.hub
            && route.dst == self.me
        {
            self.late_grant(granted);
            return;
        }
        // A repeated hello, or another reply that came too late: nothing to do.
        let Ump::Request {
            route,
            req,
            request,
        } = message
        else {
            return;
        };
        match request {
            Request::Text(text) => {
                let i = match self
                    .texts
                    .iter()
                    .position(|t| (t.0, t.1) == (route.src, req))
                {
                    Some(i) => i,
                    None => {
                        // Text of requests that never came (their sender
                        // gave up) goes first: the oldest.
                        if self.texts.len() >= TEXTS_MAX {
                            self.texts.remove(0);
                        }
                        self.texts.push((route.src, req, Vec::new()));
                        self.texts.len() - 1
                    }
                };
                let pending = &mut self.texts[i].2;
                if pending.len() + text.len() <= TEXT_MAX {
                    pending.extend_from_slice(text.as_bytes());
                }
            }
            request => {
                let text = self.take_text(route.src, req);
                if let Some(reply) = self.serve_remote(route.src, request, &text) {
                    self.answer(route, req, reply);
                }
            }
        }
    }

    /// The answer to a request of another monitor (none to text).
    fn serve_remote(&mut self, src: u64, request: Request, text: &[u8]) -> Option<Reply> {
        let refused = SysError::InvalidOperation;
        Some(match request {
            Request::Text(_) => return None,
            Request::Ping => Reply::Ping(Ok(Pong {
                tsc: sys::tsc(),
                woken: self.woken,
            })),
            Request::Register { handle } if self.hub => {
                Reply::Register(self.hub_state.register(text, src, handle))
            }
            Request::Unregister { handle } if self.hub => {
                self.hub_state.unregister(src, handle);
                Reply::Unregister(Ok(()))
            }
            Request::Lookup if self.hub => Reply::Lookup(
                self.hub_state
                    .lookup(text)
                    .map(|(osnode, handle)| Found { osnode, handle }),
            ),
            Request::Bind { handle, frame } => Reply::Bind(self.bound_here(handle, frame)),
            Request::Deliver { handle, cap } => Reply::Deliver(self.delivered_here(handle, cap)),
            Request::Unimport { cap } => {
                self.remote.unimport(cap);
                Reply::Unimport(Ok(()))
            }
            // Only the hub starts programs here, for a program's request.
            Request::Spawn if src == 0 => Reply::Spawn(self.spawn_here(text)),
            Request::Spawn => Reply::Spawn(Err(SysError::NotAllowed)),
            // Only the hub parks OSNodes, for the boot driver.
            Request::Attach { osnode, kcb } if src == 0 => {
                Reply::Attach(self.attach_remote(osnode, kcb))
            }
            Request::Detach { osnode } if src == 0 => Reply::Detach(self.detach_here(osnode)),
            Request::Attach { .. } => Reply::Attach(Err(SysError::NotAllowed)),
            Request::Detach { .. } => Reply::Detach(Err(SysError::NotAllowed)),
            Request::Status { id } => Reply::Status(self.program_status(id)),
            // Only the hub hands out the machine's memory.
            Request::Grant { bytes } if self.hub => Reply::Grant(self.grant(src, bytes)),
            Request::Return { base, size } if self.hub => {
                Reply::Return(self.take_back_chunk(src, base, size))
            }
            Request::Grant { .. } => Reply::Grant(Err(refused)),
            Request::Return { .. } => Reply::Return(Err(refused)),
            // Only the hub keeps the names.
            Request::Register { .. } => Reply::Register(Err(refused)),
            Request::Lookup => Reply::Lookup(Err(refused)),
            Request::Unregister { .. } => Reply::Unregister(Err(refused)),
        })
    }
}
