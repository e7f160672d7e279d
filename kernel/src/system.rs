//! The system page (layout: `bootproto::system`): the console lock, the
//! OSNode table, the interrupt-line claims and the bootstrap core's APIC
//! id, shared by every kernel of the machine. The first core's kernel allocates it; the others get its
//! address in their boot parameters.

use core::sync::atomic::{AtomicU32, Ordering};

use abi::error::SysError;
use bootproto::system::{
    BOOTSTRAP_APIC, CONSOLE_LOCK, IRQ_CLAIMS, IRQ_LINES, OSNODE_TABLE, OSNODES, SCREEN_HI,
    SCREEN_LO, SCREEN_LOCK,
};
use spin::Once;

use crate::arch::objects::SystemPage;

static PAGE: Once<SystemPage> = Once::new();

/// Most spins before a lock holder is presumed dead (a core stopped while
/// printing) and the lock is taken anyway.
const LOCK_PATIENCE: u32 = 50_000_000;

/// Most spins for the screen lock before the screen is left out.
const SCREEN_PATIENCE: u32 = 1_000_000;

/// Records the system page (once).
pub fn set(page: SystemPage) {
    PAGE.call_once(|| page);
}

/// The system page's physical address (0 until set).
pub fn phys() -> u64 {
    PAGE.get().map_or(0, SystemPage::phys)
}

/// A word of the system page (`bootproto::system` fixes the offsets), once
/// it is set.
pub fn word(offset: usize) -> Option<&'static AtomicU32> {
    PAGE.get()?.word(offset)
}

/// Takes the console lock (bounded: a dead holder is overridden). A core
/// that holds it already keeps it: a fatal report whose interrupted code
/// was writing (and never runs again), or a new kernel on a core whose
/// kernel died holding it (same APIC id).
pub fn lock_console() {
    let Some(lock) = word(CONSOLE_LOCK) else {
        return;
    };
    let me = crate::identity::this_core().apic_id + 1;
    if lock.load(Ordering::Relaxed) == me {
        return;
    }
    for _ in 0..LOCK_PATIENCE {
        if lock
            .compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            return;
        }
        core::hint::spin_loop();
    }
    lock.store(me, Ordering::Release);
}

/// Takes the screen lock, waiting a little for its holder if `wait`;
/// never takes it from anyone (a drawing cut short would leave two kernels
/// writing one console state). Normally free: drawing happens under the
/// console lock, so only a kernel that overrode that lock waits here.
pub fn try_lock_screen(wait: bool) -> bool {
    let Some(lock) = word(SCREEN_LOCK) else {
        return false;
    };
    let me = crate::identity::this_core().apic_id + 1;
    if lock.load(Ordering::Relaxed) == me {
        // This core failed while drawing: its state is mid-change.
        return false;
    }
    let patience = if wait { SCREEN_PATIENCE } else { 1 };
    (0..patience).any(|_| {
        let taken = lock
            .compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed)
            .is_ok();
        if !taken {
            core::hint::spin_loop();
        }
        taken
    })
}

/// Releases the screen lock if this core holds it: after drawing, and when
/// a kernel dies or a new one starts on a core whose kernel died drawing.
pub fn unlock_screen() {
    if let Some(lock) = word(SCREEN_LOCK) {
        let me = crate::identity::this_core().apic_id + 1;
        let _ = lock.compare_exchange(me, 0, Ordering::Release, Ordering::Relaxed);
    }
}

/// Releases the console and screen locks if this core holds them (a dying
/// kernel, whose interrupted code may have held them, lets the other cores
/// write on).
pub fn release_console() {
    release_console_lock();
    unlock_screen();
}

/// Releases the console lock if this core holds it (the end of one part of
/// a fatal report; the screen lock stays with a core that failed drawing).
pub fn release_console_lock() {
    if let Some(lock) = word(CONSOLE_LOCK) {
        let me = crate::identity::this_core().apic_id + 1;
        let _ = lock.compare_exchange(me, 0, Ordering::AcqRel, Ordering::Relaxed);
    }
}

/// Releases the console lock.
pub fn unlock_console() {
    if let Some(lock) = word(CONSOLE_LOCK) {
        lock.store(0, Ordering::Release);
    }
}

/// Records that OSNode `kcb_id` runs on the core with `apic_id` (the first
/// core's kernel does this for OSNode 0; the boot driver for the others).
pub fn set_core_of(kcb_id: u64, apic_id: u32) {
    let index = usize::try_from(kcb_id).ok().filter(|&i| i < OSNODES);
    if let Some(w) = index.and_then(|i| word(OSNODE_TABLE + i * 4)) {
        w.store(apic_id + 1, Ordering::Release);
    }
}

/// The APIC id running OSNode `kcb_id`, if any.
pub fn core_of(kcb_id: u64) -> Option<u32> {
    let index = usize::try_from(kcb_id).ok().filter(|&i| i < OSNODES)?;
    word(OSNODE_TABLE + index * 4)?
        .load(Ordering::Acquire)
        .checked_sub(1)
}

/// Claims interrupt line `gsi` for OSNode `osnode`: Ok if it is free or
/// that OSNode's already (`true`: claimed now), `IrqInUse` if another
/// OSNode holds it.
pub fn claim_line(gsi: u64, osnode: u64) -> Result<bool, SysError> {
    let index = usize::try_from(gsi)
        .ok()
        .filter(|&i| i < IRQ_LINES)
        .ok_or(SysError::BadArgument)?;
    let owner = u32::try_from(osnode + 1).map_err(|_| SysError::BadArgument)?;
    let w = word(IRQ_CLAIMS + index * 4).ok_or(SysError::DispatcherNotReady)?;
    match w.compare_exchange(0, owner, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => Ok(true),
        Err(held) if held == owner => Ok(false),
        Err(_) => Err(SysError::IrqInUse),
    }
}

/// Lets go of OSNode `osnode`'s claim of line `gsi` (its last IRQ-source
/// capability for it went).
pub fn release_line(gsi: u64, osnode: u64) {
    let index = usize::try_from(gsi).ok().filter(|&i| i < IRQ_LINES);
    let owner = u32::try_from(osnode + 1).ok();
    if let (Some(w), Some(owner)) = (index.and_then(|i| word(IRQ_CLAIMS + i * 4)), owner) {
        let _ = w.compare_exchange(owner, 0, Ordering::AcqRel, Ordering::Acquire);
    }
}

/// Records that the core with `apic_id` is the bootstrap processor (its
/// kernel does, at boot).
pub fn set_bootstrap_apic(apic_id: u32) {
    if let Some(w) = word(BOOTSTRAP_APIC) {
        w.store(apic_id + 1, Ordering::Release);
    }
}

/// Records the screen's console state (the first core's kernel, before
/// any other core starts).
pub fn set_screen(phys: u64) {
    if let (Some(lo), Some(hi)) = (word(SCREEN_LO), word(SCREEN_HI)) {
        hi.store((phys >> 32) as u32, Ordering::Relaxed);
        lo.store(phys as u32, Ordering::Release);
    }
}

/// The screen's console state (physical address; 0 = none).
pub fn screen() -> u64 {
    match (word(SCREEN_LO), word(SCREEN_HI)) {
        (Some(lo), Some(hi)) => {
            let low = lo.load(Ordering::Acquire);
            u64::from(hi.load(Ordering::Relaxed)) << 32 | u64::from(low)
        }
        _ => 0,
    }
}

/// The bootstrap processor's APIC id, once its kernel has recorded it.
pub fn bootstrap_apic() -> Option<u32> {
    word(BOOTSTRAP_APIC)?.load(Ordering::Acquire).checked_sub(1)
}
