//! The scanned pages filed for the archive: one PDF per village or
//! community under its department's folder (annex 1 first, then the
//! household forms by serial, then the problem lists), and the pages that
//! could not be read in one PDF of their own.
//!
//! While the stack is read, each page's image (upright, at the working
//! resolution, JPEG) is appended to a spool file in the output folder, so
//! that memory holds no page once it is read; the PDFs are made from the
//! spool at the end, and the spool removed.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use image::ImageEncoder;

use super::raster::Gray;
use super::{Outcome, Scan};
use crate::check::model::Roster;
use crate::shared::atomic::write_atomic;
use crate::shared::file_name::safe_file_name;

/// The folder of the archive PDFs, in the output folder.
pub const ARCHIVE_DIR: &str = "归档";

/// The PDF of the pages that could not be read.
pub const UNREADABLE_PDF: &str = "认不出的页.pdf";

/// Where a page's image is in the spool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    offset: u64,
    len: u32,
    width: u32,
    height: u32,
}

/// Grey pixels as JPEG at `quality`.
pub(crate) fn grey_jpeg(
    pixels: &[u8],
    width: usize,
    height: usize,
    quality: u8,
) -> Option<Vec<u8>> {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality)
        .write_image(
            pixels,
            width as u32,
            height as u32,
            image::ExtendedColorType::L8,
        )
        .ok()?;
    Some(jpeg)
}

/// The page images of a run, one after another in a file.
pub(crate) struct Spool {
    path: PathBuf,
    file: Mutex<(File, u64)>,
}

impl Spool {
    pub(crate) fn create(dir: &Path) -> std::io::Result<Spool> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(".扫描页.spool");
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?;
        Ok(Spool {
            path,
            file: Mutex::new((file, 0)),
        })
    }

    /// Stores a page's image (JPEG, quality 75), turned upright.
    pub(crate) fn put(&self, gray: &Gray, upside_down: bool) -> Option<Stored> {
        let mut pixels;
        let data = if upside_down {
            pixels = gray.pixels.clone();
            pixels.reverse();
            &pixels
        } else {
            &gray.pixels
        };
        let jpeg = grey_jpeg(data, gray.width, gray.height, 75)?;
        let mut guard = self.file.lock().ok()?;
        let (file, end) = &mut *guard;
        file.seek(SeekFrom::Start(*end)).ok()?;
        file.write_all(&jpeg).ok()?;
        let stored = Stored {
            offset: *end,
            len: jpeg.len() as u32,
            width: gray.width as u32,
            height: gray.height as u32,
        };
        *end += jpeg.len() as u64;
        Some(stored)
    }

    fn get(&self, at: Stored) -> std::io::Result<Vec<u8>> {
        let mut guard = self
            .file
            .lock()
            .map_err(|_| std::io::Error::other("spool"))?;
        let (file, _) = &mut *guard;
        file.seek(SeekFrom::Start(at.offset))?;
        let mut data = vec![0; at.len as usize];
        file.read_exact(&mut data)?;
        Ok(data)
    }

    /// Removes the spool file.
    pub(crate) fn remove(self) {
        let Spool { path, file } = self;
        drop(file);
        let _ = std::fs::remove_file(path);
    }
}

/// A page image for a PDF: grey JPEG bytes and the image's size.
pub(crate) struct JpegPage {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) jpeg: Vec<u8>,
}

/// A PDF written object by object (numbered from 1, the catalog first),
/// then its cross-reference table and trailer.
pub(crate) struct PdfWriter {
    out: Vec<u8>,
    offsets: Vec<usize>,
}

impl PdfWriter {
    pub(crate) fn new() -> PdfWriter {
        PdfWriter {
            out: b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec(),
            offsets: Vec::new(),
        }
    }

    /// The next object, `body` between `N 0 obj` and `endobj`.
    pub(crate) fn object(&mut self, body: &[u8]) {
        self.offsets.push(self.out.len());
        self.out
            .extend_from_slice(format!("{} 0 obj\n", self.offsets.len()).as_bytes());
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(b"\nendobj\n");
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        let PdfWriter { mut out, offsets } = self;
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes(),
        );
        for o in &offsets {
            out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                offsets.len() + 1
            )
            .as_bytes(),
        );
        out
    }
}

