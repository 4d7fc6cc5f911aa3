//! What a scanned page is: its code found and read (see
//! `print::page_code`), the page's geometry from the code's corners, and
//! for a household form whether its answer cells hold handwriting. A page
//! is never guessed: without a readable code of this campaign it is
//! unreadable, with the reason.

use crate::print::page_code::{self, MODULE_MM, PageCode};

use super::raster::Gray;

/// Where the code sits on the page (style.typ `page-code`): the right edge
/// of its image 52 mm from the page's right edge, its top 3 mm from the
/// top (where a page skewed 5° within the scan still shows it whole); the
/// image includes a white border of 4 modules.
const CODE_RIGHT_MM: f64 = 158.0;
const CODE_TOP_MM: f64 = 3.0;
const QUIET_MODULES: f64 = 4.0;

/// Where the code is looked for first, as fractions of the page's width
/// and height (x0, y0, x1, y1): near the top right of the middle, and the
/// same turned round.
const CODE_REGIONS: [(f64, f64, f64, f64); 2] = [(0.55, 0.0, 0.9, 0.22), (0.1, 0.78, 0.45, 1.0)];

/// The page's long side (A4), in millimetres.
const A4_LONG_MM: f64 = 297.0;

/// The resolution pages are read at: finer scans are shrunk to about this.
const WORKING_DPI: f64 = 200.0;

/// The answer cells of annex 3 (annex3.typ), in millimetres from the page's
/// top-left corner, 2.5 mm inside their rules: the three cells of the
/// first row, the rows of 家庭住址 to 困难需求, and the top of 意见建议 (its
/// height gives way to long names). 意见建议处理落实情况 is left out: the
/// department fills it in later.
pub(crate) const ANSWER_CELLS: [(f64, f64, f64, f64); 8] = [
    (54.5, 45.5, 77.5, 52.5),
    (104.5, 45.5, 129.5, 52.5),
    (159.5, 45.5, 185.5, 52.5),
    (54.5, 57.5, 185.5, 64.5),
    (54.5, 69.5, 185.5, 94.5),
    (54.5, 99.5, 185.5, 124.5),
    (54.5, 129.5, 185.5, 158.5),
    (54.5, 163.5, 185.5, 180.0),
];

/// Square millimetres of ink in the answer cells that make a household
/// form filled: about one pen stroke (a written digit is 2 mm² of ink, a
/// name 20 or more). Blank forms measure 0 however speckled, blurred or
/// dithered their scan: specks and JPEG noise are not strokes.
pub(crate) const FILLED_MM2: f64 = 1.0;

/// What a page turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Identified {
        tag: String,
        code: PageCode,
        /// For a household form: whether it was filled in.
        filled: Option<bool>,
        /// Whether the page lies upside down in the scan.
        upside_down: bool,
    },
    /// A page with nothing on it (a duplex back).
    Blank,
    Unreadable(String),
}

/// The page at about `WORKING_DPI`, with the level that counts as ink.
pub(crate) struct Working {
    pub(crate) gray: Gray,
    /// Pixels darker than this are ink.
    pub(crate) ink: u8,
    /// Whether this is the smoothed copy of a page (see `smoothed`).
    smoothed: bool,
}

/// The level below which a pixel is ink: paper is what most of the page
/// is, ink anything well darker.
fn ink_level(gray: &Gray) -> u8 {
    let mut histogram = [0usize; 256];
    for &p in &gray.pixels {
        histogram[usize::from(p)] += 1;
    }
    let half = gray.pixels.len() / 2;
    let mut seen = 0;
    let paper = histogram
        .iter()
        .position(|&n| {
            seen += n;
            seen > half
        })
        .unwrap_or(255) as u8;
    paper.saturating_sub(80).clamp(40, 160)
}

impl Working {
    pub(crate) fn new(page: &Gray) -> Working {
        let long = page.width.max(page.height) as f64;
        let dpi = long / (A4_LONG_MM / 25.4);
        // Never shrunk to nothing (a page one pixel high stays one high).
        let k = ((dpi / WORKING_DPI).floor().max(1.0) as usize)
            .min(page.width.min(page.height))
            .max(1);
        let gray = page.shrink(k);
        // The forms are upright A4: a page wider than high lay sideways on
        // the glass (or the phone was held sideways). Turned a quarter it
        // is upright or upside down, and both are read.
        let gray = if gray.width > gray.height {
            gray.quarter_turned()
        } else {
            gray
        };
        let ink = ink_level(&gray);
        Working {
            gray,
            ink,
            smoothed: false,
        }
    }

