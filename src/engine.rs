//! The embedded Typst engine: fonts parsed once, templates parsed once, one
//! shared standard library; each document is a cheap world that borrows them
//! and serves its data as one virtual file, `/data.json`.
//!
//! Data reaches the templates only as JSON read by `json("/data.json")`:
//! nothing from a spreadsheet is ever pasted into Typst markup.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime};
use typst::layout::{Frame, FrameItem};
use typst::syntax::{DiagSpanKind, FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use crate::problem::{Place, Problem};

/// The fonts shipped in `fonts/`, embedded in the binary.
pub(crate) static EMBEDDED_FONTS: &[(&str, &[u8])] = &[
    (
        "FandolFang-Regular.otf",
        include_bytes!("../fonts/FandolFang-Regular.otf"),
    ),
    (
        "FandolHei-Regular.otf",
        include_bytes!("../fonts/FandolHei-Regular.otf"),
    ),
    (
        "FandolSong-Bold.otf",
        include_bytes!("../fonts/FandolSong-Bold.otf"),
    ),
    (
        "NotoSerifCJKsc-Regular.otf",
        include_bytes!("../fonts/NotoSerifCJKsc-Regular.otf"),
    ),
];

/// The templates in `typst-templates/`, embedded in the binary.
pub static BUILTIN_TEMPLATES: &[(&str, &str)] = &[
    ("style.typ", include_str!("../typst-templates/style.typ")),
    ("annex1.typ", include_str!("../typst-templates/annex1.typ")),
    ("annex3.typ", include_str!("../typst-templates/annex3.typ")),
    ("annex4.typ", include_str!("../typst-templates/annex4.typ")),
    ("card.typ", include_str!("../typst-templates/card.typ")),
    (
        "cardfaces.typ",
        include_str!("../typst-templates/cardfaces.typ"),
    ),
    (
        "village.typ",
        include_str!("../typst-templates/village.typ"),
    ),
    ("kit.typ", include_str!("../typst-templates/kit.typ")),
    (
        "household.typ",
        include_str!("../typst-templates/household.typ"),
    ),
    ("cards.typ", include_str!("../typst-templates/cards.typ")),
    ("annex5.typ", include_str!("../typst-templates/annex5.typ")),
    (
        "summary.typ",
        include_str!("../typst-templates/summary.typ"),
    ),
    (
        "annex5frame.typ",
        include_str!("../typst-templates/annex5frame.typ"),
    ),
    (
        "householdframe.typ",
        include_str!("../typst-templates/householdframe.typ"),
    ),
];

/// Household frames kept for the kits that come (see `Engine::household_frame`).
const KEPT_HOUSEHOLD_FRAMES: usize = 16;

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
}

impl Template {
    /// The template file that is compiled as the document's main file.
    pub fn main_file(self) -> &'static str {
        match self {
            Template::Village => "village.typ",
            Template::Kit => "kit.typ",
            Template::Cards => "cards.typ",
            Template::Summary => "summary.typ",
            Template::Household => "household.typ",
            Template::HouseholdFrame => "householdframe.typ",
            Template::CardFaces => "cardfaces.typ",
            Template::Annex5Frame => "annex5frame.typ",
        }
    }
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
    /// The annex-5 frame, typeset once per run (see `Template::Annex5Frame`).
    annex5_frame: std::sync::OnceLock<Result<Bytes, RenderError>>,
    /// The latest household frames typeset, with what they were typeset
    /// from (see `Template::HouseholdFrame`).
    household_frames: std::sync::Mutex<Vec<(Vec<u8>, Bytes)>>,
}

fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path)
        .unwrap_or_else(|_| VirtualPath::new("/invalid").expect("static path"));
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

