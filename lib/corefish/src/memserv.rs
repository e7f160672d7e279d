//! The client side of the memory protocol (`proto::memserv`): RAM from the
//! memory server (or this program's monitor), as a RAM capability that
//! comes with the reply, given back with [`free`]; for spawners, quotas and
//! the release of what an ended program held.

use abi::cspace::task;
use abi::error::SysError;
use proto::memserv::{Reply, Request, Stats};

use crate::cap::{Cap, kind};

/// Smallest amount of RAM requested at a time.
pub const MIN_REQUEST: u64 = 1 << 20;

fn server() -> Cap<kind::EndPoint> {
    Cap::at(task::MEMORY_ENDPOINT)
}

/// Asks the memory server for exactly `bytes` of RAM ending at or below
/// `limit` (0: anywhere); returns the slot of the RAM capability, which is
/// the caller's to use (it is not given to the allocator).
pub fn request_below(bytes: u64, limit: u64) -> Result<abi::cspace::CPtr, SysError> {
    let bytes = bytes.next_multiple_of(caps::PAGE_SIZE);
    let reply = crate::lmp::call(server(), Request::Alloc { bytes, limit }.to_words())?;
    match Reply::from_words(reply.words) {
        Ok(Reply::Alloc(Ok(()))) => reply.cap.ok_or(SysError::NoReceiveSlot),
        Ok(Reply::Alloc(Err(e))) => Err(e),
        _ => Err(SysError::InvalidOperation),
    }
}

/// Asks the memory server for at least `bytes` more RAM and adds it to the
/// allocator.
pub fn request_more(bytes: u64) -> Result<(), SysError> {
    if server().identify().is_err() {
        return Err(SysError::OutOfBounds);
    }
    let cap = request_below(bytes.max(MIN_REQUEST), 0)?;
    crate::ram::add_owned(cap)
}

/// Gives the RAM capability at `ram` (one the memory server sent, with
/// whatever was made of it deleted) back to the memory server, and frees
/// its slot. The server takes back everything still made of it.
pub fn free(ram: abi::cspace::CPtr) -> Result<(), SysError> {
    let sent = crate::lmp::send(server(), Request::Free.to_words(), Some(ram));
    let _ = Cap::<kind::Ram>::at(ram).delete();
    crate::slots::free(ram);
    sent
}

/// Tells the memory server that the program whose endpoint has badge
/// `client` ended: what it held goes back (its spawner only, through an
/// unbadged endpoint). Returns how many bytes did.
pub fn release(client: u64) -> Result<u64, SysError> {
    let reply = crate::lmp::call(server(), Request::Release { client }.to_words())?;
    match Reply::from_words(reply.words) {
        Ok(Reply::Release(result)) => result,
        _ => Err(SysError::InvalidOperation),
    }
}

/// Has the memory server serve the program whose endpoint has badge
/// `client` (about to start), with its default quota (its spawner only,
/// through an unbadged endpoint).
pub fn admit(client: u64) -> Result<(), SysError> {
    let reply = crate::lmp::call(server(), Request::Admit { client }.to_words())?;
    match Reply::from_words(reply.words) {
        Ok(Reply::Admit(result)) => result,
        _ => Err(SysError::InvalidOperation),
    }
}

/// Sets the most RAM the program whose endpoint has badge `client` may
/// hold (its spawner only, through an unbadged endpoint).
pub fn set_quota(client: u64, bytes: u64) -> Result<(), SysError> {
    let reply = crate::lmp::call(server(), Request::Quota { client, bytes }.to_words())?;
    match Reply::from_words(reply.words) {
        Ok(Reply::Quota(result)) => result,
        _ => Err(SysError::InvalidOperation),
    }
}

/// The memory server's free and total RAM.
pub fn stats() -> Result<Stats, SysError> {
    let reply = crate::lmp::call(server(), Request::Stats.to_words())?;
    match Reply::from_words(reply.words) {
        Ok(Reply::Stats(result)) => result,
        _ => Err(SysError::InvalidOperation),
    }
}
