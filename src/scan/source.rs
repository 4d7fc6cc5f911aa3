//! The pages of what scanners and phones write: PDFs of page images,
//! TIFF files (one page or many), JPEG and PNG files, or a folder of them.
//! Each page comes out still compressed (`Encoded`), so that many pages can
//! wait for a worker in little memory; TIFF pages come out decoded, as the
//! TIFF reader hands them over.

use std::path::{Path, PathBuf};

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

/// Hands each page of `path` to `each`, in order; `Err` when the file as a
/// whole cannot be read (its pages are then unknown).
pub(crate) fn pages(path: &Path, each: &mut dyn FnMut(RawPage)) -> Result<(), Unreadable> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("打不开这个文件（{e}）"))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err("文件超过 4 GB，请分成几个文件扫描".into());
    }
    let bytes = std::fs::read(path).map_err(|e| format!("打不开这个文件（{e}）"))?;
    match kind_of(&bytes) {
        Some(Kind::Pdf) => pdf_pages(&bytes, each),
        Some(Kind::Tiff) => tiff_pages(&bytes, each),
        Some(Kind::Jpeg) => {
            each(RawPage {
                page: 1,
                encoded: Encoded::Coded(bytes, Coded::Jpeg),
            });
            Ok(())
        }
        Some(Kind::Png) => {
            each(RawPage {
                page: 1,
                encoded: Encoded::Coded(bytes, Coded::Png),
            });
            Ok(())
        }
        None => {
            Err("不是扫描件：只认得 PDF、TIFF、JPEG、PNG 文件（扫描仪和手机拍照存成的格式）".into())
        }
    }
}

/// The pages of a PDF of page images: on each page, its largest image.
/// A damaged PDF that makes the PDF reader fail (even by panicking) is
/// reported, never passed on.
fn pdf_pages(bytes: &[u8], each: &mut dyn FnMut(RawPage)) -> Result<(), Unreadable> {
    let doc = std::panic::catch_unwind(|| lopdf::Document::load_mem(bytes))
        .map_err(|_| "PDF 文件已损坏，读不出来".to_string())?
        .map_err(|e| match e {
            lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword => {
                "PDF 文件有密码保护，请去掉密码后再扫描或导出".to_string()
            }
            _ => format!("PDF 文件已损坏，读不出来（{e}）"),
        })?;
    for (number, id) in doc.get_pages() {
        let encoded =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| page_image(&doc, id)))
                .unwrap_or_else(|_| Encoded::Unreadable("这一页已损坏，读不出来".into()));
        each(RawPage {
            page: number,
            encoded,
        });
    }
    Ok(())
}

