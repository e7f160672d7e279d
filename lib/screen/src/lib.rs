//! The text console on a linear framebuffer.
//!
//! A machine without a serial port shows what Corefish does on its screen:
//! the loader's lines, every kernel's log and the shell's output are drawn
//! as text on the framebuffer the firmware (multiboot2: VBE under BIOS, GOP
//! under UEFI) left set up. This crate owns:
//!
//! * [`Framebuffer`]: the firmware's description of the framebuffer (where,
//!   how large, how a pixel is encoded) and its validation;
//! * [`font`]: the built-in font (Noto Sans Mono, 16 pixels high, from the
//!   `noto-sans-mono-bitmap` crate, which ships rasterized glyphs usable
//!   without an allocator) and how a cell is rendered to pixels;
//! * [`Terminal`]: the console's state, kept in memory every kernel of the
//!   machine can reach (a fixed layout of plain integers: any bit pattern
//!   is a valid state), and what writing bytes to it does: printable ASCII,
//!   carriage return, line feed, backspace and tab; escape sequences are
//!   skipped, a full screen scrolls.
//!
//! Drawing goes through a [`Surface`], which the caller owns: the loader and
//! the kernels write the real framebuffer through the direct map (their
//! `unsafe` layer), the host tests and the screenshot test write a byte
//! buffer. Nothing here reads the framebuffer back, which is slow on real
//! hardware: a scroll redraws only the cells whose character changed.
//!
//! Nothing here reads input: the serial driver reads COM1 and the PS/2
//! keyboard.

#![no_std]
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

pub mod font;
mod framebuffer;
mod terminal;

pub use framebuffer::{Channel, Framebuffer, Geometry, ScreenError, Surface};
pub use terminal::{MAX_CELLS, Terminal};
