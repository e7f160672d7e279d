//! The terminal against a model: whatever is written, the pixels equal the
//! final grid drawn from scratch, and nothing is drawn outside the screen.

extern crate std;

use std::boxed::Box;
use std::vec;
use std::vec::Vec;

use proptest::prelude::*;
use zerocopy::{FromBytes, FromZeros};

use super::*;
use crate::font::{CELL_HEIGHT, CELL_WIDTH};

/// A framebuffer in host memory that refuses writes outside it.
struct Buffer(Vec<u8>);

impl Surface for Buffer {
    fn write_pixel(&mut self, offset: usize, pixel: u32, len: usize) {
        assert!((2..=4).contains(&len));
        let end = offset + len;
        assert!(
            end <= self.0.len(),
            "pixel at {offset} outside {}",
            self.0.len()
        );
        self.0[offset..end].copy_from_slice(&pixel.to_le_bytes()[..len]);
    }
}

fn small_screen(cols: usize, rows: usize) -> Framebuffer {
    // A few pixels more than the grid, and a pitch longer than a line.
    let (width, height) = (cols * CELL_WIDTH + 3, rows * CELL_HEIGHT + 5);
    Framebuffer::xrgb32(
        0x8000_0000,
        width as u32,
        height as u32,
        (width * 4 + 16) as u32,
    )
}

fn zeroed() -> Box<Terminal> {
    Box::new(Terminal::new_zeroed())
}

fn started(cols: usize, rows: usize) -> (Box<Terminal>, Buffer) {
    let fb = small_screen(cols, rows);
    let mut surface = Buffer(vec![0x55; fb.size() as usize]);
    let mut terminal = zeroed();
    terminal.init(fb, &mut surface).unwrap();
    (terminal, surface)
}

/// The screen a fresh terminal draws for the grid `terminal` holds.
fn redrawn(terminal: &Terminal) -> Vec<u8> {
    let fb = terminal.framebuffer().unwrap();
    let g = fb.geometry().unwrap();
    let mut surface = Buffer(vec![0x55; fb.size() as usize]);
    g.fill(&mut surface, BACKGROUND);
    for row in 0..g.rows {
        for (col, &byte) in terminal.text_row(row).iter().enumerate() {
            draw_cell(&g, &mut surface, col, row, byte);
        }
    }
    surface.0
}

fn text(terminal: &Terminal, row: usize) -> &str {
    core::str::from_utf8(terminal.text_row(row))
        .unwrap()
        .trim_end()
}

#[test]
fn lines_wrap_and_scroll() {
    let (mut t, mut s) = started(10, 3);
    t.write(&mut s, b"one\r\ntwo\r\n0123456789abc");
    assert_eq!(
        [text(&t, 0), text(&t, 1), text(&t, 2)],
        ["two", "0123456789", "abc"]
    );
    assert_eq!(t.cursor(), (3, 2));
    t.write(&mut s, b"\n");
    assert_eq!(
        [text(&t, 0), text(&t, 1), text(&t, 2)],
        ["0123456789", "abc", ""]
    );
    assert_eq!(s.0, redrawn(&t));
}

#[test]
fn a_full_line_then_crlf_leaves_no_blank_line() {
    let (mut t, mut s) = started(4, 3);
    t.write(&mut s, b"abcd\r\nef");
    assert_eq!([text(&t, 0), text(&t, 1)], ["abcd", "ef"]);
}

#[test]
fn editing_characters_and_escapes() {
    let (mut t, mut s) = started(20, 2);
    t.write(&mut s, b"ab\tc\x08\x08 X\x1b[31mred\x1b[0m\x07");
    assert_eq!(text(&t, 0), "ab      Xred");
    t.write(&mut s, b"\rxy\x1b[K");
    assert_eq!(text(&t, 0), "xy");
    t.write(&mut s, b"\r\nmore\x1b[2J");
    assert_eq!((text(&t, 0), text(&t, 1), t.cursor()), ("", "", (0, 0)));
    assert_eq!(s.0, redrawn(&t));
}

#[test]
fn the_first_write_paints_the_screen_black() {
    let (t, s) = started(5, 2);
    let g = t.framebuffer().unwrap().geometry().unwrap();
    for y in 0..g.framebuffer.height as usize {
        let line = &s.0[g.offset(0, y)..g.offset(g.framebuffer.width as usize, y)];
        assert!(line.iter().all(|&b| b == 0), "line {y}");
    }
    assert_eq!(s.0, redrawn(&t));
}

#[test]
fn an_uninitialised_state_draws_nothing() {
    let mut t = zeroed();
    let mut s = Buffer(vec![0x55; 64]);
    t.write(&mut s, b"hello\n");
    assert!(s.0.iter().all(|&b| b == 0x55));
    assert_eq!(t.framebuffer(), None);
}

proptest! {
    #[test]
    fn drawing_as_you_go_equals_drawing_the_end(
        cols in 1usize..12,
        rows in 1usize..5,
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..8),
    ) {
        let (mut t, mut s) = started(cols, rows);
        for chunk in &chunks {
            t.write(&mut s, chunk);
            let (col, row) = t.cursor();
            prop_assert!(col <= cols && row < rows);
        }
        prop_assert_eq!(s.0, redrawn(&t));
    }

    #[test]
    fn a_damaged_state_never_draws_outside_the_screen(
        state in proptest::collection::vec(any::<u8>(), 96),
        fields in (any::<u32>(), any::<u32>(), 0u32..4, 1usize..40, 1usize..12),
        parameter in any::<u32>(),
        input in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let (mut t, _) = started(4, 4);
        // Garble the header: cursor, parser, and sometimes the description.
        let header = t.as_mut_bytes();
        header[8..8 + 96].copy_from_slice(&state);
        header[..8].copy_from_slice(b"CFSCREEN");
        let (col, row, escape, cols, rows) = fields;
        t.col = col;
        t.row = row;
        t.escape = escape;
        t.parameter = parameter;
        let fb = t.framebuffer().unwrap();
        let size = fb.geometry().map(|g| g.size).unwrap_or(0);
        if size == 0 || size > 1 << 24 {
            t.framebuffer = small_screen(cols, rows);
        }
        let size = t.framebuffer.size() as usize;
        let mut s = Buffer(vec![0; size]);
        t.write(&mut s, &input);
        let again = Terminal::read_from_bytes(t.as_bytes()).unwrap();
        prop_assert!(again.framebuffer().is_some());
    }
}