    /// The page to measure handwriting on: the page itself, or, when a
    /// 1-bit scan dithered tinted paper into dots all over (more than a
    /// sixth of the page dark; a printed form is a twentieth), the page
    /// smoothed, with ink judged against the grey the dots make.
    fn for_ink(&self) -> Option<Working> {
        // Every seventh pixel tells.
        let (dark, seen) = self
            .gray
            .pixels
            .iter()
            .step_by(7)
            .fold((0, 0), |(dark, seen), &p| {
                (dark + usize::from(p < self.ink), seen + 1)
            });
        if dark * 6 <= seen {
            return None;
        }
        let mut smoothed = self.smoothed();
        smoothed.ink = ink_level(&smoothed.gray);
        Some(smoothed)
    }

    /// A copy with each pixel the mean of the nine around it: a 1-bit
    /// scanner's dithering (grey edges turned into dots) made grey again,
    /// JPEG's blocks and ringing evened out.
    fn smoothed(&self) -> Working {
        let (width, height) = (self.gray.width, self.gray.height);
        // The first and last pixel of the three around `i`, within `0..n`.
        let window = |i: usize, n: usize| (i.saturating_sub(1), (i + 1).min(n - 1));
        let mut across = vec![0u16; width * height];
        for y in 0..height {
            let row = &self.gray.pixels[y * width..][..width];
            for x in 0..width {
                let (a, b) = window(x, width);
                across[y * width + x] = row[a..=b].iter().map(|&p| u16::from(p)).sum();
            }
        }
        let mut pixels = Vec::with_capacity(width * height);
        for y in 0..height {
            let (a, b) = window(y, height);
            pixels.extend((0..width).map(|x| {
                let (l, r) = window(x, width);
                let sum: u32 = (a..=b).map(|yy| u32::from(across[yy * width + x])).sum();
                let n = ((b - a + 1) * (r - l + 1)) as u32;
                ((sum + n / 2) / n) as u8
            }));
        }
        Working {
            gray: Gray {
                width,
                height,
                pixels,
            },
            ink: self.ink,
            smoothed: true,
        }
    }

    /// The grey level at a point (pixel centres at half-integers), blended
    /// from the four pixels around it; paper outside the page.
    fn sample(&self, x: f64, y: f64) -> u8 {
        let (x, y) = (x - 0.5, y - 0.5);
        if x < 0.0 || y < 0.0 {
            return 255;
        }
        let (x0, y0) = (x as usize, y as usize);
        if x0 + 1 >= self.gray.width || y0 + 1 >= self.gray.height {
            return 255;
        }
        let (fx, fy) = (x - x0 as f64, y - y0 as f64);
        let p = |dx: usize, dy: usize| f64::from(self.gray.get(x0 + dx, y0 + dy));
        let top = p(0, 0) * (1.0 - fx) + p(1, 0) * fx;
        let bottom = p(0, 1) * (1.0 - fx) + p(1, 1) * fx;
        (top * (1.0 - fy) + bottom * fy) as u8
    }

    /// A copy with isolated dark specks removed where the code is looked
    /// for first (each pixel there the median of the nine around it; a
    /// module of three pixels keeps its shape).
    fn despeckled(&self) -> Working {
        let (width, height) = (self.gray.width, self.gray.height);
        let mut gray = self.gray.clone();
        for (fx0, fy0, fx1, fy1) in CODE_REGIONS {
            let at = |f: f64, n: usize| ((n as f64 * f) as usize).clamp(1, n.saturating_sub(1));
            for y in at(fy0, height)..at(fy1, height) {
                for x in at(fx0, width)..at(fx1, width) {
                    let mut around = [0u8; 9];
                    for (k, (dx, dy)) in (0..3)
                        .flat_map(|dy| (0..3).map(move |dx| (dx, dy)))
                        .enumerate()
                    {
                        around[k] = self.gray.get(x + dx - 1, y + dy - 1);
                    }
                    around.sort_unstable();
                    gray.pixels[y * width + x] = around[4];
                }
            }
        }
        Working {
            gray,
            ink: self.ink,
            smoothed: self.smoothed,
        }
    }

    /// Whether nothing is printed or written on the page: no square of
    /// about 2 mm is a fifth dark.
    pub(crate) fn blank(&self) -> bool {
        let side =
            ((self.gray.width.max(self.gray.height) as f64) / A4_LONG_MM * 2.0).max(2.0) as usize;
        let mut inked = 0;
        for by in 0..self.gray.height / side {
            for bx in 0..self.gray.width / side {
                let mut dark = 0;
                for y in by * side..(by + 1) * side {
                    let row = &self.gray.pixels[y * self.gray.width + bx * side..][..side];
                    dark += row.iter().filter(|&&p| p < self.ink).count();
                }
                if dark * 5 >= side * side {
                    inked += 1;
                    if inked >= 3 {
                        return false;
                    }
                }
            }
        }
        true
    }
}

