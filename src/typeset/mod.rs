//! The embedded Typst engine: fonts parsed once, templates parsed once, one
//! shared standard library; each document is a cheap world that borrows them
//! and serves its data as one virtual file, `/data.json`.
//!
//! Data reaches the templates only as JSON read by `json("/data.json")`:
//! nothing from a spreadsheet is ever pasted into Typst markup.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use typst::diag::{Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{DiagSpanKind, FileId, Source};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt};
use typst_layout::PagedDocument;

use crate::shared::fault::{Fault, Place};
pub(crate) use fonts::EMBEDDED_FONTS;
use fonts::{load_font_dir, missing_glyphs};
pub(crate) use pdf::{
    ALL_PAGES, Picture, evict_all_caches, evict_caches, pdf_bytes_of, png_pages, svg_of,
    typeset_pdf,
};
use stamps::CardStamps;
use templates::BUILTIN_TEMPLATES;
use world::{DocumentWorld, file_id, self_world};

mod fonts;
mod pdf;
mod stamps;
pub(crate) mod templates;
mod world;

/// The documents the engine can typeset; each is a main template file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Template {
    /// Annex 1 for one village or community.
    Village,
    /// A cadre's kit: card sheets, annex 3 × quota and annex 4.
    Kit,
    /// Contact-card sheets (annex 2), fronts and mirrored backs.
    Cards,
    /// Annex-5 tables, one page each.
    Summary,
    /// A kit's own lines on its household form and problem list: who and
    /// where, the serial number's box without the number (see
    /// `Engine::typeset`).
    Household,
    /// The household form and problem list less a kit's own lines: titles,
    /// tables, labels, shared by every kit whose lines need the same room.
    HouseholdFrame,
    /// A cadre's card, front and back, each on a page the size of a card,
    /// which kits and card files print wherever that cadre's card goes.
    CardFaces,
    /// What every village's annex 5 shares, printed under each one's values.
    Annex5Frame,
    /// The weekly brief: weekly figures, who has reported, charts.
    Brief,
    /// One chart of the weekly brief alone, on a page its size (for SVG).
    Chart,
    /// A department's or the city's closing pack.
    Closing,
}

impl Template {
    /// The template file that is compiled as the document's main file.
    pub(crate) fn main_file(self) -> &'static str {
        match self {
            Template::Village => "village.typ",
            Template::Kit => "kit.typ",
            Template::Cards => "cards.typ",
            Template::Summary => "summary.typ",
            Template::Household => "household.typ",
            Template::HouseholdFrame => "householdframe.typ",
            Template::CardFaces => "cardfaces.typ",
            Template::Annex5Frame => "annex5frame.typ",
            Template::Brief => "brief.typ",
            Template::Chart => "chart.typ",
            Template::Closing => "closing.typ",
        }
    }
}

/// One document to typeset: its main template, its data (served as
/// `/data.json`), its own files (QR images, by absolute path), and which of
/// its parts are typeset once and placed as PDF pages.
pub struct Job {
    pub(crate) template: Template,
    pub(crate) data: Bytes,
    pub(crate) files: Vec<(String, Bytes)>,
    pub(crate) stamps: Stamps,
}

impl Job {
    /// Writes the data the template receives, pretty, to `dir/rel` with the
    /// extension `.json` (`--emit-data`: for those who change templates).
    pub(crate) fn emit(&self, dir: &std::path::Path, rel: &std::path::Path) -> Result<(), Fault> {
        let path = dir.join(rel).with_extension("json");
        let value: serde_json::Value =
            serde_json::from_slice(self.data.as_slice()).unwrap_or_default();
        let json = serde_json::to_vec_pretty(&value).unwrap_or_default();
        crate::shared::atomic::write_atomic(&path, &json).map_err(|e| {
            Fault::error(
                Place::file(path.display().to_string()),
                format!("数据文件写不进去（{e}）"),
                "请检查 --emit-data 给出的文件夹",
            )
        })
    }
}

/// Parts of a document typeset on their own and placed as PDF pages
/// ("stamps", see `Engine::typeset`). Never for PDF/A, which forbids PDF
/// pages as images.
pub enum Stamps {
    /// Everything laid out in the document itself.
    None,
    /// A kit: its household pages over the frame kits share, and its
    /// cadre's card, kept for the department's card file.
    Kit(Vec<CardFace>),
    /// A card file: each card taken from the kit that typeset it, or
    /// typeset here.
    CardFile(Vec<CardFace>),
    /// Annex-5 tables over the frame every village shares, with the note
    /// under the table (the same for every village of a summary) printed in
    /// the frame: laid out and its glyphs subset once, not 1,200 times.
    Annex5 { note: String },
}

/// A card typeset as a stamp: the id the template finds it by, and the data
/// `cardfaces.typ` receives (also the key a card file finds a kit's card by).
pub struct CardFace {
    pub(crate) id: String,
    pub(crate) data: Bytes,
}

/// What went wrong typesetting one document.
#[derive(Debug, Clone)]
pub enum RenderError {
    /// The template itself is broken: Typst's messages with file:line:column.
    Template(Vec<String>),
    /// Characters that no font can draw.
    MissingGlyphs(Vec<char>),
}

/// A typeset document.
pub struct Typeset {
    pub document: PagedDocument,
}