/// A PDF of grey JPEG page images (as a scanner writes one), each page A4
/// wide and as tall as its image.
pub(crate) fn jpeg_pdf(pages: &[JpegPage]) -> Vec<u8> {
    let mut pdf = PdfWriter::new();
    pdf.object(b"<< /Type /Catalog /Pages 2 0 R >>");
    let kids: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", 3 + 3 * i))
        .collect();
    pdf.object(
        format!(
            "<< /Type /Pages /Count {} /Kids [{}] >>",
            pages.len(),
            kids.join(" ")
        )
        .as_bytes(),
    );
    for (i, page) in pages.iter().enumerate() {
        let (at, jpeg) = (page, &page.jpeg);
        let width = 595.0;
        let height = (width * f64::from(at.height) / f64::from(at.width.max(1))).round();
        pdf.object(format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Resources << /XObject << /P {} 0 R >> >> /Contents {} 0 R >>",
                4 + 3 * i,
                5 + 3 * i
            )
            .as_bytes(),
        );
        let mut body = format!(
            "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode /Length {} >>\nstream\n",
            at.width,
            at.height,
            jpeg.len()
        )
        .into_bytes();
        body.extend_from_slice(jpeg);
        body.extend_from_slice(b"\nendstream");
        pdf.object(&body);
        let draw = format!("q {width} 0 0 {height} 0 0 cm /P Do Q");
        pdf.object(format!("<< /Length {} >>\nstream\n{draw}\nendstream", draw.len()).as_bytes());
    }
    pdf.finish()
}

/// Writes the archive PDFs (with a roster: one per village) and the PDF of
/// unreadable pages; gives the files written.
pub(crate) fn write(
    dir: &Path,
    scan: &Scan,
    roster: Option<&Roster>,
    spool: &Spool,
) -> std::io::Result<Vec<PathBuf>> {
    let stored: HashMap<(&str, u32), Stored> = scan
        .pages
        .iter()
        .filter_map(|p| Some(((p.file.as_str(), p.page?), p.stored?)))
        .collect();
    let image = |(file, page): &(String, u32)| stored.get(&(file.as_str(), *page)).copied();
    let mut written = Vec::new();
    let mut write_pdf = |path: PathBuf, at: Vec<Stored>| -> std::io::Result<()> {
        if at.is_empty() {
            return Ok(());
        }
        let pages = at
            .into_iter()
            .map(|s| {
                Ok(JpegPage {
                    width: s.width,
                    height: s.height,
                    jpeg: spool.get(s)?,
                })
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        write_atomic(&path, &jpeg_pdf(&pages))?;
        written.push(path);
        Ok(())
    };
    if let Some(r) = roster {
        for (v, village) in r.villages.iter().enumerate() {
            let key = (
                village.district.clone(),
                village.town.clone(),
                village.name.clone(),
            );
            let mut pages: Vec<Stored> = scan
                .villages
                .get(&key)
                .and_then(|scans| scans.first())
                .and_then(image)
                .into_iter()
                .collect();
            let cadres: Vec<_> = r.cadres.iter().filter(|c| c.village == v).collect();
            let mut serials: Vec<String> = cadres.iter().flat_map(|c| c.serials()).collect();
            serials.sort();
            pages.extend(serials.iter().filter_map(|s| {
                scan.households
                    .get(s)
                    .and_then(|h| h.scans.first())
                    .and_then(image)
            }));
            for cadre in &cadres {
                pages.extend(
                    scan.problem_sheets
                        .range((cadre.id.clone(), 0)..=(cadre.id.clone(), u32::MAX))
                        .filter_map(|(_, scans)| scans.first().and_then(image)),
                );
            }
            let folder = dir
                .join(ARCHIVE_DIR)
                .join(safe_file_name(&r.departments[village.department].name));
            let name = safe_file_name(&format!(
                "{}{}{}",
                village.district, village.town, village.name
            ));
            write_pdf(folder.join(format!("{name}.pdf")), pages)?;
        }
    }
    let unreadable: Vec<Stored> = scan
        .pages
        .iter()
        .filter(|p| matches!(p.outcome, Outcome::Unreadable(_)))
        .filter_map(|p| p.stored)
        .collect();
    write_pdf(dir.join(UNREADABLE_PDF), unreadable)?;
    Ok(written)
}

/// Writes each unreadable page's image as `dir/<n>.jpg` (n counting the
/// unreadable pages from 1), after emptying `dir`; gives the files in the
/// order of `Scan::unreadable` (none for a page whose image was not kept).
pub(crate) fn unreadable_images(
    dir: &Path,
    scan: &Scan,
    spool: &Spool,
) -> std::io::Result<Vec<Option<PathBuf>>> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    let mut written = Vec::new();
    for (n, (page, _)) in scan.unreadable().enumerate() {
        let Some(at) = page.stored else {
            written.push(None);
            continue;
        };
        let path = dir.join(format!("{}.jpg", n + 1));
        write_atomic(&path, &spool.get(at)?)?;
        written.push(Some(path));
    }
    Ok(written)
}