impl Engine {
    /// Loads the embedded fonts (and any in `font_dirs`) and the templates:
    /// the built-in ones, or those of `templates` (a folder written by
    /// `zoufang templates export`, perhaps edited) where it has them.
    pub fn new(
        font_dirs: &[&Path],
        date: (i32, u8, u8),
        templates: Option<&Path>,
    ) -> Result<Engine, Problem> {
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
                Problem::fault(
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
                    Problem::fault(
                        Place::file(path.display().to_string()),
                        format!("模板文件打不开（{e}）"),
                        "请检查文件",
                    )
                })?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    Problem::fault(
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
        let today = Datetime::from_ymd(date.0, date.1, date.2)
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
            annex5_frame: std::sync::OnceLock::new(),
            household_frames: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// The templates as the engine uses them: (file name, text).
    pub fn template_files(&self) -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = self
            .sources
            .iter()
            .map(|(id, s)| {
                (
                    id.vpath().get_without_slash().to_string(),
                    s.text().to_string(),
                )
            })
            .collect();
        files.sort();
        files
    }

    /// The document date, as stamped into PDFs.
    pub fn today(&self) -> Datetime {
        self.today
    }

    /// Whether some loaded font can draw the character.
    pub fn can_draw(&self, c: char) -> bool {
        c.is_whitespace()
            || c.is_control()
            || self
                .fonts
                .iter()
                .any(|f| f.info().coverage.contains(c as u32))
    }

