//! Reading QEMU's `screendump` (a binary PPM) and finding text on it: the
//! text is rendered with the console's own font and colours
//! (`screen::font`) and compared pixel for pixel with each row of the
//! character grid.

use screen::font::{CELL_HEIGHT, CELL_WIDTH, draw_cell};
use screen::{Channel, Framebuffer, Geometry, Surface};

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
        Framebuffer::new(
            0,
            (self.width * 4) as u32,
            self.width as u32,
            self.height as u32,
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
        .geometry()
        .expect("a screen the console can use")
    }

    /// The grid rows whose first cells show exactly `text` (rendered with
    /// the console's font), the rest of the row being anything.
    pub fn rows_showing(&self, text: &str) -> Vec<usize> {
        let g = self.geometry();
        (0..g.rows)
            .filter(|&row| self.row_shows(&g, row, text))
            .collect()
    }

    fn row_shows(&self, g: &Geometry, row: usize, text: &str) -> bool {
        let mut expected = Pixels(vec![0; g.size]);
        for (col, byte) in text.bytes().enumerate() {
            draw_cell(g, &mut expected, col, row, byte);
        }
        for y in row * CELL_HEIGHT..(row + 1) * CELL_HEIGHT {
            for x in 0..(text.len() * CELL_WIDTH).min(self.width) {
                let at = g.offset(x, y);
                let want = [expected.0[at + 2], expected.0[at + 1], expected.0[at]];
                let got = &self.rgb[(y * self.width + x) * 3..][..3];
                if got != want {
                    return false;
                }
            }
        }
        true
    }
}

/// A 32-bit framebuffer in host memory.
struct Pixels(Vec<u8>);

impl Surface for Pixels {
    fn write_pixel(&mut self, offset: usize, pixel: u32, len: usize) {
        self.0[offset..offset + len].copy_from_slice(&pixel.to_le_bytes()[..len]);
    }
}
