//! Error codes returned by every system call in `rax`.

/// Why a system call failed. Each code has one meaning; a failed call has
/// changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum SysError {
    /// No such system call.
    InvalidSyscall = 1,
    /// The object type has no such operation.
    InvalidOperation = 2,
    /// A capability address indexes past the end of a CNode.
    SlotOutOfRange = 3,
    /// A capability address goes through a slot that holds no CNode.
    NotACNode = 4,
    /// The capability slot is empty.
    SlotEmpty = 5,
    /// The destination slot is not empty.
    SlotOccupied = 6,
    /// The capability has the wrong type for this argument.
    WrongType = 7,
    /// The source cannot be retyped into that type.
    IllegalRetype = 8,
    /// An address, offset or size is not suitably aligned.
    Misaligned = 9,
    /// An object size is not valid for the type.
    BadSize = 10,
    /// An object count is zero or too large.
    BadCount = 11,
    /// The request exceeds the source capability's range.
    OutOfBounds = 12,
    /// The request overlaps live descendants of the source.
    Overlap = 13,
    /// The capability lacks a right the operation needs.
    InsufficientRights = 14,
    /// This kind of capability cannot be copied.
    NotCopyable = 15,
    /// The capability cannot be derived from that parent.
    NotDerivable = 16,
    /// An argument is out of its valid range.
    BadArgument = 17,
    /// A user pointer is not mapped readable (or writable) by the caller.
    BadUserPointer = 18,
    /// The receiver's endpoint buffer is full; try again later.
    EndpointFull = 19,
    /// A capability was sent, but the receiver has no empty slot set up for it.
    NoReceiveSlot = 20,
    /// A page-table entry the mapping needs is already in use.
    AlreadyMapped = 21,
    /// The dispatcher is not set up (no CSpace, VSpace or frame yet) or is
    /// no longer alive.
    DispatcherNotReady = 22,
    /// The port is outside the I/O capability's range.
    PortOutOfRange = 23,
    /// The interrupt vector or line is already in use.
    IrqInUse = 24,
    /// The capability (or one a revoke would delete) has copies on other
    /// OSNodes: revoke through the monitor (the runtime does this itself).
    RemoteCopies = 25,
    /// The capability is a copy of another OSNode's: it cannot be retyped
    /// or exported.
    ForeignCapability = 26,
    /// The capability is a copy: only the original (made by retype, or
    /// by the kernel) may revoke; a copy's holder may only delete it.
    NotOriginal = 27,
    /// The sender's endpoint (its badge) does not allow this request.
    NotAllowed = 28,
    /// Over a limit: the sender's memory, names or queued messages.
    OverLimit = 29,
    /// No answer came in time.
    TimedOut = 30,
}

impl SysError {
    /// Every code, for decoding and tests.
    pub const ALL: [SysError; 30] = [
        Self::InvalidSyscall,
        Self::InvalidOperation,
        Self::SlotOutOfRange,
        Self::NotACNode,
        Self::SlotEmpty,
        Self::SlotOccupied,
        Self::WrongType,
        Self::IllegalRetype,
        Self::Misaligned,
        Self::BadSize,
        Self::BadCount,
        Self::OutOfBounds,
        Self::Overlap,
        Self::InsufficientRights,
        Self::NotCopyable,
        Self::NotDerivable,
        Self::BadArgument,
        Self::BadUserPointer,
        Self::EndpointFull,
        Self::NoReceiveSlot,
        Self::AlreadyMapped,
        Self::DispatcherNotReady,
        Self::PortOutOfRange,
        Self::IrqInUse,
        Self::RemoteCopies,
        Self::ForeignCapability,
        Self::NotOriginal,
        Self::NotAllowed,
        Self::OverLimit,
        Self::TimedOut,
    ];

    /// The code in `rax` as a result: `Ok` for 0.
    pub fn from_code(code: u64) -> Result<(), SysError> {
        if code == 0 {
            return Ok(());
        }
        Err(Self::ALL
            .into_iter()
            .find(|e| *e as u64 == code)
            .unwrap_or(Self::InvalidSyscall))
    }

    /// A short description.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::InvalidSyscall => "no such system call",
            Self::InvalidOperation => "no such operation on this capability type",
            Self::SlotOutOfRange => "capability address out of range",
            Self::NotACNode => "capability address does not lead through a CNode",
            Self::SlotEmpty => "empty capability slot",
            Self::SlotOccupied => "destination slot occupied",
            Self::WrongType => "capability of the wrong type",
            Self::IllegalRetype => "illegal retype",
            Self::Misaligned => "misaligned address or size",
            Self::BadSize => "invalid object size",
            Self::BadCount => "invalid object count",
            Self::OutOfBounds => "request exceeds the capability",
            Self::Overlap => "overlaps live descendants",
            Self::InsufficientRights => "insufficient rights",
            Self::NotCopyable => "capability cannot be copied",
            Self::NotDerivable => "capability cannot be derived",
            Self::BadArgument => "invalid argument",
            Self::BadUserPointer => "bad user pointer",
            Self::EndpointFull => "receiver's endpoint buffer is full",
            Self::NoReceiveSlot => "receiver has no slot for a capability",
            Self::AlreadyMapped => "already mapped",
            Self::DispatcherNotReady => "dispatcher not ready",
            Self::PortOutOfRange => "I/O port out of range",
            Self::IrqInUse => "interrupt in use",
            Self::RemoteCopies => "capability has copies on other OSNodes",
            Self::ForeignCapability => "capability belongs to another OSNode",
            Self::NotOriginal => "a copy cannot revoke (only the original can)",
            Self::NotAllowed => "not allowed to the sender",
            Self::OverLimit => "over the sender's limit",
            Self::TimedOut => "no answer in time",
        }
    }
}

impl core::fmt::Display for SysError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_distinct() {
        for (i, e) in SysError::ALL.iter().enumerate() {
            assert_eq!(*e as u64, i as u64 + 1);
            assert_eq!(SysError::from_code(*e as u64), Err(*e));
        }
        assert_eq!(SysError::from_code(0), Ok(()));
        assert_eq!(SysError::from_code(999), Err(SysError::InvalidSyscall));
    }
}
