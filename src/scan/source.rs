//! The pages of what scanners and phones write: PDFs of page images,
//! TIFF files (one page or many), JPEG and PNG files, or a folder of them.
//! Each page comes out still compressed (`Encoded`), so that many pages can
//! wait for a worker in little memory; TIFF pages come out decoded, as the
//! TIFF reader hands them over.

use std::path::{Path, PathBuf};

use lopdf::{Dictionary, Object, Stream};

use super::filters::{self, Filter};
use super::jbig2;
use super::pdf::Pdf;
use super::raster::{self, Coded, Gray, Model, Samples, Unreadable};
use super::strips;

/// The most bytes a scanner file may have: a department's stack of 2,000
/// pages at 600 dpi in colour is well under it.
const MAX_FILE_BYTES: u64 = 4 << 30;

/// A page as its file holds it.
pub(crate) enum Encoded {
    Coded {
        bytes: Vec<u8>,
        coded: Coded,
        /// Whether the PDF decodes it the other way round (`/Decode [1 0]`).
        inverted: bool,
    },
    Samples(Vec<u8>, Samples),
    Fax {
        data: Vec<u8>,
        fax: raster::Fax,
        inverted: bool,
    },
    Jbig2 {
        data: Vec<u8>,
        globals: Option<Vec<u8>>,
        inverted: bool,
    },
    Decoded(Gray),
    Unreadable(Unreadable),
}

impl Encoded {
    /// The page's grey pixels.
    pub(crate) fn decode(self) -> Result<Gray, Unreadable> {
        match self {
            Encoded::Coded {
                bytes,
                coded,
                inverted,
            } => raster::decode(&bytes, coded).map(|g| g.inverted_if(inverted)),
            Encoded::Samples(data, samples) => raster::from_samples(&data, samples),
            Encoded::Fax {
                data,
                fax,
                inverted,
            } => raster::from_fax(&data, &fax).map(|g| g.inverted_if(inverted)),
            Encoded::Jbig2 {
                data,
                globals,
                inverted,
            } => jbig2::decode(&data, globals.as_deref()).map(|g| g.inverted_if(inverted)),
            Encoded::Decoded(gray) => Ok(gray),
            Encoded::Unreadable(why) => Err(why),
        }
    }
}

/// One page of one file.
pub(crate) struct RawPage {
    /// 1-based page number in its file.
    pub(crate) page: u32,
    pub(crate) encoded: Encoded,
}

/// What kind of file a scanner file is, from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Pdf,
    Tiff,
    Jpeg,
    Png,
}

fn kind_of(head: &[u8]) -> Option<Kind> {
    if head.starts_with(b"%PDF") {
        Some(Kind::Pdf)
    } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        Some(Kind::Tiff)
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Kind::Jpeg)
    } else if head.starts_with(b"\x89PNG") {
        Some(Kind::Png)
    } else {
        None
    }
}

/// Whether a file's first bytes are those of a file `scan` reads.
pub(crate) fn is_scanner_file(head: &[u8]) -> bool {
    kind_of(head).is_some()
}

/// The extensions of scanner files looked for in a folder.
pub(crate) const EXTENSIONS: [&str; 6] = ["pdf", "tif", "tiff", "jpg", "jpeg", "png"];

/// The files to read: each file given, and the scanner files of each folder
/// given (its sub-folders too), in name order.
pub(crate) fn files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, Unreadable> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found = Vec::new();
            collect(input, &mut found)
                .map_err(|e| format!("文件夹「{}」打不开：{e}", input.display()))?;
            found.sort();
            out.extend(found);
        } else {
            out.push(input.clone());
        }
    }
    Ok(out)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// The most bytes a single-image file (JPEG, PNG) may have: it is read
/// whole.
const MAX_IMAGE_FILE_BYTES: u64 = 256 << 20;

/// The most bytes of one page's image in a PDF (still compressed).
const MAX_PAGE_BYTES: u64 = 512 << 20;