/// A code found on a page: its text, the centres of its three finder
/// patterns on the working image (top-left, top-right, bottom-left as
/// printed, whichever way the page lies), and its size in modules.
struct Found {
    text: String,
    finders: [(f64, f64); 3],
    modules: usize,
}

/// Why no page code was read.
enum Missing {
    /// No QR code at all.
    None,
    /// A QR code that does not decode (blurred, stained, cut off).
    Damaged,
    /// A QR code that is not a form's (a card's, a web address).
    Foreign,
}

/// Looks for the page's code: first where it is printed (near the top,
/// right of the middle; on a page turned round, near the bottom, left of
/// the middle), then, with `whole_page`, on the whole page.
fn find_code(w: &Working, whole_page: bool) -> Result<Found, Missing> {
    let (width, height) = (w.gray.width, w.gray.height);
    let region = |fx0: f64, fy0: f64, fx1: f64, fy1: f64| {
        (
            (width as f64 * fx0) as usize,
            (height as f64 * fy0) as usize,
            (width as f64 * fx1) as usize,
            (height as f64 * fy1) as usize,
        )
    };
    let region_at = |(fx0, fy0, fx1, fy1): (f64, f64, f64, f64)| region(fx0, fy0, fx1, fy1);
    // Below 250 dpi a module is 3-4 pixels; rqrr finds codes turned a few
    // degrees far more often on the corner enlarged twice (smoothly).
    let dpi = width.max(height) as f64 / (A4_LONG_MM / 25.4);
    let zoom = if dpi < 250.0 { 2 } else { 1 };
    let mut missing = Missing::None;
    let mut regions = vec![
        with(region_at(CODE_REGIONS[0]), zoom),
        with(region_at(CODE_REGIONS[1]), zoom),
    ];
    if whole_page {
        regions.push(with(region(0.0, 0.0, 1.0, 1.0), 1));
    }
    for (x0, y0, x1, y1, zoom) in regions {
        let (rw, rh) = (x1 - x0, y1 - y0);
        if rw < 21 || rh < 21 {
            continue;
        }
        let z = zoom as f64;
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(rw * zoom, rh * zoom, |x, y| {
                if zoom == 1 {
                    w.gray.get(x0 + x, y0 + y)
                } else {
                    w.sample(
                        x0 as f64 + (x as f64 + 0.5) / z,
                        y0 as f64 + (y as f64 + 0.5) / z,
                    )
                }
            });
        for grid in prepared.detect_grids() {
            let modules = rqrr::BitGrid::size(&grid.grid);
            let rough = grid.bounds.map(|p| {
                (
                    f64::from(p.x) / z + x0 as f64,
                    f64::from(p.y) / z + y0 as f64,
                )
            });
            // The code read again from its finder patterns located to a
            // fraction of a pixel; rqrr's own reading of the grid is the
            // fallback (it often misses small codes at 150-200 dpi).
            let refined = refine(w, rough, modules);
            let text = match &refined {
                Some((text, _)) => Some(text.clone()),
                None => grid.decode().ok().map(|(_, text)| text),
            };
            let Some(text) = text else {
                if !matches!(missing, Missing::Foreign) {
                    missing = Missing::Damaged;
                }
                continue;
            };
            if page_code::parse(&text).is_err() {
                missing = Missing::Foreign;
                continue;
            }
            let finders = match refined {
                Some((_, finders)) => finders,
                None => rough_finders(rough, modules),
            };
            return Ok(Found {
                text,
                finders,
                modules,
            });
        }
    }
    Err(missing)
}

/// A region with the zoom it is searched at.
fn with(
    (x0, y0, x1, y1): (usize, usize, usize, usize),
    zoom: usize,
) -> (usize, usize, usize, usize, usize) {
    (x0, y0, x1, y1, zoom)
}

/// The finder patterns' centres as rqrr's rough corners place them.
fn rough_finders(c: [(f64, f64); 4], modules: usize) -> [(f64, f64); 3] {
    let n = modules as f64;
    let at = |u: f64, v: f64| {
        (
            c[0].0 + (c[1].0 - c[0].0) * u / n + (c[3].0 - c[0].0) * v / n,
            c[0].1 + (c[1].1 - c[0].1) * u / n + (c[3].1 - c[0].1) * v / n,
        )
    };
    [at(3.5, 3.5), at(n - 3.5, 3.5), at(3.5, n - 3.5)]
}

