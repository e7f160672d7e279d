//! The process table: every program init started, how it is doing, and
//! the requests of its clients.
//!
//! Each program gets badged endpoints (`proto::badge`): to init's inbox as
//! its parent endpoint, and to the memory server, the serial driver and
//! the hub. The badge is `Program(id)`, or `Shell(id)` for the shell init
//! starts at boot: only that one may command init and listen to the
//! console. Its exit endpoint, which only the kernel sends through, is
//! badged `Exit(id)`. So every message init receives names its sender,
//! and no program can speak as another, as the shell or as the kernel.

use alloc::string::String;
use alloc::vec::Vec;
use corefish::abi::cspace::{CPtr, task};
use corefish::cap::{Cap, kind};
use corefish::commands::Pieces;
use corefish::lmp::{self, Message};
use corefish::proto::badge::Badge;
use corefish::proto::kernel::{Exit, ExitKind, Missed};
use corefish::proto::procmgr::{Reply, Request};
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
    /// Local id.
    pub id: u64,
    /// The badge of its endpoints to init and the services.
    pub badge: u64,
    /// Program name.
    pub name: String,
    /// Its objects.
    pub child: Child,
    /// How it is doing.
    pub state: State,
    /// A `run` request to answer when it ends.
    pub waiter: Option<(u64, Message)>,
    /// The rest of the last answer to its commands, for `MORE`.
    pub pending: Pieces,
    /// Its shared page, if it connected as a client.
    pub shared: Option<Mapping>,
    /// A system service (started at boot): no command ends it.
    pub service: bool,
}

