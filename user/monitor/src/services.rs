//! Names exported by this OSNode's programs: each names an endpoint of its
//! exporter, here, and is registered at the hub (which keeps the names of
//! every OSNode).
//!
//! Names are bounded: a program holds at most [`NAMES_PER_PROGRAM`] (by the
//! badge its requests come with), a monitor at most [`SERVICES_MAX`], the
//! hub at most `hub::NAMES_MAX`; beyond that an export is refused with
//! `OverLimit`. A name lives as long as its exporter: when the program ends
//! the monitor forgets its names (here and at the hub): for a program the
//! monitor started, at its end; for one init started, when init says so
//! (`ENDED`); and a name whose endpoint went (its dispatcher died) before
//! the next export or lookup. So the names of a program that ended are
//! free again.

use alloc::string::String;
use alloc::vec::Vec;
use corefish::cap::{Cap, kind};
use corefish::proto::intermon;
use corefish::proto::monitor::NAME_MAX;
use corefish::{CPtr, SysError, slots};

use crate::Monitor;

/// Most names one program may export.
pub const NAMES_PER_PROGRAM: usize = 16;
/// Most names exported on one OSNode.
pub const SERVICES_MAX: usize = 256;

/// A name exported by a program of this OSNode.
struct Service {
    name: String,
    endpoint: CPtr,
    /// What other monitors call it.
    handle: u64,
    /// The badge of the program that exported it.
    exporter: u64,
}

/// The names exported here.
#[derive(Default)]
pub struct Services {
    list: Vec<Service>,
    next_handle: u64,
}

impl Services {
    /// The endpoint of the service `handle`, if it is still exported.
    pub fn endpoint(&self, handle: u64) -> Option<CPtr> {
        self.list
            .iter()
            .find(|s| s.handle == handle)
            .map(|s| s.endpoint)
    }

    /// The name of the service `handle` (for messages).
    pub fn name(&self, handle: u64) -> Option<&str> {
        self.list
            .iter()
            .find(|s| s.handle == handle)
            .map(|s| s.name.as_str())
    }
}

/// Deletes a capability this monitor holds only for a moment.
fn discard(cap: CPtr) {
    let _ = Cap::<kind::Any>::at(cap).delete();
    slots::free(cap);
}

impl Monitor {
    /// EXPORT from the program with badge `exporter`: records the service
    /// here and its name at the hub.
    pub fn export(&mut self, exporter: u64, name: &[u8], endpoint: CPtr) -> Result<(), SysError> {
        let checked = core::str::from_utf8(name)
            .ok()
            .filter(|_| !name.is_empty() && name.len() <= NAME_MAX)
            .ok_or(SysError::BadArgument);
        let Ok(name_text) = checked else {
            discard(endpoint);
            return Err(SysError::BadArgument);
        };
        // Names are served by endpoints; anything else goes.
        let is_endpoint = Cap::<kind::Any>::at(endpoint)
            .identify()
            .is_ok_and(|id| id.ty == Some(corefish::ObjType::EndPoint));
        if !is_endpoint {
            discard(endpoint);
            return Err(SysError::WrongType);
        }
        self.forget_ended_services();
        let services = &self.requests.services;
        let its_own = services
            .list
            .iter()
            .filter(|s| s.exporter == exporter)
            .count();
        if its_own >= NAMES_PER_PROGRAM || services.list.len() >= SERVICES_MAX {
            discard(endpoint);
            return Err(SysError::OverLimit);
        }
        let handle = services.next_handle;
        let registered = if self.hub {
            let me = self.me;
            self.hub_state.register(name, me, handle)
        } else {
            match self.call_remote(0, intermon::Request::Register { handle }, name) {
                Ok(intermon::Reply::Register(result)) => result,
                Ok(_) => Err(SysError::InvalidOperation),
                Err(e) => Err(e),
            }
        };
        if let Err(e) = registered {
            discard(endpoint);
            return Err(e);
        }
        let services = &mut self.requests.services;
        services.next_handle += 1;
        services.list.push(Service {
            name: name_text.into(),
            endpoint,
            handle,
            exporter,
        });
        Ok(())
    }

    /// Where a name is served: (OSNode, handle).
    pub fn lookup(&mut self, name: &[u8]) -> Result<(u64, u64), SysError> {
        self.forget_ended_services();
        if self.hub {
            self.hub_state.lookup(name)
        } else {
            match self.call_remote(0, intermon::Request::Lookup, name)? {
                intermon::Reply::Lookup(found) => found.map(|f| (f.osnode, f.handle)),
                _ => Err(SysError::InvalidOperation),
            }
        }
    }

    /// Forgets, here and at the hub, every name the program with badge
    /// `exporter` exported (it ended).
    pub fn forget_exporter(&mut self, exporter: u64) {
        let its: Vec<(u64, CPtr)> = self
            .requests
            .services
            .list
            .iter()
            .filter(|s| s.exporter == exporter)
            .map(|s| (s.handle, s.endpoint))
            .collect();
        for (handle, endpoint) in its {
            let _ = Cap::<kind::Any>::at(endpoint).delete();
            self.forget_service(handle, endpoint);
        }
    }

    /// Forgets the service `handle`, here and at the hub, and frees the
    /// slot of its (deleted) endpoint.
    fn forget_service(&mut self, handle: u64, endpoint: CPtr) {
        self.requests.services.list.retain(|s| s.handle != handle);
        slots::free(endpoint);
        if self.hub {
            let me = self.me;
            self.hub_state.unregister(me, handle);
        } else {
            let _ = self.call_remote(0, intermon::Request::Unregister { handle }, &[]);
        }
    }

    /// Forgets, here and at the hub, the names whose exporter ended (its
    /// endpoint capability went with it).
    fn forget_ended_services(&mut self) {
        let ended: Vec<(u64, CPtr)> = self
            .requests
            .services
            .list
            .iter()
            .filter(|s| Cap::<kind::EndPoint>::at(s.endpoint).identify().is_err())
            .map(|s| (s.handle, s.endpoint))
            .collect();
        for (handle, endpoint) in ended {
            self.forget_service(handle, endpoint);
        }
    }
}
