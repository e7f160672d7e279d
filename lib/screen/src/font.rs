//! The built-in font and drawing one character cell.
//!
//! Glyphs come from `noto-sans-mono-bitmap` (Noto Sans Mono, regular, 16
//! pixels high, Basic Latin), which stores each as a grid of intensities;
//! a pixel's colour is the foreground scaled by its intensity over a black
//! background. The same function draws for the kernels and for the
//! screenshot test, which renders the text it expects and compares pixels.

use noto_sans_mono_bitmap::{
    FontWeight, RasterHeight, RasterizedChar, get_raster, get_raster_width,
};

use crate::framebuffer::{Geometry, Surface};

const WEIGHT: FontWeight = FontWeight::Regular;
const HEIGHT: RasterHeight = RasterHeight::Size16;

/// Pixels per character cell, across.
pub const CELL_WIDTH: usize = get_raster_width(WEIGHT, HEIGHT);
/// Pixels per character cell, down.
pub const CELL_HEIGHT: usize = HEIGHT.val();
/// The colour of text.
pub const FOREGROUND: [u8; 3] = [0xe6, 0xe6, 0xe6];
/// The colour behind it.
pub const BACKGROUND: [u8; 3] = [0, 0, 0];

/// The glyph shown for `byte`: printable ASCII as itself, anything else
/// as `?`.
fn glyph(byte: u8) -> RasterizedChar {
    let shown = if (0x20..0x7f).contains(&byte) {
        char::from(byte)
    } else {
        '?'
    };
    match get_raster(shown, WEIGHT, HEIGHT) {
        Some(raster) => raster,
        None => blank(),
    }
}

/// The space glyph (the font has every Basic Latin character, so this is
/// only the fallback's fallback).
fn blank() -> RasterizedChar {
    match get_raster(' ', WEIGHT, HEIGHT) {
        Some(raster) => raster,
        None => unreachable_glyph(),
    }
}

#[cold]
fn unreachable_glyph() -> RasterizedChar {
    panic!("the built-in font has no space")
}

/// The colour of a glyph pixel of intensity `level` (0 = background).
pub fn shade(level: u8) -> [u8; 3] {
    let mix = |fg: u8, bg: u8| {
        let (fg, bg, level) = (u32::from(fg), u32::from(bg), u32::from(level));
        ((fg * level + bg * (255 - level) + 127) / 255) as u8
    };
    [
        mix(FOREGROUND[0], BACKGROUND[0]),
        mix(FOREGROUND[1], BACKGROUND[1]),
        mix(FOREGROUND[2], BACKGROUND[2]),
    ]
}

/// Draws `byte` in the cell at (`col`, `row`) of the grid; cells outside
/// the grid are not drawn.
pub fn draw_cell(
    geometry: &Geometry,
    surface: &mut impl Surface,
    col: usize,
    row: usize,
    byte: u8,
) {
    if col >= geometry.cols || row >= geometry.rows {
        return;
    }
    let raster = glyph(byte);
    let (x0, y0) = (col * CELL_WIDTH, row * CELL_HEIGHT);
    let background = geometry.encode(BACKGROUND);
    for (dy, line) in raster.rows().enumerate().take(CELL_HEIGHT) {
        for (dx, &level) in line.iter().enumerate().take(CELL_WIDTH) {
            let pixel = if level == 0 {
                background
            } else {
                geometry.encode(shade(level))
            };
            surface.write_pixel(
                geometry.offset(x0 + dx, y0 + dy),
                pixel,
                geometry.bytes_per_pixel,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_printable_character_has_a_full_glyph() {
        for byte in 0x20..0x7f_u8 {
            let raster = glyph(byte);
            assert_eq!((raster.width(), raster.height()), (CELL_WIDTH, CELL_HEIGHT));
        }
        assert_eq!(glyph(0x01), glyph(b'?'));
        assert_eq!(glyph(0xff), glyph(b'?'));
        assert!(glyph(b' ').pixels().iter().all(|&p| p == 0));
        assert!(glyph(b'A').pixels().iter().any(|&p| p > 200));
    }

    #[test]
    fn shades_run_from_background_to_foreground() {
        assert_eq!(shade(0), BACKGROUND);
        assert_eq!(shade(255), FOREGROUND);
    }
}
