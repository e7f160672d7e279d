//! The screen's memory: the text console's shared state (made by the
//! loader, `screen::Terminal`) and the framebuffer, both reached through
//! the direct map, attached only once both are shown to lie where they
//! must ([`attach`]). [`crate::screen`] decides where the address comes
//! from; [`crate::console`] draws through [`write`].

use bootproto::PhysRange;
use bootproto::layout::{DIRECT_MAP_MIN_TOP, phys_to_virt};
use bootproto::memmap::{MemoryKind, MemoryMap};
use core::sync::atomic::{AtomicBool, Ordering};

use screen::{Framebuffer, ScreenError, Surface, Terminal};
use spin::Mutex;

/// The attached screen of this kernel, if any.
static SCREEN: Mutex<Option<Attached>> = Mutex::new(None);
/// Whether [`SCREEN`] holds one (read without the lock on every write).
static ATTACHED: AtomicBool = AtomicBool::new(false);

struct Attached {
    terminal: *mut Terminal,
    /// The description checked at `attach`: the state is drawn only while
    /// it still says exactly this.
    framebuffer: Framebuffer,
    pixels: Pixels,
}

// SAFETY: the pointers name memory shared by the whole machine, only used
// under `SCREEN`'s lock and the machine's console lock (see `write`).
unsafe impl Send for Attached {}

/// The framebuffer in the direct map.
struct Pixels {
    base: *mut u8,
}

impl Surface for Pixels {
    fn write_pixel(&mut self, offset: usize, pixel: u32, len: usize) {
        // `screen` passes only offsets inside the framebuffer whose
        // geometry `attach` checked (and `write` makes sure it is still that
        // one): in the direct map, outside any memory.
        let at = self.base.wrapping_add(offset);
        if len == 4 && at.cast::<u32>().is_aligned() {
            // One bus write per pixel where it can be one.
            // SAFETY: 4 aligned bytes inside the framebuffer (see above).
            unsafe { at.cast::<u32>().write_volatile(pixel) };
            return;
        }
        for (i, &byte) in pixel.to_le_bytes().iter().enumerate().take(len) {
            // SAFETY: byte `i < len` of a pixel inside the framebuffer.
            unsafe { at.wrapping_add(i).write_volatile(byte) };
        }
    }
}

/// Why a screen named to this kernel is not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The console state is not in the loader's memory.
    NotLoaderMemory,
    /// The console state was never initialised.
    Uninitialised,
    /// Its framebuffer description is unusable.
    Geometry(ScreenError),
    /// The framebuffer overlaps memory or lies beyond the low 4 GiB.
    FramebufferMisplaced,
}

impl core::fmt::Display for Refused {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NotLoaderMemory => f.write_str("its state is not in the loader's memory"),
            Self::Uninitialised => f.write_str("its state was never initialised"),
            Self::Geometry(e) => write!(f, "{e}"),
            Self::FramebufferMisplaced => {
                f.write_str("the framebuffer overlaps memory or lies above 4 GiB")
            }
        }
    }
}

/// Draws on the console state at `terminal_phys` (the loader's
/// `Terminal`) from now on, once it is shown to lie in the loader's memory
/// (`Loader`, or `Assigned` in a later kernel's map, where the loader's
/// memory is someone else's) and its framebuffer in the low 4 GiB outside
/// all memory of `map`.
pub fn attach<const N: usize>(terminal_phys: u64, map: &MemoryMap<N>) -> Result<(), Refused> {
    let state = PhysRange::new(terminal_phys, size_of::<Terminal>() as u64);
    if !(map.lies_in(state, MemoryKind::Loader) || map.lies_in(state, MemoryKind::Assigned)) {
        return Err(Refused::NotLoaderMemory);
    }
    // SAFETY: the range lies in the loader's memory (checked above), which
    // no kernel hands out and the direct map covers; only the header is
    // read here, and any bytes are a valid `Terminal`.
    let terminal = unsafe { &*(phys_to_virt(terminal_phys) as *const Terminal) };
    let framebuffer = terminal.framebuffer().ok_or(Refused::Uninitialised)?;
    let geometry = framebuffer.geometry().map_err(Refused::Geometry)?;
    let pixels = PhysRange::new(framebuffer.phys, geometry.size as u64);
    if pixels.end() > DIRECT_MAP_MIN_TOP || !map.is_outside_memory(pixels) {
        return Err(Refused::FramebufferMisplaced);
    }
    *SCREEN.lock() = Some(Attached {
        terminal: phys_to_virt(terminal_phys) as *mut Terminal,
        framebuffer,
        pixels: Pixels {
            base: phys_to_virt(framebuffer.phys) as *mut u8,
        },
    });
    ATTACHED.store(true, Ordering::Release);
    Ok(())
}

/// Whether a screen is attached.
pub fn attached() -> bool {
    ATTACHED.load(Ordering::Acquire)
}

/// Shows `bytes` on the screen, if one is attached and its description is
/// still the one checked. Only `crate::screen` calls this, holding the
/// system page's screen lock, so no two kernels touch the console state at
/// once; `try_lock`, so that a fault while drawing cannot deadlock the
/// report of it.
pub fn write(bytes: &[u8]) {
    let Some(mut screen) = SCREEN.try_lock() else {
        return;
    };
    if let Some(attached) = screen.as_mut() {
        // SAFETY: the state is the loader's Terminal (see `attach`), and
        // the screen lock, held by the caller, makes this kernel its only
        // user for this call.
        let terminal = unsafe { &mut *attached.terminal };
        if terminal.framebuffer() == Some(attached.framebuffer) {
            terminal.write(&mut attached.pixels, bytes);
        }
    }
}
