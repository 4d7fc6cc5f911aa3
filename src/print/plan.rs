//! Stage 3: roster + settings → what will be printed: every document with its
//! file name, page count, serial numbers and the data its template receives.

use std::collections::HashSet;
use std::path::PathBuf;

use rayon::prelude::*;
use typst::foundations::Bytes;

use super::qr::{Contact, QrError, payload};
use crate::check::model::{Cadre, Roster};
use crate::settings::Settings;
use crate::shared::fault::Fault;
use crate::shared::file_name::{safe_file_name, unique};
use crate::typeset::Template;

/// Cards on one A4 sheet (2 × 5); each sheet is printed front and back.
pub(crate) const CARDS_PER_SHEET: u32 = 10;

/// Cadres in one volume of a department's card file. A card file is typeset
/// as one document, and its memory grows with its cards: a department of 600
/// cadres took 490 MB in one file. Thirty cadres' cards (about 90 sheets)
/// take about 20 MB.
pub(crate) const CARD_FILE_CADRES: usize = 30;

/// Pages for `cards` cards: a front and a back page per sheet.
pub(crate) fn card_pages(cards: u32) -> u32 {
    cards.div_ceil(CARDS_PER_SHEET) * 2
}

/// One PDF to be written.
#[derive(Debug, Clone)]
pub struct Document {
    /// What it prints, and of whom.
    pub contents: Contents,
    /// Path relative to the output folder.
    pub path: PathBuf,
    /// Index into `Roster::departments`.
    pub department: usize,
    /// Contact cards the document holds.
    pub cards: u32,
    /// Pages the document will have.
    pub pages: u32,
}

/// What a document prints (indices into the roster).
#[derive(Debug, Clone)]
pub enum Contents {
    /// Annex 1 of a village or community.
    Village(usize),
    /// A cadre's kit: cards, household forms numbered `serials.0` to
    /// `serials.1`, problem list.
    Kit {
        cadre: usize,
        serials: (String, String),
    },
    /// A volume of a department's card file: these cadres' cards, in order.
    CardFile(Vec<usize>),
}

impl Document {
    /// The template the document is typeset with.
    pub fn template(&self) -> Template {
        match self.contents {
            Contents::Village(_) => Template::Village,
            Contents::Kit { .. } => Template::Kit,
            Contents::CardFile(_) => Template::Cards,
        }
    }

    /// The serial numbers of a kit's household forms, first and last.
    pub(crate) fn serials(&self) -> Option<&(String, String)> {
        match &self.contents {
            Contents::Kit { serials, .. } => Some(serials),
            _ => None,
        }
    }
}

/// Per-department totals, for the plan shown by `check`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub(crate) villages: usize,
    pub(crate) cadres: usize,
    pub(crate) household_forms: u64,
    pub(crate) cards: u64,
    pub(crate) pages: u64,
}

/// Everything a run will print.
#[derive(Debug, Clone)]
pub struct Plan {
    pub documents: Vec<Document>,
    /// Totals per department, in roster order.
    pub(crate) departments: Vec<(String, Totals)>,
    /// Each cadre's QR code image.
    qrs: QrImages,
}

/// Every cadre's QR code image (PNG), end to end in one buffer. Kept as
/// separate buffers, made on several threads among their scratch, 6,000
/// codes of 670 bytes held 11 MB of memory.
#[derive(Debug, Clone, Default)]
struct QrImages {
    bytes: Vec<u8>,
    /// Each cadre's range of `bytes`; none when its code could not be made.
    ranges: Vec<Option<std::ops::Range<usize>>>,
}

impl QrImages {
    fn new(images: &[Result<Vec<u8>, QrError>]) -> QrImages {
        let mut bytes = Vec::with_capacity(images.iter().flatten().map(Vec::len).sum());
        let ranges = images
            .iter()
            .map(|image| {
                let png = image.as_ref().ok()?;
                bytes.extend_from_slice(png);
                Some(bytes.len() - png.len()..bytes.len())
            })
            .collect();
        QrImages { bytes, ranges }
    }

    fn get(&self, cadre: usize) -> Bytes {
        let range = self
            .ranges
            .get(cadre)
            .cloned()
            .flatten()
            .unwrap_or_default();
        Bytes::new(self.bytes[range].to_vec())
    }
}

impl Plan {
    /// The same plan with only the contact-card documents.
    pub(crate) fn cards_only(mut self) -> Plan {
        self.documents.retain(|d| d.template() == Template::Cards);
        for (d, (_, totals)) in self.departments.iter_mut().enumerate() {
            let docs = self.documents.iter().filter(|doc| doc.department == d);
            totals.pages = docs.map(|doc| doc.pages as u64).sum();
            totals.villages = 0;
            totals.household_forms = 0;
        }
        self
    }

    /// The QR code image of cadre `c`'s card.
    pub(super) fn qr_image(&self, c: usize) -> Bytes {
        self.qrs.get(c)
    }

