//! The boot-parameter page this kernel was started with, as a typed
//! handle ([`ParamsPage`]).
//!
//! The page is shared with the starter that wrote it: the boot driver on
//! another core keeps reading the acknowledgement and the counters while
//! this kernel runs. So the page is never borrowed as a Rust reference: the
//! parameters are read with one volatile copy at entry, the acknowledgement
//! is written field by field with its stage word published last (Release),
//! and the counters are atomics. The handle is made once, at entry, from
//! the address the entry contract passes (`bootproto::params`), and kept
//! for the acknowledgements a running kernel makes later (stopped,
//! finished, IPIs received). After each acknowledgement the kernel rings
//! the doorbell: a notification to the core the starter named in the page.

use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use bootproto::params::{
    ACK_BYTES, ACK_ENTERED, ACK_FAULTED, ACK_FINISHED, ACK_OFFSET, ACK_STOPPED, BootAck,
    BootParams, COUNTER_INTERRUPTS, COUNTER_IPIS, COUNTERS_OFFSET, DOORBELL_OFFSET, FaultReport,
    IDLE_BUSY, IDLE_OFFERED, IDLE_OFFSET, IDLE_TAKEN, NMI_OFFSET, NMI_STOP, PARAMS_PAGE,
    doorbell_apic,
};

/// The page this kernel acknowledges in (null: none, or not yet).
static PAGE: AtomicPtr<u8> = AtomicPtr::new(core::ptr::null_mut());

/// A boot-parameter page shared with its starter.
#[derive(Debug, Clone, Copy)]
pub struct ParamsPage {
    base: *mut u8,
}

impl ParamsPage {
    /// The page at `ptr`, kept for this kernel's later acknowledgements.
    ///
    /// # Safety
    /// `ptr` must be the direct-map address of the page-aligned
    /// boot-parameter page ([`PARAMS_PAGE`] bytes) a starter gave this
    /// kernel at entry, which stays mapped and unused by anything else of
    /// this kernel for as long as it runs.
    /// `None` if `ptr` is not page-aligned (the page is then unusable).
    pub unsafe fn at_entry(ptr: *const BootParams) -> Option<Self> {
        if !(ptr as usize).is_multiple_of(PARAMS_PAGE) {
            return None;
        }
        PAGE.store(ptr.cast::<u8>().cast_mut(), Ordering::Relaxed);
        Some(Self {
            base: ptr.cast::<u8>().cast_mut(),
        })
    }

    /// The page this kernel was started with, if it had one.
    pub fn this_kernels() -> Option<Self> {
        let base = PAGE.load(Ordering::Relaxed);
        (!base.is_null()).then_some(Self { base })
    }

    /// The page's address in the direct map.
    pub fn address(&self) -> *const u8 {
        self.base
    }

