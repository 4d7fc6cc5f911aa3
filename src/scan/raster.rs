//! A scanned page as grey pixels, decoded from what scanners write (JPEG,
//! PNG, raw or Flate-compressed samples, CCITT G4 fax), always within fixed
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

/// The image formats read through the `image` crate.
#[derive(Clone, Copy)]
pub(crate) enum Coded {
    Jpeg,
    Png,
}

/// Decodes a JPEG or PNG file or stream into grey.
pub(crate) fn decode(bytes: &[u8], coded: Coded) -> Result<Gray, Unreadable> {
    use image::ImageDecoder;
    let format = match coded {
        Coded::Jpeg => image::ImageFormat::Jpeg,
        Coded::Png => image::ImageFormat::Png,
    };
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // The decoded image in colour, and its grey copy.
    limits.max_alloc = Some(MAX_PIXELS * 4);
    reader.limits(limits);
    let decoder = reader
        .into_decoder()
        .map_err(|e| format!("图像读不出来（{e}）"))?;
    let (w, h) = decoder.dimensions();
    check_size(u64::from(w), u64::from(h))?;
    let image = image::DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => "页面图像太大，为防止电脑卡死，没有读取这一页".to_string(),
        e => format!("图像读不出来（{e}）"),
    })?;
    let gray = image.into_luma8();
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

/// Grey pixels from CCITT group 4 (T.6) data, as fax machines and 1-bit
/// scanners write it. `black_is_1` is the PDF parameter; the pixels are
/// black and white either way.
pub(crate) fn from_g4(data: &[u8], width: usize, height: usize) -> Result<Gray, Unreadable> {
    check_size(width as u64, height as u64)?;
    let (Ok(w16), Ok(h16)) = (u16::try_from(width), u16::try_from(height)) else {
        return Err("页面图像太大".into());
    };
    let mut pixels = Vec::with_capacity(width * height);
    let done = fax::decoder::decode_g4(data.iter().copied(), w16, Some(h16), |line| {
        pixels.extend(fax::decoder::pels(line, w16).map(|c| match c {
            fax::Color::Black => 0u8,
            fax::Color::White => 255,
        }));
    });
    if done.is_none() || pixels.len() < width * height {
        return Err("黑白（传真）压缩的页面图像读不出来，文件可能已损坏".into());
    }
    pixels.truncate(width * height);
    Ok(Gray {
        width,
        height,
        pixels,
    })
}