    /// Characters of `text` that no loaded font can draw, in order, once each.
    pub fn undrawable(&self, text: &str) -> Vec<char> {
        let mut out: Vec<char> = Vec::new();
        for c in text.chars() {
            if !self.can_draw(c) && !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }

    /// Typesets one document from its data.
    ///
    /// A kit's household forms are all the same page but for the serial
    /// number, and a cadre's cards are all alike; laying them out again and
    /// again was most of a run. So a kit's unchanging pages — the household
    /// form with the frame of its serial box, and the problem list — are
    /// typeset once per kit (in two layers, below), and each cadre's card,
    /// front and back (`Template::CardFaces`), once per cadre, and turned
    /// into PDFs ("stamps") that the kit or card file places, printing only
    /// the serial numbers itself: their text stays text, embedded once per
    /// file, and a kit's own fonts shrink to the digits of its serials. What
    /// is stamped reaches the template as `/stamps.json`. A card stamp made
    /// for a kit is kept until the department's card file, which comes after
    /// the department's kits, takes it (see `CardStamps`). A kit's household
    /// pages are two stamps: its own lines (`Template::Household`) over a
    /// frame that kits whose lines take the same room share
    /// (`Template::HouseholdFrame`, typeset once per run for each): the
    /// frame's titles, tables and labels were most of what a kit's stamps
    /// took to typeset and to subset fonts for. A summary's
    /// village tables (annex 5) print the frame every village shares
    /// (`Template::Annex5Frame`), typeset once per run, under their own
    /// values. Not for PDF/A, which forbids PDF pages as images: the data's
    /// `stamps` says.
    pub fn typeset(
        &self,
        template: Template,
        data: &Bytes,
        files: &[(String, Bytes)],
    ) -> Result<Typeset, RenderError> {
        let mut files: Vec<(FileId, Bytes)> = files
            .iter()
            .map(|(path, bytes)| (file_id(path), bytes.clone()))
            .collect();
        let wanted: Stamped = match template {
            Template::Kit | Template::Cards | Template::Summary => {
                serde_json::from_slice(data.as_slice()).unwrap_or_default()
            }
            _ => Stamped::default(),
        };
        let mut household = serde_json::Value::Null;
        let mut cards = serde_json::Map::new();
        let mut annex5 = serde_json::Value::Null;
        if wanted.stamps && template == Template::Summary {
            let frame = self.annex5_frame.get_or_init(|| {
                self.stamp(
                    Template::Annex5Frame,
                    Bytes::new(b"{}".to_vec()),
                    Vec::new(),
                )
            });
            files.push((file_id("/annex5.pdf"), frame.clone()?));
            annex5 = "/annex5.pdf".into();
        } else if wanted.stamps {
            if template == Template::Kit {
                let values = self.compile(Template::Household, data.clone(), files.clone())?;
                let frame = self.household_frame(&values)?;
                let pdf = self.pdf(&values, Template::Household.main_file(), false)?;
                files.push((file_id("/household.pdf"), Bytes::new(pdf)));
                files.push((file_id("/household-frame.pdf"), frame));
                household = serde_json::json!({
                    "frame": "/household-frame.pdf",
                    "values": "/household.pdf",
                });
            }
            cards = self.card_stamps_of(template, &wanted, &mut files)?;
        }
        let stamps = serde_json::json!({"household": household, "cards": cards, "annex5": annex5});
        files.push((
            file_id("/stamps.json"),
            Bytes::new(serde_json::to_vec(&stamps).unwrap_or_default()),
        ));
        self.compile(template, data.clone(), files)
    }

    /// The card stamps of a kit or card file, added to `files`: what
    /// `/stamps.json` says of them (`id: path`). A kit typesets its cadre's
    /// card and leaves it for the department's card file, which takes each
    /// of its cards from there and typesets only those no kit left.
    fn card_stamps_of(
        &self,
        template: Template,
        wanted: &Stamped,
        files: &mut Vec<(FileId, Bytes)>,
    ) -> Result<serde_json::Map<String, serde_json::Value>, RenderError> {
        let kit = template == Template::Kit;
        let mut cards = serde_json::Map::new();
        for (n, entry) in wanted.cards.iter().enumerate() {
            let stamp_data = Bytes::new(
                serde_json::to_vec(&serde_json::json!({
                    "card": entry.card,
                    "campaign": wanted.campaign,
                    "hotline": wanted.hotline,
                }))
                .unwrap_or_default(),
            );
            // Only a card file takes; only a kit keeps.
            let cached = (!kit).then(|| self.card_stamps.take(&stamp_data)).flatten();
            let pdf = match cached {
                Some(pdf) => pdf,
                None => {
                    let pdf = self.stamp(Template::CardFaces, stamp_data.clone(), files.clone())?;
                    if kit {
                        self.card_stamps.keep(stamp_data, pdf.clone());
                    }
                    pdf
                }
            };
            let path = format!("/cardfaces/{}.pdf", n + 1);
            files.push((file_id(&path), pdf));
            let id = entry
                .card
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            cards.insert(id.to_string(), path.into());
        }
        Ok(cards)
    }

    /// The frame under a kit's own household lines (`values`, typeset from
    /// household.typ): typeset from what they say under the label `<frame>`,
    /// the first time a kit needs it. A frame is the same bytes whichever
    /// kit asks first, as it is made from nothing else.
    fn household_frame(&self, values: &Typeset) -> Result<Bytes, RenderError> {
        use typst::introspection::Introspector as _;
        let label = typst::foundations::Label::new(typst::utils::PicoStr::intern("frame"));
        let said = label
            .and_then(|label| values.document.introspector().query_label(label).ok())
            .and_then(|content| {
                let metadata = content.to_packed::<typst::introspection::MetadataElem>()?;
                serde_json::to_vec(&metadata.value).ok()
            })
            .ok_or_else(|| {
                RenderError::Template(vec![format!(
                    "{} 里没有标为 <frame> 的 metadata（入户调查表底版的尺寸；\
                     可用 zoufang templates export 导出新版模板对照）",
                    Template::Household.main_file()
                )])
            })?;
        let known = |frames: &Vec<(Vec<u8>, Bytes)>| {
            frames
                .iter()
                .find(|(k, _)| *k == said)
                .map(|(_, f)| f.clone())
        };
        if let Some(frame) = self.household_frames.lock().ok().and_then(|f| known(&f)) {
            return Ok(frame);
        }
        let frame = self.stamp(
            Template::HouseholdFrame,
            Bytes::new(said.clone()),
            Vec::new(),
        )?;
        if let Ok(mut frames) = self.household_frames.lock()
            && known(&frames).is_none()
        {
            // A long 走访人 line shrinks to its own size, and so needs its
            // own frame: only the latest are kept.
            if frames.len() == KEPT_HOUSEHOLD_FRAMES {
                frames.remove(0);
            }
            frames.push((said, frame.clone()));
        }
        Ok(frame)
    }

    /// Typesets a part of a document and turns it into a PDF to be placed.
    fn stamp(
        &self,
        part: Template,
        data: Bytes,
        files: Vec<(FileId, Bytes)>,
    ) -> Result<Bytes, RenderError> {
        let typeset = self.compile(part, data, files)?;
        Ok(Bytes::new(self.pdf(&typeset, part.main_file(), false)?))
    }

    /// A typeset document as PDF bytes, `ident` naming it in the file.
    pub fn pdf(&self, typeset: &Typeset, ident: &str, pdf_a: bool) -> Result<Vec<u8>, RenderError> {
        let options = crate::render::pdf_options(self.today, ident, pdf_a);
        typst_pdf::pdf(&typeset.document, &options).map_err(|errors| {
            RenderError::Template(errors.iter().map(|e| e.message.to_string()).collect())
        })
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

/// A world for resolving spans to byte ranges, without any data file.
fn self_world(engine: &Engine) -> DocumentWorld<'_> {
    DocumentWorld {
        engine,
        main: engine.data_id,
        data: Bytes::new(Vec::<u8>::new()),
        files: Vec::new(),
    }
}

/// What a kit's or card file's data says about its stamps.
#[derive(serde::Deserialize, Default)]
struct Stamped {
    /// False for PDF/A.
    #[serde(default)]
    stamps: bool,
    #[serde(default)]
    cards: Vec<CardEntry>,
    #[serde(default)]
    campaign: serde_json::Value,
    #[serde(default)]
    hotline: serde_json::Value,
}

/// A card printed one or more times.
#[derive(serde::Deserialize)]
struct CardEntry {
    card: serde_json::Value,
}

/// Cards typeset for kits, waiting for their department's card file. At
/// most `CardStamps::LIMIT` are kept (a run's order keeps it far below);
/// past that a card file typesets the card again, with the same bytes. A
/// card file can come before one of its kits is done (the other worker is
/// still on it): it typesets that card itself and leaves word (`None`), so
/// that the kit does not leave a card no one would take. Such cards piled
/// up to the limit over a city's run: 6,000 cadres crept up by some 20 MB.
#[derive(Default)]
struct CardStamps(std::sync::Mutex<HashMap<Bytes, Option<Bytes>>>);

impl CardStamps {
    const LIMIT: usize = 512;

    fn keep(&self, data: Bytes, pdf: Bytes) {
        let Ok(mut map) = self.0.lock() else {
            return;
        };
        if let Some(None) = map.get(&data) {
            map.remove(&data);
        } else if map.len() < Self::LIMIT {
            map.insert(data, Some(pdf));
        }
    }

    /// The card a kit left for `data`. When none is there, the kit still
    /// to come is told not to leave one.
    fn take(&self, data: &Bytes) -> Option<Bytes> {
        let mut map = self.0.lock().ok()?;
        match map.remove(data) {
            Some(pdf) => pdf,
            None => {
                if map.len() < Self::LIMIT {
                    map.insert(data.clone(), None);
                }
                None
            }
        }
    }
}

fn load_font_dir(dir: &Path) -> Vec<Font> {
    let mut fonts = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                matches!(
                    e.to_ascii_lowercase().as_str(),
                    "ttf" | "otf" | "ttc" | "otc"
                )
            }) {
                files.push(path);
            }
        }
    }
    files.sort();
    for path in files {
        if let Ok(data) = std::fs::read(&path) {
            fonts.extend(Font::iter(Bytes::new(data)));
        }
    }
    fonts
}

