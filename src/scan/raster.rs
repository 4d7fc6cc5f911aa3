//! A scanned page as grey pixels, decoded from what scanners write (JPEG,
//! PNG, raw or filtered samples, CCITT G3 and G4 fax), always within fixed
//! limits: an image claiming more pixels than a 600 dpi A3 scan is refused
//! before anything is allocated for it.

use std::io::Cursor;

/// The most pixels a page may have: a 600 dpi A3 scan (7,016 × 9,921).
pub(crate) const MAX_PIXELS: u64 = 70_000_000;

/// The longest side a page may have, in pixels.
pub(crate) const MAX_SIDE: u32 = 16_000;

/// A page's grey pixels, row by row: 0 is black, 255 white.
#[derive(Clone)]
pub(crate) struct Gray {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) pixels: Vec<u8>,
}

impl Gray {
    pub(crate) fn get(&self, x: usize, y: usize) -> u8 {
        self.pixels[y * self.width + x]
    }

    /// The page with black and white swapped, when `inverted`.
    pub(crate) fn inverted_if(mut self, inverted: bool) -> Gray {
        if inverted {
            self.pixels.iter_mut().for_each(|p| *p = 255 - *p);
        }
        self
    }

    /// The page turned a quarter clockwise.
    pub(crate) fn quarter_turned(&self) -> Gray {
        let (width, height) = (self.height, self.width);
        let mut pixels = Vec::with_capacity(self.pixels.len());
        for y in 0..height {
            pixels.extend((0..width).map(|x| self.pixels[(self.height - 1 - x) * self.width + y]));
        }
        Gray {
            width,
            height,
            pixels,
        }
    }

    /// The same page at 1/`k` of the size, each pixel the mean of a k × k block.
    pub(crate) fn shrink(&self, k: usize) -> Gray {
        if k <= 1 {
            return self.clone();
        }
        let (w, h) = (self.width / k, self.height / k);
        let mut pixels = Vec::with_capacity(w * h);
        let area = (k * k) as u32;
        for y in 0..h {
            for x in 0..w {
                let mut sum = 0u32;
                for dy in 0..k {
                    let row = (y * k + dy) * self.width + x * k;
                    sum += self.pixels[row..row + k]
                        .iter()
                        .map(|&p| u32::from(p))
                        .sum::<u32>();
                }
                pixels.push((sum / area) as u8);
            }
        }
        Gray {
            width: w,
            height: h,
            pixels,
        }
    }
}

/// Why a page's image could not be read, in a clerk's words.
pub(crate) type Unreadable = String;

/// Refuses sizes no scanner makes before anything is allocated.
pub(crate) fn check_size(width: u64, height: u64) -> Result<(), Unreadable> {
    if width == 0 || height == 0 {
        return Err("页面图像是空的（宽或高为 0）".into());
    }
    if width > u64::from(MAX_SIDE) || height > u64::from(MAX_SIDE) || width * height > MAX_PIXELS {
        return Err(format!(
            "页面图像自称有 {width} × {height} 个像素，比 600 dpi 扫描的 A3 纸还大，文件可能已损坏；为防止电脑卡死，没有读取这一页"
        ));
    }
    Ok(())
}

/// The image formats of whole coded images.
#[derive(Clone, Copy)]
pub(crate) enum Coded {
    Jpeg,
    /// JPEG 2000, read by `hayro-jpeg2000`.
    Jpx,
    /// A JPEG or PNG file as a phone or camera saves it: turned upright as
    /// its EXIF orientation says (a page image in a PDF never is).
    Photo(image::ImageFormat),
}

