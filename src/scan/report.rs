//! What a scan tells the office: the workbook 交回情况.xlsx (per cadre:
//! printed, back filled, back blank, missing with their serials; the pages
//! it could not read; serials scanned twice) and the same as JSON.

use serde::Serialize;

use super::{Outcome, PageRead, Scan};
use crate::print::page_code::PageCode;
use crate::shared::xlsx::{SheetSpec, Value, n, t};

/// The workbook's name.
pub const RETURNS_BOOK: &str = "交回情况.xlsx";

/// A page in the JSON.
#[derive(Serialize)]
struct PageJson<'a> {
    file: &'a str,
    page: Option<u32>,
    form: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    serial: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    village: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cadre: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sheet: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    filled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    department: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cadre_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upside_down: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    blank: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unreadable: Option<&'a str>,
}

/// A cadre's returns in the JSON.
#[derive(Serialize)]
struct CadreJson<'a> {
    department: &'a str,
    cadre: &'a str,
    id: &'a str,
    printed: Option<u32>,
    filled: u32,
    blank: u32,
    missing: &'a [String],
    problem_sheets: u32,
}

#[derive(Serialize)]
struct RepeatJson<'a> {
    serial: &'a str,
    scans: Vec<PlaceJson<'a>>,
}

#[derive(Serialize)]
struct PlaceJson<'a> {
    file: &'a str,
    page: u32,
}

/// A scan's figures: pages by outcome, household forms back and filled.
#[derive(Serialize, serde::Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub pages: usize,
    pub identified: usize,
    pub blank_pages: usize,
    pub unreadable: usize,
    pub household_forms: usize,
    pub filled: usize,
}

#[derive(Serialize)]
struct ScanJson<'a> {
    pages: Vec<PageJson<'a>>,
    cadres: Vec<CadreJson<'a>>,
    repeated: Vec<RepeatJson<'a>>,
    totals: Totals,
}

/// Why a blank page is listed, in the pages' list.
pub const BLANK_PAGE: &str = "空白页（双面扫描的背面或白纸），不用管";

fn page_json(p: &PageRead) -> PageJson<'_> {
    let mut j = PageJson {
        file: &p.file,
        page: p.page,
        form: None,
        serial: None,
        village: None,
        cadre: None,
        sheet: None,
        filled: None,
        department: p.who.as_ref().map(|w| w.department.as_str()),
        cadre_name: p
            .who
            .as_ref()
            .map(|w| w.cadre.as_str())
            .filter(|c| !c.is_empty()),
        upside_down: None,
        blank: None,
        unreadable: None,
    };
    match &p.outcome {
        Outcome::Identified {
            code,
            filled,
            upside_down,
            ..
        } => {
            j.form = Some(code.form());
            j.upside_down = Some(*upside_down);
            match code {
                PageCode::Household { serial } => {
                    j.serial = Some(serial);
                    j.filled = *filled;
                }
                PageCode::Village {
                    district,
                    town,
                    name,
                } => {
                    j.village = Some(format!("{district}{town}{name}"));
                }
                PageCode::Problems { cadre, sheet } => {
                    j.cadre = Some(cadre);
                    j.sheet = Some(*sheet);
                }
            }
            if let (None, Some(w)) = (&j.village, &p.who) {
                j.village = Some(w.village.clone());
            }
        }
        Outcome::Blank => {
            j.blank = Some(true);
            j.unreadable = Some(BLANK_PAGE);
        }
        Outcome::Unreadable(why) => j.unreadable = Some(why),
    }
    j
}

pub fn totals(scan: &Scan) -> Totals {
    let count = |f: &dyn Fn(&Outcome) -> bool| scan.pages.iter().filter(|p| f(&p.outcome)).count();
    Totals {
        pages: scan.pages.len(),
        identified: count(&|o| matches!(o, Outcome::Identified { .. })),
        blank_pages: count(&|o| matches!(o, Outcome::Blank)),
        unreadable: count(&|o| matches!(o, Outcome::Unreadable(_))),
        household_forms: scan.households.len(),
        filled: scan.households.values().filter(|r| r.filled).count(),
    }
}

