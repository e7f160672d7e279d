//! The framebuffer as the firmware describes it, checked once into a
//! [`Geometry`] everything else draws with.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::font::{CELL_HEIGHT, CELL_WIDTH};
use crate::terminal::{MAX_CELLS, MAX_COLS};

/// Largest framebuffer accepted (bytes): 8K at 32 bits per pixel.
const MAX_SIZE: u64 = 256 << 20;

/// Where a colour channel sits in a pixel (multiboot2's field position and
/// mask size).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct Channel {
    /// Lowest bit of the channel.
    pub position: u8,
    /// Bits in the channel (1 to 8).
    pub size: u8,
}

/// A linear framebuffer in direct-colour mode.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
pub struct Framebuffer {
    /// Physical address of the first pixel.
    pub phys: u64,
    /// Bytes from one line of pixels to the next.
    pub pitch: u32,
    /// Pixels per line.
    pub width: u32,
    /// Lines.
    pub height: u32,
    /// Bits per pixel: 16, 24 or 32.
    pub bpp: u8,
    /// The red channel.
    pub red: Channel,
    /// The green channel.
    pub green: Channel,
    /// The blue channel.
    pub blue: Channel,
    reserved: [u8; 5],
}

/// Why a framebuffer cannot show the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScreenError {
    /// Smaller than one character cell.
    TooSmall {
        /// Pixels per line.
        width: u32,
        /// Lines.
        height: u32,
    },
    /// A pixel depth other than 16, 24 or 32 bits.
    Depth(u8),
    /// A line's bytes do not fit in the pitch.
    Pitch(u32),
    /// Larger than 256 MiB, or its end overflows.
    TooLarge,
    /// A colour channel lies outside the pixel or is empty or wider than
    /// 8 bits.
    Channel,
}

impl core::fmt::Display for ScreenError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::TooSmall { width, height } => {
                write!(
                    f,
                    "framebuffer {width}x{height} is smaller than one character"
                )
            }
            Self::Depth(bpp) => write!(
                f,
                "framebuffer depth of {bpp} bits is not supported (16, 24, 32)"
            ),
            Self::Pitch(pitch) => write!(f, "framebuffer pitch {pitch} is shorter than a line"),
            Self::TooLarge => f.write_str("framebuffer larger than 256 MiB"),
            Self::Channel => f.write_str("framebuffer colour channels do not fit its pixels"),
        }
    }
}

/// Where pixels go: the framebuffer itself, or a buffer standing in for it.
pub trait Surface {
    /// Writes the `len` low bytes of `pixel` (little-endian) at byte
    /// `offset` of the framebuffer. Callers in this crate guarantee `len`
    /// is 2, 3 or 4 and `offset + len <= Geometry::size`.
    fn write_pixel(&mut self, offset: usize, pixel: u32, len: usize);
}

/// A checked framebuffer: every offset computed from it lies inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// The description it was checked from.
    pub framebuffer: Framebuffer,
    /// Bytes per pixel.
    pub bytes_per_pixel: usize,
    /// Bytes of framebuffer memory (pitch times lines).
    pub size: usize,
    /// Character columns.
    pub cols: usize,
    /// Character rows.
    pub rows: usize,
}

impl Framebuffer {
    /// A description with the given fields.
    #[allow(clippy::too_many_arguments)]
    pub const fn new(
        phys: u64,
        pitch: u32,
        width: u32,
        height: u32,
        bpp: u8,
        red: Channel,
        green: Channel,
        blue: Channel,
    ) -> Self {
        Self {
            phys,
            pitch,
            width,
            height,
            bpp,
            red,
            green,
            blue,
            reserved: [0; 5],
        }
    }

    /// A 32-bit framebuffer with red, green and blue in bytes 2, 1, 0 of
    /// each pixel (the usual mode of GOP and VBE, QEMU's among them).
    pub const fn xrgb32(phys: u64, width: u32, height: u32, pitch: u32) -> Self {
        Self::new(
            phys,
            pitch,
            width,
            height,
            32,
            Channel {
                position: 16,
                size: 8,
            },
            Channel {
                position: 8,
                size: 8,
            },
            Channel {
                position: 0,
                size: 8,
            },
        )
    }

    /// Bytes of memory it covers (pitch times lines).
    pub const fn size(&self) -> u64 {
        self.pitch as u64 * self.height as u64
    }

