//! A monitor as the memory server of the programs it starts (they reach
//! it through their memory endpoint, badged `Hosted(id)`): RAM carved from
//! the monitor's chunks of the machine's memory ([`crate::chunks`]), up to
//! the memory server's per-program quota, given back with `FREE` or when
//! the program ends. The monitor keeps the original of what it lends, so
//! taking it back takes everything made of it, and the memory returns to
//! its chunk (and an empty chunk to the memory server).

use alloc::vec::Vec;
use corefish::cap::{Cap, kind};
use corefish::lmp::{self, Message};
use corefish::proto::memserv::{Reply, Request, Stats};
use corefish::{CPtr, SysError, slots};

use crate::Monitor;

/// Most pieces of RAM one program holds at a time.
const PIECES_PER_PROGRAM: usize = 256;

/// A piece of RAM lent to a program: the monitor's original.
struct Lent {
    badge: u64,
    cap: CPtr,
    base: u64,
    size: u64,
}

/// What this monitor lent.
#[derive(Default)]
pub struct Lending {
    list: Vec<Lent>,
}

impl Monitor {
    /// Takes a piece back: every copy and everything made of it go (those
    /// on other OSNodes first: this monitor holds the original, so it can
    /// have them revoked), and its memory is this monitor's to carve again.
    /// `Err` (nothing given back) if a copy could not be revoked.
    fn take_back(&mut self, lent: Lent) -> Result<(), Lent> {
        let cap = Cap::<kind::Ram>::at(lent.cap);
        let revoked = match cap.revoke() {
            Err(SysError::RemoteCopies) => cap
                .prepare_revoke()
                .and_then(|_| self.revoke_exports(lent.cap))
                .and_then(|()| cap.revoke()),
            other => other,
        };
        if revoked.is_err() {
            return Err(lent);
        }
        self.uncarve(lent.cap);
        Ok(())
    }

    /// A memory request of the program with badge `badge`.
    pub fn serve_memory(&mut self, m: &Message, badge: u64, request: Request) {
        let reply = match request {
            Request::Alloc { .. } if !self.hosts(badge) => Reply::Alloc(Err(SysError::NotAllowed)),
            Request::Alloc { bytes, .. } => match self.lend(badge, bytes) {
                Ok(cap) => {
                    let _ = lmp::reply(m, Reply::Alloc(Ok(())).to_words(), Some(cap));
                    return;
                }
                Err(e) => Reply::Alloc(Err(e)),
            },
            Request::Free => {
                if let Some(copy) = m.cap {
                    // A FREE of what the sender does not hold changes nothing.
                    let _ = self.take_back_copy(badge, copy);
                    let _ = Cap::<kind::Any>::at(copy).delete();
                    slots::free(copy);
                }
                return;
            }
            Request::Stats => Reply::Stats(self.chunk_stats()),
            Request::Release { .. } => Reply::Release(Err(SysError::NotAllowed)),
            Request::Quota { .. } => Reply::Quota(Err(SysError::NotAllowed)),
            Request::Admit { .. } => Reply::Admit(Err(SysError::NotAllowed)),
        };
        if m.cap.is_some() {
            let _ = lmp::reply(m, reply.to_words(), None);
        }
    }

    /// The memory server's figures on the hub; on a node, this monitor's
    /// chunks (held and free).
    fn chunk_stats(&mut self) -> Result<Stats, SysError> {
        if self.hub {
            return corefish::memserv::stats();
        }
        let (held, free) = self.chunk_bytes();
        Ok(Stats { free, total: held })
    }

    /// `bytes` for `badge`, within its quota.
    fn lend(&mut self, badge: u64, bytes: u64) -> Result<CPtr, SysError> {
        let quota = self.program_quota()?;
        if bytes > quota {
            // The chunk fetched to learn the quota may be empty.
            self.return_empty_chunks();
            return Err(SysError::OverLimit);
        }
        let bytes = bytes.max(4096).next_multiple_of(4096);
        let its: Vec<&Lent> = self
            .lending
            .list
            .iter()
            .filter(|l| l.badge == badge)
            .collect();
        let held: u64 = its.iter().map(|l| l.size).sum();
        if held.saturating_add(bytes) > quota || its.len() >= PIECES_PER_PROGRAM {
            self.return_empty_chunks();
            return Err(SysError::OverLimit);
        }
        let cap = self.carve(bytes)?;
        let id = match Cap::<kind::Ram>::at(cap).identify() {
            Ok(id) => id,
            Err(e) => {
                self.uncarve(cap);
                return Err(e);
            }
        };
        self.lending.list.push(Lent {
            badge,
            cap,
            base: id.base,
            size: id.size,
        });
        Ok(cap)
    }

    /// `badge` gives back the RAM its copy `copy` names.
    fn take_back_copy(&mut self, badge: u64, copy: CPtr) -> Result<(), SysError> {
        let id = Cap::<kind::Ram>::at(copy).identify()?;
        let i = self
            .lending
            .list
            .iter()
            .position(|l| (l.badge, l.base, l.size) == (badge, id.base, id.size))
            .ok_or(SysError::BadArgument)?;
        let lent = self.lending.list.swap_remove(i);
        self.take_back(lent).map_err(|lent| {
            self.lending.list.push(lent);
            SysError::RemoteCopies
        })
    }

    /// The program with badge `badge` ended: what it was lent comes back.
    pub fn reclaim_memory(&mut self, badge: u64) {
        let (its, rest): (Vec<Lent>, Vec<Lent>) = core::mem::take(&mut self.lending.list)
            .into_iter()
            .partition(|l| l.badge == badge);
        self.lending.list = rest;
        for lent in its {
            // What cannot be taken back stays out of use, on record.
            if let Err(lent) = self.take_back(lent) {
                self.lending.list.push(Lent {
                    badge: u64::MAX,
                    ..lent
                });
            }
        }
    }
}
