//! The pages of what scanners and phones write: PDFs of page images,
//! TIFF files (one page or many), JPEG and PNG files, or a folder of them.
//! Each page comes out still compressed (`Encoded`), so that many pages can
//! wait for a worker in little memory; TIFF pages come out decoded, as the
//! TIFF reader hands them over.

use std::path::{Path, PathBuf};

use lopdf::{Dictionary, Object, Stream};

use super::pdf::{Pdf, inflate, unpredict};
use super::raster::{self, Coded, Gray, Samples, Unreadable};

/// The most bytes a scanner file may have: a department's stack of 2,000
/// pages at 600 dpi in colour is well under it.
const MAX_FILE_BYTES: u64 = 4 << 30;

/// A page as its file holds it.
pub(crate) enum Encoded {
    Coded(Vec<u8>, Coded),
    Samples(Vec<u8>, Samples),
    G4 {
        data: Vec<u8>,
        width: usize,
        height: usize,
        inverted: bool,
    },
    Decoded(Gray),
    Unreadable(Unreadable),
}

impl Encoded {
    /// The page's grey pixels.
    pub(crate) fn decode(self) -> Result<Gray, Unreadable> {
        match self {
            Encoded::Coded(bytes, coded) => raster::decode(&bytes, coded),
            Encoded::Samples(data, samples) => raster::from_samples(&data, samples),
            Encoded::G4 {
                data,
                width,
                height,
                inverted,
            } => raster::from_g4(&data, width, height).map(|mut g| {
                if inverted {
                    g.pixels.iter_mut().for_each(|p| *p = 255 - *p);
                }
                g
            }),
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
            encoded: Encoded::Coded(bytes, kind),
        });
        Ok(())
    };
    match kind {
        Some(Kind::Pdf) => pdf_pages(file, each),
        Some(Kind::Tiff) => tiff_pages(std::io::BufReader::new(file), each),
        Some(Kind::Jpeg) => whole(Coded::Jpeg, each),
        Some(Kind::Png) => whole(Coded::Png, each),
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
    let filters: Vec<Vec<u8>> = match pdf.get(dict, b"Filter") {
        Some(Object::Name(n)) => vec![n],
        Some(Object::Array(a)) => a
            .iter()
            .filter_map(|o| o.as_name().ok().map(<[u8]>::to_vec))
            .collect(),
        _ => Vec::new(),
    };
    let parms = match pdf.get(dict, b"DecodeParms") {
        Some(Object::Array(a)) => a.last().and_then(|o| pdf.resolve(o).ok()),
        other => other,
    };
    let params = |key: &[u8]| parms.as_ref()?.as_dict().ok()?.get(key).ok()?.as_i64().ok();
    let inverted = matches!(
        dict.get(b"Decode").and_then(|d| d.as_array()),
        Ok(a) if a.first().and_then(|o| o.as_float().ok()) == Some(1.0)
    );
    let colours = colours_of(pdf, dict);
    let filter_names: Vec<&[u8]> = filters.iter().map(Vec::as_slice).collect();
    let content = |pdf: &mut Pdf<PdfFile>| pdf.content(stream, MAX_PAGE_BYTES);
    match filter_names.as_slice() {
        [b"DCTDecode"] | [b"DCT"] => match content(pdf) {
            Ok(data) => Encoded::Coded(data, Coded::Jpeg),
            Err(why) => Encoded::Unreadable(why),
        },
        [b"CCITTFaxDecode"] | [b"CCF"] => {
            if params(b"K").unwrap_or(0) >= 0 {
                return Encoded::Unreadable(
                    "这种黑白（传真 G3）压缩还读不了；请把扫描仪设为 G4 压缩或灰度".into(),
                );
            }
            // An image mask paints its 1 bits: black is 1 unless decoded the other way.
            let black_is_1 = params(b"BlackIs1").unwrap_or(0) == 1;
            match content(pdf) {
                Ok(data) => Encoded::G4 {
                    data,
                    width,
                    height,
                    inverted: inverted ^ black_is_1 ^ image_mask,
                },
                Err(why) => Encoded::Unreadable(why),
            }
        }
        [] | [b"FlateDecode"] | [b"Fl"] => {
            let Some(colours) = colours else {
                return Encoded::Unreadable(
                    "这一页图像的颜色方式读不了；请把扫描仪设为黑白、灰度或彩色".into(),
                );
            };
            if bits != 1 && bits != 8 {
                return Encoded::Unreadable(format!(
                    "这一页图像每个颜色 {bits} 位，读不了；请把扫描仪设为黑白、灰度或彩色"
                ));
            }
            let samples = Samples {
                width,
                height,
                colours,
                bits: bits as usize,
                inverted: inverted ^ image_mask,
            };
            let predictor = params(b"Predictor").unwrap_or(1);
            if predictor > 1 && predictor < 10 {
                return Encoded::Unreadable(
                    "这一页图像的压缩方式（TIFF 预测的 Flate）还读不了".into(),
                );
            }
            let raw = match content(pdf) {
                Ok(raw) => raw,
                Err(why) => return Encoded::Unreadable(why),
            };
            if filter_names.is_empty() {
                return Encoded::Samples(raw, samples);
            }
            // PNG predictors put a filter byte before each row.
            let row = (width * colours * bits as usize).div_ceil(8);
            let pixel = (colours * bits as usize / 8).max(1);
            let need = samples.len() + if predictor >= 10 { height } else { 0 };
            let data = inflate(&raw, need as u64).and_then(|data| {
                if predictor >= 10 {
                    unpredict(&data, row / pixel, pixel)
                } else {
                    Some(data)
                }
            });
            match data {
                Some(data) => Encoded::Samples(data, samples),
                None => Encoded::Unreadable("这一页图像的压缩数据已损坏".into()),
            }
        }
        other => Encoded::Unreadable(format!(
            "这一页图像的压缩方式（{}）还读不了；请把扫描仪设为 JPEG 或 G4",
            other
                .iter()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect::<Vec<_>>()
                .join("、")
        )),
    }
}