/// Reads a code from its finder patterns: each pattern's dark centre (3 × 3
/// modules inside a white ring) is found and its centroid taken, the grid
/// laid through the three centroids, every module sampled at its middle,
/// and the bits decoded (Reed-Solomon-checked). A few thresholds and
/// sub-module shifts are tried before giving up.
fn refine(
    w: &Working,
    rough: [(f64, f64); 4],
    modules: usize,
) -> Option<(String, [(f64, f64); 3])> {
    let n = modules as f64;
    let module = ((rough[1].0 - rough[0].0).hypot(rough[1].1 - rough[0].1) / n).max(1.0);
    // Ink and paper within the code: its darkest and lightest tenth.
    let xs = rough.map(|p| p.0);
    let ys = rough.map(|p| p.1);
    let clampx = |v: f64| (v.max(0.0) as usize).min(w.gray.width - 1);
    let clampy = |v: f64| (v.max(0.0) as usize).min(w.gray.height - 1);
    let (bx0, bx1) = (
        clampx(xs.iter().copied().fold(f64::MAX, f64::min)),
        clampx(xs.iter().copied().fold(f64::MIN, f64::max)),
    );
    let (by0, by1) = (
        clampy(ys.iter().copied().fold(f64::MAX, f64::min)),
        clampy(ys.iter().copied().fold(f64::MIN, f64::max)),
    );
    let mut histogram = [0usize; 256];
    let mut total = 0;
    for y in by0..=by1 {
        for x in bx0..=bx1 {
            histogram[usize::from(w.gray.get(x, y))] += 1;
            total += 1;
        }
    }
    let percentile = |q: usize| {
        let mut seen = 0;
        histogram
            .iter()
            .position(|&c| {
                seen += c;
                seen * 100 >= total * q
            })
            .unwrap_or(255) as i32
    };
    let (ink, paper) = (percentile(10), percentile(90));
    if paper - ink < 40 {
        return None;
    }
    let middle = ((ink + paper) / 2) as u8;
    let seeds = rough_finders(rough, modules);
    let mut finders = [(0.0, 0.0); 3];
    for (i, seed) in seeds.iter().enumerate() {
        finders[i] = finder_centre(w, *seed, module, middle)?;
    }
    let (tl, tr, bl) = (finders[0], finders[1], finders[2]);
    let span = n - 7.0;
    let ex = ((tr.0 - tl.0) / span, (tr.1 - tl.1) / span);
    let ey = ((bl.0 - tl.0) / span, (bl.1 - tl.1) / span);
    for shift in [
        (0.0, 0.0),
        (0.15, 0.0),
        (-0.15, 0.0),
        (0.0, 0.15),
        (0.0, -0.15),
    ] {
        for threshold in [middle, middle.saturating_sub(20), middle.saturating_add(20)] {
            let grid = rqrr::SimpleGrid::from_func(modules, |x, y| {
                let (u, v) = (
                    x as f64 + 0.5 - 3.5 + shift.0,
                    y as f64 + 0.5 - 3.5 + shift.1,
                );
                let px = tl.0 + ex.0 * u + ey.0 * v;
                let py = tl.1 + ex.1 * u + ey.1 * v;
                w.sample(px, py) < threshold
            });
            if let Ok((_, text)) = rqrr::Grid::new(grid).decode() {
                return Some((text, finders));
            }
        }
    }
    None
}

/// The centroid of a finder pattern's dark centre near `seed`: the dark
/// pixels joined to the one nearest `seed`, if they make a blob of about
/// 3 × 3 modules (a blob running into the ring is refused).
fn finder_centre(w: &Working, seed: (f64, f64), module: f64, middle: u8) -> Option<(f64, f64)> {
    let reach = (1.5 * module).ceil() as i64;
    let (sx, sy) = (seed.0.round() as i64, seed.1.round() as i64);
    let dark = |x: i64, y: i64| {
        x >= 0
            && y >= 0
            && (x as usize) < w.gray.width
            && (y as usize) < w.gray.height
            && w.gray.get(x as usize, y as usize) < middle
    };
    let mut start = None;
    let mut nearest = i64::MAX;
    for dy in -reach..=reach {
        for dx in -reach..=reach {
            if dark(sx + dx, sy + dy) && dx * dx + dy * dy < nearest {
                nearest = dx * dx + dy * dy;
                start = Some((sx + dx, sy + dy));
            }
        }
    }
    let start = start?;
    let window = (5.0 * module).ceil() as i64;
    let side = (2 * window + 1) as usize;
    let mut seen = vec![false; side * side];
    let index = |x: i64, y: i64| {
        let (u, v) = (x - start.0 + window, y - start.1 + window);
        (u >= 0 && v >= 0 && u < side as i64 && v < side as i64)
            .then(|| v as usize * side + u as usize)
    };
    let limit = (16.0 * module * module) as usize + 8;
    let mut stack = vec![start];
    seen[index(start.0, start.1)?] = true;
    let (mut sum_x, mut sum_y, mut count) = (0.0, 0.0, 0usize);
    while let Some((x, y)) = stack.pop() {
        sum_x += x as f64;
        sum_y += y as f64;
        count += 1;
        if count > limit {
            return None;
        }
        for (nx, ny) in [(x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)] {
            let i = index(nx, ny)?;
            if !seen[i] && dark(nx, ny) {
                seen[i] = true;
                stack.push((nx, ny));
            }
        }
    }
    if (count as f64) < 4.0 * module * module {
        return None;
    }
    Some((sum_x / count as f64 + 0.5, sum_y / count as f64 + 0.5))
}

