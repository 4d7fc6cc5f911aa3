//! What each template receives: one serde struct per template's data
//! (`/data.json`), its own files (QR images), and which of its parts the
//! engine typesets once and places (`Stamps`). The field names are the
//! templates' names for them (`d.cadre.name` in kit.typ).

use serde::Serialize;
use typst::foundations::Bytes;

use super::page_code::{self, PageCode};
use super::plan::{Contents, Document, Plan};
use crate::check::model::{Cadre, Department, Roster, Village};
use crate::settings::Settings;
use crate::typeset::{CardFace, Job, Stamps};

/// The campaign as every form names it.
#[derive(Serialize)]
struct Campaign<'a> {
    title: &'a str,
    year: i32,
    /// The year before the campaign (annex 1's "2016年" rows).
    prev_year: i32,
}

/// A village or community as annex 1 and the household forms print it.
#[derive(Serialize)]
struct VillageData<'a> {
    district: &'a str,
    town: &'a str,
    name: &'a str,
    /// 村 or 社区.
    kind: &'static str,
    secretary: &'a str,
    secretary_phone: &'a str,
}

/// The visiting department on annex 1.
#[derive(Serialize)]
struct DepartmentData<'a> {
    name: &'a str,
    contact: &'a str,
    phone: &'a str,
}

/// A cadre as the kit's forms print them.
#[derive(Serialize)]
struct CadreData<'a> {
    id: &'a str,
    name: &'a str,
    department: &'a str,
    position: &'a str,
    mobile: &'a str,
}

/// A cadre's card; the card names its QR code's image by path (`qr_path`).
#[derive(Serialize)]
struct CardData<'a> {
    id: &'a str,
    name: &'a str,
    department: &'a str,
    position: &'a str,
    mobile: &'a str,
    qr: String,
}

/// A card printed `count` times.
#[derive(Serialize)]
struct CardCopies<'a> {
    card: CardData<'a>,
    count: u32,
}

/// A page's code (see `page_code`): its image by path, and its width on
/// paper in millimetres.
#[derive(Serialize)]
struct CodeImage {
    path: String,
    mm: f64,
}

/// `village.typ`: annex 1 of one village or community.
#[derive(Serialize)]
struct VillageForm<'a> {
    campaign: Campaign<'a>,
    village: VillageData<'a>,
    department: DepartmentData<'a>,
    code: CodeImage,
}

/// `kit.typ` (and the `household.typ` lines typeset from the same data):
/// a cadre's cards, household forms and problem list.
#[derive(Serialize)]
struct Kit<'a> {
    campaign: Campaign<'a>,
    hotline: &'a str,
    cadre: CadreData<'a>,
    cards: [CardCopies<'a>; 1],
    village: VillageData<'a>,
    /// The serial number of each household form, in order.
    forms: Vec<String>,
    /// The code of each household form, then of each sheet of the problem list.
    codes: Vec<CodeImage>,
    problem_pages: u32,
    problem_rows: u32,
    /// Whether parts are placed as stamps (never for PDF/A).
    stamps: bool,
}

/// `cards.typ`: a department's card file (or one volume of it).
#[derive(Serialize)]
struct CardFile<'a> {
    title: &'a str,
    campaign: Campaign<'a>,
    hotline: &'a str,
    cards: Vec<CardCopies<'a>>,
    /// Whether parts are placed as stamps (never for PDF/A).
    stamps: bool,
}

/// `cardfaces.typ`: one card, front and back, typeset once and placed in
/// every slot of kits and card files. Its bytes are also how a card file
/// finds the card a kit typeset (see `typeset::stamps`).
#[derive(Serialize)]
struct CardFaces<'a> {
    card: &'a CardData<'a>,
    campaign: &'a Campaign<'a>,
    hotline: &'a str,
}

/// Data as the compact JSON a document keeps.
fn json_bytes(data: &impl Serialize) -> Bytes {
    Bytes::new(serde_json::to_vec(data).unwrap_or_default())
}

fn campaign(settings: &Settings) -> Campaign<'_> {
    Campaign {
        title: &settings.campaign_title,
        year: settings.campaign_year,
        prev_year: settings.campaign_year - 1,
    }
}

fn village(v: &Village) -> VillageData<'_> {
    VillageData {
        district: &v.district,
        town: &v.town,
        name: &v.name,
        kind: v.kind.label(),
        secretary: &v.secretary,
        secretary_phone: &v.secretary_phone,
    }
}

fn card<'a>(index: usize, cadre: &'a Cadre, department: &'a Department) -> CardData<'a> {
    CardData {
        id: &cadre.id,
        name: &cadre.name,
        department: &department.name,
        position: &cadre.position,
        mobile: &cadre.mobile,
        qr: qr_path(index),
    }
}