/// Hands each page of `path` to `each`, in order; `Err` when the file as a
/// whole cannot be read (its pages are then unknown). PDF and TIFF files
/// are read a page at a time, never whole.
pub(crate) fn pages(path: &Path, each: &mut dyn FnMut(RawPage)) -> Result<(), Unreadable> {
    use std::io::Read;
    let cannot = |e: std::io::Error| format!("打不开这个文件（{e}）");
    let size = std::fs::metadata(path).map_err(cannot)?.len();
    if size > MAX_FILE_BYTES {
        return Err("文件超过 4 GB，请分成几个文件扫描".into());
    }
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    let mut head = [0u8; 8];
    let n = file.read(&mut head).map_err(cannot)?;
    let kind = kind_of(&head[..n]);
    std::io::Seek::rewind(&mut file).map_err(cannot)?;
    let whole = |kind: Coded, each: &mut dyn FnMut(RawPage)| {
        if size > MAX_IMAGE_FILE_BYTES {
            return Err("图片文件超过 256 MB，不像是一页扫描件".to_string());
        }
        let bytes = std::fs::read(path).map_err(cannot)?;
        each(RawPage {
            page: 1,
            encoded: Encoded::Coded {
                bytes,
                coded: kind,
                inverted: false,
            },
        });
        Ok(())
    };
    match kind {
        Some(Kind::Pdf) => pdf_pages(file, each),
        Some(Kind::Tiff) => tiff_pages(std::io::BufReader::new(file), each),
        Some(Kind::Jpeg) => whole(Coded::Photo(image::ImageFormat::Jpeg), each),
        Some(Kind::Png) => whole(Coded::Photo(image::ImageFormat::Png), each),
        None => {
            Err("不是扫描件：只认得 PDF、TIFF、JPEG、PNG 文件（扫描仪和手机拍照存成的格式）".into())
        }
    }
}

/// The pages of a PDF of page images: on each page, its largest image.
/// A damaged PDF is reported, never passed on (a panic included).
fn pdf_pages(file: std::fs::File, each: &mut dyn FnMut(RawPage)) -> Result<(), Unreadable> {
    let broken = || "PDF 文件已损坏，读不出来".to_string();
    let mut pdf = std::panic::catch_unwind(|| Pdf::open(std::io::BufReader::new(file)))
        .map_err(|_| broken())??;
    let pages = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pdf.pages()))
        .map_err(|_| broken())??;
    for (number, (page, inherited)) in pages.into_iter().enumerate() {
        let encoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            page_image(&mut pdf, &page, inherited.as_ref())
        }))
        .unwrap_or_else(|_| Encoded::Unreadable("这一页已损坏，读不出来".into()));
        each(RawPage {
            page: number as u32 + 1,
            encoded,
        });
    }
    Ok(())
}

/// A PDF as the scanner wrote it, read through a buffer.
type PdfFile = std::io::BufReader<std::fs::File>;

