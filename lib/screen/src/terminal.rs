//! The console's state and what writing to it does.
//!
//! [`Terminal`] lives in memory shared by every kernel of the machine (the
//! loader makes it; the system page names it) and is only written under
//! the machine's console lock. It is plain integers in a fixed layout, so
//! any bytes are a valid state: a write first checks the magic number and
//! the framebuffer description and clamps the cursor, so a damaged state
//! draws nothing or draws within the screen, never outside it.
//!
//! Drawing is the expensive part (on real hardware the framebuffer is
//! uncached or write-combined memory behind a bus), so a cell is drawn only
//! when its character changes, and a full screen jumps up by a quarter of
//! its height at a time rather than a line at a time.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::font::{BACKGROUND, draw_cell};
use crate::framebuffer::{Framebuffer, Geometry, ScreenError, Surface};

/// Most character columns used.
pub const MAX_COLS: usize = 256;
/// Most character cells (columns times rows) used.
pub const MAX_CELLS: usize = 256 * 128;
/// Tab stops every this many columns.
const TAB: usize = 8;
/// Marks an initialised state.
const MAGIC: u64 = u64::from_le_bytes(*b"CFSCREEN");

/// Escape-sequence parsing: nothing pending.
const PLAIN: u32 = 0;
/// Escape-sequence parsing: after ESC.
const ESCAPE: u32 = 1;
/// Escape-sequence parsing: inside a control sequence (ESC `[`).
const CONTROL: u32 = 2;

/// The console's state: the framebuffer it draws on, the cursor and the
/// characters shown (one byte per cell, row after row, `cols` per row).
#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable)]
pub struct Terminal {
    magic: u64,
    framebuffer: Framebuffer,
    col: u32,
    row: u32,
    escape: u32,
    parameter: u32,
    cells: [u8; MAX_CELLS],
}

impl Terminal {
    /// A state that draws nothing until [`Terminal::init`].
    pub const EMPTY: Self = Self {
        magic: 0,
        framebuffer: Framebuffer::new(
            0,
            0,
            0,
            0,
            0,
            crate::Channel {
                position: 0,
                size: 0,
            },
            crate::Channel {
                position: 0,
                size: 0,
            },
            crate::Channel {
                position: 0,
                size: 0,
            },
        ),
        col: 0,
        row: 0,
        escape: PLAIN,
        parameter: 0,
        cells: [0; MAX_CELLS],
    };

    /// Takes over `framebuffer`: paints it black and starts with an empty
    /// grid and the cursor at the top left.
    pub fn init(
        &mut self,
        framebuffer: Framebuffer,
        surface: &mut impl Surface,
    ) -> Result<Geometry, ScreenError> {
        let geometry = framebuffer.geometry()?;
        geometry.fill(surface, BACKGROUND);
        self.framebuffer = framebuffer;
        self.col = 0;
        self.row = 0;
        self.escape = PLAIN;
        self.parameter = 0;
        self.cells.fill(b' ');
        self.magic = MAGIC;
        Ok(geometry)
    }

    /// The framebuffer this console draws on, if it was initialised.
    pub fn framebuffer(&self) -> Option<Framebuffer> {
        (self.magic == MAGIC).then_some(self.framebuffer)
    }

    /// The grid, if the state is initialised and its framebuffer valid.
    fn geometry(&self) -> Option<Geometry> {
        self.framebuffer()?.geometry().ok()
    }

    /// The characters of row `row` (empty for a row off the grid).
    pub fn text_row(&self, row: usize) -> &[u8] {
        match self.geometry() {
            Some(g) if row < g.rows => &self.cells[row * g.cols..(row + 1) * g.cols],
            _ => &[],
        }
    }

    /// The cursor: (column, row).
    pub fn cursor(&self) -> (usize, usize) {
        (self.col as usize, self.row as usize)
    }