/// Characters shaped to glyph 0 (the "missing" box) anywhere in the document.
fn missing_glyphs(document: &PagedDocument) -> Vec<char> {
    fn walk(frame: &Frame, out: &mut Vec<char>) {
        for (_, item) in frame.items() {
            match item {
                FrameItem::Group(group) => walk(&group.frame, out),
                FrameItem::Text(text) => {
                    for glyph in text.glyphs.iter().filter(|g| g.id == 0) {
                        let c = text.text.get(glyph.range()).and_then(|s| s.chars().next());
                        if let Some(c) = c
                            && !c.is_whitespace()
                            && !out.contains(&c)
                        {
                            out.push(c);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for page in document.pages() {
        walk(&page.frame, &mut out);
    }
    out
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_without_slash().into())
}

/// One document's view of the engine.
struct DocumentWorld<'a> {
    engine: &'a Engine,
    main: FileId,
    data: Bytes,
    /// The document's own further files (QR code images).
    files: Vec<(FileId, Bytes)>,
}

impl World for DocumentWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.engine.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.engine.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        self.engine
            .sources
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found(id))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.engine.data_id {
            return Ok(self.data.clone());
        }
        if let Some((_, bytes)) = self.files.iter().find(|(f, _)| *f == id) {
            return Ok(bytes.clone());
        }
        match self.engine.sources.get(&id) {
            Some(source) => Ok(Bytes::from_string(source.clone())),
            None => Err(not_found(id)),
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.engine.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Some(self.engine.today)
    }
}

/// Keeps Typst's process-wide caches from growing with the run: after every
/// `TRIM_EVERY`th document (counted across threads), what no document used
/// since the previous trim goes. What documents share (fonts, the templates'
/// evaluated code, laid-out form parts) stays. Trimming after every document
/// cost a fifth of a run's CPU with two workers: each trim also dropped what
/// the other worker's half-done document had just made, before it could be
/// used again. Every fourth: 200 cadres 6.3-6.9 s -> 4.9-6.3 s of CPU for
/// 150 -> 165 MB; never trimming: 5.0 s but 630 MB, growing with the roster.
pub fn evict_caches() {
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

/// Hands memory that is free back to the system: mimalloc's, the program's
/// allocator (see main.rs), and glibc's, which the tests' binaries use. Freed
/// memory otherwise stays in each thread's heap, and over a long run the
/// heaps fragment: peak memory crept up with the roster (6,000 cadres: 244
/// MB against 169 MB at 1,000). Called every 64 documents, and when the
/// workers are done (`render::in_parallel`), before the calling thread goes
/// on — writing entry workbooks or summary workbooks — since it cannot reuse
/// the workers' free memory (the end of a city run was its peak).
pub fn release_free_memory() {
    // SAFETY: mi_collect only hands back memory that is free.
    unsafe { libmimalloc_sys::mi_collect(true) };
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory that is free.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(name: &str) -> (Bytes, Bytes) {
        (
            Bytes::new(name.as_bytes().to_vec()),
            Bytes::new(format!("%PDF {name}").into_bytes()),
        )
    }

    fn kept(stamps: &CardStamps) -> usize {
        stamps.0.lock().map(|m| m.len()).unwrap_or_default()
    }

    #[test]
    fn a_card_left_by_a_kit_goes_to_its_card_file_and_is_gone() {
        let stamps = CardStamps::default();
        let (data, pdf) = stamp("张甲");
        stamps.keep(data.clone(), pdf.clone());
        assert_eq!(stamps.take(&data), Some(pdf));
        assert_eq!(kept(&stamps), 0);
    }

    #[test]
    fn a_kit_done_after_its_card_file_leaves_nothing_behind() {
        let stamps = CardStamps::default();
        let (data, pdf) = stamp("李乙");
        // The card file found no card and typeset it itself ...
        assert_eq!(stamps.take(&data), None);
        assert_eq!(kept(&stamps), 1, "word for the kit still at work");
        // ... so the kit, done later, keeps nothing.
        stamps.keep(data, pdf);
        assert_eq!(kept(&stamps), 0);
    }

    #[test]
    fn no_more_than_the_limit_is_kept() {
        let stamps = CardStamps::default();
        for i in 0..CardStamps::LIMIT + 10 {
            let (data, pdf) = stamp(&format!("干部{i}"));
            stamps.keep(data, pdf);
        }
        assert_eq!(kept(&stamps), CardStamps::LIMIT);
        let (late, _) = stamp(&format!("干部{}", CardStamps::LIMIT + 5));
        assert_eq!(
            stamps.take(&late),
            None,
            "past the limit the card file typesets it"
        );
    }
}