/// Decodes a JPEG, PNG or JPEG 2000 file or stream into grey.
pub(crate) fn decode(bytes: &[u8], coded: Coded) -> Result<Gray, Unreadable> {
    use image::ImageDecoder;
    let (format, upright) = match coded {
        Coded::Jpeg => (image::ImageFormat::Jpeg, false),
        Coded::Jpx => return from_jpx(bytes),
        Coded::Photo(format) => (format, true),
    };
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // The decoded image in colour, and its grey copy.
    limits.max_alloc = Some(MAX_PIXELS * 4);
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| format!("图像读不出来（{e}）"))?;
    let (w, h) = decoder.dimensions();
    check_size(u64::from(w), u64::from(h))?;
    let orientation = match upright {
        true => decoder.orientation().ok(),
        false => None,
    };
    let image = image::DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => "页面图像太大，为防止电脑卡死，没有读取这一页".to_string(),
        e => format!("图像读不出来（{e}）"),
    })?;
    let mut gray = image::DynamicImage::ImageLuma8(image.into_luma8());
    if let Some(orientation) = orientation {
        gray.apply_orientation(orientation);
    }
    let gray = gray.into_luma8();
    Ok(Gray {
        width: gray.width() as usize,
        height: gray.height() as usize,
        pixels: gray.into_raw(),
    })
}

/// What the samples of a pixel mean.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Model {
    Gray,
    Rgb,
    Cmyk,
    /// YCbCr: only its Y, the grey, is taken.
    Ycc,
    /// An index into a palette, given here as each entry's grey.
    Palette(Vec<u8>),
}

impl Model {
    /// The samples the model needs per pixel.
    pub(crate) fn needs(&self) -> usize {
        match self {
            Model::Gray | Model::Palette(_) => 1,
            Model::Rgb | Model::Ycc => 3,
            Model::Cmyk => 4,
        }
    }
}

/// How raw samples are laid out.
#[derive(Clone, Debug)]
pub(crate) struct Samples {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) model: Model,
    /// Samples per pixel as stored: the model's, and an alpha after them.
    pub(crate) channels: usize,
    /// 1, 2, 4, 8 or 16.
    pub(crate) bits: usize,
    /// Whether 0 is white (a PDF `/Decode [1 0]`, a TIFF's WhiteIsZero).
    pub(crate) inverted: bool,
}

impl Samples {
    /// Bytes the samples take, rows padded to a byte.
    pub(crate) fn len(&self) -> usize {
        self.row_bytes() * self.height
    }

    fn row_bytes(&self) -> usize {
        (self.width * self.channels * self.bits).div_ceil(8)
    }
}

/// The grey of an RGB colour (ITU-R BT.601 weights).
pub(crate) fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114) / 1000) as u8
}

/// Grey pixels from raw samples (already decompressed).
pub(crate) fn from_samples(data: &[u8], s: Samples) -> Result<Gray, Unreadable> {
    check_size(s.width as u64, s.height as u64)?;
    let palette_bits = matches!(s.model, Model::Palette(_)) && s.bits > 8;
    if !matches!(s.bits, 1 | 2 | 4 | 8 | 16)
        || s.channels < s.model.needs()
        || s.channels > 8
        || palette_bits
    {
        return Err(format!(
            "不支持这种图像（每个像素 {} 个颜色、每个颜色 {} 位）；请把扫描仪设为黑白、灰度或彩色",
            s.channels, s.bits
        ));
    }
    if data.len() < s.len() {
        return Err("页面图像的数据不完整，文件可能已损坏".into());
    }
    let row_bytes = s.row_bytes();
    let mut pixels = Vec::with_capacity(s.width * s.height);
    for row in data.chunks(row_bytes).take(s.height) {
        match (&s.model, s.channels, s.bits) {
            (Model::Gray, 1, 1) => pixels.extend((0..s.width).map(|x| {
                if row[x / 8] & (0x80 >> (x % 8)) != 0 {
                    255
                } else {
                    0
                }
            })),
            (Model::Gray, 1, 8) => pixels.extend_from_slice(&row[..s.width]),
            (Model::Rgb, 3, 8) => {
                pixels.extend(row.chunks(3).take(s.width).map(|p| luma(p[0], p[1], p[2])))
            }
            _ => pixels.extend((0..s.width).map(|x| pixel_grey(row, x, &s))),
        }
    }
    Ok(Gray {
        width: s.width,
        height: s.height,
        pixels,
    }
    .inverted_if(s.inverted))
}

