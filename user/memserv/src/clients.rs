//! The programs that hold RAM of the memory server, each by the badge of
//! its endpoint (`proto::badge`): what it holds, up to its quota. The
//! server keeps the original of every capability it hands out (the program
//! gets a copy), so it can take the RAM back, with everything made of it,
//! when the program gives it back or ends.

use alloc::vec::Vec;
use corefish::abi::cspace::CPtr;
use corefish::cap::{Cap, kind};
use corefish::{SysError, slots};

use corefish::ram_pool::RamPool as Pool;

/// Most pieces of RAM one program with a quota holds at a time (it asks
/// for at least a MiB at a time, so this is far more than its quota
/// needs); the system services have no such limit.
const GRANTS_PER_CLIENT: usize = 1024;

/// A piece of RAM handed out: the server's original.
struct Grant {
    cap: CPtr,
    base: u64,
    size: u64,
}

/// A program holding RAM.
struct Client {
    badge: u64,
    quota: u64,
    grants: Vec<Grant>,
}

impl Client {
    fn held(&self) -> u64 {
        self.grants.iter().map(|g| g.size).sum()
    }
}

/// Every program that holds RAM or has a quota.
pub struct Clients {
    list: Vec<Client>,
    default_quota: u64,
    /// Grants that could not be taken back: something made of them has
    /// copies on other OSNodes (the program sent it there), which only the
    /// monitors can revoke. Their memory stays out of the pool (it is not
    /// free: someone can still reach it); a later release tries again.
    stranded: Vec<Grant>,
}

/// Takes a grant back: its capability, every copy and everything made of
/// it go, and its range is free again; `Err` (nothing changed) if the
/// revoke is refused because copies of it live on other OSNodes.
fn take_back(pool: &mut Pool, grant: Grant) -> Result<(), Grant> {
    let cap = Cap::<kind::Ram>::at(grant.cap);
    if cap.revoke().is_err() {
        return Err(grant);
    }
    let _ = cap.delete();
    slots::free(grant.cap);
    pool.put_back(grant.base, grant.size);
    Ok(())
}

impl Clients {
    /// No clients yet; a program's quota is `default_quota` until its
    /// spawner says otherwise.
    pub fn new(default_quota: u64) -> Self {
        Self {
            list: Vec::new(),
            default_quota,
            stranded: Vec::new(),
        }
    }

    /// The admitted client `badge` (`NotAllowed` for a badge init did not
    /// admit, or released: a program that ended, or one that got another's
    /// endpoint).
    fn client(&mut self, badge: u64) -> Result<&mut Client, SysError> {
        self.list
            .iter_mut()
            .find(|c| c.badge == badge)
            .ok_or(SysError::NotAllowed)
    }

    /// Serves `badge` from now on, with the default quota (if it was not
    /// served already).
    pub fn admit(&mut self, badge: u64) {
        if self.client(badge).is_err() {
            self.list.push(Client {
                badge,
                quota: self.default_quota,
                grants: Vec::new(),
            });
        }
    }

    /// `bytes` of RAM (ending at or below `limit`) for `badge`, within its
    /// quota: the server's original, of which the caller sends a copy.
    pub fn alloc(
        &mut self,
        pool: &mut Pool,
        badge: u64,
        bytes: u64,
        limit: u64,
    ) -> Result<CPtr, SysError> {
        let client = self.client(badge)?;
        let over = client.held().saturating_add(bytes) > client.quota;
        // The system services (no quota) are not held to a number of
        // pieces: the hub holds every OSNode's chunks, which grow with
        // the machine, and only the machine's RAM bounds them.
        let unlimited = client.quota == u64::MAX;
        if over || (!unlimited && client.grants.len() >= GRANTS_PER_CLIENT) {
            return Err(SysError::OverLimit);
        }
        let (cap, base) = pool.carve(bytes, limit)?;
        client.grants.push(Grant {
            cap,
            base,
            size: bytes,
        });
        Ok(cap)
    }

    /// `badge` gives back the RAM its copy `copy` names.
    pub fn free(&mut self, pool: &mut Pool, badge: u64, copy: CPtr) -> Result<(), SysError> {
        let id = Cap::<kind::Ram>::at(copy).identify()?;
        if id.ty != Some(corefish::ObjType::Ram) {
            return Err(SysError::WrongType);
        }
        let client = self.client(badge)?;
        let i = client
            .grants
            .iter()
            .position(|g| (g.base, g.size) == (id.base, id.size))
            .ok_or(SysError::BadArgument)?;
        let grant = client.grants.swap_remove(i);
        take_back(pool, grant).map_err(|grant| {
            // Still the client's, and still charged to it.
            client.grants.push(grant);
            SysError::RemoteCopies
        })
    }

    /// The program with `badge` ended: everything it held goes back;
    /// returns how many bytes.
    pub fn release(&mut self, pool: &mut Pool, badge: u64) -> u64 {
        let Some(i) = self.list.iter().position(|c| c.badge == badge) else {
            return 0;
        };
        let client = self.list.swap_remove(i);
        let mut bytes = 0;
        for grant in client.grants {
            let size = grant.size;
            match take_back(pool, grant) {
                Ok(()) => bytes += size,
                Err(grant) => self.stranded.push(grant),
            }
        }
        bytes + self.retry_stranded(pool)
    }

    /// Tries again to take back the grants of ended programs that had
    /// copies on other OSNodes (their monitor revokes those when it hears
    /// of the end, which may come after the release); returns the bytes
    /// that came back.
    pub fn retry_stranded(&mut self, pool: &mut Pool) -> u64 {
        let mut bytes = 0;
        for grant in core::mem::take(&mut self.stranded) {
            let size = grant.size;
            match take_back(pool, grant) {
                Ok(()) => bytes += size,
                Err(grant) => self.stranded.push(grant),
            }
        }
        bytes
    }

    /// `badge` may hold at most `bytes` from now on (what it holds stays);
    /// it is admitted if it was not.
    pub fn set_quota(&mut self, badge: u64, bytes: u64) {
        self.admit(badge);
        if let Ok(client) = self.client(badge) {
            client.quota = bytes;
        }
    }
}
