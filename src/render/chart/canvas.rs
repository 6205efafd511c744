//! The PNG drawing backend: plotters' bitmap backend with its own text placement.
//!
//! plotters 0.3.7 draws ab_glyph text without each glyph's left side bearing, so letters sit
//! unevenly ("Sa lesforce"). This wrapper delegates every shape to `BitMapBackend` and lays
//! text out itself: glyphs at their advance and kerning, each outline at its own pixel bounds.
//! Sizes, anchors and rotations follow plotters' conventions so PNG and SVG charts match.
//!
//! Render stage: drawing only.

use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use plotters::prelude::BitMapBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

use super::style::FONT_BYTES;

/// A bitmap backend whose text is drawn with correct glyph spacing.
pub struct PngCanvas<'a> {
    inner: BitMapBackend<'a>,
}

impl<'a> PngCanvas<'a> {
    /// Draws into `rgb` (3 bytes per pixel, `w × h`).
    pub fn new(rgb: &'a mut [u8], size: (u32, u32)) -> Self {
        PngCanvas {
            inner: BitMapBackend::with_buffer(rgb, size),
        }
    }
}

/// The embedded font, parsed once.
fn font() -> Option<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).ok())
        .as_ref()
}

type Result<E> = std::result::Result<(), DrawingErrorKind<E>>;
type BitmapError = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

impl DrawingBackend for PngCanvas<'_> {
    type ErrorType = BitmapError;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<BitmapError> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<BitmapError> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<BitmapError> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<BitmapError> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<BitmapError> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<BitmapError> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<BitmapError> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<BitmapError> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Result<BitmapError> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<BitmapError> {
        let color = style.color();
        let Some(font) = font().filter(|_| color.alpha > 0.0) else {
            return Ok(());
        };
        let scaled = font.as_scaled(PxScale::from(style.size() as f32));
        let glyphs = layout(&scaled, text);
        let width = glyphs.last().map_or(0.0, |g| g.1 + scaled.h_advance(g.0));
        let height = scaled.ascent() - scaled.descent();
        let dx = match style.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0.0,
            VPos::Center => -height / 2.0,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let mut pixels = Vec::new();
        for (id, caret) in glyphs {
            let glyph = id.with_scale_and_position(scaled.scale(), point(caret + dx, scaled.ascent() + dy));
            if let Some(outline) = scaled.outline_glyph(glyph) {
                let b = outline.px_bounds();
                outline.draw(|x, y, coverage| {
                    let (px, py) = (b.min.x as i32 + x as i32, b.min.y as i32 + y as i32);
                    pixels.push((transform.transform(px, py), coverage));
                });
            }
        }
        for ((x, y), coverage) in pixels {
            self.inner
                .draw_pixel((pos.0 + x, pos.1 + y), color.mix(f64::from(coverage)))?;
        }
        Ok(())
    }
}

/// Each glyph of `text` and its caret position: advances plus kerning.
fn layout<F: Font, S: ScaleFont<F>>(font: &S, text: &str) -> Vec<(ab_glyph::GlyphId, f32)> {
    let mut caret = 0.0;
    let mut prev = None;
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = prev {
            caret += font.kern(p, id);
        }
        out.push((id, caret));
        caret += font.h_advance(id);
        prev = Some(id);
    }
    out
}