    /// Checks the description and lays the character grid on it (at most
    /// [`MAX_COLS`] columns and [`MAX_CELLS`] cells, from the top left).
    pub fn geometry(&self) -> Result<Geometry, ScreenError> {
        let bytes_per_pixel = match self.bpp {
            16 | 24 | 32 => usize::from(self.bpp / 8),
            other => return Err(ScreenError::Depth(other)),
        };
        let (width, height) = (self.width as usize, self.height as usize);
        if width < CELL_WIDTH || height < CELL_HEIGHT {
            return Err(ScreenError::TooSmall {
                width: self.width,
                height: self.height,
            });
        }
        if (self.pitch as usize) < width.saturating_mul(bytes_per_pixel) {
            return Err(ScreenError::Pitch(self.pitch));
        }
        let size = self.size();
        if size > MAX_SIZE || self.phys.checked_add(size).is_none() {
            return Err(ScreenError::TooLarge);
        }
        for channel in [self.red, self.green, self.blue] {
            let end = u32::from(channel.position) + u32::from(channel.size);
            if channel.size == 0 || channel.size > 8 || end > u32::from(self.bpp) {
                return Err(ScreenError::Channel);
            }
        }
        let cols = (width / CELL_WIDTH).min(MAX_COLS);
        let rows = (height / CELL_HEIGHT).min(MAX_CELLS / cols);
        Ok(Geometry {
            framebuffer: *self,
            bytes_per_pixel,
            size: size as usize,
            cols,
            rows,
        })
    }
}

impl Geometry {
    /// The pixel value of a colour.
    pub fn encode(&self, [r, g, b]: [u8; 3]) -> u32 {
        let fb = &self.framebuffer;
        let part = |value: u8, channel: Channel| {
            (u32::from(value) >> (8 - channel.size)) << channel.position
        };
        part(r, fb.red) | part(g, fb.green) | part(b, fb.blue)
    }

    /// Byte offset of pixel (`x`, `y`), which must lie on the screen.
    pub fn offset(&self, x: usize, y: usize) -> usize {
        y * self.framebuffer.pitch as usize + x * self.bytes_per_pixel
    }

    /// Paints every pixel of the screen with `colour`.
    pub fn fill(&self, surface: &mut impl Surface, colour: [u8; 3]) {
        let pixel = self.encode(colour);
        for y in 0..self.framebuffer.height as usize {
            for x in 0..self.framebuffer.width as usize {
                surface.write_pixel(self.offset(x, y), pixel, self.bytes_per_pixel);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fb(width: u32, height: u32, pitch: u32, bpp: u8) -> Framebuffer {
        let mut fb = Framebuffer::xrgb32(0x8000_0000, width, height, pitch);
        fb.bpp = bpp;
        fb
    }

    #[test]
    fn a_usual_mode_gets_a_grid() {
        let g = fb(1024, 768, 4096, 32).geometry().unwrap();
        assert_eq!((g.cols, g.rows), (1024 / CELL_WIDTH, 768 / CELL_HEIGHT));
        assert_eq!(g.size, 4096 * 768);
        assert_eq!(g.encode([0x12, 0x34, 0x56]), 0x12_3456);
        assert_eq!(g.offset(3, 2), 2 * 4096 + 12);
    }

    #[test]
    fn a_huge_mode_is_capped_to_the_cells() {
        let g = fb(7680, 4320, 7680 * 4, 32).geometry().unwrap();
        assert_eq!(g.cols, MAX_COLS);
        assert!(g.cols * g.rows <= MAX_CELLS);
    }

    #[test]
    fn bad_descriptions_are_refused() {
        assert_eq!(
            fb(1024, 768, 4096, 8).geometry(),
            Err(ScreenError::Depth(8))
        );
        assert_eq!(
            fb(1024, 768, 4000, 32).geometry(),
            Err(ScreenError::Pitch(4000))
        );
        assert_eq!(
            fb(4, 768, 4096, 32).geometry(),
            Err(ScreenError::TooSmall {
                width: 4,
                height: 768
            })
        );
        assert_eq!(
            fb(60000, 60000, 240000, 32).geometry(),
            Err(ScreenError::TooLarge)
        );
        let mut wide = fb(1024, 768, 4096, 16);
        wide.red = Channel {
            position: 11,
            size: 8,
        };
        assert_eq!(wide.geometry(), Err(ScreenError::Channel));
        let mut near_top = fb(1024, 768, 4096, 32);
        near_top.phys = u64::MAX - 4096;
        assert_eq!(near_top.geometry(), Err(ScreenError::TooLarge));
    }

    #[test]
    fn sixteen_bit_colour_keeps_the_high_bits() {
        let mut f = fb(640, 480, 1280, 16);
        f.red = Channel {
            position: 11,
            size: 5,
        };
        f.green = Channel {
            position: 5,
            size: 6,
        };
        f.blue = Channel {
            position: 0,
            size: 5,
        };
        let g = f.geometry().unwrap();
        assert_eq!(g.encode([0xff, 0xff, 0xff]), 0xffff);
        assert_eq!(g.encode([0x80, 0, 0]), 0x8000);
    }
}
