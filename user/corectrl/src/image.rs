//! Loading a CPU driver for a core: a block of memory below 4 GiB (the
//! trampoline's page tables map only that) holding the boot-parameter page
//! and then the image, loaded and relocated to run at the block's
//! direct-map address, exactly as the PVH loader does for the first core:
//! fresh memory, or the block of a kernel of the same image that no core
//! runs any more (`crate::pool`).
//!
//! Every running kernel has its own block: it writes its data, and kernels
//! share nothing writable (docs/design.md, rule 1). A kernel started on
//! shared text (`crate::text`) has a block of its own with the parameter
//! page, its copy of the image's writable part and its first page tables;
//! the image itself is the text's home block, shared read-only.

use core::sync::atomic::{AtomicU64, Ordering};

use bootproto::layout::phys_to_virt;
use bootproto::params::{
    ACK_OFFSET, BootAck, BootParams, COUNTER_INTERRUPTS, COUNTER_IPIS, COUNTERS_OFFSET,
    DOORBELL_OFFSET, IDLE_OFFERED, IDLE_OFFSET, IDLE_TAKEN, NMI_OFFSET, NMI_STOP, PARAMS_PAGE,
    doorbell,
};
use bootproto::starter::CpuDriverInfo;
use corefish::cap::{Cap, kind};
use corefish::vspace::{self, Mapping};
use corefish::{CPtr, ObjType, SlotRef, memserv, slots, sys};
use elfload::ElfImage;

use crate::error::BootError;
use crate::text::Home;
use alloc::rc::Rc;
use alloc::string::String;

/// How often a boot driver waiting for an acknowledgement looks without
/// being notified.
const DOORBELL_BACKSTOP_NS: u64 = 1_000_000;

/// Where the 32-bit page tables of the trampoline stop.
pub const LOW_LIMIT: u64 = 1 << 32;
const PAGE: u64 = 4096;

/// A loaded CPU driver and its boot-parameter page.
pub struct Loaded {
    /// The image's name in the boot archive.
    pub name: String,
    /// The RAM the block was made from (revoking it frees everything).
    pub ram: CPtr,
    /// The block as a frame.
    frame: CPtr,
    /// Physical address of the block (the parameter page; the image follows).
    pub phys: u64,
    /// Bytes of the block.
    pub size: u64,
    /// Bytes of the image.
    pub image_size: u64,
    /// The entry point's direct-map address.
    pub entry: u64,
    /// What its entry preamble says (the KCB layouts it runs).
    pub info: CpuDriverInfo,
    pub(crate) mapping: Mapping,
    /// For a kernel on shared text: the image's home block; this block
    /// then holds the parameter page, the copy of the writable part and,
    /// at `tables_phys`, the page tables the core starts with.
    pub text: Option<Rc<Home>>,
    /// Physical address of the page tables the core starts with (0: the
    /// trampoline's own).
    pub tables_phys: u64,
}

impl Loaded {
    /// Physical address of the image.
    pub fn image_phys(&self) -> u64 {
        match &self.text {
            Some(home) => home.block.image_phys(),
            None => self.phys + PAGE,
        }
    }

    /// For a kernel on shared text: the offset of the image's writable part
    /// and where this kernel's copy of it is.
    pub fn data(&self) -> Option<(u64, u64)> {
        self.text
            .as_ref()
            .map(|home| (home.data_offset, self.phys + PAGE))
    }

    /// The boot-parameter page, to fill in.
    pub fn params_page(&mut self) -> &mut [u8] {
        &mut self.mapping.bytes_mut()[..PARAMS_PAGE]
    }

    /// The kernel's acknowledgement, once it wrote one.
    pub fn ack(&self) -> Option<BootAck> {
        let at = self.mapping.vaddr + ACK_OFFSET as u64;
        // SAFETY: the ack's stage word lies in this mapping (ACK_OFFSET <
        // PARAMS_PAGE), 8-byte aligned; the starting kernel writes it
        // concurrently, so it is read atomically.
        let stage = unsafe { AtomicU64::from_ptr(at as *mut u64) };
        if stage.load(Ordering::Acquire) == 0 {
            return None;
        }
        // Up to the counters, which the kernel keeps changing.
        Some(BootAck::decode(&self.mapping.bytes()[..COUNTERS_OFFSET]))
    }

