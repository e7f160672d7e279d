//! Reading QEMU's `screendump` (a binary PPM) and finding text on it: the
//! text is rendered with the console's own font and colours
//! (`screen::font`) and compared pixel for pixel with each row of the
//! character grid.

use screen::font::{CELL_HEIGHT, CELL_WIDTH, draw_cell};
use screen::{Framebuffer, Geometry, Surface};

/// A screenshot: RGB pixels, row after row.
pub struct Screenshot {
    /// Pixels across.
    pub width: usize,
    /// Pixels down.
    pub height: usize,
    rgb: Vec<u8>,
}

impl Screenshot {
    /// Parses a binary PPM (`P6`, 8 bits per channel), as QEMU writes it.
    pub fn from_ppm(bytes: &[u8]) -> Result<Self, String> {
        let mut fields = Vec::new();
        let mut at = 0;
        while fields.len() < 4 {
            while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
                at += 1;
            }
            let start = at;
            while bytes.get(at).is_some_and(|b| !b.is_ascii_whitespace()) {
                at += 1;
            }
            if start == at {
                return Err("truncated PPM header".into());
            }
            fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
        }
        let number = |i: usize| {
            fields[i]
                .parse::<usize>()
                .map_err(|e| format!("PPM field {i}: {e}"))
        };
        let (width, height, depth) = (number(1)?, number(2)?, number(3)?);
        if fields[0] != "P6" || depth != 255 {
            return Err(format!("not an 8-bit binary PPM: {} {depth}", fields[0]));
        }
        let rgb = bytes
            .get(at + 1..at + 1 + width * height * 3)
            .ok_or("PPM shorter than its pixels")?
            .to_vec();
        Ok(Self { width, height, rgb })
    }

    /// Writes the screenshot as a PNG (for people to look at).
    pub fn save_png(&self, path: &std::path::Path) -> Result<(), String> {
        let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut encoder = png::Encoder::new(
            std::io::BufWriter::new(file),
            self.width as u32,
            self.height as u32,
        );
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer
            .write_image_data(&self.rgb)
            .map_err(|e| e.to_string())
    }

    /// Whether two screenshots show the same pixels.
    pub fn same_as(&self, other: &Self) -> bool {
        (self.width, self.height) == (other.width, other.height) && self.rgb == other.rgb
    }

    /// The console's grid on a screen this size (32-bit xRGB, as QEMU's
    /// standard VGA under GRUB and OVMF).
    pub fn geometry(&self) -> Geometry {
        Framebuffer::xrgb32(
            0,
            self.width as u32,
            self.height as u32,
            (self.width * 4) as u32,
        )
        .geometry()
        .expect("a screen the console can use")
    }

    /// The grid rows that show exactly `text` (rendered with the
    /// console's font) in consecutive cells, starting at any column (a
    /// prompt or another line may stand before it).
    pub fn rows_showing(&self, text: &str) -> Vec<usize> {
        let g = self.geometry();
        let width = text.len() * CELL_WIDTH;
        let Some(strip) =
            Framebuffer::xrgb32(0, width as u32, CELL_HEIGHT as u32, (width * 4) as u32)
                .geometry()
                .ok()
        else {
            return Vec::new();
        };
        let mut expected = Pixels(vec![0; strip.size]);
        for (col, byte) in text.bytes().enumerate() {
            draw_cell(&strip, &mut expected, col, 0, byte);
        }
        (0..g.rows)
            .filter(|&row| {
                (0..=g.cols.saturating_sub(text.len()))
                    .any(|col| self.shows(&strip, &expected, col * CELL_WIDTH, row * CELL_HEIGHT))
            })
            .collect()
    }

    /// Whether the strip `expected` lies at pixel (`x0`, `y0`).
    fn shows(&self, strip: &Geometry, expected: &Pixels, x0: usize, y0: usize) -> bool {
        let (width, height) = (
            strip.framebuffer.width as usize,
            strip.framebuffer.height as usize,
        );
        if x0 + width > self.width || y0 + height > self.height {
            return false;
        }
        (0..height).all(|y| {
            (0..width).all(|x| {
                let at = strip.offset(x, y);
                let want = [expected.0[at + 2], expected.0[at + 1], expected.0[at]];
                self.rgb[((y0 + y) * self.width + x0 + x) * 3..][..3] == want
            })
        })
    }
}

/// A 32-bit framebuffer in host memory.
struct Pixels(Vec<u8>);

impl Surface for Pixels {
    fn write_pixel(&mut self, offset: usize, pixel: u32, len: usize) {
        self.0[offset..offset + len].copy_from_slice(&pixel.to_le_bytes()[..len]);
    }
}