/// The grey of pixel `x` of a row, for any layout `from_samples` takes.
fn pixel_grey(row: &[u8], x: usize, s: &Samples) -> u8 {
    let sample = |c: usize| -> u16 {
        let index = x * s.channels + c;
        match s.bits {
            16 => u16::from_be_bytes([row[index * 2], row[index * 2 + 1]]),
            8 => u16::from(row[index]),
            bits => {
                let bit = index * bits;
                (u16::from(row[bit / 8]) >> (8 - bits - bit % 8)) & ((1 << bits) - 1)
            }
        }
    };
    // A sample scaled to 0..=255.
    let full = |c: usize| -> u8 {
        match s.bits {
            16 => (sample(c) >> 8) as u8,
            8 => sample(c) as u8,
            bits => (u32::from(sample(c)) * 255 / ((1 << bits) - 1)) as u8,
        }
    };
    match &s.model {
        Model::Gray | Model::Ycc => full(0),
        Model::Rgb => luma(full(0), full(1), full(2)),
        Model::Cmyk => {
            let k = 255 - u32::from(full(3));
            let ink = |c: usize| ((255 - u32::from(full(c))) * k / 255) as u8;
            luma(ink(0), ink(1), ink(2))
        }
        Model::Palette(greys) => greys.get(usize::from(sample(0))).copied().unwrap_or(255),
    }
}

/// How a CCITT fax image is coded (PDF `CCITTFaxDecode` parameters, or a
/// TIFF's fax compression and its options).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fax {
    pub(crate) width: usize,
    /// Rows of this piece (a whole PDF image, or one TIFF strip).
    pub(crate) rows: usize,
    pub(crate) coding: FaxCoding,
    /// Whether each row starts with an end-of-line code.
    pub(crate) end_of_line: bool,
    /// Whether each row (or its end-of-line code) starts on a byte.
    pub(crate) byte_aligned: bool,
}

/// The three codings of fax machines and 1-bit scanners.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FaxCoding {
    /// Group 3, one-dimensional (modified Huffman).
    G3OneD,
    /// Group 3, two-dimensional, with `k` the rows between 1-D rows.
    G3TwoD(u32),
    /// Group 4 (T.6).
    G4,
}

/// Collects a bi-level decoder's runs as grey pixels (black 0, white 255)
/// onto the end of a page: never more than the rows and columns it was
/// made for, whatever the data says; a row cut short is filled white.
pub(crate) struct BoundedRows<'a> {
    pixels: &'a mut Vec<u8>,
    width: usize,
    row_start: usize,
    end: usize,
}

impl<'a> BoundedRows<'a> {
    /// Room for `rows` rows of `width` after what `pixels` holds.
    pub(crate) fn new(pixels: &'a mut Vec<u8>, width: usize, rows: usize) -> BoundedRows<'a> {
        let start = pixels.len();
        pixels.reserve(width * rows);
        BoundedRows {
            pixels,
            width,
            row_start: start,
            end: start + width * rows,
        }
    }

    pub(crate) fn push(&mut self, black: bool, count: usize) {
        let room = (self.row_start + self.width)
            .min(self.end)
            .saturating_sub(self.pixels.len());
        let n = count.min(room);
        self.pixels
            .resize(self.pixels.len() + n, if black { 0 } else { 255 });
    }

    pub(crate) fn end_row(&mut self) {
        let row_end = (self.row_start + self.width).min(self.end);
        if self.pixels.len() < row_end {
            self.pixels.resize(row_end, 255);
        }
        self.row_start = row_end;
    }
}

impl hayro_ccitt::Decoder for BoundedRows<'_> {
    fn push_pixels(&mut self, white: bool, count: u32) {
        self.push(!white, count as usize);
    }