    /// Waits until `ready` finds what it waits for in the kernel's
    /// acknowledgement, or `deadline_ns` passes (`None`). The kernel rings
    /// this page's doorbell after every acknowledgement, so the boot driver
    /// blocks on a notification instead of polling (a poll every
    /// [`DOORBELL_BACKSTOP_NS`] covers a doorbell that named another core).
    pub fn await_ack<T>(
        &self,
        deadline_ns: u64,
        mut ready: impl FnMut(BootAck) -> Option<T>,
    ) -> Option<T> {
        loop {
            if let Some(found) = self.ack().and_then(&mut ready) {
                return Some(found);
            }
            let now = sys::time_ns();
            if now >= deadline_ns {
                return None;
            }
            // A notification that came since the last look makes this
            // return at once (the kernel marks the waiter).
            sys::wait_rings(
                (now + DOORBELL_BACKSTOP_NS).min(deadline_ns),
                corefish::abi::dispatcher::NOTIFY_BIT,
            );
        }
    }

    /// Names the core with local APIC id `apic` as the one the kernel
    /// notifies after each acknowledgement (the boot driver's).
    pub fn set_doorbell(&self, apic: u32) {
        let at = self.mapping.vaddr + DOORBELL_OFFSET as u64;
        // The kernel reads it concurrently, so it is written atomically.
        // SAFETY: DOORBELL_OFFSET + 8 <= PARAMS_PAGE: an 8-aligned word of this mapping.
        unsafe { AtomicU64::from_ptr(at as *mut u64) }.store(doorbell(apic), Ordering::Release);
    }

    /// IPIs the kernel has received so far (its counter in the page).
    pub fn ipis_received(&self) -> u64 {
        let at = self.mapping.vaddr + (COUNTERS_OFFSET + COUNTER_IPIS * 8) as u64;
        // SAFETY: the counter lies in this mapping (COUNTERS_OFFSET + 8 <=
        // PARAMS_PAGE), 8-byte aligned; the running kernel increments it
        // concurrently, so it is read atomically.
        unsafe { AtomicU64::from_ptr(at as *mut u64) }.load(Ordering::Relaxed)
    }

    /// Interrupts the kernel has handled so far (its counter in the page).
    pub fn interrupts_handled(&self) -> u64 {
        let at = self.mapping.vaddr + (COUNTERS_OFFSET + COUNTER_INTERRUPTS * 8) as u64;
        // SAFETY: the counter lies in this mapping (COUNTERS_OFFSET + 16 <=
        // PARAMS_PAGE), 8-byte aligned; the running kernel increments it
        // concurrently, so it is read atomically.
        unsafe { AtomicU64::from_ptr(at as *mut u64) }.load(Ordering::Relaxed)
    }

    /// Asks the kernel to stop at its next NMI
    /// (`bootproto::ack::NMI_OFFSET`): it has stopped answering.
    pub fn request_nmi_stop(&self) {
        let at = self.mapping.vaddr + NMI_OFFSET as u64;
        // SAFETY: NMI_OFFSET + 8 <= PARAMS_PAGE: an 8-aligned word of this
        // mapping, which the kernel reads concurrently.
        unsafe { AtomicU64::from_ptr(at as *mut u64) }.store(NMI_STOP, Ordering::Release);
    }

    /// Takes the core while its kernel idles (`bootproto::ack::IDLE_OFFSET`):
    /// if this succeeds, the kernel has left its OSNodes stopped and will
    /// never touch them again; the core is stopped.
    pub fn take_idle(&self) -> bool {
        let at = self.mapping.vaddr + IDLE_OFFSET as u64;
        // SAFETY: IDLE_OFFSET + 8 <= PARAMS_PAGE: an 8-aligned word of this
        // mapping, which the kernel swaps concurrently.
        let word = unsafe { AtomicU64::from_ptr(at as *mut u64) };
        word.compare_exchange(
            IDLE_OFFERED,
            IDLE_TAKEN,
            Ordering::AcqRel,
            Ordering::Acquire,
        )
        .is_ok()
    }

    /// Names `fallback`, a kernel prepared to resume the same KCB on the
    /// same core, as the one this kernel goes back to if it takes a fatal
    /// fault (`BootParams::fallback_params`). Written before the start.
    pub fn set_fallback(&mut self, fallback: &Loaded) {
        let page = self.params_page();
        let mut params = BootParams::decode(page);
        params.fallback_params = fallback.phys;
        params.fallback_entry = fallback.entry;
        params.fallback_tables = fallback.tables_phys;
        params.encode(page);
    }

