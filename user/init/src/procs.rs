//! The process table: every program init started, how it is doing, and
//! the requests of its clients.
//!
//! Each program gets an endpoint to init's inbox badged with its local id:
//! as its parent endpoint (for commands) and as its exit endpoint (for the
//! kernel's exit message), so every message init receives names its sender.

use alloc::string::String;
use alloc::vec::Vec;
use corefish::abi::cspace::{CPtr, task};
use corefish::cap::{Cap, kind};
use corefish::lmp::{self, Message};
use corefish::proto::kernel::{Exit, ExitKind};
use corefish::proto::procmgr::{Answer, Reply, Request};
use corefish::spawn::{self, Child, Spec};
use corefish::vspace::{self, Mapping};
use corefish::{Rights, SysError, println, slots};

use crate::archive::Modules;

/// How a program is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Running (or waiting).
    Running,
    /// Ended with this exit code.
    Exited(u64),
    /// Killed by the kernel after this exception.
    Faulted(u64),
    /// Killed by `kill`.
    Killed,
}

/// A program init started.
pub struct Proc {
    /// Local id, also the badge of its endpoints to init.
    pub id: u64,
    /// Program name.
    pub name: String,
    /// Its objects.
    pub child: Child,
    /// How it is doing.
    pub state: State,
    /// A `run` request to answer when it ends.
    pub waiter: Option<(u64, Message)>,
    /// Its shared page, if it connected as a client.
    pub shared: Option<Mapping>,
}

/// Extra capabilities for a program: (task slot, source, rights, badge).
pub type Gift = (CPtr, CPtr, Rights, u64);

/// All programs.
pub struct Procs {
    inbox: Cap<kind::EndPoint>,
    next_id: u64,
    /// The boot driver, once started: its endpoint and the page shared
    /// with it for forwarded commands.
    pub corectrl: Option<(Cap<kind::EndPoint>, Mapping)>,
    /// The programs, in start order.
    pub list: Vec<Proc>,
}

impl Procs {
    /// An empty table with an endpoint to init's inbox.
    pub fn new() -> Result<Self, SysError> {
        Ok(Self {
            inbox: lmp::endpoint_to_self(lmp::INBOX)?,
            next_id: 1,
            corectrl: None,
            list: Vec::new(),
        })
    }

    /// Starts program `name` with `args`, giving it its parent, memory and
    /// serial endpoints plus `gifts`.
    pub fn start(
        &mut self,
        modules: &Modules,
        name: &str,
        args: &str,
        gifts: &[Gift],
    ) -> Result<u64, String> {
        let image = modules
            .get(name)
            .ok_or_else(|| alloc::format!("no program `{name}` in the boot archive"))?;
        let id = self.next_id;
        let to_init = slots::alloc().map_err(|e| alloc::format!("{e}"))?;
        self.inbox
            .mint_to(to_init, Rights::ALL, id)
            .map_err(|e| alloc::format!("{e}"))?;
        let mut caps: Vec<Gift> = Vec::from(gifts);
        caps.push((task::PARENT_ENDPOINT, to_init, Rights::ALL, 0));
        caps.push((
            task::BOOT_ARCHIVE,
            corefish::abi::cspace::init::ARCHIVE,
            Rights::READ,
            0,
        ));
        // The hub is this OSNode's monitor; each program gets its own badge.
        if Cap::<kind::EndPoint>::at(task::MONITOR_ENDPOINT)
            .identify()
            .is_ok()
            && !gifts.iter().any(|g| g.0 == task::MONITOR_ENDPOINT)
        {
            caps.push((
                task::MONITOR_ENDPOINT,
                task::MONITOR_ENDPOINT,
                Rights::ALL,
                id,
            ));
        }
        for shared in [task::MEMORY_ENDPOINT, task::SERIAL_ENDPOINT] {
            if Cap::<kind::EndPoint>::at(shared).identify().is_ok()
                && !gifts.iter().any(|g| g.0 == shared)
            {
                caps.push((shared, shared, Rights::ALL, 0));
            }
        }
        let spec = Spec {
            name,
            image,
            args,
            ram_bytes: 2 << 20,
            caps: &caps,
            exit_endpoint: Some(to_init),
        };
        let result = spawn::spawn(&spec);
        let _ = Cap::<kind::Any>::at(to_init).delete();
        slots::free(to_init);
        let child = result.map_err(|e| alloc::format!("cannot start `{name}`: {e}"))?;
        self.next_id += 1;
        self.list.push(Proc {
            id,
            name: String::from(name),
            child,
            state: State::Running,
            waiter: None,
            shared: None,
        });
        Ok(id)
    }