    fn next_line(&mut self) {
        self.end_row();
    }
}

/// Decodes CCITT fax data onto the end of `pixels` (`fax.rows` rows of
/// `fax.width`): white runs 255, black runs 0. Rows the data does not
/// reach are an error; a page cut short is not read as a blank one.
pub(crate) fn fax_rows(data: &[u8], fax: &Fax, pixels: &mut Vec<u8>) -> Result<(), Unreadable> {
    let (Ok(columns), Ok(rows)) = (u32::try_from(fax.width), u32::try_from(fax.rows)) else {
        return Err("页面图像太大".into());
    };
    let start = pixels.len();
    let end = start + fax.width * fax.rows;
    let settings = hayro_ccitt::DecodeSettings {
        columns,
        rows,
        end_of_block: true,
        end_of_line: fax.end_of_line,
        // Fill bits before an end-of-line code are skipped with it (they
        // make the code end on a byte, not start on one).
        rows_are_byte_aligned: fax.byte_aligned && !fax.end_of_line,
        encoding: match fax.coding {
            FaxCoding::G3OneD => hayro_ccitt::EncodingMode::Group3_1D,
            FaxCoding::G3TwoD(k) => hayro_ccitt::EncodingMode::Group3_2D { k },
            FaxCoding::G4 => hayro_ccitt::EncodingMode::Group4,
        },
        invert_black: false,
    };
    let mut sink = BoundedRows::new(pixels, fax.width, fax.rows);
    // An error past the last row is no matter; rows missing are counted below.
    let _ = hayro_ccitt::decode(
        data,
        &mut sink,
        &mut hayro_ccitt::DecoderContext::new(settings),
    );
    // A few rows short at the foot (a writer's last row unterminated) is
    // paper margin; more is a damaged page.
    let short = end.saturating_sub(pixels.len()) / fax.width.max(1);
    if short > 8 {
        pixels.truncate(start);
        return Err("黑白（传真）压缩的页面图像读不出来，文件可能已损坏".into());
    }
    pixels.resize(end, 255);
    Ok(())
}

/// Grey pixels of a whole fax-coded page.
pub(crate) fn from_fax(data: &[u8], fax: &Fax) -> Result<Gray, Unreadable> {
    check_size(fax.width as u64, fax.rows as u64)?;
    let mut pixels = Vec::new();
    fax_rows(data, fax, &mut pixels)?;
    Ok(Gray {
        width: fax.width,
        height: fax.rows,
        pixels,
    })
}

/// The most tiles a JPEG 2000 page may be cut into (a scanner's are few).
const MAX_JPX_TILES: u64 = 4096;

/// The most bytes a JPEG 2000 page may take while it is decoded, and
/// what the decoder takes for each colour of each pixel of the page as
/// scanned, whatever resolution it is decoded at (measured: about 10
/// bytes; a 200 dpi colour A4 page, 11.6 million samples, peaks near
/// 120 MB). 200 dpi colour and 400 dpi grey pass; finer is refused.
const MAX_JPX_BYTES: u64 = 200 << 20;
const JPX_BYTES_A_SAMPLE: u64 = 10;

/// One JPEG 2000 page decoded at a time: two at once would pass the
/// memory a scan may take.
static JPX_DECODING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// What a JPEG 2000 codestream's SIZ marker claims: size, colours and
/// tiles, read before anything is decoded.
fn jpx_claims(data: &[u8]) -> Result<(u64, u64, u64, u64), Unreadable> {
    let damaged = || "这一页图像（JPEG 2000）已损坏，读不出来".to_string();
    let at = memchr::memmem::find(data, &[0xFF, 0x4F, 0xFF, 0x51]).ok_or_else(damaged)?;
    let siz = data.get(at + 4..at + 4 + 38).ok_or_else(damaged)?;
    let u32_at = |i: usize| {
        u64::from(u32::from_be_bytes([
            siz[i],
            siz[i + 1],
            siz[i + 2],
            siz[i + 3],
        ]))
    };
    let (width, height) = (u32_at(4), u32_at(8));
    let (x0, y0) = (u32_at(12), u32_at(16));
    let (tile_w, tile_h) = (u32_at(20), u32_at(24));
    let (tile_x0, tile_y0) = (u32_at(28), u32_at(32));
    let components = u64::from(u16::from_be_bytes([siz[36], siz[37]]));
    if x0 >= width || y0 >= height || tile_w == 0 || tile_h == 0 {
        return Err(damaged());
    }
    let tiles = (width - tile_x0.min(width)).div_ceil(tile_w)
        * (height - tile_y0.min(height)).div_ceil(tile_h);
    Ok((width - x0, height - y0, components, tiles))
}