    pub(crate) fn total(&self) -> Totals {
        let mut t = Totals::default();
        for (_, d) in &self.departments {
            t.villages += d.villages;
            t.cadres += d.cadres;
            t.household_forms += d.household_forms;
            t.cards += d.cards;
            t.pages += d.pages;
        }
        t
    }
}

/// The QR code image of a cadre's card.
fn card_qr(cadre: &Cadre, department: &str, settings: &Settings) -> Result<Vec<u8>, QrError> {
    let contact = Contact {
        id: &cadre.id,
        name: &cadre.name,
        organisation: department,
        title: &cadre.position,
        mobile: &cadre.mobile,
        note: &settings.campaign_title,
    };
    Ok(crate::print::qr::make(&payload(&settings.qr_mode, &contact))?.png)
}

/// Makes the plan. Department folders and file names are made unique and safe.
/// A cadre whose QR code cannot be made is a fault naming the cadre.
pub fn plan(roster: &Roster, settings: &Settings) -> (Plan, Vec<Fault>) {
    let mut documents = Vec::new();
    let mut departments = Vec::new();
    let mut faults = Vec::new();
    let mut used_dirs = HashSet::new();
    // QR codes are made on all cores at once.
    let qrs: Vec<Result<Vec<u8>, QrError>> = roster
        .cadres
        .par_iter()
        .map(|c| card_qr(c, &roster.departments[c.department].name, settings))
        .collect();
    for (d, dept) in roster.departments.iter().enumerate() {
        let dir = unique(&mut used_dirs, safe_file_name(&dept.name));
        let mut used_files = HashSet::new();
        let mut totals = Totals::default();
        for (v, village) in roster
            .villages
            .iter()
            .enumerate()
            .filter(|(_, v)| v.department == d)
        {
            let file = unique(
                &mut used_files,
                safe_file_name(&format!(
                    "附件1_村（社区）调查表_{}{}",
                    village.town, village.name
                )),
            );
            totals.villages += 1;
            totals.pages += 1;
            documents.push(Document {
                contents: Contents::Village(v),
                path: PathBuf::from(&dir).join(format!("{file}.pdf")),
                department: d,
                cards: 0,
                pages: 1,
            });
        }
        let mut cadres = Vec::new();
        for (c, cadre) in roster
            .cadres
            .iter()
            .enumerate()
            .filter(|(_, c)| c.department == d)
        {
            match &qrs[c] {
                Ok(_) => cadres.push(c),
                Err(e) => faults.push(qr_fault(cadre, e.clone())),
            }
        }
        // A volume of the card file follows the kits of its cadres, whose
        // card stamps it reuses (see `Engine::typeset`).
        let volumes = cadres.len().div_ceil(CARD_FILE_CADRES);
        for (k, volume) in cadres.chunks(CARD_FILE_CADRES).enumerate() {
            let mut cards = 0;
            for &c in volume {
                let cadre = &roster.cadres[c];
                let pages = card_pages(cadre.quota) + cadre.quota + settings.problem_pages;
                let file = unique(
                    &mut used_files,
                    safe_file_name(&format!("走访材料_{}_{}", cadre.name, cadre.id)),
                );
                totals.cadres += 1;
                totals.household_forms += cadre.quota as u64;
                totals.cards += cadre.quota as u64;
                totals.pages += pages as u64;
                cards += cadre.quota;
                let forms = cadre.serials();
                let first_and_last = forms.first().cloned().zip(forms.last().cloned());
                documents.push(Document {
                    contents: Contents::Kit {
                        cadre: c,
                        serials: first_and_last.unwrap_or_default(),
                    },
                    path: PathBuf::from(&dir).join(format!("{file}.pdf")),
                    department: d,
                    cards: cadre.quota,
                    pages,
                });
            }
            let name = if volumes == 1 {
                format!("联系卡_{}", dept.name)
            } else {
                format!("联系卡_{}_第{}册（共{volumes}册）", dept.name, k + 1)
            };
            let file = unique(&mut used_files, safe_file_name(&name));
            totals.pages += card_pages(cards) as u64;
            documents.push(Document {
                contents: Contents::CardFile(volume.to_vec()),
                path: PathBuf::from(&dir).join(format!("{file}.pdf")),
                department: d,
                cards,
                pages: card_pages(cards),
            });
        }
        departments.push((dept.name.clone(), totals));
    }
    (
        Plan {
            documents,
            departments,
            qrs: QrImages::new(&qrs),
        },
        faults,
    )
}

fn qr_fault(cadre: &Cadre, error: QrError) -> Fault {
    let message = match error {
        QrError::TooLong(n) => format!(
            "干部「{}」联系卡二维码的内容太长（{n}字节），做不成二维码",
            cadre.name
        ),
    };
    Fault::error(
        cadre.place.clone(),
        message,
        "请缩短职务或单位名称，或改用网址方式的二维码",
    )
}