    /// Takes the fallback back, before its memory goes: the running kernel
    /// reads the word when it takes a fatal fault.
    pub fn clear_fallback(&self) {
        let at = self.mapping.vaddr + core::mem::offset_of!(BootParams, fallback_params) as u64;
        // The kernel reads the word when it takes a fatal fault (on this
        // core, between two instructions of this program).
        // SAFETY: an 8-aligned word of the parameters at the start of this
        // mapping (the page format's test fixes its offset), stored atomically.
        unsafe { AtomicU64::from_ptr(at as *mut u64) }.store(0, Ordering::Release);
    }

    /// Gives the memory back to the memory server (the core must not run
    /// this kernel any more).
    pub fn free(self) {
        vspace::unmap(self.mapping);
        let _ = Cap::<kind::Any>::at(self.frame).delete();
        slots::free(self.frame);
        let _ = memserv::free(self.ram);
    }
}

/// Checks, without allocating anything, that `file` is a CPU driver this
/// boot driver can start: an x86-64 static PIE linked at 0 whose entry point
/// carries the CPU-driver signature and the boot-parameter version (only a
/// CPU driver may run in ring 0).
pub fn check<'f>(name: &str, file: &'f [u8]) -> Result<(ElfImage<'f>, CpuDriverInfo), BootError> {
    let bad = |e| BootError::BadImage(name.into(), alloc::format!("{e}"));
    let image = ElfImage::parse(file).map_err(bad)?;
    if !image.is_relocatable() || image.vaddr_range().0 != 0 {
        return Err(BootError::BadImage(
            name.into(),
            "not a static PIE linked at 0".into(),
        ));
    }
    let entry_code = image
        .file_bytes_at(image.entry(), bootproto::starter::ENTRY_PREAMBLE as u64)
        .unwrap_or(&[]);
    let info = bootproto::starter::check_entry(entry_code)
        .map_err(|e| BootError::BadImage(name.into(), alloc::format!("{e}")))?;
    Ok((image, info))
}

/// Loads the CPU driver image `file` (named `name`) into fresh memory.
pub fn load(name: &str, file: &[u8]) -> Result<Loaded, BootError> {
    let bad = |e| BootError::BadImage(name.into(), alloc::format!("{e}"));
    let (image, info) = check(name, file)?;
    let image_size = image.memory_size().next_multiple_of(PAGE);
    let mut loaded = block(name, PAGE + image_size, info)?;
    loaded.image_size = image_size;
    loaded.entry = phys_to_virt(loaded.phys + PAGE) + image.entry();
    let bias = phys_to_virt(loaded.image_phys());
    let dest = &mut loaded.mapping.bytes_mut()[PAGE as usize..];
    if let Err(e) = image.load_into(dest, bias).map_err(bad) {
        loaded.free();
        return Err(e);
    }
    Ok(loaded)
}

/// A zeroed block of `size` bytes below [`LOW_LIMIT`], mapped, for image
/// `name` described by `info` (its entry and image size to be filled in).
pub fn block(name: &str, size: u64, info: CpuDriverInfo) -> Result<Loaded, BootError> {
    let ram = memserv::request_below(size, LOW_LIMIT).map_err(BootError::NoMemory)?;
    let frame = slots::alloc().map_err(BootError::NoMemory)?;
    let made = Cap::<kind::Ram>::at(ram)
        .retype(ObjType::Frame, 0, size, 1, SlotRef::Slot(frame))
        .and_then(|()| Cap::<kind::Frame>::at(frame).identify())
        .and_then(|id| {
            let mapping = vspace::map(frame, size, corefish::abi::invoke::MAP_WRITE)?;
            Ok((id.base, mapping))
        });
    let (phys, mut mapping) = match made {
        Ok(done) => done,
        Err(e) => {
            let _ = Cap::<kind::Any>::at(frame).delete();
            slots::free(frame);
            let _ = memserv::free(ram);
            return Err(BootError::NoMemory(e));
        }
    };
    mapping.bytes_mut().fill(0);
    Ok(Loaded {
        name: name.into(),
        ram,
        frame,
        phys,
        size,
        image_size: 0,
        entry: 0,
        info,
        mapping,
        text: None,
        tables_phys: 0,
    })
}