/// A point on paper (millimetres) and where it is on the image (pixels).
type Pair = ((f64, f64), (f64, f64));

/// An affine map from page millimetres to pixels, fitted by least squares.
struct Affine([f64; 6]);

impl Affine {
    /// The map that best takes each paper point to its image point; `None`
    /// when the points lie on a line.
    fn fit(pairs: &[Pair]) -> Option<Affine> {
        // Normal equations of [x y 1] · (a b c) = u, and the same for v.
        let mut m = [[0.0f64; 3]; 3];
        let (mut ru, mut rv) = ([0.0f64; 3], [0.0f64; 3]);
        for &((x, y), (u, v)) in pairs {
            let row = [x, y, 1.0];
            for i in 0..3 {
                for j in 0..3 {
                    m[i][j] += row[i] * row[j];
                }
                ru[i] += row[i] * u;
                rv[i] += row[i] * v;
            }
        }
        let (a, b, c) = solve3(m, ru)?;
        let (d, e, f) = solve3(m, rv)?;
        Some(Affine([a, b, c, d, e, f]))
    }

    /// Whether the map places a page as a scanner does: the same scale
    /// across and down (within 4%), right angles kept (within 2°), turned
    /// less than 10° from upright or from upside down.
    fn near_rigid(&self) -> bool {
        let h = &self.0;
        let (across, down) = ((h[0], h[3]), (h[1], h[4]));
        let (sa, sd) = (across.0.hypot(across.1), down.0.hypot(down.1));
        if sa <= 0.0 || sd <= 0.0 || (sa / sd - 1.0).abs() > 0.04 {
            return false;
        }
        let cos_right = (across.0 * down.0 + across.1 * down.1) / (sa * sd);
        let turn = across.1.atan2(across.0).to_degrees().abs();
        let mirrored = across.0 * down.1 - across.1 * down.0 < 0.0;
        cos_right.abs() < 2f64.to_radians().sin() && !mirrored && !(10.0..=170.0).contains(&turn)
    }

    fn map(&self, (x, y): (f64, f64)) -> (f64, f64) {
        let h = &self.0;
        (h[0] * x + h[1] * y + h[2], h[3] * x + h[4] * y + h[5])
    }
}

