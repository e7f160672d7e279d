//! MAP: installing a frame, device frame or page table in a page table,
//! recorded as a Mapping capability in a slot the caller names.

use abi::cspace::{CPtr, SlotRef};
use abi::error::SysError;
use caps::CteMemory;

use super::{Invocation, Results};
use crate::cspace::{self, sys};
use crate::vspace::{self, Request};

/// MAP(a0 = child cptr | flags << 32, a1 = entry | count << 16, a2 = page
/// offset into the child, a3 = destination of the Mapping capability).
pub fn map(inv: &mut Invocation) -> Result<Results, SysError> {
    if !inv.target.cap.rights().contains(caps::Rights::WRITE) {
        return Err(SysError::InsufficientRights);
    }
    let child = cspace::cap(inv.mem, &inv.root, CPtr(inv.args[0] as u32))?;
    let request = Request {
        table: inv.target.cap,
        index: inv.args[1] & 0xffff,
        count: (inv.args[1] >> 16) & 0xffff,
        offset_pages: inv.args[2],
        flags: inv.args[0] >> 32,
    };
    if inv.args[1] >> 32 != 0 {
        return Err(SysError::BadArgument);
    }
    let dest = cspace::dest(inv.mem, &inv.root, SlotRef::unpack(inv.args[3]))?;
    let (record, first_entry, step) = vspace::plan(inv.mem, &request, &child.cap)?;
    let mut root = inv.mem.kcb(inv.kcb).mdb_root;
    let derived = caps::ops::derive(inv.mem, &mut root, child.at, record, dest);
    inv.mem.kcb(inv.kcb).mdb_root = root;
    derived.map_err(sys)?;
    let record = inv.mem.read(dest).cap;
    vspace::install(inv.mem, &record, dest, first_entry, step);
    Ok([0; 6])
}
