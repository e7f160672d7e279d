//! The RAM a monitor hands out on its OSNode: chunks of the machine's
//! memory, fetched on demand and given back once nothing is carved from
//! them.
//!
//! * The hub asks the memory server directly (it is one of its clients,
//!   without a quota: it serves every OSNode); its chunks are the copies
//!   the server sends.
//! * Any other monitor asks the hub (`intermon::Request::Grant`): the hub
//!   takes a chunk from the memory server, keeps its copy as an exported
//!   anchor (so its OSNode never hands the range out again) and answers
//!   with the range, which this monitor *adopts* (`KERNEL_CAP_IMPORT` with
//!   `IMPORT_ADOPT`): an original RAM capability of its own OSNode, which
//!   it may retype, revoke and delete like any other.
//!
//! Chunks are at least [`CHUNK`] (a bigger request gets a chunk a MiB
//! bigger than itself, as RAM carved from RAM must be smaller than its
//! source), kept in a `RamPool`. A piece carved for a program or for the
//! monitor itself is an original; when it comes back (its capability and
//! everything made of it gone) its range is free in its chunk again, and a
//! chunk with nothing carved from it goes back to the memory server at
//! once (`intermon::Request::Return`), so a monitor holds no idle memory.
//! A parked or moved OSNode keeps its chunks: they are capabilities of its
//! own, in its CSpace.
//!
//! The monitor's own memory (its heap, slots, the objects it makes) is not
//! carved from the lending chunks, which would then never be empty: when
//! it runs low, the monitor gets a chunk of [`OWN_STEP`] for itself, which
//! it keeps. A grant whose answer came too late (the monitor had given up
//! waiting) is returned as soon as it comes; a return the hub did not
//! confirm is sent again with the next one.

use corefish::abi::invoke as op;
use corefish::cap::{Cap, kind};
use corefish::proto::intermon::{self, Granted};
use corefish::ram_pool::RamPool;
use corefish::{CPtr, SlotRef, SysError, memserv, println, ram, slots, sys};

use crate::Monitor;

/// Smallest chunk fetched at a time.
pub const CHUNK: u64 = 4 << 20;
/// Granularity of a chunk bigger than [`CHUNK`].
const CHUNK_STEP: u64 = 1 << 20;
/// Below this much free RAM of its own, a monitor takes more ([`OWN_STEP`])
/// from its chunks before the next request: its runtime cannot ask the
/// hub in the middle of an allocation.
const OWN_LOW: u64 = 384 * 1024;
/// What a monitor adds to its own RAM at a time.
const OWN_STEP: u64 = 1 << 20;
/// Largest chunk the hub hands out at once.
pub const GRANT_MAX: u64 = 1 << 30;

/// After a failed attempt to get memory of its own, how long a monitor
/// waits before the next.
const OWN_RETRY_NS: u64 = 1_000_000_000;

/// A monitor's chunks.
#[derive(Default)]
pub struct Chunks {
    pool: RamPool,
    /// The most RAM one program may hold (learned with the first chunk).
    quota: Option<u64>,
    /// Chunks given up whose return the hub did not confirm: `(base, size)`.
    unreturned: alloc::vec::Vec<(u64, u64)>,
    /// No attempt to get memory of its own before this time.
    own_retry_at: u64,
}

/// The chunk size for a request of `bytes`.
fn chunk_for(bytes: u64) -> u64 {
    if bytes < CHUNK {
        CHUNK
    } else {
        bytes
            .saturating_add(CHUNK_STEP)
            .next_multiple_of(CHUNK_STEP)
    }
}

/// The memory server's per-program limit on this machine, as the hub
/// tells the other monitors.
fn quota_of_machine() -> Result<u64, SysError> {
    Ok(corefish::proto::memserv::default_quota(
        memserv::stats()?.total,
    ))
}

impl Monitor {
    /// The most RAM one program may hold.
    pub fn program_quota(&mut self) -> Result<u64, SysError> {
        if let Some(q) = self.chunks.quota {
            return Ok(q);
        }
        if self.hub {
            let q = quota_of_machine()?;
            self.chunks.quota = Some(q);
            return Ok(q);
        }
        // A node learns it with its first chunk.
        self.fetch_chunk(CHUNK)?;
        self.chunks.quota.ok_or(SysError::InvalidOperation)
    }

