//! The PNG drawing backend: plotters' bitmap backend with its own text placement.
//!
//! plotters 0.3.7 draws ab_glyph text without each glyph's left side bearing, so letters sit
//! unevenly ("Sa lesforce"). This wrapper delegates every shape to `BitMapBackend` and lays
//! text out itself: glyphs at their advance and kerning, each outline at its own pixel bounds.
//! Sizes, anchors and rotations follow plotters' conventions so PNG and SVG charts match.
//!
//! `--chart-scale N` draws every shape, line width and glyph N times larger into an N-times
//! larger bitmap while plotters lays the chart out at its usual size: the same chart, sharp on
//! a slide.
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

/// A bitmap backend whose text is drawn with correct glyph spacing, at a whole-number scale.
pub struct PngCanvas<'a> {
    inner: BitMapBackend<'a>,
    size: (u32, u32),
    scale: i32,
}

impl<'a> PngCanvas<'a> {
    /// Draws a chart laid out at `size` into `rgb` (3 bytes per pixel, `size × scale` pixels).
    pub fn new(rgb: &'a mut [u8], size: (u32, u32), scale: u32) -> Self {
        let s = scale.max(1);
        PngCanvas {
            inner: BitMapBackend::with_buffer(rgb, (size.0 * s, size.1 * s)),
            size,
            scale: s as i32,
        }
    }

    fn at(&self, (x, y): BackendCoord) -> BackendCoord {
        (x * self.scale, y * self.scale)
    }

    fn styled<'s, S: BackendStyle>(&self, style: &'s S) -> Scaled<'s, S> {
        Scaled {
            style,
            scale: self.scale as u32,
        }
    }
}

/// A shape style with its stroke width scaled.
struct Scaled<'s, S> {
    style: &'s S,
    scale: u32,
}

impl<S: BackendStyle> BackendStyle for Scaled<'_, S> {
    fn color(&self) -> BackendColor {
        self.style.color()
    }

    fn stroke_width(&self) -> u32 {
        self.style.stroke_width() * self.scale
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
        self.size
    }

    fn ensure_prepared(&mut self) -> Result<BitmapError> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<BitmapError> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<BitmapError> {
        if self.scale == 1 {
            return self.inner.draw_pixel(point, color);
        }
        let (x, y) = self.at(point);
        let fill = Solid(color);
        self.inner
            .draw_rect((x, y), (x + self.scale - 1, y + self.scale - 1), &fill, true)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<BitmapError> {
        self.inner
            .draw_line(self.at(from), self.at(to), &self.styled(style))
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<BitmapError> {
        let (x1, y1) = self.at(bottom_right);
        let end = (x1 + self.scale - 1, y1 + self.scale - 1);
        self.inner
            .draw_rect(self.at(upper_left), end, &self.styled(style), fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<BitmapError> {
        let path: Vec<BackendCoord> = path.into_iter().map(|p| self.at(p)).collect();
        self.inner.draw_path(path, &self.styled(style))
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<BitmapError> {
        let radius = radius * self.scale as u32;
        self.inner
            .draw_circle(self.at(center), radius, &self.styled(style), fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<BitmapError> {
        let vert: Vec<BackendCoord> = vert.into_iter().map(|p| self.at(p)).collect();
        self.inner.fill_polygon(vert, &self.styled(style))
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Result<BitmapError> {
        if self.scale == 1 {
            return self.inner.blit_bitmap(pos, size, src);
        }
        // Nearest-neighbour: each source pixel becomes a scale × scale square.
        let s = self.scale as usize;
        let (w, h) = (size.0 as usize, size.1 as usize);
        let mut big = vec![0u8; w * s * h * s * 3];
        for y in 0..h * s {
            for x in 0..w * s {
                let from = ((y / s) * w + x / s) * 3;
                let to = (y * w * s + x) * 3;
                big[to..to + 3].copy_from_slice(&src[from..from + 3]);
            }
        }
        let big_size = (size.0 * s as u32, size.1 * s as u32);
        self.inner.blit_bitmap(self.at(pos), big_size, &big)
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
        let scaled = font.as_scaled(PxScale::from((style.size() * f64::from(self.scale)) as f32));
        let pos = self.at(pos);
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

/// A plain colour as a shape style.
struct Solid(BackendColor);

impl BackendStyle for Solid {
    fn color(&self) -> BackendColor {
        self.0
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