    /// A copy of the `N` bytes at `offset` (both multiples of 8), read a
    /// 64-bit word at a time (volatile: the starter may write; an emulator
    /// pays per access, so words rather than bytes).
    fn copy<const N: usize>(&self, offset: usize) -> [u8; N] {
        let mut out = [0u8; N];
        for (i, chunk) in out.chunks_exact_mut(8).enumerate() {
            let at = offset + i * 8;
            if at + 8 > PARAMS_PAGE || !at.is_multiple_of(8) {
                break;
            }
            // The page is mapped and page-aligned by `at_entry`'s contract.
            // SAFETY: `at` is 8-aligned with its word inside the page (checked above).
            let word = unsafe { self.base.add(at).cast::<u64>().read_volatile() };
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    /// The parameters, as the starter wrote them (not yet validated).
    pub fn read(&self) -> EntryParams {
        EntryParams(BootParams::decode(&self.copy::<PARAMS_PAGE>(0)))
    }

    /// The acknowledgement written last.
    fn ack(&self) -> BootAck {
        BootAck::from_area(&self.copy::<ACK_BYTES>(ACK_OFFSET))
    }

    /// Reports progress to the starter: everything but the stage word
    /// first, a word at a time, then the stage with a Release store, so
    /// that a starter that sees the stage (with an Acquire load) sees the
    /// rest.
    pub fn acknowledge(&self, ack: &BootAck) {
        // The stage is the ack's first word.
        for (i, chunk) in ack.area().chunks_exact(8).enumerate().skip(1) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            // The starter only reads this word, after the stage word.
            // SAFETY: `ACK_OFFSET + i * 8` is an 8-aligned word of the mapped ack area (ACK_BYTES).
            unsafe {
                self.base
                    .add(ACK_OFFSET + i * 8)
                    .cast::<u64>()
                    .write_volatile(u64::from_le_bytes(word));
            }
        }
        self.word(ACK_OFFSET).store(ack.stage, Ordering::Release);
        self.ring_doorbell();
    }

    /// Publishes that this kernel's main was entered at TSC `tsc` (its
    /// descriptor tables are loaded: an NMI would reach its handler), before
    /// it touches anything of its KCB. Nobody waits for this stage, so no
    /// doorbell.
    pub fn mark_entered(&self, tsc: u64) {
        let tsc_entered = ACK_OFFSET + core::mem::offset_of!(BootAck, tsc_entered);
        self.word(tsc_entered).store(tsc, Ordering::Relaxed);
        self.word(ACK_OFFSET).store(ACK_ENTERED, Ordering::Release);
    }

    /// Notifies the core the starter waits on (the doorbell word), unless
    /// it names none, this core, or a core the platform does not have.
    fn ring_doorbell(&self) {
        let word = self.word(DOORBELL_OFFSET).load(Ordering::Acquire);
        let Some(apic) = doorbell_apic(word) else {
            return;
        };
        if apic == super::apic::id() {
            return;
        }
        let exists =
            crate::platform::get().is_some_and(|p| p.enabled_cores().any(|c| c.apic_id == apic));
        if exists {
            super::apic::send_fixed(apic, super::vectors::NOTIFY as u8);
        }
    }

    /// The 64-bit word at `offset` (a multiple of 8 inside the page), as
    /// an atomic: the starter reads it concurrently.
    fn word(&self, offset: usize) -> &AtomicU64 {
        debug_assert!(offset.is_multiple_of(8) && offset + 8 <= PARAMS_PAGE);
        // SAFETY: the page is page-aligned, so `offset` (a multiple of 8
        // inside it) is aligned for a u64; it stays mapped (`at_entry`), and
        // both sides only ever access this word atomically.
        unsafe { AtomicU64::from_ptr(self.base.add(offset).cast::<u64>()) }
    }
}

/// Counts an IPI received, in this kernel's page (for the boot driver that
/// started it; the first core's kernel has none).
pub fn count_ipi() {
    if let Some(page) = ParamsPage::this_kernels() {
        page.word(COUNTERS_OFFSET + COUNTER_IPIS * 8)
            .fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts an interrupt handled, in this kernel's page (if it has one).
pub fn count_interrupt() {
    if let Some(page) = ParamsPage::this_kernels() {
        page.word(COUNTERS_OFFSET + COUNTER_INTERRUPTS * 8)
            .fetch_add(1, Ordering::Relaxed);
    }
}

/// Whether this kernel has acknowledged its end already (stopped,
/// finished or faulted).
pub fn has_ended() -> bool {
    ParamsPage::this_kernels().is_some_and(|page| {
        matches!(
            page.word(ACK_OFFSET).load(Ordering::Acquire),
            ACK_STOPPED | ACK_FINISHED | ACK_FAULTED
        )
    })
}

/// Whether the starter asked this kernel to stop at its next NMI
/// (`bootproto::ack::NMI_OFFSET`): it had stopped answering.
pub fn nmi_stop_requested() -> bool {
    ParamsPage::this_kernels()
        .is_some_and(|page| page.word(NMI_OFFSET).load(Ordering::Acquire) == NMI_STOP)
}

/// Offers this idle core to its starter (`bootproto::ack::IDLE_OFFSET`),
/// if it has one, once `leave_stopped` has left its OSNodes as a stop
/// leaves them.
pub fn offer_idle(leave_stopped: impl FnOnce()) {
    if let Some(page) = ParamsPage::this_kernels() {
        leave_stopped();
        page.word(IDLE_OFFSET)
            .store(IDLE_OFFERED, Ordering::Release);
    }
}

/// What became of an idle core's offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reclaim {
    /// It was taken back: the OSNodes are this kernel's again.
    Offered,
    /// There was none.
    NotOffered,
    /// The starter took the core: this kernel must not touch an OSNode
    /// again.
    Taken,
}

/// Takes back the offer [`offer_idle`] made, if there is one.
pub fn reclaim_idle() -> Reclaim {
    let Some(page) = ParamsPage::this_kernels() else {
        return Reclaim::NotOffered;
    };
    match page.word(IDLE_OFFSET).compare_exchange(
        IDLE_OFFERED,
        IDLE_BUSY,
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        Ok(_) => Reclaim::Offered,
        Err(IDLE_TAKEN) => Reclaim::Taken,
        Err(_) => Reclaim::NotOffered,
    }
}

/// Reports that this kernel stopped (its OSNodes are intact); the stop
/// began at TSC `entered`.
pub fn ack_stopped(entered: u64) {
    if let Some(page) = ParamsPage::this_kernels() {
        let mut ack = page.ack();
        ack.stage = ACK_STOPPED;
        ack.tsc_stop_entered = entered;
        ack.tsc_stopped = cpu::instr::rdtsc();
        page.acknowledge(&ack);
    }
}

/// Reports that the real-time kernel's program ended with `code`.
pub fn ack_finished(code: u64) {
    if let Some(page) = ParamsPage::this_kernels() {
        let mut ack = page.ack();
        ack.stage = ACK_FINISHED;
        ack.tsc_stopped = cpu::instr::rdtsc();
        ack.exit_code = code;
        page.acknowledge(&ack);
    }
}

/// Reports that this kernel took the fatal fault `fault` (whose flags say
/// whether it left its OSNodes intact). Also for a kernel that goes back to
/// a fallback kernel on this core: the doorbell then names this core, and
/// nothing is sent.
pub fn ack_faulted(fault: FaultReport) {
    if let Some(page) = ParamsPage::this_kernels() {
        let mut ack = page.ack();
        ack.stage = ACK_FAULTED;
        ack.tsc_stopped = cpu::instr::rdtsc();
        ack.fault = fault;
        page.acknowledge(&ack);
    }
}

/// The boot parameters this kernel was started with, as its starter wrote
/// them: only [`ParamsPage::read`] makes one, so what the arch layer takes
/// on the starter's word (the boot archive, the system page) comes from
/// the real page.
#[derive(Debug, Clone, Copy)]
pub struct EntryParams(BootParams);

impl core::ops::Deref for EntryParams {
    type Target = BootParams;

    fn deref(&self) -> &BootParams {
        &self.0
    }
}

impl EntryParams {
    /// The boot archive, as bytes, if the memory map marks its whole range
    /// as the boot archive (memory nobody writes).
    pub fn archive(&self) -> Option<&'static [u8]> {
        let range = bootproto::PhysRange::new(self.archive_phys, self.archive_size);
        let marked = self
            .memory_map()
            .ranges_of(bootproto::memmap::MemoryKind::BootArchive)
            .any(|r| r.contains(range));
        if !marked || self.archive_size == 0 || range.base.checked_add(range.size).is_none() {
            return None;
        }
        // SAFETY: the memory map the starter gave this kernel marks the range
        // as the boot archive: memory no one writes for the machine's
        // lifetime (the loader placed it; boot drivers pass the same range),
        // covered by the direct map.
        Some(unsafe {
            core::slice::from_raw_parts(
                bootproto::layout::phys_to_virt(self.archive_phys) as *const u8,
                self.archive_size as usize,
            )
        })
    }

    /// The system page the parameters name (a later core's; the first core
    /// makes it: `objects::SystemPage::make`).
    pub fn system_page(&self) -> Option<super::objects::SystemPage> {
        // SAFETY: a starter names the machine's system page here (the boot
        // driver passes the one the first core made), as the entry contract
        // of `bootproto::params` says.
        unsafe { super::objects::SystemPage::named(self.system_phys) }
    }
}