    /// An original RAM capability of `bytes` (a page multiple), carved
    /// from a chunk (fetched if none has room).
    pub fn carve(&mut self, bytes: u64) -> Result<CPtr, SysError> {
        if !self.chunks.pool.fits(bytes) {
            self.fetch_chunk(bytes)?;
        }
        self.chunks.pool.carve(bytes, u64::MAX).map(|(cap, _)| cap)
    }

    /// Takes back a piece [`Monitor::carve`] made, with nothing made of it
    /// any more: its capability goes, its range is free again, and a chunk
    /// it leaves empty goes back to the memory server.
    pub fn uncarve(&mut self, piece: CPtr) {
        let cap = Cap::<kind::Ram>::at(piece);
        let id = cap.identify();
        // Nothing may live in a range that is handed out again: a piece
        // something is still made of stays out of use (and its chunk here).
        let emptied = cap.revoke();
        let _ = cap.delete();
        slots::free(piece);
        match (id, emptied) {
            (Ok(id), Ok(_)) => self.chunks.pool.put_back(id.base, id.size),
            (Ok(id), Err(e)) => println!("monitor: {} KiB kept out of use: {e}", id.size >> 10),
            (Err(_), _) => {}
        }
        self.return_empty_chunks();
    }

    /// Keeps the monitor's own RAM (its heap, slots, the objects it makes)
    /// from running out: called between requests.
    pub fn top_up_own_memory(&mut self) {
        if self.hub || ram::available() >= OWN_LOW || sys::time_ns() < self.chunks.own_retry_at {
            // The hub's runtime asks the memory server itself.
            return;
        }
        let got = match self.call_remote(0, intermon::Request::Grant { bytes: OWN_STEP }, &[]) {
            Ok(intermon::Reply::Grant(result)) => result,
            Ok(_) => Err(SysError::InvalidOperation),
            Err(e) => Err(e),
        };
        let added = got.and_then(|granted| {
            self.chunks.quota = Some(granted.quota);
            let cap = self.adopt(granted)?;
            ram::add_owned(cap).inspect_err(|_| self.give_up_chunk(cap))
        });
        if let Err(e) = added {
            println!("monitor: low on RAM of its own: {e}");
            self.chunks.own_retry_at = sys::time_ns() + OWN_RETRY_NS;
        }
    }

    /// A grant whose answer came after this monitor stopped waiting for
    /// it: it goes back at once.
    pub fn late_grant(&mut self, granted: Granted) {
        self.send_return(granted.base, granted.size);
    }

    /// Bytes in this monitor's chunks, and how many of them are free.
    pub fn chunk_bytes(&self) -> (u64, u64) {
        (self.chunks.pool.total(), self.chunks.pool.free())
    }

    /// Gets a chunk with room for `bytes` into the pool.
    fn fetch_chunk(&mut self, bytes: u64) -> Result<(), SysError> {
        let size = chunk_for(bytes);
        let cap = if self.hub {
            if self.chunks.quota.is_none() {
                self.chunks.quota = Some(quota_of_machine()?);
            }
            memserv::request_below(size, 0)?
        } else {
            let granted =
                match self.call_remote(0, intermon::Request::Grant { bytes: size }, &[])? {
                    intermon::Reply::Grant(result) => result?,
                    _ => return Err(SysError::InvalidOperation),
                };
            self.chunks.quota = Some(granted.quota);
            self.adopt(granted)?
        };
        if let Err(e) = self.chunks.pool.add(cap) {
            self.give_up_chunk(cap);
            return Err(e);
        }
        Ok(())
    }

