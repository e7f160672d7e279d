//! Programs a monitor starts (`run --core N` from the shell, through the
//! hub): images from the boot archive, each made of RAM carved from this
//! monitor's chunks ([`crate::chunks`], given back when it ends), an
//! endpoint to it badged `Hosted(id)` as parent, memory server and
//! monitor, its exit endpoint badged `Exit(id)` (`proto::badge`), and the
//! archive. The monitor is also their memory server ([`crate::memory`]). The monitor hears of each program's end,
//! reports it on the console and frees everything it had.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use corefish::abi::cspace::task;
use corefish::cap::{Cap, kind};
use corefish::proto::badge::Badge;
use corefish::proto::ending::Ending;
use corefish::proto::intermon;
use corefish::proto::kernel::ExitKind;
use corefish::spawn::{self, Child, Spec};
use corefish::{Rights, SysError, lmp, println, slots};

use crate::Monitor;

/// RAM a program starts with (it asks its monitor for more).
const PROGRAM_RAM: u64 = 1 << 20;
/// Most programs one monitor runs at a time (each may borrow up to
/// `memory::QUOTA`): a program cannot start programs without end.
pub const HOSTED_MAX: usize = 32;
/// How many ended programs a monitor remembers, for their starters'
/// `STATUS` (any program may ask: like `ps`, a program's end is no secret).
const ENDED_KEPT: usize = 64;

/// A program this monitor started.
struct Program {
    id: u64,
    name: String,
    child: Child,
}

/// The programs.
#[derive(Default)]
pub struct Programs {
    list: Vec<Program>,
    next_id: u64,
    /// An endpoint to this monitor's inbox (made on first use).
    inbox: Option<Cap<kind::EndPoint>>,
    /// The last programs that ended, oldest first.
    ended: VecDeque<(u64, Ending)>,
}

impl Monitor {
    /// A program's SPAWN request for core `core`: started here, or (by the
    /// hub) on that core's OSNode.
    pub fn spawn_on_core(&mut self, core: u64, command: &str) -> Result<u64, SysError> {
        if core == corefish::core_id() {
            return self.spawn_here(command.as_bytes());
        }
        if !self.hub {
            // Only the hub knows which OSNode runs where.
            return Err(SysError::InvalidOperation);
        }
        let osnode = self.osnode_on(core).ok_or(SysError::BadArgument)?;
        match self.call_remote(osnode, intermon::Request::Spawn, command.as_bytes())? {
            intermon::Reply::Spawn(result) => result,
            _ => Err(SysError::InvalidOperation),
        }
    }

    /// How program `id` on core `core` is: `None` while it runs (asked of
    /// that core's monitor, by the hub).
    pub fn status_on_core(&mut self, core: u64, id: u64) -> Result<Option<Ending>, SysError> {
        if core == corefish::core_id() {
            return self.program_status(id);
        }
        if !self.hub {
            return Err(SysError::InvalidOperation);
        }
        let osnode = self.osnode_on(core).ok_or(SysError::BadArgument)?;
        match self.call_remote(osnode, intermon::Request::Status { id }, &[])? {
            intermon::Reply::Status(result) => result,
            _ => Err(SysError::InvalidOperation),
        }
    }

    /// How this monitor's program `id` is: `None` while it runs;
    /// `BadArgument` for one it never started or no longer remembers.
    pub fn program_status(&self, id: u64) -> Result<Option<Ending>, SysError> {
        if self.programs.list.iter().any(|p| p.id == id) {
            return Ok(None);
        }
        self.programs
            .ended
            .iter()
            .find(|(i, _)| *i == id)
            .map(|&(_, ending)| Some(ending))
            .ok_or(SysError::BadArgument)
    }