    /// Shows `bytes`: printable ASCII at the cursor (wrapping at the right
    /// edge), `\r`, `\n` (also back to the first column), backspace, tab;
    /// other control characters are ignored and escape sequences skipped,
    /// except ESC `[K` (erase to the end of the line) and ESC `[2J`
    /// (erase the screen). Does nothing if the state is not initialised.
    pub fn write(&mut self, surface: &mut impl Surface, bytes: &[u8]) {
        let Some(g) = self.geometry() else { return };
        self.col = self.col.min(g.cols as u32);
        self.row = self.row.min(g.rows as u32 - 1);
        for &byte in bytes {
            self.byte(&g, surface, byte);
        }
    }

    fn byte(&mut self, g: &Geometry, surface: &mut impl Surface, byte: u8) {
        match (self.escape, byte) {
            (ESCAPE, b'[') => {
                self.escape = CONTROL;
                self.parameter = 0;
            }
            (ESCAPE, _) => self.escape = PLAIN,
            (CONTROL, b'0'..=b'9') => {
                self.parameter = (self.parameter.min(9999) * 10 + u32::from(byte - b'0')).min(9999);
            }
            (CONTROL, 0x40..=0x7e) => {
                self.escape = PLAIN;
                self.control(g, surface, byte);
            }
            (CONTROL, _) => {}
            (_, 0x1b) => self.escape = ESCAPE,
            (_, b'\r') => self.col = 0,
            (_, b'\n') => self.new_line(g, surface),
            (_, 0x08) => self.col = self.col.saturating_sub(1),
            (_, b'\t') => {
                let next = (self.col as usize / TAB + 1) * TAB;
                while (self.col as usize) < next.min(g.cols) {
                    self.put(g, surface, b' ');
                }
            }
            (_, 0x20..=0x7e) => self.put(g, surface, byte),
            _ => {}
        }
    }

    /// The final byte of a control sequence.
    fn control(&mut self, g: &Geometry, surface: &mut impl Surface, command: u8) {
        match (command, self.parameter) {
            (b'K', 0) => {
                let row = self.row as usize;
                for col in self.col as usize..g.cols {
                    self.set(g, surface, col, row, b' ');
                }
            }
            (b'J', 2) => {
                for row in 0..g.rows {
                    for col in 0..g.cols {
                        self.set(g, surface, col, row, b' ');
                    }
                }
                (self.col, self.row) = (0, 0);
            }
            _ => {}
        }
    }

    /// Shows `byte` at the cursor and moves it on.
    fn put(&mut self, g: &Geometry, surface: &mut impl Surface, byte: u8) {
        if self.col as usize >= g.cols {
            self.new_line(g, surface);
        }
        self.set(g, surface, self.col as usize, self.row as usize, byte);
        self.col += 1;
    }

    /// Moves to the start of the next line. At the bottom the text jumps
    /// up by a quarter of the screen (at least a line): one redraw for
    /// many lines, since a redraw of the screen is what a scroll costs.
    fn new_line(&mut self, g: &Geometry, surface: &mut impl Surface) {
        self.col = 0;
        if (self.row as usize) + 1 < g.rows {
            self.row += 1;
            return;
        }
        let jump = (g.rows / 4).max(1);
        for row in 0..g.rows {
            for col in 0..g.cols {
                let below = if row + jump < g.rows {
                    self.cells[(row + jump) * g.cols + col]
                } else {
                    b' '
                };
                self.set(g, surface, col, row, below);
            }
        }
        self.row = (g.rows - jump) as u32;
    }

    /// Puts `byte` in a cell, drawing it only if the cell changes.
    fn set(&mut self, g: &Geometry, surface: &mut impl Surface, col: usize, row: usize, byte: u8) {
        let cell = &mut self.cells[row * g.cols + col];
        if *cell != byte {
            *cell = byte;
            draw_cell(g, surface, col, row, byte);
        }
    }
}

#[cfg(test)]
#[path = "terminal_tests.rs"]
mod tests;
