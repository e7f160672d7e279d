//! One record of the ring ([`Record`], its layout fixed) and what it says
//! ([`Event`]).

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// What a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Kind {
    /// A system call: `number`, `detail` = the invoked capability's type
    /// (for INVOKE, else 0), `value` = 0 or the error code.
    Syscall = 1,
    /// An interrupt or exception taken: `number` = the vector.
    Interrupt = 2,
    /// An IPI sent: `number` = the target's APIC id, `value` = the vector.
    Ipi = 3,
    /// A switch to another dispatcher: `number` = its id.
    Dispatch = 4,
    /// A switch to another KCB: `value` = its physical address.
    KcbSwitch = 5,
}

impl Kind {
    /// Every kind, in code order.
    pub const ALL: [Kind; 5] = [
        Kind::Syscall,
        Kind::Interrupt,
        Kind::Ipi,
        Kind::Dispatch,
        Kind::KcbSwitch,
    ];

    /// The kind with code `code`.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| *k as u8 == code)
    }

    /// Its name in the dump.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Syscall => "syscall",
            Kind::Interrupt => "interrupt",
            Kind::Ipi => "ipi",
            Kind::Dispatch => "dispatch",
            Kind::KcbSwitch => "kcb-switch",
        }
    }

    /// Whether its records are spans (time in the kernel), not instants.
    pub fn is_span(self) -> bool {
        matches!(self, Kind::Syscall | Kind::Interrupt)
    }
}

/// One record: 32 bytes, little-endian, the ring's format.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Record {
    /// TSC at the start (the kernel's entry, for a span).
    pub start: u64,
    /// TSC at the end (equal to `start` for an instant).
    pub end: u64,
    /// [`Kind`] as its code.
    pub kind: u8,
    /// Unused, 0.
    pub reserved: u8,
    /// Per kind (the invoked capability's type for a system call).
    pub detail: u16,
    /// Per kind (system-call number, vector, APIC id, dispatcher id).
    pub number: u32,
    /// Per kind (error code, vector, KCB address).
    pub value: u64,
}

const _: () = assert!(size_of::<Record>() == 32);

/// What a record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A system call, from entry to exit (TSC).
    Syscall {
        /// Entry.
        start: u64,
        /// Exit.
        end: u64,
        /// Its number (`abi::syscall`).
        number: u32,
        /// The invoked capability's type (`caps::ObjType` as a number), for
        /// INVOKE.
        cap_type: Option<u8>,
        /// 0, or the error code (`abi::error::SysError`).
        error: u64,
    },
    /// An interrupt or exception, from entry to exit (TSC).
    Interrupt {
        /// Entry.
        start: u64,
        /// Exit.
        end: u64,
        /// Its vector.
        vector: u32,
    },
    /// An IPI sent.
    Ipi {
        /// When.
        at: u64,
        /// The target's APIC id.
        target: u32,
        /// The vector.
        vector: u64,
    },
    /// A switch to another dispatcher.
    Dispatch {
        /// When.
        at: u64,
        /// Its id.
        dcb: u32,
    },
    /// A switch to another KCB.
    KcbSwitch {
        /// When.
        at: u64,
        /// Its physical address.
        kcb: u64,
    },
}

impl Event {
    /// The event a record says, if it is one (a record of an unknown kind,
    /// or a span ending before it starts, is none).
    pub fn of(r: &Record) -> Option<Self> {
        let kind = Kind::from_code(r.kind)?;
        if kind.is_span() && r.end < r.start {
            return None;
        }
        Some(match kind {
            Kind::Syscall => Event::Syscall {
                start: r.start,
                end: r.end,
                number: r.number,
                cap_type: (r.detail != 0).then_some(r.detail as u8),
                error: r.value,
            },
            Kind::Interrupt => Event::Interrupt {
                start: r.start,
                end: r.end,
                vector: r.number,
            },
            Kind::Ipi => Event::Ipi {
                at: r.start,
                target: r.number,
                vector: r.value,
            },
            Kind::Dispatch => Event::Dispatch {
                at: r.start,
                dcb: r.number,
            },
            Kind::KcbSwitch => Event::KcbSwitch {
                at: r.start,
                kcb: r.value,
            },
        })
    }

    /// Its record.
    pub fn record(&self) -> Record {
        let mut r = Record::default();
        match *self {
            Event::Syscall {
                start,
                end,
                number,
                cap_type,
                error,
            } => {
                (r.start, r.end, r.number, r.value) = (start, end, number, error);
                r.detail = cap_type.map_or(0, u16::from);
            }
            Event::Interrupt { start, end, vector } => {
                (r.start, r.end, r.number) = (start, end, vector);
            }
            Event::Ipi { at, target, vector } => {
                (r.start, r.end, r.number, r.value) = (at, at, target, vector);
            }
            Event::Dispatch { at, dcb } => (r.start, r.end, r.number) = (at, at, dcb),
            Event::KcbSwitch { at, kcb } => (r.start, r.end, r.value) = (at, at, kcb),
        }
        r.kind = self.kind() as u8;
        r
    }

    /// Its kind.
    pub fn kind(&self) -> Kind {
        match self {
            Event::Syscall { .. } => Kind::Syscall,
            Event::Interrupt { .. } => Kind::Interrupt,
            Event::Ipi { .. } => Kind::Ipi,
            Event::Dispatch { .. } => Kind::Dispatch,
            Event::KcbSwitch { .. } => Kind::KcbSwitch,
        }
    }

    /// When it began, and how long it took (TSC; 0 for an instant).
    pub fn span(&self) -> (u64, u64) {
        match *self {
            Event::Syscall { start, end, .. } | Event::Interrupt { start, end, .. } => {
                (start, end - start)
            }
            Event::Ipi { at, .. } | Event::Dispatch { at, .. } | Event::KcbSwitch { at, .. } => {
                (at, 0)
            }
        }
    }
}