/// Solves a 3 × 3 linear system by Cramer's rule.
fn solve3(m: [[f64; 3]; 3], r: [f64; 3]) -> Option<(f64, f64, f64)> {
    let det = |m: [[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(m);
    if d.abs() < 1e-9 {
        return None;
    }
    let with = |col: usize| {
        let mut k = m;
        for (row, value) in k.iter_mut().zip(r) {
            row[col] = value;
        }
        det(k) / d
    };
    Some((with(0), with(1), with(2)))
}

/// The centres of the page marks (style.typ `page-code`), in millimetres:
/// top-left, bottom-left, bottom-right.
const MARKS_MM: [(f64, f64); 3] = [(14.0, 14.0), (14.0, 285.0), (196.0, 285.0)];

/// The side of a page mark, in millimetres.
const MARK_MM: f64 = 3.0;

/// How far from where the code puts it a page mark is looked for.
const MARK_REACH_MM: f64 = 8.0;

/// The centre of the page mark near `predicted` (within `reach_mm`): a
/// solid dark square of about `MARK_MM` a side, the one nearest
/// `predicted`.
fn find_mark(
    w: &Working,
    predicted: (f64, f64),
    px_per_mm: f64,
    reach_mm: f64,
) -> Option<(f64, f64)> {
    let reach = reach_mm * px_per_mm;
    let side = MARK_MM * px_per_mm;
    let clamp = |v: f64, max: usize| (v.max(0.0) as usize).min(max);
    let (x0, x1) = (
        clamp(predicted.0 - reach, w.gray.width),
        clamp(predicted.0 + reach, w.gray.width),
    );
    let (y0, y1) = (
        clamp(predicted.1 - reach, w.gray.height),
        clamp(predicted.1 + reach, w.gray.height),
    );
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let (ww, wh) = (x1 - x0, y1 - y0);
    let mut seen = vec![false; ww * wh];
    let dark = |x: usize, y: usize| w.gray.get(x0 + x, y0 + y) < w.ink;
    let mut best: Option<((f64, f64), f64)> = None;
    let mut stack = Vec::new();
    for sy in 0..wh {
        for sx in 0..ww {
            if seen[sy * ww + sx] || !dark(sx, sy) {
                continue;
            }
            seen[sy * ww + sx] = true;
            stack.push((sx, sy));
            let (mut count, mut sum_x, mut sum_y) = (0usize, 0.0, 0.0);
            let (mut min_x, mut max_x, mut min_y, mut max_y) = (sx, sx, sy, sy);
            let mut edge = false;
            while let Some((x, y)) = stack.pop() {
                count += 1;
                sum_x += x as f64;
                sum_y += y as f64;
                (min_x, max_x, min_y, max_y) =
                    (min_x.min(x), max_x.max(x), min_y.min(y), max_y.max(y));
                edge |= x == 0 || y == 0 || x + 1 == ww || y + 1 == wh;
                let around = [
                    (x.wrapping_sub(1), y),
                    (x + 1, y),
                    (x, y.wrapping_sub(1)),
                    (x, y + 1),
                ];
                for (nx, ny) in around {
                    if nx < ww && ny < wh && !seen[ny * ww + nx] && dark(nx, ny) {
                        seen[ny * ww + nx] = true;
                        stack.push((nx, ny));
                    }
                }
            }
            let (bw, bh) = ((max_x - min_x + 1) as f64, (max_y - min_y + 1) as f64);
            let area = side * side;
            let square = !edge
                && (0.6 * area..=1.5 * area).contains(&(count as f64))
                && (0.7 * side..=1.6 * side).contains(&bw)
                && (0.7 * side..=1.6 * side).contains(&bh)
                && count as f64 >= 0.6 * bw * bh;
            if square {
                let centre = (
                    x0 as f64 + sum_x / count as f64 + 0.5,
                    y0 as f64 + sum_y / count as f64 + 0.5,
                );
                let distance = (centre.0 - predicted.0).hypot(centre.1 - predicted.1);
                if best.is_none_or(|(_, d)| distance < d) {
                    best = Some((centre, distance));
                }
            }
        }
    }
    best.map(|(c, _)| c)
}

/// The page's geometry: the code's finder patterns place the page roughly
/// (a 9 mm base, too short to reach the foot of the page), the page marks
/// found from there place it exactly. `None` when fewer than two marks are
/// found (covered by a staple, cut off by the scanner).
fn page_geometry(w: &Working, found: &Found) -> Option<Affine> {
    let finders = finders_on_paper(found.modules);
    let mut pairs: Vec<_> = finders.into_iter().zip(found.finders).collect();
    let rough = Affine::fit(&pairs)?;
    let px_per_mm = {
        let (a, b) = (rough.map((0.0, 0.0)), rough.map((1.0, 0.0)));
        (b.0 - a.0).hypot(b.1 - a.1)
    };
    let mut marks: Vec<Option<(f64, f64)>> = MARKS_MM
        .iter()
        .map(|&m| find_mark(w, rough.map(m), px_per_mm, MARK_REACH_MM))
        .collect();
    if marks.iter().any(Option::is_none) {
        // A second look for those missed, further out, from the code and
        // the marks found (a low resolution or a skew throws the code's
        // guess a few millimetres off at the foot of the page).
        let found: Vec<Pair> = MARKS_MM
            .iter()
            .zip(&marks)
            .filter_map(|(&m, at)| at.map(|at| (m, at)))
            .collect();
        let guess = Affine::fit(&[pairs.as_slice(), &found].concat()).unwrap_or(rough);
        for (mark, at) in MARKS_MM.iter().zip(&mut marks) {
            if at.is_none() {
                *at = find_mark(w, guess.map(*mark), px_per_mm, 2.0 * MARK_REACH_MM);
            }
        }
    }
    let marks: Vec<Pair> = MARKS_MM
        .iter()
        .zip(marks)
        .filter_map(|(&m, at)| at.map(|at| (m, at)))
        .collect();
    if marks.len() < 2 {
        return None;
    }
    pairs.extend(marks);
    Affine::fit(&pairs)
}

/// The page's width (A4), in millimetres.
const A4_SHORT_MM: f64 = 210.0;

/// How far from where a page filling the scan would put it a page mark is
/// looked for when the code could not be found: a page laid a little off
/// the glass, or a scan of a larger area.
const LOST_MARK_REACH_MM: f64 = 18.0;

/// The page's geometry from its marks alone, for a page whose code was
/// not found (JPEG blur or specks can hide a small code's finder patterns
/// from the detector while its modules are still plain): the three marks
/// looked for near the corners of the scan, either way up. Only a fit that
/// is a near-rigid placing of the page (same scale both ways, square, a
/// few degrees of skew) is taken.
fn page_from_marks(w: &Working) -> Option<Affine> {
    let (width, height) = (w.gray.width as f64, w.gray.height as f64);
    let px_per_mm = width.max(height) / A4_LONG_MM;
    let mut placed = None;
    for turned in [false, true] {
        let expected = |(x, y): (f64, f64)| {
            let (x, y) = if turned {
                (A4_SHORT_MM - x, A4_LONG_MM - y)
            } else {
                (x, y)
            };
            (x * px_per_mm, y * px_per_mm)
        };
        let marks: Option<Vec<Pair>> = MARKS_MM
            .iter()
            .map(|&m| find_mark(w, expected(m), px_per_mm, LOST_MARK_REACH_MM).map(|at| (m, at)))
            .collect();
        let Some(marks) = marks else { continue };
        let Some(page) = Affine::fit(&marks) else {
            continue;
        };
        if !page.near_rigid() || placed.is_some() {
            // Marks found both ways up cannot both be the page's.
            if placed.is_some() {
                return None;
            }
            continue;
        }
        placed = Some(page);
    }
    placed
}

/// Reads the code where the page's geometry says it is printed: each size
/// the code may have is tried (it is printed right-aligned, so its size
/// moves its left edge), the grid laid from the finder patterns found near
/// where the geometry puts them.
fn code_at(w: &Working, page: &Affine) -> Option<Found> {
    // Versions 1 to 10: a household form's code is version 2, a village's
    // with a long name version 5 or so.
    (0..10).find_map(|version| {
        let modules = 21 + 4 * version;
        let side = modules as f64 * MODULE_MM;
        let left = CODE_RIGHT_MM - QUIET_MODULES * MODULE_MM - side;
        let top = CODE_TOP_MM + QUIET_MODULES * MODULE_MM;
        let rough = [
            page.map((left, top)),
            page.map((left + side, top)),
            page.map((left + side, top + side)),
            page.map((left, top + side)),
        ];
        let (text, finders) = refine(w, rough, modules)?;
        page_code::parse(&text).ok()?;
        Some(Found {
            text,
            finders,
            modules,
        })
    })
}

/// Where the code's finder patterns' centres sit on the printed page, in
/// millimetres: top-left, top-right, bottom-left.
fn finders_on_paper(modules: usize) -> [(f64, f64); 3] {
    let side = modules as f64 * MODULE_MM;
    let left = CODE_RIGHT_MM - QUIET_MODULES * MODULE_MM - side;
    let top = CODE_TOP_MM + QUIET_MODULES * MODULE_MM;
    let (near, far) = (3.5 * MODULE_MM, side - 3.5 * MODULE_MM);
    [
        (left + near, top + near),
        (left + far, top + near),
        (left + near, top + far),
    ]
}

/// Square millimetres of ink in the answer cells: every pixel there that
/// is dark and touches at least two dark pixels (a pen stroke, however
/// thin, is a line of such pixels; a speck of dust or a dot of JPEG noise
/// is not).
fn inked_mm2(w: &Working, page: &Affine) -> f64 {
    let px_per_mm = {
        let (a, b) = (page.map((0.0, 0.0)), page.map((1.0, 0.0)));
        (b.0 - a.0).hypot(b.1 - a.1)
    };
    if px_per_mm.is_nan() || px_per_mm <= 0.5 {
        return 0.0;
    }
    let step = 1.0 / px_per_mm;
    let (width, height, pixels, ink) = (w.gray.width, w.gray.height, &w.gray.pixels, w.ink);
    // A dark pixel touching at least two dark pixels (`i` inside the page).
    let stroke = |i: usize| {
        let around = [
            i - width - 1,
            i - width,
            i - width + 1,
            i - 1,
            i + 1,
            i + width - 1,
            i + width,
            i + width + 1,
        ];
        around.iter().filter(|&&j| pixels[j] < ink).count() >= 2
    };
    // One step along a row of the page, in pixels.
    let (dx, dy) = (page.0[0] * step, page.0[3] * step);
    let mut inked = 0usize;
    for &(x0, y0, x1, y1) in &ANSWER_CELLS {
        let steps = ((x1 - x0) / step) as usize;
        let mut y = y0;
        while y < y1 {
            let (mut px, mut py) = page.map((x0, y));
            for _ in 0..steps {
                if px >= 1.0 && py >= 1.0 {
                    let (x, row) = (px as usize, py as usize);
                    if x + 1 < width && row + 1 < height {
                        let i = row * width + x;
                        if pixels[i] < ink && stroke(i) {
                            inked += 1;
                        }
                    }
                }
                px += dx;
                py += dy;
            }
            y += step;
        }
    }
    inked as f64 * step * step
}

/// Reads one page.
pub(crate) fn identify(w: &Working) -> Outcome {
    read(w, w)
}

/// Reads a page from `w`, its handwriting from `inked` (the page as
/// scanned when `w` is its smoothed copy: smoothing greys a fine pen's
/// dithered strokes).
fn read(w: &Working, inked: &Working) -> Outcome {
    // Dust on the glass breaks a small code's finder rings at 150 dpi: a
    // page whose code was not read (and that is not blank) is looked at
    // again without its specks.
    let found = match find_code(w, true) {
        Ok(found) => Ok(found),
        Err(_) if w.blank() => return Outcome::Blank,
        Err(Missing::Foreign) => Err(Missing::Foreign),
        Err(missing) => find_code(&w.despeckled(), false).map_err(|_| missing),
    };
    // A code the detector missed is read where the page marks say it is.
    let found = match found {
        Err(Missing::Foreign) => Err(Missing::Foreign),
        Err(missing) => match page_from_marks(w).and_then(|page| code_at(w, &page)) {
            Some(found) => Ok(found),
            None => Err(missing),
        },
        found => found,
    };
    let found = match found {
        Ok(found) => found,
        // A code not read (a 1-bit scan that dithered its edges, say) is
        // looked for once more on the page smoothed.
        Err(missing) => {
            if matches!(missing, Missing::None | Missing::Damaged) && !w.smoothed {
                let again = read(&w.smoothed(), inked);
                if !matches!(again, Outcome::Unreadable(_)) {
                    return again;
                }
            }
            return Outcome::Unreadable(
                match missing {
                    Missing::None => "找不到表上方的二维码（不是本程序印的表，或二维码被遮住、撕掉）",
                    Missing::Damaged => "表上方的二维码读不出来（太模糊、被污损或扫描分辨率太低；请用 200 dpi 以上重扫这一页）",
                    Missing::Foreign => "页上的二维码不是走访表的（如联系卡、网址）",
                }
                .into(),
            );
        }
    };
    let Ok((tag, code)) = page_code::parse(&found.text) else {
        return Outcome::Unreadable("页上的二维码不是走访表的".into());
    };
    let filled = match code {
        PageCode::Household { .. } => {
            let Some(geometry) = page_geometry(w, &found) else {
                return Outcome::Unreadable(format!(
                    "编号 {} 的入户调查表：页角的小黑方块被遮住或没扫进来，判断不了填没填，请重扫这一页",
                    match &code {
                        PageCode::Household { serial } => serial.as_str(),
                        _ => "",
                    }
                ));
            };
            let dotted = inked.for_ink();
            Some(inked_mm2(dotted.as_ref().unwrap_or(inked), &geometry) >= FILLED_MM2)
        }
        _ => None,
    };
    // The code's top edge runs right to left on a page turned round.
    let upside_down = found.finders[1].0 < found.finders[0].0;
    Outcome::Identified {
        tag,
        code,
        filled,
        upside_down,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_of_any_shape_are_read_without_a_panic() {
        for (width, height) in [
            (1, 1),
            (6000, 1),
            (1, 6000),
            (30, 30),
            (21, 2000),
            (5000, 7000),
        ] {
            for ink in [0, 255] {
                let page = Gray {
                    width,
                    height,
                    pixels: vec![ink; width * height],
                };
                let outcome = identify(&Working::new(&page));
                assert!(
                    matches!(outcome, Outcome::Blank | Outcome::Unreadable(_)),
                    "{width} x {height}: {outcome:?}"
                );
            }
        }
    }

    #[test]
    fn least_squares_recovers_a_turned_scaled_page() {
        let (s, c) = (3f64.to_radians().sin(), 3f64.to_radians().cos());
        let truth =
            |(x, y): (f64, f64)| (7.87 * (c * x - s * y) + 40.0, 7.87 * (s * x + c * y) + 12.0);
        let pairs: Vec<Pair> = [(10.0, 10.0), (200.0, 12.0), (15.0, 280.0), (190.0, 290.0)]
            .into_iter()
            .map(|p| (p, truth(p)))
            .collect();
        let fit = Affine::fit(&pairs).unwrap();
        let (u, v) = fit.map((100.0, 150.0));
        let (tu, tv) = truth((100.0, 150.0));
        assert!((u - tu).abs() < 1e-6 && (v - tv).abs() < 1e-6);
        assert!(Affine::fit(&[((0.0, 0.0), (0.0, 0.0)), ((1.0, 1.0), (1.0, 1.0))]).is_none());
    }
}
