//! The client side of the memory server protocol.
//!
//! A request is an LMP message `[MEM_REQUEST, bytes, 0, 0]` carrying an
//! endpoint for the reply; the reply is `[MEM_REPLY, status, 0, 0]` with a
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

/// Asks the memory server for at least `bytes` more RAM and adds it to the
/// allocator.
pub fn request_more(bytes: u64) -> Result<(), SysError> {
    let server = Cap::<kind::EndPoint>::at(task::MEMORY_ENDPOINT);
    if server.identify().is_err() {
        return Err(SysError::OutOfBounds);
    }
    let bytes = bytes.max(MIN_REQUEST).next_multiple_of(caps::PAGE_SIZE);
    let reply = crate::lmp::call(server, [MEM_REQUEST, bytes, 0, 0])?;
    if reply.words[0] != MEM_REPLY || reply.words[1] != 0 {
        return Err(SysError::from_code(reply.words[1])
            .err()
            .unwrap_or(SysError::OutOfBounds));
    }
    let cap = reply.cap.ok_or(SysError::NoReceiveSlot)?;
    crate::ram::add(cap)
}