/// The largest image a PDF page draws, still compressed.
fn page_image(pdf: &mut Pdf<PdfFile>, page: &Dictionary, inherited: Option<&Object>) -> Encoded {
    let mut best: Option<(u64, Stream)> = None;
    let mut consider = |stream: Stream| {
        let dim = |key: &[u8]| {
            stream
                .dict
                .get(key)
                .ok()
                .and_then(|o| o.as_i64().ok())
                .and_then(|v| u64::try_from(v).ok())
                .unwrap_or(0)
        };
        let area = dim(b"Width").saturating_mul(dim(b"Height"));
        if best.as_ref().is_none_or(|(a, _)| area > *a) {
            best = Some((area, stream));
        }
    };
    let resources = page.get(b"Resources").ok().or(inherited);
    let Some(Object::Dictionary(resources)) = resources.and_then(|r| pdf.resolve(r).ok()) else {
        return Encoded::Unreadable(
            "这一页上没有扫描的图像（不是扫描仪或手机拍照生成的 PDF 页）".into(),
        );
    };
    for xobject in xobjects_of(pdf, &resources) {
        match xobject.dict.get(b"Subtype").and_then(|s| s.as_name()) {
            Ok(b"Image") => consider(xobject),
            // Some scanners wrap the page image in a form.
            Ok(b"Form") => {
                if let Some(Object::Dictionary(own)) = pdf.get(&xobject.dict, b"Resources") {
                    for inner in xobjects_of(pdf, &own) {
                        if matches!(
                            inner.dict.get(b"Subtype").and_then(|s| s.as_name()),
                            Ok(b"Image")
                        ) {
                            consider(inner);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    match best {
        Some((_, stream)) => encoded_image(pdf, &stream),
        None => Encoded::Unreadable(
            "这一页上没有扫描的图像（不是扫描仪或手机拍照生成的 PDF 页）".into(),
        ),
    }
}

/// The XObject streams of a resource dictionary (their data not read).
fn xobjects_of(pdf: &mut Pdf<PdfFile>, resources: &Dictionary) -> Vec<Stream> {
    let Some(Object::Dictionary(xobjects)) = pdf.get(resources, b"XObject") else {
        return Vec::new();
    };
    xobjects
        .iter()
        .filter_map(|(_, v)| match pdf.resolve(v) {
            Ok(Object::Stream(s)) => Some(s),
            _ => None,
        })
        .collect()
}

/// A PDF image stream as a page to decode.
fn encoded_image(pdf: &mut Pdf<PdfFile>, stream: &Stream) -> Encoded {
    let dict = &stream.dict;
    let mut int = |key: &[u8]| pdf.get(dict, key).and_then(|o| o.as_i64().ok());
    let (Some(width), Some(height)) = (int(b"Width"), int(b"Height")) else {
        return Encoded::Unreadable("这一页的图像没有写明大小，文件可能已损坏".into());
    };
    if let Err(why) = raster::check_size(width.max(0) as u64, height.max(0) as u64) {
        return Encoded::Unreadable(why);
    }
    let (width, height) = (width as usize, height as usize);
    let image_mask = matches!(dict.get(b"ImageMask").and_then(|o| o.as_bool()), Ok(true));
    let bits = int(b"BitsPerComponent").unwrap_or(if image_mask { 1 } else { 8 });
    let filter = pdf.get(dict, b"Filter");
    let parms = match pdf.get(dict, b"DecodeParms") {
        Some(Object::Array(a)) => Some(Object::Array(
            a.iter()
                .map(|o| pdf.resolve(o).unwrap_or(Object::Null))
                .collect(),
        )),
        other => other,
    };
    let chain = filters::chain(filter.as_ref(), parms.as_ref());
    let inverted = matches!(
        dict.get(b"Decode").and_then(|d| d.as_array()),
        Ok(a) if a.first().and_then(|o| o.as_float().ok()) == Some(1.0)
    );
    let model = model_of(pdf, dict);
    let samples = model.map(|(model, channels)| Samples {
        width,
        height,
        model,
        channels,
        bits: usize::try_from(bits).unwrap_or(0),
        // An image mask paints where its samples are 0 (`/Decode [0 1]`,
        // the default): in the page's ink, black on a scan.
        inverted,
    });
    // Plain samples are never more than the page's pixels (and a PNG
    // predictor's byte a row); what an image codec reads is compressed.
    let limit = match (chain.last(), &samples) {
        (Some((f, _)), _) if f.is_image() => MAX_PAGE_BYTES,
        (_, Some(samples)) => (samples.len() + height) as u64,
        (_, None) => 0,
    };
    let raw = match pdf.content(stream, MAX_PAGE_BYTES) {
        Ok(raw) => raw,
        Err(why) => return Encoded::Unreadable(why),
    };
    let out = match filters::unfilter(raw, &chain, limit) {
        Ok(out) => out,
        Err(why) => return Encoded::Unreadable(why),
    };
    match out.codec {
        // The JPEG decoder already undoes an Adobe CMYK JPEG's inversion,
        // which PDF writers restate with `/Decode [1 0 1 0 1 0 1 0]`: only a
        // grey JPEG's `/Decode` is followed.
        Some((Filter::Dct, _)) => Encoded::Coded {
            bytes: out.data,
            coded: Coded::Jpeg,
            inverted: inverted && samples.is_some_and(|s| s.model == Model::Gray),
        },
        Some((Filter::Ccitt, parms)) => {
            // Black runs come out 0 unless `/BlackIs1`; an image mask paints
            // its 0 samples (unless decoded the other way).
            let black_is_1 = parms.flag(b"BlackIs1").unwrap_or(false);
            Encoded::Fax {
                data: out.data,
                fax: filters::fax_of(&parms, width, height),
                inverted: inverted ^ black_is_1,
            }
        }
        Some((Filter::Jpx, _)) => Encoded::Coded {
            bytes: out.data,
            coded: Coded::Jpx,
            inverted: inverted && samples.is_some_and(|s| s.model == Model::Gray),
        },
        Some((Filter::Jbig2, parms)) => {
            let globals = match parms.get(b"JBIG2Globals").map(|g| pdf.resolve(g)) {
                // Shared symbols and tables: small.
                Some(Ok(Object::Stream(globals))) => match pdf.decoded(&globals, 16 << 20) {
                    Ok(data) => Some(data),
                    Err(why) => return Encoded::Unreadable(why),
                },
                _ => None,
            };
            Encoded::Jbig2 {
                data: out.data,
                globals,
                inverted,
            }
        }
        Some((codec, _)) => Encoded::Unreadable(format!(
            "这一页图像的压缩方式（{}）还读不了；请把扫描仪设为 JPEG 或 G4",
            codec.shown()
        )),
        None => match samples {
            Some(samples) => Encoded::Samples(out.data, samples),
            None => Encoded::Unreadable(
                "这一页图像的颜色方式读不了；请把扫描仪设为黑白、灰度或彩色".into(),
            ),
        },
    }
}

/// What an image's samples mean, and how many there are per pixel.
fn model_of(pdf: &mut Pdf<PdfFile>, dict: &Dictionary) -> Option<(Model, usize)> {
    if matches!(dict.get(b"ImageMask").and_then(|o| o.as_bool()), Ok(true)) {
        return Some((Model::Gray, 1));
    }
    let space = pdf.get(dict, b"ColorSpace")?;
    colour_space(pdf, &space, true)
}

/// A colour space's model; `indexed` allows a palette (not inside one).
fn colour_space(pdf: &mut Pdf<PdfFile>, space: &Object, indexed: bool) -> Option<(Model, usize)> {
    let plain = |model: Model| {
        let n = model.needs();
        Some((model, n))
    };
    match space {
        Object::Name(n) => match n.as_slice() {
            b"DeviceGray" | b"CalGray" | b"G" => plain(Model::Gray),
            b"DeviceRGB" | b"CalRGB" | b"RGB" => plain(Model::Rgb),
            b"DeviceCMYK" | b"CMYK" => plain(Model::Cmyk),
            _ => None,
        },
        Object::Array(a) => {
            let first = a.first()?.as_name().ok()?;
            match first {
                b"ICCBased" => {
                    let profile = pdf.resolve(a.get(1)?).ok()?;
                    let n = pdf
                        .get(&profile.as_stream().ok()?.dict, b"N")?
                        .as_i64()
                        .ok()?;
                    match n {
                        1 => plain(Model::Gray),
                        3 => plain(Model::Rgb),
                        4 => plain(Model::Cmyk),
                        _ => None,
                    }
                }
                b"Indexed" | b"I" if indexed => {
                    let base = pdf.resolve(a.get(1)?).ok()?;
                    let (base, n) = colour_space(pdf, &base, false)?;
                    let highest = pdf.resolve(a.get(2)?).ok()?.as_i64().ok()?;
                    let entries = usize::try_from(highest).ok()?.checked_add(1)?.min(256);
                    let table = match pdf.resolve(a.get(3)?).ok()? {
                        Object::String(bytes, _) => bytes,
                        Object::Stream(s) => pdf.decoded(&s, 1 << 16).ok()?,
                        _ => return None,
                    };
                    let greys = (0..entries)
                        .map(|i| {
                            let entry = table.get(i * n..(i + 1) * n)?;
                            let samples = Samples {
                                width: 1,
                                height: 1,
                                model: base.clone(),
                                channels: n,
                                bits: 8,
                                inverted: false,
                            };
                            raster::from_samples(entry, samples)
                                .ok()
                                .map(|g| g.pixels[0])
                        })
                        .map(|g| g.unwrap_or(255))
                        .collect();
                    Some((Model::Palette(greys), 1))
                }
                b"CalGray" | b"CalRGB" => colour_space(pdf, &Object::Name(first.to_vec()), indexed),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The pages of a TIFF file, decoded one at a time within the limits.
fn tiff_pages<R: std::io::Read + std::io::Seek>(
    file: R,
    each: &mut dyn FnMut(RawPage),
) -> Result<(), Unreadable> {
    let mut limits = tiff::decoder::Limits::default();
    limits.decoding_buffer_size = (raster::MAX_PIXELS * 3) as usize;
    limits.intermediate_buffer_size = 1 << 26;
    let mut decoder = tiff::decoder::Decoder::new(file)
        .map_err(|e| format!("TIFF 文件已损坏，读不出来（{e}）"))?
        .with_limits(limits);
    let mut page = 1;
    loop {
        let encoded = match tiff_page(&mut decoder) {
            Ok(gray) => Encoded::Decoded(gray),
            Err(why) => Encoded::Unreadable(why),
        };
        each(RawPage { page, encoded });
        if !decoder.more_images() || page >= 100_000 {
            return Ok(());
        }
        if let Err(e) = decoder.next_image() {
            each(RawPage {
                page: page + 1,
                encoded: Encoded::Unreadable(format!(
                    "TIFF 文件从这一页起已损坏，后面的页读不出来（{e}）"
                )),
            });
            return Ok(());
        }
        page += 1;
    }
}

fn tiff_page<R: std::io::Read + std::io::Seek>(
    decoder: &mut tiff::decoder::Decoder<R>,
) -> Result<Gray, Unreadable> {
    if strips::is_ours(decoder) {
        return strips::page(decoder);
    }
    let (w, h) = decoder.dimensions().map_err(tiff_fault)?;
    raster::check_size(u64::from(w), u64::from(h))?;
    let colour = decoder.colortype().map_err(tiff_fault)?;
    let (model, channels, bits) = match colour {
        tiff::ColorType::Gray(b) => (Model::Gray, 1, b),
        tiff::ColorType::GrayA(b) => (Model::Gray, 2, b),
        tiff::ColorType::RGB(b) => (Model::Rgb, 3, b),
        tiff::ColorType::RGBA(b) => (Model::Rgb, 4, b),
        tiff::ColorType::CMYK(b) => (Model::Cmyk, 4, b),
        tiff::ColorType::CMYKA(b) => (Model::Cmyk, 5, b),
        tiff::ColorType::YCbCr(b) => (Model::Ycc, 3, b),
        _ => {
            return Err("这一页的颜色方式读不了；请把扫描仪设为黑白、灰度或彩色".into());
        }
    };
    let (data, bits) = match decoder.read_image() {
        Ok(tiff::decoder::DecodingResult::U8(data)) => (data, bits),
        // Sixteen bits a sample: the high byte is all a page needs.
        Ok(tiff::decoder::DecodingResult::U16(data)) => {
            (data.into_iter().map(|v| (v >> 8) as u8).collect(), 8)
        }
        Ok(_) => {
            return Err("这一页每个像素的位数读不了，请把扫描仪设为普通的灰度或彩色".into());
        }
        Err(tiff::TiffError::LimitsExceeded) => {
            return Err("页面图像太大，为防止电脑卡死，没有读取这一页".into());
        }
        Err(e) => return Err(tiff_fault(e)),
    };
    raster::from_samples(
        &data,
        Samples {
            width: w as usize,
            height: h as usize,
            model,
            channels,
            bits: usize::from(bits),
            // The TIFF reader turns WhiteIsZero pages round itself.
            inverted: false,
        },
    )
}

/// Why a TIFF page could not be read: a kind of TIFF the reader does not
/// know is said to be one, with what to set the scanner to.
fn tiff_fault(e: tiff::TiffError) -> Unreadable {
    match e {
        tiff::TiffError::UnsupportedError(what) => format!(
            "这一页的 TIFF 格式还读不了（{what}）；请把扫描仪设为黑白（G4 压缩）、灰度或彩色"
        ),
        e => format!("这一页读不出来，文件可能已损坏（{e}）"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-page PDF whose page image is `image_dict`'s stream of `data`.
    fn one_image_pdf(image_dict: &str, data: &[u8]) -> Vec<u8> {
        let mut pdf = crate::scan::archive::PdfWriter::new();
        let bodies: Vec<Vec<u8>> = vec![
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /Resources << /XObject << /Im0 4 0 R >> >> >>".to_vec(),
            [
                format!("<< {image_dict} /Length {} >>\nstream\n", data.len()).into_bytes(),
                data.to_vec(),
                b"\nendstream".to_vec(),
            ]
            .concat(),
        ];
        for body in &bodies {
            pdf.object(body);
        }
        pdf.finish()
    }

    fn pages_of(bytes: &[u8]) -> Vec<Result<Gray, Unreadable>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("扫描.pdf");
        std::fs::write(&path, bytes).unwrap();
        let mut out = Vec::new();
        pages(&path, &mut |raw| out.push(raw.encoded.decode())).unwrap();
        out
    }

    #[test]
    fn a_flate_page_image_with_png_predictors_is_unfiltered() {
        // 4 × 3 grey: rows filtered Sub, Up and Paeth.
        let pixels: [[u8; 4]; 3] = [[10, 20, 30, 40], [15, 25, 35, 45], [200, 100, 50, 0]];
        let mut filtered = Vec::new();
        let mut previous = [0u8; 4];
        for (r, row) in pixels.iter().enumerate() {
            let filter = [1u8, 2, 4][r];
            filtered.push(filter);
            for i in 0..4 {
                let left = if i > 0 { row[i - 1] } else { 0 };
                let up_left = if i > 0 { previous[i - 1] } else { 0 };
                let predicted = match filter {
                    1 => left,
                    2 => previous[i],
                    _ => crate::scan::filters::paeth(left, previous[i], up_left),
                };
                filtered.push(row[i].wrapping_sub(predicted));
            }
            previous = *row;
        }
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut z, &filtered).unwrap();
        let pdf = one_image_pdf(
            "/Subtype /Image /Width 4 /Height 3 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /DecodeParms << /Predictor 15 /Columns 4 /Colors 1 >>",
            &z.finish().unwrap(),
        );
        let page = pages_of(&pdf).remove(0).unwrap();
        assert_eq!((page.width, page.height), (4, 3));
        assert_eq!(page.pixels, pixels.concat());
    }

    #[test]
    fn an_image_claiming_more_data_than_the_file_holds_is_refused() {
        let pdf = one_image_pdf(
            "/Subtype /Image /Width 100000 /Height 100000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode",
            b"\xff\xd8\xff",
        );
        let page = pages_of(&pdf).remove(0);
        assert!(page.is_err());
    }

    #[test]
    fn palette_cmyk_and_small_samples_come_out_grey() {
        // An indexed image (2 bits a pixel, an RGB palette of four colours
        // written in hex), packed as img2pdf and Pillow pack palette images.
        let palette = "<FFFFFF 000000 FF0000 808080>";
        let pdf = one_image_pdf(
            &format!(
                "/Subtype /Image /Width 4 /Height 1 /ColorSpace [/Indexed /DeviceRGB 3 {palette}] /BitsPerComponent 2 /Filter /ASCIIHexDecode"
            ),
            b"1B>",
        );
        // 0x1B = 00 01 10 11: white, black, red, grey.
        let page = pages_of(&pdf).remove(0).unwrap();
        assert_eq!(page.pixels, vec![255, 0, 76, 128]);

        // CMYK through LZW then ASCII85 (a PostScript-era chain).
        let cmyk = [0u8, 0, 0, 0, 0, 0, 0, 255, 0, 255, 255, 0];
        let lzw = weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            .encode(&cmyk)
            .unwrap();
        let pdf = one_image_pdf(
            "/Subtype /Image /Width 3 /Height 1 /ColorSpace /DeviceCMYK /BitsPerComponent 8 /Filter [/ASCII85Decode /LZWDecode]",
            &ascii85(&lzw),
        );
        let page = pages_of(&pdf).remove(0).unwrap();
        // White paper, full black, and magenta plus yellow (red).
        assert_eq!(page.pixels, vec![255, 0, 76]);

        // 4-bit grey, run-length coded, decoded the other way round.
        let pdf = one_image_pdf(
            "/Subtype /Image /Width 3 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 4 /Decode [1 0] /Filter /RunLengthDecode",
            &[3, 0x0F, 0x70, 0xFF, 0x00, 128],
        );
        let page = pages_of(&pdf).remove(0).unwrap();
        assert_eq!(page.pixels, vec![255, 0, 136, 0, 0, 255]);
    }

    #[test]
    fn g3_fax_page_images_come_out_as_drawn() {
        use crate::scan::strips::tests::{G3, drawing, g3};
        let rows = drawing();
        let expected = crate::scan::strips::tests::greys(&rows);
        let one_d = G3 {
            eol: false,
            two_d: false,
            fill: false,
            byte_rows: false,
        };
        let cases = [
            ("/K 0", one_d),
            (
                "/K 0 /EncodedByteAlign true",
                G3 {
                    byte_rows: true,
                    ..one_d
                },
            ),
            (
                "/K 0 /EndOfLine true /EncodedByteAlign true",
                G3 {
                    eol: true,
                    fill: true,
                    ..one_d
                },
            ),
            (
                "/K 4 /EndOfLine true",
                G3 {
                    eol: true,
                    two_d: true,
                    ..one_d
                },
            ),
        ];
        for (parms, how) in cases {
            let pdf = one_image_pdf(
                &format!(
                    "/Subtype /Image /Width 150 /Height 12 /ColorSpace /DeviceGray /BitsPerComponent 1 \
                     /Filter /CCITTFaxDecode /DecodeParms << /Columns 150 /Rows 12 {parms} >>"
                ),
                &g3(&rows, how),
            );
            let page = pages_of(&pdf)
                .remove(0)
                .unwrap_or_else(|e| panic!("{parms}: {e}"));
            assert!(page.pixels == expected, "{parms}: pixels differ");
        }
    }

    #[test]
    fn a_jbig2_page_image_comes_out_black_on_white() {
        let rows = crate::scan::strips::tests::drawing();
        let mmr = crate::scan::jbig2::tests::mmr(&rows);
        let stream = crate::scan::jbig2::tests::embedded(150, 12, &mmr);
        let pdf = one_image_pdf(
            "/Subtype /Image /Width 150 /Height 12 /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /JBIG2Decode",
            &stream,
        );
        let page = pages_of(&pdf).remove(0).unwrap();
        let expected = crate::scan::strips::tests::greys(&rows);
        assert!(page.pixels == expected);
    }

    #[test]
    fn a_phone_photo_is_turned_as_its_exif_orientation_says() {
        use image::ImageEncoder;
        // 3 × 2 stored, black top-left; orientation 6: shown turned a
        // quarter clockwise, so 2 × 3 with black top-right.
        let stored = [0u8, 255, 255, 255, 255, 255];
        let exif = [
            b"MM\0*\0\0\0\x08\0\x01".as_slice(),
            &[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0],
            &[0, 0, 0, 0],
        ]
        .concat();
        let mut jpeg = Vec::new();
        let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 100);
        encoder.set_exif_metadata(exif).unwrap();
        encoder
            .write_image(&stored, 3, 2, image::ExtendedColorType::L8)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("手机拍的.jpg");
        std::fs::write(&path, &jpeg).unwrap();
        let mut out = Vec::new();
        pages(&path, &mut |raw| out.push(raw.encoded.decode())).unwrap();
        let page = out.remove(0).unwrap();
        assert_eq!((page.width, page.height), (2, 3));
        assert!(
            page.pixels[1] < 64 && page.pixels[0] > 192,
            "{:?}",
            page.pixels
        );
    }

    #[test]
    fn an_image_mask_paints_its_zero_samples_black() {
        // 8 × 2, one bit a pixel: the first row's left half painted.
        let data = [0x0F, 0xFF];
        for (decode, painted_first) in [("", true), ("/Decode [1 0]", false)] {
            let pdf = one_image_pdf(
                &format!("/Subtype /Image /Width 8 /Height 2 /ImageMask true {decode}"),
                &data,
            );
            let page = pages_of(&pdf).remove(0).unwrap();
            let first_row_left = page.pixels[0];
            assert_eq!(first_row_left == 0, painted_first, "{decode}");
            assert_eq!(page.pixels[8] == 0, !painted_first, "{decode}");
        }
    }

    #[test]
    fn jpeg_2000_page_images_are_read_and_their_claims_checked_first() {
        // 48 × 40 grey, lossless, written by Pillow (OpenJPEG).
        let jp2 = include_bytes!("../../tests/fixtures/drawing-lossless.jp2");
        let dict = "/Subtype /Image /Width 48 /Height 40 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /JPXDecode";
        let page = pages_of(&one_image_pdf(dict, jp2)).remove(0).unwrap();
        let expected: Vec<u8> = (0..40)
            .flat_map(|y| {
                (0..48).map(move |x| {
                    let black = (x * 7 + y * 13) % 23 < 5 || (y == 3 && (10..40).contains(&x));
                    if black { 0 } else { 255 }
                })
            })
            .collect();
        assert_eq!((page.width, page.height), (48, 40));
        assert!(page.pixels == expected);
        // The same codestream claiming 100,000 pixels a side.
        let mut giant = jp2.to_vec();
        let siz = memchr::memmem::find(&giant, &[0xFF, 0x4F, 0xFF, 0x51]).unwrap();
        giant[siz + 8..siz + 12].copy_from_slice(&100_000u32.to_be_bytes());
        giant[siz + 12..siz + 16].copy_from_slice(&100_000u32.to_be_bytes());
        let Err(why) = pages_of(&one_image_pdf(dict, &giant)).remove(0) else {
            panic!("a giant JPEG 2000 page decoded");
        };
        assert!(why.contains("100000 × 100000"), "{why}");
    }

    #[test]
    fn tiff_pages_in_cmyk_and_sixteen_bits_come_out_grey() {
        use tiff::encoder::{TiffEncoder, colortype};
        let mut bytes = std::io::Cursor::new(Vec::new());
        let mut tiff = TiffEncoder::new(&mut bytes).unwrap();
        tiff.write_image::<colortype::CMYK8>(2, 1, &[0, 0, 0, 0, 0, 0, 0, 255])
            .unwrap();
        tiff.write_image::<colortype::Gray16>(2, 1, &[0xFFFF, 0x8000])
            .unwrap();
        let pages = pages_of(bytes.get_ref());
        assert_eq!(pages[0].as_ref().unwrap().pixels, vec![255, 0]);
        assert_eq!(pages[1].as_ref().unwrap().pixels, vec![255, 128]);
    }

    #[test]
    fn a_white_is_zero_tiff_page_is_not_turned_round_twice() {
        // A fax machine's convention: 1-bit, 1 is black. Eight pixels, the first black.
        let entries: [(u16, u16, u32); 9] = [
            (256, 3, 8),
            (257, 3, 1),
            (258, 3, 1),
            (259, 3, 1),
            (262, 3, 0),
            (273, 4, 122),
            (277, 3, 1),
            (278, 3, 1),
            (279, 4, 1),
        ];
        let mut tiff = b"II*\0\x08\0\0\0".to_vec();
        tiff.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, kind, value) in entries {
            tiff.extend_from_slice(&tag.to_le_bytes());
            tiff.extend_from_slice(&kind.to_le_bytes());
            tiff.extend_from_slice(&1u32.to_le_bytes());
            tiff.extend_from_slice(&value.to_le_bytes());
        }
        tiff.extend_from_slice(&[0; 4]);
        assert_eq!(tiff.len(), 122);
        tiff.push(0b1000_0000);
        let page = pages_of(&tiff).remove(0).unwrap();
        assert_eq!(page.pixels, [0, 255, 255, 255, 255, 255, 255, 255]);
    }

    /// Base-85 text of `data`, as PDF's ASCII85Decode reads it.
    fn ascii85(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in data.chunks(4) {
            let mut group = [0u8; 4];
            group[..chunk.len()].copy_from_slice(chunk);
            let mut value = u32::from_be_bytes(group);
            let mut digits = [0u8; 5];
            for d in digits.iter_mut().rev() {
                *d = (value % 85) as u8 + b'!';
                value /= 85;
            }
            out.extend_from_slice(&digits[..chunk.len() + 1]);
        }
        out.extend_from_slice(b"~>");
        out
    }
}