/// Where a cadre's QR image is served to the document.
fn qr_path(index: usize) -> String {
    format!("/qr/{index}.png")
}

/// The code of page `index` of a document: what the template reads, and
/// the image file it reads it from. A code too long for a QR code (a name
/// of thousands of characters) leaves the file empty, which the engine
/// reports as the document's error.
fn code_image(tag: &str, code: &PageCode, index: usize) -> (CodeImage, (String, Bytes)) {
    let path = format!("/code/{index}.png");
    let (png, mm) = match page_code::image(tag, code) {
        Ok((qr, mm)) => (qr.png, mm),
        Err(_) => (Vec::new(), 0.0),
    };
    (
        CodeImage {
            path: path.clone(),
            mm,
        },
        (path, Bytes::new(png)),
    )
}

impl Plan {
    /// What `doc`'s template receives. Made when the document is rendered,
    /// not when it is planned: at 6,000 cadres the plan held 10 MB of data
    /// that a run then freed a document at a time, and peak memory grew
    /// with the roster.
    pub fn payload(&self, doc: &Document, roster: &Roster, settings: &Settings) -> Job {
        let dept = &roster.departments[doc.department];
        let campaign = campaign(settings);
        let tag = page_code::campaign_tag(&settings.campaign_title, settings.campaign_year);
        // PDF/A-2b forbids PDF pages as images: nothing is stamped.
        let stamped = !settings.pdf_a;
        let qr = |c: usize| (qr_path(c), self.qr_image(c));
        let face = |copies: &CardCopies| CardFace {
            id: copies.card.id.to_string(),
            data: json_bytes(&CardFaces {
                card: &copies.card,
                campaign: &campaign,
                hotline: &settings.hotline,
            }),
        };
        match &doc.contents {
            &Contents::Kit { cadre: c, .. } => {
                let cadre = &roster.cadres[c];
                let cards = [CardCopies {
                    card: card(c, cadre, dept),
                    count: cadre.quota,
                }];
                let faces = cards.iter().map(face).collect();
                let serials = cadre.serials();
                let pages = serials
                    .iter()
                    .map(|serial| PageCode::Household {
                        serial: serial.clone(),
                    })
                    .chain(
                        (1..=settings.problem_pages).map(|sheet| PageCode::Problems {
                            cadre: cadre.id.clone(),
                            sheet,
                        }),
                    );
                let (codes, mut files): (Vec<_>, Vec<_>) = pages
                    .enumerate()
                    .map(|(i, code)| code_image(&tag, &code, i))
                    .unzip();
                files.push(qr(c));
                let data = json_bytes(&Kit {
                    hotline: &settings.hotline,
                    cadre: CadreData {
                        id: &cadre.id,
                        name: &cadre.name,
                        department: &dept.name,
                        position: &cadre.position,
                        mobile: &cadre.mobile,
                    },
                    village: village(&roster.villages[cadre.village]),
                    forms: serials,
                    codes,
                    problem_pages: settings.problem_pages,
                    problem_rows: settings.problem_rows_per_page,
                    stamps: stamped,
                    cards,
                    campaign,
                });
                Job {
                    template: doc.template(),
                    data,
                    files,
                    stamps: if stamped {
                        Stamps::Kit(faces)
                    } else {
                        Stamps::None
                    },
                }
            }
            Contents::CardFile(cadres) => {
                let cards: Vec<CardCopies> = cadres
                    .iter()
                    .map(|&c| CardCopies {
                        card: card(c, &roster.cadres[c], dept),
                        count: roster.cadres[c].quota,
                    })
                    .collect();
                let faces = cards.iter().map(face).collect();
                let files = cadres.iter().map(|&c| qr(c)).collect();
                let data = json_bytes(&CardFile {
                    title: &dept.name,
                    hotline: &settings.hotline,
                    cards,
                    stamps: stamped,
                    campaign,
                });
                Job {
                    template: doc.template(),
                    data,
                    files,
                    stamps: if stamped {
                        Stamps::CardFile(faces)
                    } else {
                        Stamps::None
                    },
                }
            }
            &Contents::Village(v) => {
                let vil = &roster.villages[v];
                let (code, file) = code_image(
                    &tag,
                    &PageCode::Village {
                        district: vil.district.clone(),
                        town: vil.town.clone(),
                        name: vil.name.clone(),
                    },
                    0,
                );
                Job {
                    template: doc.template(),
                    data: json_bytes(&VillageForm {
                        village: village(vil),
                        code,
                        department: DepartmentData {
                            name: &dept.name,
                            contact: &dept.contact,
                            phone: &dept.phone,
                        },
                        campaign,
                    }),
                    files: vec![file],
                    stamps: Stamps::None,
                }
            }
        }
    }
}
