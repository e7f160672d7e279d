//! The rescue watch (`bootproto::system::WATCH`): another core's kernel
//! starts a fallback kernel on the boot driver's own core when the kernel
//! the boot driver updates that core to never takes its KCB.
//!
//! The boot driver's own core cannot be watched from that core: a new
//! kernel that hangs before it resumes the boot driver stops everything
//! there. So the boot driver names a watcher, a kernel on another running
//! core, in the system page before the update, with a time window and the
//! trampoline of a fallback kernel (the previous image, prepared to resume
//! the same KCB); the old kernel arms the watch as it jumps to the new one,
//! once the KCB is stopped ([`arm_pending`]), and notifies the watcher.
//! The watcher keeps its timer armed for
//! the deadline ([`deadline_ns`], which `timer::arm_at` honours) and looks
//! at every notification and timer interrupt ([`look`]). The new kernel
//! claims its start before it touches the KCB ([`claim_start`]). One
//! compare-and-swap decides between the two: a claimed start runs, a
//! watch that fired sends the core INIT and STARTUP to the fallback, and
//! the new kernel, if it was only late, halts touching nothing.

use core::sync::atomic::{AtomicU64, Ordering};

use bootproto::system::{
    WATCH_ARMED, WATCH_DEADLINE_HI, WATCH_DEADLINE_LO, WATCH_ENTRY, WATCH_FIRED, WATCH_IDLE,
    WATCH_KERNEL, WATCH_PENDING, WATCH_STATE, WATCH_TARGET, WATCH_WATCHER, WATCH_WINDOW,
};

use crate::arch::apic;
use crate::{system, time};

/// The deadline this kernel watches for (system time, ns; 0: none).
static WATCHING: AtomicU64 = AtomicU64::new(0);

fn read(offset: usize) -> Option<u32> {
    Some(system::word(offset)?.load(Ordering::Acquire))
}

/// On a notification or a timer interrupt: takes up a watch this core is
/// named for, and fires one whose deadline has passed.
pub fn look() {
    let me = apic::id() + 1;
    let watched = read(WATCH_STATE) == Some(WATCH_ARMED) && read(WATCH_WATCHER) == Some(me);
    let (Some(lo), Some(hi), true) = (read(WATCH_DEADLINE_LO), read(WATCH_DEADLINE_HI), watched)
    else {
        WATCHING.store(0, Ordering::Relaxed);
        return;
    };
    let deadline = u64::from(hi) << 32 | u64::from(lo);
    if time::now_ns() < deadline {
        WATCHING.store(deadline.max(1), Ordering::Relaxed);
        return;
    }
    WATCHING.store(0, Ordering::Relaxed);
    let fired = system::word(WATCH_STATE).is_some_and(|state| {
        state
            .compare_exchange(
                WATCH_ARMED,
                WATCH_FIRED,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    });
    let target = read(WATCH_TARGET).and_then(|t| t.checked_sub(1));
    let entry = read(WATCH_ENTRY).map(u64::from);
    if let (true, Some(target), Some(entry)) = (fired, target, entry) {
        log::warn!(
            "core {}: the kernel started on APIC {target} did not take its KCB in time; starting the fallback",
            crate::identity::this_core().core_id
        );
        rescue(target, entry);
    }
}

/// Stops core `target` wherever it is and starts it at the real-mode
/// `entry` (a trampoline page): through the warm-reset vector for the
/// bootstrap core, by STARTUP (twice, 200 µs apart) for the others. The
/// bootstrap core gets the STARTUPs too: it ignores them, but under QEMU a
/// halted processor wakes for a STARTUP and not for INIT alone (the boot
/// driver's starts of that core send both for the same reason).
fn rescue(target: u32, entry: u64) {
    use crate::arch::warm_reset::{END, LOWEST, point_at};
    if !(LOWEST..END).contains(&entry) || !entry.is_multiple_of(4096) || target == apic::id() {
        log::error!("the rescue watch names an unusable entry {entry:#x} or core {target}");
        return;
    }
    let bootstrap = system::bootstrap_apic() == Some(target);
    if bootstrap {
        point_at(entry);
    }
    apic::send_init(target);
    let vector = (entry >> 12) as u8;
    apic::send_startup(target, vector);
    let until = time::now_ns() + 200_000;
    while time::now_ns() < until {
        core::hint::spin_loop();
    }
    apic::send_startup(target, vector);
}

/// The deadline this kernel watches for, if any: its timer must fire then.
pub fn deadline_ns() -> Option<u64> {
    match WATCHING.load(Ordering::Relaxed) {
        0 => None,
        at => Some(at),
    }
}

/// As this kernel jumps to the next one in place (KERNEL_REPLACE), its
/// KCB stopped: arms a watch the boot driver left pending for this core,
/// its deadline counted from now, and notifies the watcher.
pub fn arm_pending() {
    let me = apic::id() + 1;
    let (Some(state), Some(window)) = (system::word(WATCH_STATE), read(WATCH_WINDOW)) else {
        return;
    };
    if read(WATCH_TARGET) != Some(me) || state.load(Ordering::Acquire) != WATCH_PENDING {
        return;
    }
    let deadline = time::now_ns().saturating_add(u64::from(window) * 1_000_000);
    for (offset, value) in [
        (WATCH_DEADLINE_LO, deadline as u32),
        (WATCH_DEADLINE_HI, (deadline >> 32) as u32),
    ] {
        if let Some(word) = system::word(offset) {
            word.store(value, Ordering::Relaxed);
        }
    }
    let armed = state
        .compare_exchange(
            WATCH_PENDING,
            WATCH_ARMED,
            Ordering::AcqRel,
            Ordering::Acquire,
        )
        .is_ok();
    let watcher = read(WATCH_WATCHER).and_then(|w| w.checked_sub(1));
    if let (true, Some(watcher)) = (armed, watcher)
        && watcher != apic::id()
    {
        apic::send_fixed(watcher, crate::arch::vectors::NOTIFY as u8);
    }
}

/// Before this kernel (started with the boot parameters at `params_phys`)
/// touches its KCB: claims its start against a watch on it. `false`: the
/// watch fired, another kernel is on its way to this core, and this one
/// must not touch anything.
pub fn claim_start(params_phys: u64) -> bool {
    let Some(state) = system::word(WATCH_STATE) else {
        return true;
    };
    if u64::from(read(WATCH_KERNEL).unwrap_or(0)) != params_phys {
        return true;
    }
    !matches!(
        state.compare_exchange(WATCH_ARMED, WATCH_IDLE, Ordering::AcqRel, Ordering::Acquire),
        Err(WATCH_FIRED)
    )
}