/// The scan as JSON: every page, the per-cadre counts, serials scanned twice.
pub fn json(scan: &Scan) -> Vec<u8> {
    let data = ScanJson {
        pages: scan.pages.iter().map(page_json).collect(),
        cadres: scan
            .cadres
            .iter()
            .map(|c| CadreJson {
                department: &c.department,
                cadre: &c.name,
                id: &c.id,
                printed: c.printed,
                filled: c.filled,
                blank: c.blank,
                missing: &c.missing,
                problem_sheets: c.problem_sheets,
            })
            .collect(),
        repeated: scan
            .repeated()
            .map(|(serial, r)| RepeatJson {
                serial,
                scans: r
                    .scans
                    .iter()
                    .map(|(file, page)| PlaceJson { file, page: *page })
                    .collect(),
            })
            .collect(),
        totals: totals(scan),
    };
    serde_json::to_vec_pretty(&data).unwrap_or_default()
}

/// Where a page is, as a clerk reads it: 「扫描1.pdf」第 3 页.
pub fn place(file: &str, page: Option<u32>) -> String {
    match page {
        Some(p) => format!("「{file}」第 {p} 页"),
        None => format!("「{file}」"),
    }
}

/// The sheets of 交回情况.xlsx.
pub fn sheets(scan: &Scan) -> Vec<SheetSpec> {
    let count = |x: Option<u32>| x.map_or(Value::Blank, |v| n(f64::from(v)));
    let returns = SheetSpec {
        name: "交回情况".into(),
        title: Some("入户调查表（附件3）交回情况".into()),
        headers: [
            "单位",
            "干部",
            "干部编号",
            "印了（张）",
            "交回已填",
            "交回空白",
            "没有交回",
            "问题清单交回（张）",
            "没有交回的编号",
        ]
        .map(String::from)
        .to_vec(),
        rows: scan
            .cadres
            .iter()
            .map(|c| {
                vec![
                    t(&c.department),
                    t(&c.name),
                    t(&c.id),
                    count(c.printed),
                    n(f64::from(c.filled)),
                    n(f64::from(c.blank)),
                    c.printed
                        .map_or(Value::Blank, |_| n(c.missing.len() as f64)),
                    n(f64::from(c.problem_sheets)),
                    t(&c.missing.join("、")),
                ]
            })
            .collect(),
        text_columns: vec![2, 8],
        column_widths: vec![22.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 12.0, 60.0],
        ..SheetSpec::default()
    };
    let unreadable = SheetSpec {
        name: "认不出的页".into(),
        title: Some("认不出的页（请看一下这些页，需要时重扫）".into()),
        headers: ["文件", "第几页", "原因"].map(String::from).to_vec(),
        rows: scan
            .unreadable()
            .map(|(p, why)| {
                vec![
                    t(&p.file),
                    p.page.map_or(Value::Blank, |v| n(f64::from(v))),
                    t(why),
                ]
            })
            .collect(),
        column_widths: vec![30.0, 8.0, 80.0],
        ..SheetSpec::default()
    };
    let repeated = SheetSpec {
        name: "重复扫描".into(),
        title: Some("同一张表扫了不止一次（只算一次）".into()),
        headers: ["编号", "扫描次数", "在哪里"].map(String::from).to_vec(),
        rows: scan
            .repeated()
            .map(|(serial, r)| {
                vec![
                    t(serial),
                    n(r.scans.len() as f64),
                    t(&r.scans
                        .iter()
                        .map(|(f, p)| place(f, Some(*p)))
                        .collect::<Vec<_>>()
                        .join("、")),
                ]
            })
            .collect(),
        text_columns: vec![0],
        column_widths: vec![14.0, 10.0, 80.0],
        ..SheetSpec::default()
    };
    vec![returns, unreadable, repeated]
}