    /// Starts `name args` on this OSNode; returns its id.
    pub fn spawn_here(&mut self, command: &[u8]) -> Result<u64, SysError> {
        let command = core::str::from_utf8(command)
            .map_err(|_| SysError::BadArgument)?
            .trim();
        let (name, args) = command.split_once(' ').unwrap_or((command, ""));
        let image = corefish::modules::get(name).ok_or(SysError::BadArgument)?;
        if self.programs.list.len() >= HOSTED_MAX {
            return Err(SysError::OverLimit);
        }
        let inbox = match self.programs.inbox {
            Some(ep) => ep,
            None => {
                let ep = lmp::endpoint_to_self(lmp::INBOX)?;
                self.programs.inbox = Some(ep);
                ep
            }
        };
        self.programs.next_id += 1;
        let id = self.programs.next_id;
        let word = |b: Badge| b.to_word().ok_or(SysError::BadArgument);
        let (badge, exit_badge) = (word(Badge::Hosted(id))?, word(Badge::Exit(id))?);
        let to_exit = slots::alloc()?;
        if let Err(e) = inbox.mint_to(to_exit, Rights::ALL, exit_badge) {
            slots::free(to_exit);
            return Err(e);
        }
        let inbox = inbox.cptr();
        let mut caps = alloc::vec![
            (task::PARENT_ENDPOINT, inbox, Rights::ALL, badge),
            (task::MONITOR_ENDPOINT, inbox, Rights::ALL, badge),
            (task::BOOT_ARCHIVE, task::BOOT_ARCHIVE, Rights::READ, 0),
        ];
        // The monitor lends its programs memory itself (`crate::memory`),
        // and takes it back when they end.
        caps.push((task::MEMORY_ENDPOINT, inbox, Rights::ALL, badge));
        let sys = |e| match e {
            spawn::SpawnError::Sys(e) => e,
            _ => SysError::BadArgument,
        };
        let made = spawn::ram_needed(image, PROGRAM_RAM)
            .map_err(sys)
            .and_then(|bytes| self.carve(bytes.next_multiple_of(4096)));
        let from = match made {
            Ok(from) => from,
            Err(e) => {
                let _ = Cap::<kind::Any>::at(to_exit).delete();
                slots::free(to_exit);
                return Err(e);
            }
        };
        let spec = Spec {
            name,
            image,
            args: args.trim(),
            ram_bytes: PROGRAM_RAM,
            caps: &caps,
            exit_endpoint: Some(to_exit),
            from: Some(from),
        };
        let spawned = spawn::spawn(&spec);
        let _ = Cap::<kind::Any>::at(to_exit).delete();
        slots::free(to_exit);
        let child = match spawned {
            Ok(child) => child,
            Err(e) => {
                self.uncarve(from);
                return Err(sys(e));
            }
        };
        self.programs.list.push(Program {
            id,
            name: name.into(),
            child,
        });
        Ok(id)
    }

    /// Whether `badge` is that of a program this monitor started and that
    /// still runs (memory is lent to no one else).
    pub fn hosts(&self, badge: u64) -> bool {
        match Badge::from_word(badge) {
            Some(Badge::Hosted(id)) => self.programs.list.iter().any(|p| p.id == id),
            _ => false,
        }
    }

    /// Finds the programs that ended without their exit notice reaching
    /// this monitor (its inbox was full), from their dispatchers' states.
    pub fn reap_programs(&mut self) {
        let ended: Vec<(u64, ExitKind, u64)> = self
            .programs
            .list
            .iter()
            .filter_map(|p| p.child.ended().map(|(kind, code)| (p.id, kind, code)))
            .collect();
        for (id, kind, code) in ended {
            self.program_ended(id, kind, code);
        }
    }

    /// A program ended: report it, free what it had.
    pub fn program_ended(&mut self, id: u64, kind: ExitKind, code: u64) {
        let Some(i) = self.programs.list.iter().position(|p| p.id == id) else {
            return;
        };
        let p = self.programs.list.swap_remove(i);
        if let Some(badge) = Badge::Hosted(id).to_word() {
            self.reclaim_memory(badge);
            self.forget_program(badge);
        }
        let ending = Ending { kind, code };
        println!(
            "{} (id {id}) on core {} {ending}",
            p.name,
            corefish::core_id()
        );
        if self.programs.ended.len() >= ENDED_KEPT {
            self.programs.ended.pop_front();
        }
        self.programs.ended.push_back((id, ending));
        // What it sent to other OSNodes is revoked there first, by this
        // monitor itself (it has no monitor to ask), on the authority of
        // the child's RAM, which it holds.
        let cleaned = Cap::<kind::Ram>::at(p.child.ram)
            .prepare_revoke()
            .and_then(|_| self.revoke_exports(p.child.ram))
            .and_then(|()| p.child.end());
        match cleaned {
            Ok(ram) => self.uncarve(ram),
            Err(e) => println!("monitor: cleaning up {id} failed: {e}"),
        }
    }
}
