//! What the benchmarks' plots share: their font, a white canvas with the
//! footer that says where the figures come from, and the legend's style.
//! Each plot is drawn by the module that measured its figures.

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::chart::ChartContext;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;

/// A font for the plots' text (Debian's `fonts-dejavu-core`).
const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// Gives the plots their font (once).
fn register_font() -> Result<()> {
    static DONE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        let font = std::fs::read(FONT).map_err(|e| {
            format!("{FONT}: {e} (install the font: apt-get install fonts-dejavu-core)")
        })?;
        plotters::style::register_font("sans-serif", FontStyle::Normal, font.leak())
            .map_err(|_| format!("{FONT}: not a font"))
    })
    .clone()
    .map_err(|e| anyhow!(e))
}

/// A white `size` picture to be written to `path`, with `footer` (where
/// the figures come from) at its bottom left.
pub fn canvas<'a>(
    path: &'a Path,
    size: (u32, u32),
    footer: &str,
) -> Result<DrawingArea<BitMapBackend<'a>, Shift>> {
    register_font()?;
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE)?;
    let (_, height) = root.dim_in_pixel();
    root.draw(&Text::new(
        footer.to_owned(),
        (5, height as i32 - 14),
        ("sans-serif", 11).into_font().color(&BLACK.mix(0.6)),
    ))?;
    Ok(root)
}

/// Draws the legend of `chart`'s labelled series.
pub fn legend<'a, DB, CT>(chart: &mut ChartContext<'a, DB, CT>) -> Result<()>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}