/// Colour components of an image: 1 for grey and masks, 3 for RGB.
fn colours_of(pdf: &mut Pdf<PdfFile>, dict: &Dictionary) -> Option<usize> {
    if matches!(dict.get(b"ImageMask").and_then(|o| o.as_bool()), Ok(true)) {
        return Some(1);
    }
    let space = pdf.get(dict, b"ColorSpace")?;
    let name = match &space {
        Object::Name(n) => n.as_slice(),
        Object::Array(a) => {
            let first = a.first()?.as_name().ok()?;
            if first == b"ICCBased" {
                let profile = pdf.resolve(a.get(1)?).ok()?;
                let n = profile
                    .as_stream()
                    .ok()?
                    .dict
                    .get(b"N")
                    .ok()?
                    .as_i64()
                    .ok()?;
                return match n {
                    1 => Some(1),
                    3 => Some(3),
                    _ => None,
                };
            }
            first
        }
        _ => return None,
    };
    match name {
        b"DeviceGray" | b"CalGray" | b"G" => Some(1),
        b"DeviceRGB" | b"CalRGB" | b"RGB" => Some(3),
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
    let (w, h) = decoder
        .dimensions()
        .map_err(|e| format!("这一页读不出来（{e}）"))?;
    raster::check_size(u64::from(w), u64::from(h))?;
    let colour = decoder
        .colortype()
        .map_err(|e| format!("这一页读不出来（{e}）"))?;
    let (colours, bits) = match colour {
        tiff::ColorType::Gray(b) => (1, b),
        tiff::ColorType::RGB(b) => (3, b),
        _ => {
            return Err("这一页的颜色方式读不了；请把扫描仪设为黑白、灰度或彩色".into());
        }
    };
    let data = match decoder.read_image() {
        Ok(tiff::decoder::DecodingResult::U8(data)) => data,
        Ok(_) => {
            return Err("这一页每个像素超过 8 位，请把扫描仪设为普通的灰度或彩色".into());
        }
        Err(tiff::TiffError::LimitsExceeded) => {
            return Err("页面图像太大，为防止电脑卡死，没有读取这一页".into());
        }
        Err(e) => return Err(format!("这一页读不出来（{e}）")),
    };
    // The TIFF reader hands black-and-white pages over as written, WhiteIsZero included.
    let white_is_zero = decoder
        .get_tag_u32(tiff::tags::Tag::PhotometricInterpretation)
        .is_ok_and(|p| p == 0);
    raster::from_samples(
        &data,
        Samples {
            width: w as usize,
            height: h as usize,
            colours,
            bits: usize::from(bits),
            inverted: white_is_zero,
        },
    )
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
                    _ => crate::scan::pdf::paeth(left, previous[i], up_left),
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
}
