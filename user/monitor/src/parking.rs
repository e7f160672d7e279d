//! Parking: a stopped OSNode hosted by this core's kernel, for the boot
//! driver.
//!
//! The boot driver sends the hub the OSNode's KCB capability with its
//! PARK. The kernel takes a KCB only through a capability (never an
//! address from a message), so the host's monitor holds one while the
//! OSNode is parked: on the hub's own core, the copy that came with the
//! request; on another core, this OSNode's import of it (the hub keeps its
//! copy as the exported anchor meanwhile, so the KCB cannot be revoked
//! under the host). Only the hub asks a monitor to attach or detach.

use alloc::vec::Vec;
use corefish::abi::invoke as op;
use corefish::cap::{Cap, kind};
use corefish::proto::intermon::{self, CapDesc};
use corefish::{CPtr, ObjType, SysError, slots, sys};

use crate::Monitor;
use crate::remote_caps::describe;

/// An OSNode parked on this core.
struct Hosted {
    osnode: u64,
    /// The KCB capability the kernel attached it through.
    kcb: CPtr,
    /// Where that capability came from: this OSNode's import of it (on a
    /// node), or the boot driver's request (on the hub's core).
    import: Option<CapDesc>,
}

/// An OSNode the hub had parked on another core.
struct ParkedElsewhere {
    osnode: u64,
    /// The hub's copy of its KCB capability: the exported anchor.
    anchor: CPtr,
}

/// What one monitor keeps of parked OSNodes.
#[derive(Default)]
pub struct Parking {
    hosted: Vec<Hosted>,
    elsewhere: Vec<ParkedElsewhere>,
}

/// Deletes a capability this monitor holds only for a moment.
fn discard(cap: CPtr) {
    let _ = Cap::<kind::Any>::at(cap).delete();
    slots::free(cap);
}

impl Monitor {
    /// PARK from the boot driver: OSNode `osnode`, whose KCB capability
    /// is `kcb`, parks on core `host` (this one, or another through its
    /// monitor).
    pub fn park(&mut self, host: u64, osnode: u64, kcb: CPtr) -> Result<(), SysError> {
        let id = match Cap::<kind::Any>::at(kcb).identify() {
            Ok(id) if id.ty == Some(ObjType::KernelControlBlock) => id,
            other => {
                discard(kcb);
                return Err(other.err().unwrap_or(SysError::WrongType));
            }
        };
        if host == corefish::core_id() {
            return self.attach_here(osnode, kcb, None);
        }
        let Some(at) = self.osnode_on(host) else {
            discard(kcb);
            return Err(SysError::BadArgument);
        };
        if let Err(e) = self.remote.export(self.kernel, kcb, id, at) {
            discard(kcb);
            return Err(e);
        }
        let attach = intermon::Request::Attach {
            osnode,
            kcb: describe(&id),
        };
        let result = match self.call_remote(at, attach, &[]) {
            Ok(intermon::Reply::Attach(result)) => result,
            Ok(_) => Err(SysError::InvalidOperation),
            Err(e) => {
                // No answer in time: the host may have attached all the
                // same. It lets go before the anchor does.
                let _ = self.call_remote(at, intermon::Request::Detach { osnode }, &[]);
                Err(e)
            }
        };
        match result {
            Ok(()) => self.parking.elsewhere.push(ParkedElsewhere {
                osnode,
                anchor: kcb,
            }),
            Err(_) => self.forget_export(kcb),
        }
        result
    }

    /// UNPARK from the boot driver: OSNode `osnode` leaves core `host`.
    pub fn unpark(&mut self, host: u64, osnode: u64) -> Result<(), SysError> {
        if host == corefish::core_id() {
            return self.detach_here(osnode);
        }
        let at = self.osnode_on(host).ok_or(SysError::BadArgument)?;
        let result = match self.call_remote(at, intermon::Request::Detach { osnode }, &[])? {
            intermon::Reply::Detach(result) => result,
            _ => Err(SysError::InvalidOperation),
        };
        if result.is_ok()
            && let Some(i) = self
                .parking
                .elsewhere
                .iter()
                .position(|p| p.osnode == osnode)
        {
            let parked = self.parking.elsewhere.swap_remove(i);
            self.forget_export(parked.anchor);
        }
        result
    }

    /// Clears and deletes the anchor `anchor` of an export.
    fn forget_export(&mut self, anchor: CPtr) {
        if let Some(i) = self.remote.exports.iter().position(|e| e.anchor == anchor) {
            self.remote.drop_export(self.kernel, i);
        } else {
            discard(anchor);
        }
    }

    /// ATTACH from the hub: the KCB `kcb` describes, imported here, parks
    /// OSNode `osnode` on this core.
    pub fn attach_remote(&mut self, osnode: u64, kcb: CapDesc) -> Result<(), SysError> {
        let anchor = self.remote.import(self.kernel, kcb)?;
        let attached = self.attach_here(osnode, anchor, Some(kcb));
        if attached.is_err() {
            self.remote.unimport(kcb);
        }
        attached
    }

    /// Has this core's kernel attach OSNode `osnode` through `kcb`, which
    /// is kept until the OSNode leaves (or deleted now if it cannot park).
    fn attach_here(
        &mut self,
        osnode: u64,
        kcb: CPtr,
        import: Option<CapDesc>,
    ) -> Result<(), SysError> {
        let attached = sys::invoke(
            self.kernel,
            op::KERNEL_KCB_ATTACH,
            [u64::from(kcb.0), osnode, 0, 0],
        );
        match attached {
            Ok(_) => {
                self.parking.hosted.push(Hosted {
                    osnode,
                    kcb,
                    import,
                });
                Ok(())
            }
            Err(e) => {
                if import.is_none() {
                    discard(kcb);
                }
                Err(e)
            }
        }
    }

    /// Takes the parked OSNode `osnode` off this core, and lets go of its
    /// KCB capability.
    pub fn detach_here(&mut self, osnode: u64) -> Result<(), SysError> {
        sys::invoke(self.kernel, op::KERNEL_KCB_DETACH, [osnode, 0, 0, 0])?;
        if let Some(i) = self.parking.hosted.iter().position(|h| h.osnode == osnode) {
            let hosted = self.parking.hosted.swap_remove(i);
            match hosted.import {
                Some(desc) => self.remote.unimport(desc),
                None => discard(hosted.kcb),
            }
        }
        Ok(())
    }
}