    /// The program with local id `id`.
    pub fn get(&mut self, id: u64) -> Option<&mut Proc> {
        self.list.iter_mut().find(|p| p.id == id)
    }

    /// Handles one message on init's inbox.
    pub fn handle(&mut self, message: Message, modules: &Modules) {
        if let Ok(exit) = Exit::from_words(message.words) {
            // Exit messages come through the child's badged endpoint.
            return self.ended(message.badge, exit.kind, exit.code);
        }
        match Request::from_words(message.words) {
            Ok(Request::Connect) => self.connect(message),
            Ok(Request::Command { len }) => self.command(message, len, modules),
            other => {
                let why = match other {
                    Err(e) => alloc::format!("{e}"),
                    Ok(request) => alloc::format!("{request:?} is not for init"),
                };
                println!("init: {why} from {}", message.badge);
                if message.cap.is_some() {
                    let refusal =
                        corefish::proto::refusal(message.words[0], SysError::InvalidOperation);
                    let _ = lmp::reply(&message, refusal, None);
                }
            }
        }
    }

    /// A program ended: record it, free its objects, answer a waiting `run`.
    fn ended(&mut self, id: u64, kind: ExitKind, code: u64) {
        let Some(p) = self.get(id) else { return };
        p.state = match kind {
            ExitKind::Exited => State::Exited(code),
            ExitKind::Faulted => State::Faulted(code),
        };
        let line = match p.state {
            State::Exited(code) => alloc::format!("{} (id {id}) exited with code {code}\n", p.name),
            _ => alloc::format!("{} (id {id}) was killed by exception {code}\n", p.name),
        };
        if let Some((client, request)) = p.waiter.take() {
            self.answer(client, &request, false, &line, id);
        }
        self.release(id);
    }

    /// Frees everything of an ended program (its shared page first: its
    /// memory goes with the program).
    pub fn release(&mut self, id: u64) {
        let Some(p) = self.get(id) else { return };
        if let Some(page) = p.shared.take() {
            vspace::unmap(page);
        }
        if let Err(e) = p.child.kill() {
            println!("init: cleaning up {id} failed: {e}");
        }
    }

    /// A client's shared page.
    fn connect(&mut self, message: Message) {
        let Some(page) = message.cap else { return };
        match vspace::map(page, 4096, corefish::abi::invoke::MAP_WRITE) {
            Ok(mapping) => {
                if let Some(p) = self.get(message.badge) {
                    p.shared = Some(mapping);
                }
            }
            Err(e) => println!("init: cannot map the shared page of {}: {e}", message.badge),
        }
    }

    /// A shell command.
    fn command(&mut self, message: Message, len: u64, modules: &Modules) {
        let client = message.badge;
        let len = usize::try_from(len).unwrap_or(usize::MAX).min(4096);
        let text = match self.get(client).and_then(|p| p.shared.as_ref()) {
            Some(page) => String::from_utf8_lossy(&page.bytes()[..len]).into_owned(),
            None => {
                let refused = Reply::Command(Err(SysError::DispatcherNotReady));
                let _ = lmp::reply(&message, refused.to_words(), None);
                return;
            }
        };
        match crate::commands::run(self, modules, text.trim()) {
            crate::commands::Outcome::Answer(answer) => {
                self.answer(client, &message, false, &answer, 0)
            }
            crate::commands::Outcome::WaitFor(id) => match self.get(id) {
                Some(p) => p.waiter = Some((client, message)),
                None => self.answer(client, &message, true, "no such program\n", 0),
            },
        }
    }

    /// Writes `text` into `client`'s shared page and replies to `request`
    /// (`failed`: the command ran but failed; `child`: the program a `run`
    /// started).
    fn answer(&mut self, client: u64, request: &Message, failed: bool, text: &str, child: u64) {
        let n = match self.get(client).and_then(|p| p.shared.as_mut()) {
            Some(page) => {
                let bytes = page.bytes_mut();
                let n = text.len().min(bytes.len());
                bytes[..n].copy_from_slice(&text.as_bytes()[..n]);
                n
            }
            None => 0,
        };
        let answer = Answer {
            failed,
            len: n as u64,
            child,
        };
        if let Err(e) = lmp::reply(request, Reply::Command(Ok(answer)).to_words(), None) {
            println!("init: cannot answer {client}: {e}");
        }
    }
}
