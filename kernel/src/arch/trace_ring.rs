//! The memory of the tracing kernel's event ring (`ktrace::ring`): the
//! pointer work behind `crate::trace`, which only the `trace` build uses.
//!
//! The ring is memory the boot driver gives this kernel in its boot
//! parameters (`BootParams::trace_phys`, `trace_size`), checked
//! ([`TraceRing::given`]) to lie in memory the map describes and outside
//! this kernel's own. The boot driver reads it while this kernel writes
//! it, so it is written a 64-bit word at a time, volatile, with the
//! header's count published last (Release).

use core::sync::atomic::{AtomicU64, Ordering};

use bootproto::PhysRange;
use bootproto::layout::phys_to_virt;
use bootproto::memmap::MemoryKind;
use bootproto::params::BootParams;

use ktrace::ring::{TAKEN, TAKEN_OFFSET, WRITTEN_OFFSET, slot_offset};
use ktrace::{Header, Record};
use zerocopy::{FromBytes, IntoBytes};

/// A ring this kernel writes.
#[derive(Debug, Clone, Copy)]
pub struct TraceRing {
    base: u64,
    capacity: u64,
}

impl TraceRing {
    /// The ring the boot parameters give this kernel, if they give one:
    /// page-aligned, inside one region the map marks as assigned (memory
    /// the starter holds, not this kernel's own RAM, the firmware's or a
    /// kernel image), below the top of the direct map, clear of the
    /// parameters, the KCB and this kernel's own memory (its image and its
    /// copy of the writable part), with the boot driver's header; marked
    /// taken ([`TAKEN`]) for the boot driver. `Err` says why a ring given
    /// is not usable.
    pub fn given(params: &BootParams) -> Result<Option<Self>, &'static str> {
        if params.trace_size == 0 {
            return Ok(None);
        }
        let ring = PhysRange::new(params.trace_phys, params.trace_size);
        let in_memory = params.memory_map().lies_in(ring, MemoryKind::Assigned);
        // What the direct map covers at least (`super::paging::init`).
        let top = params.phys_top.clamp(
            bootproto::layout::DIRECT_MAP_MIN_TOP,
            bootproto::layout::DIRECT_MAP_MAX_TOP,
        );
        let clear = !super::paging::is_own(ring)
            && !ring.overlaps(PhysRange::new(params.params_phys, 4096))
            && !ring.overlaps(PhysRange::new(params.kcb_phys, caps::KCB_SIZE))
            && ring.end() <= top;
        if !(in_memory && clear && ring.base.is_multiple_of(4096) && ring.size.is_multiple_of(4096))
        {
            return Err("not usable memory");
        }
        // Assigned memory is the starter's: not this kernel's own RAM (which
        // its frame allocator hands out), nor firmware memory nor an image.
        // SAFETY: page-aligned assigned memory below the direct map's top,
        // clear of the parameters and the KCB: nothing else here uses it.
        let ring =
            unsafe { Self::at(phys_to_virt(ring.base), ring.size) }.ok_or("no ring header")?;
        ring.word(TAKEN_OFFSET).store(TAKEN, Ordering::Release);
        Ok(Some(ring))
    }

    /// The ring whose header is at the direct-map address `base`, if the
    /// header says it is one of at most `bytes` bytes.
    ///
    /// # Safety
    /// `[base, base + bytes)` must be mapped memory given to this kernel
    /// for its trace ring, which nothing else of this kernel uses for as
    /// long as it runs, 8-byte aligned.
    unsafe fn at(base: u64, bytes: u64) -> Option<Self> {
        let mut words = [0u8; ktrace::HEADER_BYTES];
        for (i, chunk) in words.chunks_exact_mut(8).enumerate() {
            // SAFETY: the header lies in the ring's memory (the caller's
            // contract), read a word at a time.
            let word = unsafe { ((base + i as u64 * 8) as *const u64).read_volatile() };
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        let header = Header::read_from_bytes(&words).ok()?;
        let fits = header
            .capacity
            .checked_mul(ktrace::RECORD_BYTES as u64)
            .and_then(|b| b.checked_add(ktrace::HEADER_BYTES as u64))
            .is_some_and(|b| b <= bytes);
        (header.magic == ktrace::MAGIC && header.capacity > 0 && fits).then_some(Self {
            base,
            capacity: header.capacity,
        })
    }

    /// The header's word at `offset` ([`WRITTEN_OFFSET`] or
    /// [`TAKEN_OFFSET`]).
    fn word(&self, offset: usize) -> &AtomicU64 {
        // SAFETY: both offsets are 8-aligned words of the header, in the
        // ring's memory (`at`'s contract); the boot driver reads them
        // concurrently, so they are accessed atomically.
        unsafe { AtomicU64::from_ptr((self.base + offset as u64) as *mut u64) }
    }

    fn written(&self) -> &AtomicU64 {
        self.word(WRITTEN_OFFSET)
    }

    /// Writes `record` into the next slot (overwriting the oldest when
    /// full), then counts it.
    pub fn push(&self, record: &Record) {
        let n = self.written().load(Ordering::Relaxed);
        let at = self.base + slot_offset(n, self.capacity) as u64;
        for (i, chunk) in record.as_bytes().chunks_exact(8).enumerate() {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            // SAFETY: the slot lies in the ring (`slot_offset` stays below
            // the capacity `at` checked), 8-aligned; only this kernel writes.
            unsafe {
                ((at + i as u64 * 8) as *mut u64).write_volatile(u64::from_le_bytes(word));
            }
        }
        self.written().store(n + 1, Ordering::Release);
    }
}