/// Grey pixels from a JPEG 2000 image (a JP2 file or a bare codestream,
/// as PDF `JPXDecode` holds it). A fine scan is decoded at a lower
/// resolution (JPEG 2000 keeps them all), near the resolution pages are
/// read at; what the codestream claims is checked first.
fn from_jpx(data: &[u8]) -> Result<Gray, Unreadable> {
    let (width, height, components, tiles) = jpx_claims(data)?;
    check_size(width, height)?;
    if components == 0 || components > 5 || tiles > MAX_JPX_TILES {
        return Err("这一页图像（JPEG 2000）的颜色或分块太多，为防止电脑卡死，没有读取；请把扫描仪设为 JPEG".into());
    }
    if width * height * components * JPX_BYTES_A_SAMPLE > MAX_JPX_BYTES {
        return Err("这一页图像（JPEG 2000）太大，为防止电脑卡死，没有读取；请把扫描仪设为 JPEG（或彩色 200 dpi、灰度 400 dpi 以下）".into());
    }
    let fault = |e: hayro_jpeg2000::DecodeError| format!("这一页图像（JPEG 2000）读不出来（{e}）");
    // Each halving of both sides is one resolution level fewer: a 600 dpi
    // scan is read at 300 dpi.
    let mut target = (width, height);
    while target.0.max(target.1) > 4800 {
        // Rounded down: the decoder skips a level only for a whole halving.
        target = ((target.0 / 2).max(1), (target.1 / 2).max(1));
    }
    let settings = hayro_jpeg2000::DecodeSettings {
        resolve_palette_indices: true,
        strict: false,
        target_resolution: Some((target.0 as u32, target.1 as u32)),
    };
    let image = hayro_jpeg2000::Image::new(data, &settings).map_err(fault)?;
    let (w, h) = (image.width() as usize, image.height() as usize);
    let channels = usize::from(image.color_space().num_channels()) + usize::from(image.has_alpha());
    check_size(w as u64, h as u64)?;
    let model = match image.color_space() {
        hayro_jpeg2000::ColorSpace::Gray => Model::Gray,
        hayro_jpeg2000::ColorSpace::CMYK => Model::Cmyk,
        space if space.num_channels() == 1 => Model::Gray,
        space if space.num_channels() == 4 => Model::Cmyk,
        _ => Model::Rgb,
    };
    let samples = {
        let _one_at_a_time = JPX_DECODING.lock().unwrap_or_else(|e| e.into_inner());
        image.decode().map_err(fault)?
    };
    from_samples(
        &samples,
        Samples {
            width: w,
            height: h,
            model,
            channels,
            bits: 8,
            inverted: false,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarter_turn_is_clockwise() {
        // 3 × 2: 1 2 3 / 4 5 6  →  2 × 3: 4 1 / 5 2 / 6 3.
        let page = Gray {
            width: 3,
            height: 2,
            pixels: vec![1, 2, 3, 4, 5, 6],
        };
        let turned = page.quarter_turned();
        assert_eq!((turned.width, turned.height), (2, 3));
        assert_eq!(turned.pixels, vec![4, 1, 5, 2, 6, 3]);
    }
}