/// The largest image a PDF page draws, still compressed.
fn page_image<'a>(doc: &'a lopdf::Document, page: lopdf::ObjectId) -> Encoded {
    let mut best: Option<(u64, &lopdf::Stream)> = None;
    let mut consider = |stream: &'a lopdf::Stream| {
        let dict = &stream.dict;
        let dim = |key: &[u8]| {
            dict.get(key)
                .ok()
                .and_then(|o| o.as_i64().ok())
                .and_then(|v| u64::try_from(v).ok())
                .unwrap_or(0)
        };
        let area = dim(b"Width").saturating_mul(dim(b"Height"));
        if best.is_none_or(|(a, _)| area > a) {
            best = Some((area, stream));
        }
    };
    let Ok((own, inherited)) = doc.get_page_resources(page) else {
        return Encoded::Unreadable("这一页已损坏，读不出来".into());
    };
    let resources = own.into_iter().chain(
        inherited
            .iter()
            .filter_map(|&id| doc.get_dictionary(id).ok()),
    );
    for res in resources {
        for xobject in images_of(doc, res) {
            match xobject.dict.get(b"Subtype").and_then(|s| s.as_name()) {
                Ok(b"Image") => consider(xobject),
                // Some scanners wrap the page image in a form.
                Ok(b"Form") => {
                    for inner in images_of(doc, &xobject.dict)
                        .into_iter()
                        .chain(form_resources(doc, xobject))
                    {
                        if matches!(
                            inner.dict.get(b"Subtype").and_then(|s| s.as_name()),
                            Ok(b"Image")
                        ) {
                            consider(inner);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    match best {
        Some((_, stream)) => encoded_image(doc, stream),
        None => Encoded::Unreadable(
            "这一页上没有扫描的图像（不是扫描仪或手机拍照生成的 PDF 页）".into(),
        ),
    }
}

/// The XObject streams of a resource dictionary.
fn images_of<'a>(
    doc: &'a lopdf::Document,
    resources: &'a lopdf::Dictionary,
) -> Vec<&'a lopdf::Stream> {
    let Ok(xobjects) = resources.get(b"XObject") else {
        return Vec::new();
    };
    let Ok(xobjects) = doc.dereference(xobjects).and_then(|(_, o)| o.as_dict()) else {
        return Vec::new();
    };
    xobjects
        .iter()
        .filter_map(|(_, v)| doc.dereference(v).ok())
        .filter_map(|(_, o)| o.as_stream().ok())
        .collect()
}

/// The images inside a form XObject's own resources.
fn form_resources<'a>(doc: &'a lopdf::Document, form: &'a lopdf::Stream) -> Vec<&'a lopdf::Stream> {
    form.dict
        .get(b"Resources")
        .ok()
        .and_then(|r| doc.dereference(r).ok())
        .and_then(|(_, o)| o.as_dict().ok())
        .map(|res| images_of(doc, res))
        .unwrap_or_default()
}

/// A PDF image stream as a page to decode.
fn encoded_image(doc: &lopdf::Document, stream: &lopdf::Stream) -> Encoded {
    let dict = &stream.dict;
    let int = |key: &[u8]| {
        dict.get(key)
            .ok()
            .and_then(|o| doc.dereference(o).ok())
            .and_then(|(_, o)| o.as_i64().ok())
    };
    let (Some(width), Some(height)) = (int(b"Width"), int(b"Height")) else {
        return Encoded::Unreadable("这一页的图像没有写明大小，文件可能已损坏".into());
    };
    if let Err(why) = raster::check_size(width.max(0) as u64, height.max(0) as u64) {
        return Encoded::Unreadable(why);
    }
    let (width, height) = (width as usize, height as usize);
    let filters: Vec<Vec<u8>> = match dict.get(b"Filter") {
        Ok(lopdf::Object::Name(n)) => vec![n.clone()],
        Ok(lopdf::Object::Array(a)) => a
            .iter()
            .filter_map(|o| o.as_name().ok().map(<[u8]>::to_vec))
            .collect(),
        _ => Vec::new(),
    };
    let params = |key: &[u8]| {
        let parms = dict.get(b"DecodeParms").ok()?;
        let parms = match doc.dereference(parms).ok()?.1 {
            lopdf::Object::Array(a) => a.last()?.as_dict().ok()?,
            o => o.as_dict().ok()?,
        };
        parms.get(key).ok()?.as_i64().ok()
    };
    let inverted = matches!(
        dict.get(b"Decode").and_then(|d| d.as_array()),
        Ok(a) if a.first().and_then(|o| o.as_float().ok()) == Some(1.0)
    );
    let image_mask = matches!(dict.get(b"ImageMask").and_then(|o| o.as_bool()), Ok(true));
    let colours = colours_of(doc, dict);
    let bits = int(b"BitsPerComponent").unwrap_or(if image_mask { 1 } else { 8 });
    let filter_names: Vec<&[u8]> = filters.iter().map(Vec::as_slice).collect();
    match filter_names.as_slice() {
        [b"DCTDecode"] | [b"DCT"] => Encoded::Coded(stream.content.clone(), Coded::Jpeg),
        [b"CCITTFaxDecode"] | [b"CCF"] => {
            if params(b"K").unwrap_or(0) >= 0 {
                return Encoded::Unreadable(
                    "这种黑白（传真 G3）压缩还读不了；请把扫描仪设为 G4 压缩或灰度".into(),
                );
            }
            // An image mask paints its 1 bits: black is 1 unless decoded the other way.
            let black_is_1 = params(b"BlackIs1").unwrap_or(0) == 1;
            Encoded::G4 {
                data: stream.content.clone(),
                width,
                height,
                inverted: inverted ^ black_is_1 ^ image_mask,
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
            if params(b"Predictor").unwrap_or(1) > 1 {
                return Encoded::Unreadable(
                    "这一页图像的压缩方式（带预测的 Flate）还读不了".into(),
                );
            }
            let data = if filter_names.is_empty() {
                Ok(stream.content.clone())
            } else {
                inflate(&stream.content, samples.len())
            };
            match data {
                Ok(data) => Encoded::Samples(data, samples),
                Err(why) => Encoded::Unreadable(why),
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
fn colours_of(doc: &lopdf::Document, dict: &lopdf::Dictionary) -> Option<usize> {
    if matches!(dict.get(b"ImageMask").and_then(|o| o.as_bool()), Ok(true)) {
        return Some(1);
    }
    let space = doc.dereference(dict.get(b"ColorSpace").ok()?).ok()?.1;
    let name = match space {
        lopdf::Object::Name(n) => n.as_slice(),
        lopdf::Object::Array(a) => {
            let first = a.first()?.as_name().ok()?;
            if first == b"ICCBased" {
                let profile = doc.dereference(a.get(1)?).ok()?.1.as_stream().ok()?;
                return match profile.dict.get(b"N").ok()?.as_i64().ok()? {
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

/// Flate data inflated, never past the bytes the image needs (a small
/// stream claiming gigabytes stops there).
fn inflate(data: &[u8], need: usize) -> Result<Vec<u8>, Unreadable> {
    use std::io::Read;
    let mut out = Vec::with_capacity(need.min(1 << 26));
    flate2::read::ZlibDecoder::new(data)
        .take(need as u64)
        .read_to_end(&mut out)
        .map_err(|_| "这一页图像的压缩数据已损坏".to_string())?;
    Ok(out)
}

/// The pages of a TIFF file, decoded one at a time within the limits.
fn tiff_pages(bytes: &[u8], each: &mut dyn FnMut(RawPage)) -> Result<(), Unreadable> {
    let mut limits = tiff::decoder::Limits::default();
    limits.decoding_buffer_size = (raster::MAX_PIXELS * 3) as usize;
    limits.intermediate_buffer_size = 1 << 26;
    let mut decoder = tiff::decoder::Decoder::new(std::io::Cursor::new(bytes))
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

fn tiff_page(
    decoder: &mut tiff::decoder::Decoder<std::io::Cursor<&[u8]>>,
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