/// Fonts, templates and the standard library, shared by every document.
pub struct Engine {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    sources: HashMap<FileId, Source>,
    /// How each template file is named in messages (its real path when overridden).
    names: HashMap<FileId, String>,
    data_id: FileId,
    today: Datetime,
    card_stamps: CardStamps,
    /// The annex-5 frame, typeset once per run (see `Template::Annex5Frame`)
    /// for the note it carries.
    annex5_frame: std::sync::Mutex<Option<(String, Result<Bytes, RenderError>)>>,
    /// The latest household frames typeset, with what they were typeset
    /// from (see `Template::HouseholdFrame`).
    household_frames: std::sync::Mutex<Vec<(Vec<u8>, Bytes)>>,
}

impl Engine {
    /// Loads the embedded fonts (and any in `font_dirs`) and the templates:
    /// the built-in ones, or those of `templates` (a folder written by
    /// `zoufang templates export`, perhaps edited) where it has them.
    pub fn new(
        font_dirs: &[&Path],
        date: crate::shared::date::Date,
        templates: Option<&Path>,
    ) -> Result<Engine, Fault> {
        let mut fonts: Vec<Font> = EMBEDDED_FONTS
            .iter()
            .flat_map(|(_, data)| Font::iter(Bytes::new(*data)))
            .collect();
        for dir in font_dirs {
            fonts.extend(load_font_dir(dir));
        }
        let book = FontBook::from_fonts(&fonts);
        let mut sources = HashMap::new();
        let mut names = HashMap::new();
        let mut texts: Vec<(String, String, String)> = BUILTIN_TEMPLATES
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string(), format!("内置模板 {n}")))
            .collect();
        if let Some(dir) = templates {
            let entries = std::fs::read_dir(dir).map_err(|e| {
                Fault::error(
                    Place::file(dir.display().to_string()),
                    format!("模板文件夹打不开（{e}）"),
                    "请检查 --templates 给出的文件夹",
                )
            })?;
            let mut files: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "typ"))
                .collect();
            files.sort();
            for path in files {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let bytes = std::fs::read(&path).map_err(|e| {
                    Fault::error(
                        Place::file(path.display().to_string()),
                        format!("模板文件打不开（{e}）"),
                        "请检查文件",
                    )
                })?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    Fault::error(
                        Place::file(path.display().to_string()),
                        "模板文件不是 UTF-8 编码",
                        "请用 UTF-8 编码保存模板文件",
                    )
                })?;
                texts.retain(|(n, _, _)| *n != name);
                texts.push((name, text, path.display().to_string()));
            }
        }
        for (name, text, shown) in texts {
            let id = file_id(&format!("/{name}"));
            sources.insert(id, Source::new(id, text));
            names.insert(id, shown);
        }
        let today = Datetime::from_ymd(
            i32::from(date.year()),
            date.month().unsigned_abs(),
            date.day().unsigned_abs(),
        )
        .unwrap_or_else(|| Datetime::from_ymd(2017, 1, 1).expect("valid date"));
        Ok(Engine {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(book),
            fonts,
            sources,
            names,
            data_id: file_id("/data.json"),
            today,
            card_stamps: CardStamps::default(),
            annex5_frame: std::sync::Mutex::new(None),
            household_frames: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Whether some loaded font can draw the character.
    pub(crate) fn can_draw(&self, c: char) -> bool {
        c.is_whitespace()
            || c.is_control()
            || self
                .fonts
                .iter()
                .any(|f| f.info().coverage.contains(c as u32))
    }

    /// Characters of `text` that no loaded font can draw, in order, once each.
    pub(crate) fn undrawable(&self, text: &str) -> Vec<char> {
        let mut out: Vec<char> = Vec::new();
        for c in text.chars() {
            if !self.can_draw(c) && !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }

    fn compile(
        &self,
        template: Template,
        data: Bytes,
        files: Vec<(FileId, Bytes)>,
    ) -> Result<Typeset, RenderError> {
        let world = DocumentWorld {
            engine: self,
            main: file_id(&format!("/{}", template.main_file())),
            data,
            files,
        };
        let result = typst::compile::<PagedDocument>(&world).output;
        let document = result.map_err(|errors| RenderError::Template(self.describe(&errors)))?;
        let missing = missing_glyphs(&document);
        if !missing.is_empty() {
            return Err(RenderError::MissingGlyphs(missing));
        }
        Ok(Typeset { document })
    }

    /// Typst's errors as `file:line:column: message` lines.
    fn describe(&self, errors: &[SourceDiagnostic]) -> Vec<String> {
        errors
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| {
                let place = match d.span.get() {
                    DiagSpanKind::Number { id, .. } | DiagSpanKind::Range { id, .. } => {
                        let file = self
                            .names
                            .get(&id)
                            .cloned()
                            .unwrap_or_else(|| id.vpath().get_without_slash().to_string());
                        let pos = typst::WorldExt::range(&self_world(self), d.span).and_then(|r| {
                            self.sources
                                .get(&id)
                                .and_then(|s| s.lines().byte_to_line_column(r.start))
                        });
                        match pos {
                            Some((line, col)) => format!("{file}:{}:{}", line + 1, col + 1),
                            None => file,
                        }
                    }
                    DiagSpanKind::Detached => "模板".to_string(),
                };
                let mut text = format!("{place}: {}", d.message);
                for hint in &d.hints {
                    text.push_str(&format!("（提示：{}）", hint.v));
                }
                text
            })
            .collect()
    }
}