    /// Makes the chunk the hub granted an original of this OSNode's.
    fn adopt(&mut self, granted: Granted) -> Result<CPtr, SysError> {
        let slot = slots::alloc();
        let adopted = slot.and_then(|slot| {
            let ty = corefish::ObjType::Ram as u64;
            sys::invoke(
                self.kernel,
                op::KERNEL_CAP_IMPORT,
                [
                    SlotRef::Slot(slot).pack(),
                    ty | op::IMPORT_ADOPT,
                    granted.base,
                    granted.size,
                ],
            )
            .map(|_| slot)
        });
        match adopted {
            Ok(_) => {
                // A return of this range the hub never confirmed was taken
                // after all: the hub granted it again.
                let end = granted.base + granted.size;
                self.chunks
                    .unreturned
                    .retain(|&(base, size)| base >= end || base + size <= granted.base);
            }
            Err(_) => {
                if let Ok(slot) = slot {
                    slots::free(slot);
                }
                // The hub takes it back: nothing here holds it.
                self.send_return(granted.base, granted.size);
            }
        }
        adopted
    }

    /// Gives every chunk with nothing carved from it back.
    pub fn return_empty_chunks(&mut self) {
        while let Some(cap) = self.chunks.pool.take_whole() {
            self.give_up_chunk(cap);
        }
    }

    /// Gives one chunk (nothing made of it) back to where it came from.
    fn give_up_chunk(&mut self, cap: CPtr) {
        if self.hub {
            if let Err(e) = memserv::free(cap) {
                println!("monitor: the memory server did not take a chunk back: {e}");
            }
            return;
        }
        let id = Cap::<kind::Ram>::at(cap).identify();
        // Gone here before the hub lets the memory server hand it out again.
        let _ = Cap::<kind::Ram>::at(cap).delete();
        slots::free(cap);
        if let Ok(id) = id {
            self.send_return(id.base, id.size);
        }
    }

    /// Tells the hub a chunk is back (this OSNode holds nothing of it),
    /// and again any whose return it did not confirm before.
    fn send_return(&mut self, base: u64, size: u64) {
        self.chunks.unreturned.push((base, size));
        for (base, size) in core::mem::take(&mut self.chunks.unreturned) {
            let back = intermon::Request::Return { base, size };
            match self.call_remote(0, back, &[]) {
                Ok(intermon::Reply::Return(Ok(()))) => {}
                // Not granted to this OSNode (or already back): nothing to do.
                Ok(intermon::Reply::Return(Err(SysError::BadArgument))) => {}
                other => {
                    println!(
                        "monitor: the hub did not take back {} KiB yet: {other:?}",
                        size >> 10
                    );
                    self.chunks.unreturned.push((base, size));
                }
            }
        }
    }

    /// The hub: a chunk of at least `bytes` for OSNode `osnode`, from the
    /// memory server; the hub keeps its copy as the exported anchor.
    pub fn grant(&mut self, osnode: u64, bytes: u64) -> Result<Granted, SysError> {
        if bytes == 0 || bytes > GRANT_MAX {
            return Err(SysError::BadSize);
        }
        let quota = self.program_quota()?;
        let cap = memserv::request_below(bytes.next_multiple_of(4096), 0)?;
        let id = match Cap::<kind::Ram>::at(cap).identify() {
            Ok(id) => id,
            Err(e) => {
                let _ = memserv::free(cap);
                return Err(e);
            }
        };
        if let Err(e) = self.remote.export(self.kernel, cap, id, osnode) {
            let _ = memserv::free(cap);
            return Err(e);
        }
        Ok(Granted {
            base: id.base,
            size: id.size,
            quota,
        })
    }

    /// The hub: OSNode `osnode` gives back the chunk `[base, base + size)`
    /// it was granted (and holds nothing of any more): the anchor goes
    /// back to the memory server.
    pub fn take_back_chunk(&mut self, osnode: u64, base: u64, size: u64) -> Result<(), SysError> {
        let i = self
            .remote
            .exports
            .iter()
            .position(|e| {
                (e.cap.base, e.cap.size) == (base, size)
                    && e.cap.ty == Some(corefish::ObjType::Ram)
                    && e.importers == [osnode]
            })
            .ok_or(SysError::BadArgument)?;
        let anchor = self.remote.forget_export(self.kernel, i);
        memserv::free(anchor)
    }
}
