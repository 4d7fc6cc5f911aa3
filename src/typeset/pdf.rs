//! PDF export with fixed dates and identifiers (same inputs, same bytes), and Typst's caches kept small.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use typst::foundations::{Datetime, Smart};
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use super::{Engine, Job, RenderError, Typeset};
use crate::shared::memory::release_free_memory;
use crate::shared::text::quote_chars;

/// PDF options that give the same bytes for the same inputs: fixed date,
/// fixed identifier, no accessibility tag tree (print kits are for paper; the
/// tags would make every file several times larger).
/// With `pdf_a`, the file conforms to PDF/A-2b, for archives.
pub(crate) fn pdf_options(date: Datetime, ident: &str, pdf_a: bool) -> PdfOptions {
    let timestamp = Datetime::from_ymd_hms(
        date.year().unwrap_or(2017),
        date.month().unwrap_or(1),
        date.day().unwrap_or(1),
        0,
        0,
        0,
    )
    .map(Timestamp::new_utc);
    PdfOptions {
        ident: Smart::Custom(ident.to_string()),
        creator: Smart::Custom(Some("zoufang".to_string())),
        timestamp,
        page_ranges: None,
        standards: if pdf_a {
            PdfStandards::new(&[PdfStandard::A_2b]).unwrap_or_default()
        } else {
            PdfStandards::default()
        },
        tagged: false,
        pretty: false,
    }
}

/// Typesets a document and turns it into PDF bytes; `rel`, its path in
/// the output folder, names it in the file.
pub(crate) fn typeset_pdf(
    engine: &Engine,
    job: &Job,
    rel: &Path,
    pdf_a: bool,
) -> Result<(Typeset, Vec<u8>), RenderError> {
    let typeset = engine.typeset(job)?;
    let bytes = engine.pdf(&typeset, &ident_of(rel), pdf_a)?;
    Ok((typeset, bytes))
}

/// A document's identifier from its path in the output folder, the same on
/// every system (`/` between folders, as on Linux, also on Windows): the
/// same inputs give the same bytes wherever zoufang runs.
fn ident_of(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Typesets a document that is not part of a plan (summaries): its page count
/// and PDF bytes, or the error as one line of text.
pub(crate) fn pdf_bytes_of(
    engine: &Engine,
    job: &Job,
    rel: &Path,
    pdf_a: bool,
) -> Result<(usize, Vec<u8>), String> {
    let result = typeset_pdf(engine, job, rel, pdf_a);
    evict_caches();
    let (typeset, bytes) = result.map_err(one_line)?;
    Ok((typeset.document.pages().len(), bytes))
}

/// What went wrong typesetting a document, as one line of text.
fn one_line(e: RenderError) -> String {
    match e {
        RenderError::Template(lines) => lines.join("；"),
        RenderError::MissingGlyphs(chars) => format!("字体中没有这些字：{}", quote_chars(&chars)),
    }
}

/// Typesets a one-page document as SVG (for screens: text as outlines, no
/// fonts needed), or the error as one line of text.
pub(crate) fn svg_of(engine: &Engine, job: &Job) -> Result<String, String> {
    let result = engine.typeset(job);
    evict_caches();
    let typeset = result.map_err(one_line)?;
    Ok(typst_svg::svg_merged(
        &typeset.document,
        &typst_svg::SvgOptions::default(),
        typst::layout::Abs::zero(),
    ))
}

/// A page of a document shown as a picture: its name, and which page
/// (`ALL_PAGES`: every page, named `名称_第N页`).
pub(crate) type Picture = (&'static str, usize);

/// Every page of a document, as pictures.
pub(crate) const ALL_PAGES: usize = usize::MAX;

/// Typesets a document and draws the chosen pages as PNG pictures at screen
/// resolution (1.5 px per point): (name, PNG bytes), or the error as one
/// line of text.
pub(crate) fn png_pages(
    engine: &Engine,
    job: &Job,
    pictures: &[Picture],
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let result = engine.typeset(job);
    evict_caches();
    let typeset = result.map_err(one_line)?;
    let options = typst_render::RenderOptions {
        pixel_per_pt: 1.5.into(),
        render_bleed: false,
    };
    let pages = typeset.document.pages();
    let shown = pictures.iter().flat_map(|&(name, page)| {
        if page == ALL_PAGES {
            (0..pages.len())
                .map(|n| (format!("{name}_第{}页", n + 1), n))
                .collect::<Vec<_>>()
        } else {
            vec![(name.to_string(), page)]
        }
    });
    Ok(shown
        .filter_map(|(name, page)| {
            let png = typst_render::render(pages.get(page)?, &options)
                .encode_png()
                .ok()?;
            Some((name, png))
        })
        .collect())
}

impl Engine {
    /// A typeset document as PDF bytes, `ident` naming it in the file.
    pub(crate) fn pdf(
        &self,
        typeset: &Typeset,
        ident: &str,
        pdf_a: bool,
    ) -> Result<Vec<u8>, RenderError> {
        let options = pdf_options(self.today, ident, pdf_a);
        typst_pdf::pdf(&typeset.document, &options).map_err(|errors| {
            RenderError::Template(errors.iter().map(|e| e.message.to_string()).collect())
        })
    }
}

/// Empties Typst's process-wide caches, after a document too large for
/// the next to gain from what it left (fonts stay loaded: they are the
/// engine's, not the caches').
pub(crate) fn evict_all_caches() {
    typst::comemo::evict(0);
}

/// Keeps Typst's process-wide caches from growing with the run: after every
/// `TRIM_EVERY`th document (counted across threads), what no document used
/// since the previous trim goes. What documents share (fonts, the templates'
/// evaluated code, laid-out form parts) stays. Trimming after every document
/// cost a fifth of a run's CPU with two workers: each trim also dropped what
/// the other worker's half-done document had just made, before it could be
/// used again. Every fourth: 200 cadres 6.3-6.9 s -> 4.9-6.3 s of CPU for
/// 150 -> 165 MB; never trimming: 5.0 s but 630 MB, growing with the roster.
pub(crate) fn evict_caches() {
    const TRIM_EVERY: usize = 4;
    static DOCUMENTS: AtomicUsize = AtomicUsize::new(0);
    let done = DOCUMENTS.fetch_add(1, Ordering::Relaxed) + 1;
    if done.is_multiple_of(TRIM_EVERY) {
        typst::comemo::evict(1);
    }
    if done.is_multiple_of(64) {
        release_free_memory();
    }
}
