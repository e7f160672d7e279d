//! The requests of one monitor to another (`Request`), and a capability
//! as it travels between them (`CapDesc`).

use super::{
    ATTACH, BIND, DELIVER, DETACH, GRANT, LOOKUP, PING, REGISTER, RETURN, SPAWN, STATUS, TEXT,
    Text, UNIMPORT, UNREGISTER,
};
use crate::{Header, ProtoError, unused};

/// A capability as it travels: type, rights, and the memory it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapDesc {
    /// Its object type (`caps::ObjType` as a byte).
    pub ty: u8,
    /// Its rights (`caps::Rights` bits).
    pub rights: u8,
    /// Its base address.
    pub base: u64,
    /// Its size.
    pub size: u64,
}

impl CapDesc {
    /// `type | rights << 8`, as `KERNEL_CAP_IMPORT` takes it.
    pub fn type_and_rights(&self) -> u64 {
        u64::from(self.ty) | (u64::from(self.rights) << 8)
    }

    pub(super) fn words(&self) -> [u64; 3] {
        [self.type_and_rights(), self.base, self.size]
    }

    fn read(op: u64, w: &[u64]) -> Result<Self, ProtoError> {
        if w[0] >> 16 != 0 {
            return Err(ProtoError::Malformed(op));
        }
        Ok(Self {
            ty: w[0] as u8,
            rights: (w[0] >> 8) as u8,
            base: w[1],
            size: w[2],
        })
    }
}

/// A request of one monitor to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Text for the next request.
    Text(Text),
    /// Are you there? (also carries back how busy the monitor is).
    Ping,
    /// Record the name in the text as served by `handle` on the sender.
    Register {
        /// The exporter's handle.
        handle: u64,
    },
    /// Where is the name in the text served?
    Lookup,
    /// Forget the sender's name served by `handle` (its exporter ended).
    Unregister {
        /// The exporter's handle.
        handle: u64,
    },
    /// Give the exporter of `handle` one end of a channel in `frame`.
    Bind {
        /// The exporter's handle.
        handle: u64,
        /// The channel frame.
        frame: CapDesc,
    },
    /// Give the exporter of `handle` a copy of `cap`.
    Deliver {
        /// The exporter's handle.
        handle: u64,
        /// The capability.
        cap: CapDesc,
    },
    /// Revoke this OSNode's import of `cap` (its owner revokes it).
    Unimport {
        /// The capability.
        cap: CapDesc,
    },
    /// Start the program in the text.
    Spawn,
    /// Park the stopped OSNode `osnode`, whose KCB `kcb` describes, here
    /// (the receiver imports the KCB capability and attaches through it).
    Attach {
        /// Its OSNode.
        osnode: u64,
        /// The KCB capability.
        kcb: CapDesc,
    },
    /// Take the parked OSNode `osnode` off this core.
    Detach {
        /// The OSNode.
        osnode: u64,
    },
    /// Hand the sender at least `bytes` of the machine's RAM, to become
    /// its own (`KERNEL_CAP_IMPORT` with `IMPORT_ADOPT`).
    Grant {
        /// How much it needs.
        bytes: u64,
    },
    /// Take back the chunk `[base, base + size)` the hub handed the sender
    /// (which holds nothing of it any more).
    Return {
        /// Its base.
        base: u64,
        /// Its size.
        size: u64,
    },
    /// Has program `id` (of the receiver's) ended, and how?
    Status {
        /// Its id.
        id: u64,
    },
}

impl Request {
    /// Its operation.
    pub fn op(&self) -> u64 {
        match self {
            Self::Text(_) => TEXT,
            Self::Ping => PING,
            Self::Register { .. } => REGISTER,
            Self::Lookup => LOOKUP,
            Self::Unregister { .. } => UNREGISTER,
            Self::Bind { .. } => BIND,
            Self::Deliver { .. } => DELIVER,
            Self::Unimport { .. } => UNIMPORT,
            Self::Spawn => SPAWN,
            Self::Attach { .. } => ATTACH,
            Self::Detach { .. } => DETACH,
            Self::Grant { .. } => GRANT,
            Self::Return { .. } => RETURN,
            Self::Status { .. } => STATUS,
        }
    }

    /// The header and the four argument words.
    pub(super) fn words(&self) -> (u64, [u64; 4]) {
        let mut args = [0; 4];
        match *self {
            Self::Text(text) => {
                text.pack(&mut args);
                return (Header::text(TEXT, text.len()), args);
            }
            Self::Register { handle } | Self::Unregister { handle } => args[0] = handle,
            Self::Bind { handle, frame: cap } | Self::Deliver { handle, cap } => {
                args[0] = handle;
                args[1..].copy_from_slice(&cap.words());
            }
            Self::Unimport { cap } => args[..3].copy_from_slice(&cap.words()),
            Self::Attach { osnode, kcb } => {
                args[0] = osnode;
                args[1..].copy_from_slice(&kcb.words());
            }
            Self::Detach { osnode } => args[0] = osnode,
            Self::Grant { bytes } => args[0] = bytes,
            Self::Status { id } => args[0] = id,
            Self::Return { base, size } => {
                args[0] = base;
                args[1] = size;
            }
            Self::Ping | Self::Lookup | Self::Spawn => {}
        }
        (self.op(), args)
    }

    pub(super) fn read(h: Header, a: &[u64]) -> Result<Self, ProtoError> {
        if h.len != 0 && h.op != TEXT {
            return Err(ProtoError::Malformed(h.op));
        }
        let from = |n: usize, request| unused(h.op, &a[n..]).map(|()| request);
        match h.op {
            TEXT => Text::unpack(TEXT, a, h.len).map(Self::Text),
            PING => from(0, Self::Ping),
            REGISTER => from(1, Self::Register { handle: a[0] }),
            LOOKUP => from(0, Self::Lookup),
            UNREGISTER => from(1, Self::Unregister { handle: a[0] }),
            BIND => CapDesc::read(BIND, &a[1..]).map(|frame| Self::Bind {
                handle: a[0],
                frame,
            }),
            DELIVER => {
                CapDesc::read(DELIVER, &a[1..]).map(|cap| Self::Deliver { handle: a[0], cap })
            }
            UNIMPORT => {
                unused(UNIMPORT, &a[3..])?;
                CapDesc::read(UNIMPORT, a).map(|cap| Self::Unimport { cap })
            }
            SPAWN => from(0, Self::Spawn),
            ATTACH => CapDesc::read(ATTACH, &a[1..]).map(|kcb| Self::Attach { osnode: a[0], kcb }),
            DETACH => from(1, Self::Detach { osnode: a[0] }),
            GRANT => from(1, Self::Grant { bytes: a[0] }),
            RETURN => from(
                2,
                Self::Return {
                    base: a[0],
                    size: a[1],
                },
            ),
            STATUS => from(1, Self::Status { id: a[0] }),
            _ => Err(ProtoError::Unknown(h.op)),
        }
    }
}
