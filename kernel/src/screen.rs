//! The screen: every kernel of the machine mirrors its console output (its
//! log, programs' output and the serial driver's, which carries the
//! shell's) on the framebuffer the firmware set up, through the one text
//! console the loader made (`screen::Terminal`, in the loader's memory).
//!
//! The first core's kernel finds that console in its boot parameters,
//! checks it and names it in the system page; later kernels find it there.
//! Without a screen (the PVH path, or a firmware without a framebuffer)
//! nothing here runs. Drawing takes the system page's screen lock, which
//! no kernel takes from another (see `bootproto::system::SCREEN_LOCK`).
//! Input comes from the serial driver (COM1 and the PS/2 keyboard).

use core::sync::atomic::{AtomicBool, Ordering};

use bootproto::params::BootParams;

use crate::arch;
use crate::system;

/// Attaches the screen, if the machine has one; the first core records it
/// for the others.
pub fn attach(params: &BootParams, first: bool) {
    let phys = if first {
        params.screen_phys
    } else {
        system::screen()
    };
    if phys == 0 {
        return;
    }
    // A kernel before this one on this core may have died drawing.
    system::unlock_screen();
    match arch::screen::attach(phys, &params.memory_map()) {
        Ok(()) if first => system::set_screen(phys),
        Ok(()) => {}
        Err(e) => log::warn!("screen at {phys:#x} not used: {e}"),
    }
}

/// Whether this kernel's last try for the screen lock found it held for
/// all its patience (a holder that died without releasing it): until the
/// lock is seen free, later tries do not wait.
static LOCK_STUCK: AtomicBool = AtomicBool::new(false);

/// Shows console bytes on the screen, if there is one and its lock can be
/// had (called by [`crate::console`] for everything it writes).
pub fn show(bytes: &[u8]) {
    if !arch::screen::attached() {
        return;
    }
    if system::try_lock_screen(!LOCK_STUCK.load(Ordering::Relaxed)) {
        LOCK_STUCK.store(false, Ordering::Relaxed);
        arch::screen::write(bytes);
        system::unlock_screen();
    } else {
        LOCK_STUCK.store(true, Ordering::Relaxed);
    }
}