/// What init starts a program as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A program like any other.
    Program,
    /// A system service: as a program, but `kill` does not end it, and
    /// its memory has no quota.
    Service,
    /// The hub monitor: a service; its memory has no quota (it hands the
    /// machine's memory to every OSNode, whose monitors apply the
    /// per-program quota).
    Monitor,
    /// The shell: a service that may command init and listen to the
    /// console.
    Shell,
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

    /// Starts program `name` with `args` as `role`, giving it its parent,
    /// memory, serial and monitor endpoints (badged for it) plus `gifts`.
    pub fn start(
        &mut self,
        modules: &Modules,
        name: &str,
        args: &str,
        role: Role,
        gifts: &[Gift],
    ) -> Result<u64, String> {
        let image = modules
            .get(name)
            .ok_or_else(|| alloc::format!("no program `{name}` in the boot archive"))?;
        let id = self.next_id;
        let badge = match role {
            Role::Shell => Badge::Shell(id),
            Role::Program | Role::Service | Role::Monitor => Badge::Program(id),
        };
        let word = |b: Badge| {
            b.to_word()
                .ok_or_else(|| String::from("out of program ids"))
        };
        let (badge, exit_badge) = (word(badge)?, word(Badge::Exit(id))?);
        // The memory server serves it from now on; the system's services
        // (the hub among them: it hands out the memory of every OSNode)
        // hold as much memory as they need, other programs a default quota.
        if Cap::<kind::EndPoint>::at(task::MEMORY_ENDPOINT)
            .identify()
            .is_ok()
        {
            let admitted = match role {
                Role::Service | Role::Shell | Role::Monitor => {
                    corefish::memserv::set_quota(badge, u64::MAX)
                }
                Role::Program => corefish::memserv::admit(badge),
            };
            admitted.map_err(|e| alloc::format!("{e}"))?;
        }
        let to_exit = slots::alloc().map_err(|e| alloc::format!("{e}"))?;
        if let Err(e) = self.inbox.mint_to(to_exit, Rights::ALL, exit_badge) {
            slots::free(to_exit);
            return Err(alloc::format!("{e}"));
        }
        let mut caps: Vec<Gift> = Vec::from(gifts);
        caps.push((task::PARENT_ENDPOINT, self.inbox.cptr(), Rights::ALL, badge));
        caps.push((
            task::BOOT_ARCHIVE,
            corefish::abi::cspace::init::ARCHIVE,
            Rights::READ,
            0,
        ));
        // The services init holds unbadged endpoints to; each program gets
        // its own badge on them.
        for shared in [
            task::MONITOR_ENDPOINT,
            task::MEMORY_ENDPOINT,
            task::SERIAL_ENDPOINT,
        ] {
            if Cap::<kind::EndPoint>::at(shared).identify().is_ok()
                && !gifts.iter().any(|g| g.0 == shared)
            {
                caps.push((shared, shared, Rights::ALL, badge));
            }
        }
        let spec = Spec {
            name,
            image,
            args,
            ram_bytes: 2 << 20,
            caps: &caps,
            exit_endpoint: Some(to_exit),
            from: None,
        };
        let result = spawn::spawn(&spec);
        let _ = Cap::<kind::Any>::at(to_exit).delete();
        slots::free(to_exit);
        let child = result.map_err(|e| alloc::format!("cannot start `{name}`: {e}"))?;
        if matches!(role, Role::Service | Role::Monitor) {
            // Services run ahead of programs, so that a busy program does
            // not hold up the boot driver, the memory server or the hub.
            let dispatcher = u64::from(child.dispatcher().cptr().0);
            if let Err(e) = corefish::sys::invoke(
                corefish::abi::cspace::init::KERNEL,
                corefish::abi::invoke::KERNEL_DISPATCHER_SYSTEM,
                [dispatcher, 0, 0, 0],
            ) {
                println!("init: `{name}` runs as an ordinary program: {e}");
            }
        }
        self.next_id += 1;
        self.list.push(Proc {
            id,
            badge,
            name: String::from(name),
            child,
            state: State::Running,
            waiter: None,
            pending: Pieces::default(),
            shared: None,
            service: role != Role::Program,
        });
        Ok(id)
    }

    /// The program with local id `id`.
    pub fn get(&mut self, id: u64) -> Option<&mut Proc> {
        self.list.iter_mut().find(|p| p.id == id)
    }

    /// Handles one message on init's inbox.
    pub fn handle(&mut self, message: Message, modules: &Modules) {
        let from = Badge::from_word(message.badge);
        if message.badge == lmp::MISSED_BADGE && Missed::from_words(message.words).is_ok() {
            // Exit notices did not fit in the inbox: the children's states
            // say who ended.
            return self.reap();
        }
        if let Ok(exit) = Exit::from_words(message.words) {
            // The kernel sends no capability with it; one that came goes.
            if let Some(cap) = message.cap {
                let _ = Cap::<kind::Any>::at(cap).delete();
                slots::free(cap);
            }
            // Only the kernel sends through an exit endpoint; anything else
            // is ignored (and not logged: no program may fill the console
            // through init).
            if let Some(Badge::Exit(id)) = from {
                self.ended(id, exit.kind, exit.code);
            }
            return;
        }
        let request = Request::from_words(message.words);
        let refusal = match (request, from) {
            (Ok(Request::Connect), Some(Badge::Shell(id))) => {
                return self.connect(id, message);
            }
            (Ok(Request::Command { len }), Some(Badge::Shell(id))) => {
                return self.command(id, message, len, modules);
            }
            (Ok(Request::More), Some(Badge::Shell(id))) => return self.next_piece(id, &message),
            // Only the shell commands.
            (Ok(Request::Connect | Request::Command { .. } | Request::More), _) => {
                SysError::NotAllowed
            }
            (Err(_) | Ok(_), _) => SysError::InvalidOperation,
        };
        if message.cap.is_some() {
            let refusal = match request {
                Ok(Request::Command { .. } | Request::More) => {
                    Reply::Command(Err(refusal)).to_words()
                }
                _ => corefish::proto::refusal(message.words[0], refusal),
            };
            let _ = lmp::reply(&message, refusal, None);
        }
    }

    /// A program ended: record it, free its objects, answer a waiting `run`.
    fn ended(&mut self, id: u64, kind: ExitKind, code: u64) {
        // Ended already (found by `reap`, or killed).
        let Some(p) = self.get(id).filter(|p| p.state == State::Running) else {
            return;
        };
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

    /// Finds the programs that ended without their exit notice reaching
    /// init (its inbox was full), from their dispatchers' states.
    fn reap(&mut self) {
        let ended: Vec<(u64, ExitKind, u64)> = self
            .list
            .iter()
            .filter(|p| p.state == State::Running)
            .filter_map(|p| p.child.ended().map(|(kind, code)| (p.id, kind, code)))
            .collect();
        for (id, kind, code) in ended {
            self.ended(id, kind, code);
        }
    }

    /// Frees everything of an ended program (its shared page first: its
    /// memory goes with the program).
    pub fn release(&mut self, id: u64) {
        let Some(p) = self.get(id) else { return };
        if let Some(page) = p.shared.take() {
            vspace::unmap(page);
        }
        let badge = p.badge;
        if let Err(e) = p.child.kill() {
            println!("init: cleaning up {id} failed: {e}");
        }
        // Its names at the hub go, and the copies of what it sent to other
        // OSNodes (first, so that nothing keeps its memory from going
        // back); what it got from the memory server goes back there.
        let _ = corefish::monitor::ended(badge);
        if let Err(e) = corefish::memserv::release(badge) {
            println!("init: the memory server did not take back {id}'s memory: {e}");
        }
    }

    /// A client's shared page.
    fn connect(&mut self, client: u64, message: Message) {
        let Some(page) = message.cap else { return };
        match vspace::map(page, 4096, corefish::abi::invoke::MAP_WRITE) {
            Ok(mapping) => match self.get(client) {
                Some(p) => {
                    if let Some(old) = p.shared.replace(mapping) {
                        vspace::unmap(old);
                    }
                }
                None => vspace::unmap(mapping),
            },
            Err(e) => println!("init: cannot map the shared page of {client}: {e}"),
        }
    }

    /// A shell command.
    fn command(&mut self, client: u64, message: Message, len: u64, modules: &Modules) {
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

    /// Answers `request` with `text` (`failed`: the command ran but
    /// failed; `child`: the program a `run` started): its first piece in
    /// `client`'s shared page, the rest on `MORE`.
    fn answer(&mut self, client: u64, request: &Message, failed: bool, text: &str, child: u64) {
        if let Some(p) = self.get(client) {
            p.pending = Pieces::new(text.as_bytes(), failed, child);
        }
        self.next_piece(client, request);
    }

    /// Answers `request` with the next piece of `client`'s last answer.
    fn next_piece(&mut self, client: u64, request: &Message) {
        let reply = match self.get(client) {
            Some(Proc {
                shared: Some(page),
                pending,
                ..
            }) => Reply::Command(Ok(pending.next(page.bytes_mut()))),
            _ => Reply::Command(Err(SysError::DispatcherNotReady)),
        };
        // A client that takes no answer is its own problem.
        let _ = lmp::reply(request, reply.to_words(), None);
    }
}
