//! The client side of the memory server protocol.
//!
//! A request is an LMP message `[MEM_REQUEST, bytes, limit, 0]` (`limit`: 0,
//! or an address the RAM must end below) carrying an endpoint for the reply; the reply is `[MEM_REPLY, status, 0, 0]` with a
//! RAM capability when the status is 0 (otherwise a `SysError` code).

use abi::cspace::task;
use abi::error::SysError;

use crate::cap::{Cap, kind};

/// First word of a memory request.
pub const MEM_REQUEST: u64 = 0x3e30;
/// First word of a memory reply.
pub const MEM_REPLY: u64 = 0x3e31;
/// Smallest amount of RAM requested at a time.
pub const MIN_REQUEST: u64 = 1 << 20;

/// Asks the memory server for exactly `bytes` of RAM ending at or below
/// `limit` (0: anywhere); returns the slot of the RAM capability, which is
/// the caller's to use (it is not given to the allocator).
pub fn request_below(bytes: u64, limit: u64) -> Result<abi::cspace::CPtr, SysError> {
    let server = Cap::<kind::EndPoint>::at(task::MEMORY_ENDPOINT);
    let bytes = bytes.next_multiple_of(caps::PAGE_SIZE);
    let reply = crate::lmp::call(server, [MEM_REQUEST, bytes, limit, 0])?;
    if reply.words[0] != MEM_REPLY || reply.words[1] != 0 {
        return Err(SysError::from_code(reply.words[1])
            .err()
            .unwrap_or(SysError::OutOfBounds));
    }
    reply.cap.ok_or(SysError::NoReceiveSlot)
}

/// Asks the memory server for at least `bytes` more RAM and adds it to the
/// allocator.
pub fn request_more(bytes: u64) -> Result<(), SysError> {
    if Cap::<kind::EndPoint>::at(task::MEMORY_ENDPOINT)
        .identify()
        .is_err()
    {
        return Err(SysError::OutOfBounds);
    }
    let cap = request_below(bytes.max(MIN_REQUEST), 0)?;
    crate::ram::add(cap)
}
