//! The ring's layout: a [`Header`] in the first [`HEADER_BYTES`], then
//! fixed-size records. One kernel writes it (record `n` goes to slot
//! `n % capacity`, then the header's count becomes `n + 1`); the boot
//! driver reads it at any time, copying it while the kernel may go on
//! writing. A snapshot ([`snapshot`]) is the records that were complete
//! before the copy began and still in place after it ended: from the count
//! read first (in the copy's header) and the count read again once the copy
//! is done, record `n` is kept if `n` is below the first and the second has
//! not reached `n + capacity` (the record that overwrites it, or the one
//! being written into its slot).

#[cfg(feature = "alloc")]
use alloc::vec::Vec;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

#[cfg(feature = "alloc")]
use crate::event::Event;
use crate::event::Record;

/// `b"CFTRACE1"` read as a little-endian integer.
pub const MAGIC: u64 = u64::from_le_bytes(*b"CFTRACE1");
/// Bytes of the header (records start here).
pub const HEADER_BYTES: usize = 64;
/// Bytes of a record.
pub const RECORD_BYTES: usize = size_of::<Record>();

/// The ring's header.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Header {
    /// [`MAGIC`].
    pub magic: u64,
    /// Records the ring holds.
    pub capacity: u64,
    /// Records written so far (the next goes to `written % capacity`).
    pub written: u64,
    /// TSC rate of the machine (for the text), written by the boot driver.
    pub tsc_hz: u64,
    /// 0 in a fresh ring; [`TAKEN`] once a kernel has taken the ring to
    /// write (so its starter knows the tracing kernel records into it).
    pub taken: u64,
    /// Unused, 0.
    pub reserved: [u64; 3],
}

const _: () = assert!(size_of::<Header>() == HEADER_BYTES);

/// Offset of [`Header::written`] (the word the kernel updates with every
/// record).
pub const WRITTEN_OFFSET: usize = 16;
/// Offset of [`Header::taken`] (the word the kernel sets when it takes the
/// ring).
pub const TAKEN_OFFSET: usize = 32;
/// [`Header::taken`] of a ring a kernel writes: `b"TAKEN\0\0\0"`.
pub const TAKEN: u64 = u64::from_le_bytes(*b"TAKEN\0\0\0");

const _: () = assert!(core::mem::offset_of!(Header, written) == WRITTEN_OFFSET);
const _: () = assert!(core::mem::offset_of!(Header, taken) == TAKEN_OFFSET);

/// How many records a ring of `bytes` bytes holds.
pub const fn capacity_of(bytes: usize) -> usize {
    bytes.saturating_sub(HEADER_BYTES) / RECORD_BYTES
}

/// A fresh ring's header for `bytes` bytes of memory.
pub fn header_for(bytes: usize, tsc_hz: u64) -> Header {
    Header {
        magic: MAGIC,
        capacity: capacity_of(bytes) as u64,
        written: 0,
        tsc_hz,
        taken: 0,
        reserved: [0; 3],
    }
}

/// Where record number `n` goes in a ring of `capacity` records (its byte
/// offset).
pub fn slot_offset(n: u64, capacity: u64) -> usize {
    HEADER_BYTES + (n % capacity.max(1)) as usize * RECORD_BYTES
}

/// Why a ring cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RingError {
    /// Too short for a header.
    Short,
    /// The header's magic is wrong.
    BadMagic,
    /// The header's capacity does not fit the bytes.
    BadCapacity,
}

impl core::fmt::Display for RingError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            RingError::Short => "shorter than a ring's header",
            RingError::BadMagic => "not a trace ring (bad magic)",
            RingError::BadCapacity => "its capacity does not fit its memory",
        })
    }
}

#[cfg(feature = "alloc")]
/// A snapshot of the ring copied into `bytes`, whose writer's count read
/// again after the copy was `written_after` (at least the copy's own): its
/// header, how many earlier events are gone, and the events, oldest first
/// (records that say nothing known are skipped).
pub fn snapshot(bytes: &[u8], written_after: u64) -> Result<(Header, u64, Vec<Event>), RingError> {
    let header = Header::read_from_prefix(bytes)
        .map_err(|_| RingError::Short)?
        .0;
    if header.magic != MAGIC {
        return Err(RingError::BadMagic);
    }
    let capacity = header.capacity;
    if capacity == 0 || capacity > capacity_of(bytes.len()) as u64 {
        return Err(RingError::BadCapacity);
    }
    let written = header.written;
    // Record n's slot was being written, or rewritten, once the writer got
    // to record n + capacity.
    let first = written_after
        .max(written)
        .saturating_add(1)
        .saturating_sub(capacity)
        .min(written);
    let events = (first..written)
        .filter_map(|n| {
            let at = slot_offset(n, capacity);
            let record = Record::read_from_bytes(bytes.get(at..at + RECORD_BYTES)?).ok()?;
            Event::of(&record)
        })
        .collect();
    Ok((header, first, events))
}
