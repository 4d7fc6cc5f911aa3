//! Writing a summary: the annex-5 PDFs (roll-ups at the root, villages in the
//! folders of the office they are routed to), the workbook that goes up the
//! chain (and that `summary` reads back), the routed problem lists with
//! phones masked, and the JSON for the next system.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::XlsxError;
use serde_json::{Value, json};

use crate::schema::returns::*;
use crate::schema::roster::VillageKind;
use crate::settings::Settings;
use crate::shared::atomic::{Written, write_atomic};
use crate::shared::date::show_date;
use crate::shared::fault::{Fault, Place, write_fault};
use crate::shared::file_name::safe_file_name;
use crate::shared::queue::in_parallel_while;
use crate::shared::xlsx::{header_and_text_formats, new_workbook, workbook_bytes};
use crate::typeset::pdf_bytes_of;
use crate::typeset::{Engine, Job, Stamps, Template};
use serde::Serialize;
use typst::foundations::Bytes;

use super::count::{ANNEX5_LINES, Annex5, Level, Summary, Tally, mask_phones, route};
use super::returns::{Location, Rejected, Returns};

/// The workbook that goes up the chain.
pub(crate) const SUMMARY_WORKBOOK: &str = "汇总表.xlsx";

/// The JSON `--json` writes.
pub(crate) fn json(summary: &Summary, returns: &Returns) -> Value {
    json!({
        "period": summary.period.map(|(from, to)| json!({"from": show_date(from), "to": show_date(to)})),
        "annex5": summary.annex5.iter().map(Annex5::to_json).collect::<Vec<_>>(),
        "weekly": summary.weekly,
        "rejected": returns.rejected_rows(),
        "conflicts": returns.conflicts.iter().map(Rejected::from_problem).collect::<Vec<_>>(),
        "read": {
            "households": returns.households.read,
            "problems": returns.problem_rows.read,
            "summary_rows": returns.summary_rows.read,
        },
        "account": {
            "households": returns.households,
            "problems": returns.problem_rows,
            "summary_rows": returns.summary_rows,
        },
        "follow_up": summary.follow_up,
        "unvisited": summary.unvisited,
        "completeness": summary.completeness,
        "paper": summary.paper,
    })
}

/// What the annex-5 template receives for one table.
pub(crate) fn table_data(t: &Annex5, note: &str) -> Value {
    let rows: Vec<Vec<[u64; 2]>> = ProblemType::ALL
        .map(|ty| t.counts.of_type(ty).map(Tally::pair).to_vec())
        .to_vec();
    // The lines of the table in the notice's order, each (已解决, 待解决,
    // 小计): the seven categories of 困难需求, their total, the seven of
    // 意见建议, the total of all.
    let line = |t: Tally| [t.solved, t.pending, t.total()];
    let mut lines = Vec::with_capacity(ANNEX5_LINES);
    for ty in ProblemType::ALL {
        lines.extend(t.counts.of_type(ty).map(line));
        lines.push(line(match ty {
            ProblemType::Need => t.counts.type_total(ty),
            ProblemType::Advice => t.counts.total(),
        }));
    }
    let scope = match t.level {
        Level::Village => String::new(),
        Level::Town => format!("{}合计", t.town.clone().unwrap_or_default()),
        Level::District => format!("{}合计", t.district.clone().unwrap_or_default()),
        Level::City => "全市合计".to_string(),
        Level::Department => format!(
            "{}走访的村（社区）合计",
            t.department.clone().unwrap_or_default()
        ),
    };
    json!({
        "scope": scope,
        "district": t.district,
        "town": t.town,
        "village": t.village,
        "categories": Category::labels(),
        "rows": rows,
        "lines": lines,
        "note": note,
    })
}

/// `summary.typ`: annex-5 tables, one a page, under `title`.
#[derive(Serialize)]
struct Annex5Tables<'a> {
    title: &'a str,
    tables: &'a [Value],
    /// Whether the frame is placed as a stamp (never for PDF/A).
    stamps: bool,
}

/// The job of typesetting annex-5 tables: with `frame_note`, a village's
/// table over the frame every village shares, typeset once with that note
/// (the tables' own) under it (not for PDF/A-2b, which forbids PDF pages as
/// images); else laid out whole.
pub(crate) fn annex5_job(title: &str, tables: &[Value], frame_note: Option<&str>) -> Job {
    let data = Annex5Tables {
        title,
        tables,
        stamps: frame_note.is_some(),
    };
    Job {
        template: Template::Summary,
        data: Bytes::new(serde_json::to_vec(&data).unwrap_or_default()),
        files: Vec::new(),
        stamps: match frame_note {
            Some(note) => Stamps::Annex5 {
                note: note.to_string(),
            },
            None => Stamps::None,
        },
    }
}

fn period_note(summary: &Summary) -> String {
    match summary.period {
        Some((from, to)) => format!(
            "统计的是截至目前的全部问题（每周走访情况的统计期为{}至{}）。",
            show_date(from),
            show_date(to)
        ),
        None => "统计的是截至目前的全部问题。".to_string(),
    }
}

/// One file of a summary made from its problems: an annex-5 PDF (file,
/// title, tables), or the problem list of a route.
enum Part<'a> {
    Pdf(&'a (PathBuf, String, Vec<Value>)),
    ProblemList(VillageKind),
}

/// Typesets `job` and writes it to `out/rel` (its data, first, to
/// `emit_data/rel.json` when asked); `what` names the document in a
/// template's error.
pub(crate) fn write_pdf(
    engine: &Engine,
    settings: &Settings,
    job: &Job,
    rel: &Path,
    out: &Path,
    emit_data: Option<&Path>,
    what: &str,
) -> Result<Written, Fault> {
    if let Some(dir) = emit_data {
        job.emit(dir, rel)?;
    }
    let (pages, bytes) = pdf_bytes_of(engine, job, rel, settings.pdf_a)
        .map_err(|e| template_fault(job.template, what, e))?;
    let path = out.join(rel);
    write_atomic(&path, &bytes).map_err(|e| io_fault(&path, &e))?;
    Ok(Written {
        path: rel.to_path_buf(),
        pages,
        bytes: bytes.len(),
    })
}

/// A template that would not typeset: `what` names the document.
pub(crate) fn template_fault(template: Template, what: &str, e: String) -> Fault {
    Fault::error(
        Place::file(format!("模板 {}", template.main_file())),
        format!("{what}排不出来：{e}"),
        "请检查模板文件",
    )
}

/// A file that could not be written.
pub(crate) fn io_fault(path: &Path, e: &std::io::Error) -> Fault {
    write_fault(path, "文件", e, "请检查输出文件夹是否可写")
}

/// A workbook that could not be made.
fn workbook_fault(path: &Path, e: rust_xlsxwriter::XlsxError) -> Fault {
    match e {
        rust_xlsxwriter::XlsxError::IoError(e) => io_fault(path, &e),
        e => Fault::error(
            Place::file(path.display().to_string()),
            format!("文件写不进去（{e}）"),
            "请检查输出文件夹是否可写",
        ),
    }
}

/// Writes what a summary makes of its problems into `out`: the annex-5
/// PDFs and the routed problem lists. One of the workers first does
/// `meanwhile` (reading the household tables, see `cli::summary`).
pub(crate) fn write_tables<M: Send>(
    engine: &Engine,
    settings: &Settings,
    summary: &Summary,
    returns: &Returns,
    out: &Path,
    meanwhile: impl FnOnce() -> M + Send,
) -> (Result<Vec<Written>, Fault>, M) {
    crate::shared::atomic::sweep_stale_temps(out, 2);
    let note = period_note(summary);
    // (file, title, tables) of every annex-5 PDF: the roll-ups in one file,
    // then one per village or community, routed by kind.
    let rollups: Vec<Value> = [Level::City, Level::District, Level::Town, Level::Department]
        .iter()
        .flat_map(|level| summary.annex5.iter().filter(move |t| t.level == *level))
        .map(|t| table_data(t, &note))
        .collect();
    let mut pdfs = vec![(
        PathBuf::from("附件5_汇总（全市、各市区、各镇街道、各单位）.pdf"),
        "汇总".to_string(),
        rollups,
    )];
    for t in summary.annex5.iter().filter(|t| t.level == Level::Village) {
        let folder = format!("报{}", route(t.kind.unwrap_or(VillageKind::Village)));
        let name = safe_file_name(&format!("附件5_{}", t.title()));
        pdfs.push((
            PathBuf::from(folder).join(format!("{name}.pdf")),
            t.title(),
            vec![table_data(t, &note)],
        ));
    }
    // The problem lists are made alongside the PDFs, first, as the longest
    // jobs: each is one thread's work, which the other core spent idle when
    // they came after the PDFs.
    let mut jobs: Vec<Part> = [VillageKind::Village, VillageKind::Community]
        .map(Part::ProblemList)
        .into();
    jobs.extend(pdfs.iter().map(Part::Pdf));
    let pdf = |(rel, title, tables): &(PathBuf, String, Vec<Value>)| -> Result<Written, Fault> {
        let job = annex5_job(title, tables, (!settings.pdf_a).then_some(note.as_str()));
        write_pdf(engine, settings, &job, rel, out, None, "汇总表")
    };
    let problem_list = |kind: VillageKind| -> Result<Option<Written>, Fault> {
        let rel = PathBuf::from(format!("报{}", route(kind))).join("问题清单（电话已隐去）.xlsx");
        let path = out.join(&rel);
        let Some(bytes) =
            problem_list(summary, returns, kind).map_err(|e| workbook_fault(&path, e))?
        else {
            return Ok(None);
        };
        write_atomic(&path, &bytes).map_err(|e| io_fault(&path, &e))?;
        Ok(Some(Written {
            path: rel,
            pages: 0,
            bytes: bytes.len(),
        }))
    };
    let (done, meanwhile) = in_parallel_while(
        &jobs,
        |job| match job {
            Part::Pdf(p) => pdf(p).map(Some),
            Part::ProblemList(kind) => problem_list(*kind),
        },
        meanwhile,
    );
    // Said in the order the files were always listed: PDFs, then problem lists.
    let (lists, pdfs): (Vec<_>, Vec<_>) = jobs
        .iter()
        .zip(done)
        .partition(|(job, _)| matches!(job, Part::ProblemList(_)));
    let mut written = Vec::new();
    for (_, result) in pdfs.into_iter().chain(lists) {
        match result {
            Ok(w) => written.extend(w),
            Err(p) => return (Err(p), meanwhile),
        }
    }
    (Ok(written), meanwhile)
}

/// Writes the summary workbook (annex-5 figures and weekly figures) into `out`.
pub(crate) fn write_workbook(summary: &Summary, out: &Path) -> Result<Written, Fault> {
    let path = out.join(SUMMARY_WORKBOOK);
    let bytes = summary_workbook(summary).map_err(|e| workbook_fault(&path, e))?;
    write_atomic(&path, &bytes).map_err(|e| io_fault(&path, &e))?;
    Ok(Written {
        path: PathBuf::from(SUMMARY_WORKBOOK),
        pages: 0,
        bytes: bytes.len(),
    })
}

/// The workbook that goes up the chain: counts only, readable by `summary`.
fn summary_workbook(summary: &Summary) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = new_workbook()?;
    let (header, _) = header_and_text_formats();
    let sheet = workbook.add_worksheet();
    sheet.set_name("附件5明细")?;
    // The headers are those `summary` reads back.
    for (c, h) in SUMMARY_ROWS.columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h.name, &header)?;
        sheet.set_column_width(c as u16, if c == S_DEPARTMENT { 24 } else { 12 })?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let col = |c: usize| c as u16;
    for (i, d) in summary.detail.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string(r, col(S_DISTRICT), &d.location.district)?;
        sheet.write_string(r, col(S_TOWN), &d.location.town)?;
        sheet.write_string(r, col(S_VILLAGE), &d.location.village)?;
        sheet.write_string(r, col(S_KIND), d.kind.label())?;
        sheet.write_string(r, col(S_DEPARTMENT), &d.department)?;
        sheet.write_string(r, col(S_TYPE), d.problem_type.label())?;
        sheet.write_string(r, col(S_CATEGORY), d.category.label())?;
        sheet.write_number(r, col(S_SOLVED), d.tally.solved as f64)?;
        sheet.write_number(r, col(S_PENDING), d.tally.pending as f64)?;
    }

    let sheet = workbook.add_worksheet();
    sheet.set_name("每周走访情况")?;
    for (c, h) in WEEKLY_ROWS.columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h.name, &header)?;
        sheet.set_column_width(c as u16, if c == W_DEPARTMENT { 24 } else { 12 })?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (i, w) in summary.weekly.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string(r, col(W_DEPARTMENT), &w.department)?;
        for (columns, f) in [(W_PERIOD, &w.period), (W_CUMULATIVE, &w.cumulative)] {
            let values = [f.cadres, f.households, f.problems, f.solved];
            for (c, v) in columns.into_iter().zip(values) {
                sheet.write_number(r, col(c), v as f64)?;
            }
        }
    }

    if let Some(c) = &summary.completeness {
        let sheet = workbook.add_worksheet();
        sheet.set_name("交表情况")?;
        for (col, (title, width)) in [("单位", 30), ("本期是否已交", 14)].iter().enumerate()
        {
            sheet.write_string_with_format(0, col as u16, *title, &header)?;
            sheet.set_column_width(col as u16, *width)?;
        }
        let rows = c
            .reported
            .iter()
            .map(|d| (d, "已交"))
            .chain(c.missing.iter().map(|d| (d, "未交")));
        for (i, (department, state)) in rows.enumerate() {
            sheet.write_string(i as u32 + 1, 0, department.as_str())?;
            sheet.write_string(i as u32 + 1, 1, state)?;
        }
    }

    if let Some(paper) = &summary.paper {
        let sheet = workbook.add_worksheet();
        sheet.set_name("纸质表交回")?;
        let titles = [
            ("单位", 30),
            ("印发入户调查表（张）", 20),
            ("扫描交回（张）", 16),
            ("其中已填（张）", 16),
            ("还没交回（张）", 16),
        ];
        for (col, (title, width)) in titles.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, *title, &header)?;
            sheet.set_column_width(col as u16, *width)?;
        }
        for (i, p) in paper.iter().enumerate() {
            let r = i as u32 + 1;
            sheet.write_string(r, 0, p.department.as_str())?;
            let values = [
                p.printed,
                p.returned,
                p.filled,
                p.printed.saturating_sub(p.returned),
            ];
            for (c, v) in values.into_iter().enumerate() {
                sheet.write_number(r, c as u16 + 1, v as f64)?;
            }
        }
    }

    let sheet = workbook.add_worksheet();
    sheet.set_name("说明")?;
    sheet.set_column_width(0, 110)?;
    let period = match summary.period {
        Some((from, to)) => format!(
            "每周走访情况的统计期：{}至{}；“累计”算到统计期的最后一天；解决问题数按办结日期，没填办结日期的按收到表格的日期。",
            show_date(from),
            show_date(to)
        ),
        None => "没有指定统计期：每周走访情况即全部走访。".to_string(),
    };
    let lines = [
        "群众入户调查问题建议汇总（附件5）与每周走访情况（通知第七条第1点）".to_string(),
        "「附件5明细」每行是一个村（社区）、一个单位、一类问题的已解决和待解决个数，只有数量，没有户主姓名和电话。".to_string(),
        "市委农工办、市民政局可以把各单位报来的本表与其他汇总表、录入表一起用 zoufang summary 再次汇总。".to_string(),
        period,
    ];
    for (i, line) in lines.iter().enumerate() {
        sheet.write_string(i as u32, 0, line)?;
    }
    workbook_bytes(&mut workbook)
}

/// The problems of one route's villages, with texts and handling notes; no
/// household names, and phone numbers in the texts masked.
/// Characters an Excel cell holds.
const EXCEL_CELL_CHARS: usize = 32_767;

/// Text cut to what an Excel cell holds, saying so at the end.
fn fit_cell(text: String) -> String {
    let chars = text.chars().count();
    if chars <= EXCEL_CELL_CHARS {
        return text;
    }
    let note = format!("……（原文共{chars}字，这里只列出前面部分，全文见原录入表）");
    let keep = EXCEL_CELL_CHARS - note.chars().count();
    text.chars().take(keep).collect::<String>() + &note
}

fn problem_list(
    summary: &Summary,
    returns: &Returns,
    kind: VillageKind,
) -> Result<Option<Vec<u8>>, XlsxError> {
    let keys: std::collections::HashSet<_> = summary
        .detail
        .iter()
        .filter(|d| d.kind == kind)
        .map(|d| d.location.key())
        .collect();
    // A village's problems are many rows with the same place: its key is
    // worked out once.
    let mut routed: std::collections::HashMap<&Location, bool> = Default::default();
    let rows: Vec<_> = returns
        .problems
        .iter()
        .filter(|p| {
            p.village_kind.is_none()
                && *routed
                    .entry(&p.location)
                    .or_insert_with(|| keys.contains(&p.location.key()))
        })
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    let mut workbook = new_workbook()?;
    let (header, text) = header_and_text_formats();
    let sheet = workbook.add_worksheet();
    sheet.set_name("问题清单")?;
    let headers = [
        "市（区）",
        "镇（街道）",
        "村（社区）",
        "单位",
        "类型",
        "类别",
        "反映问题或意见建议",
        "办理意见",
        "状态",
        "走访日期",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &header)?;
        sheet.set_column_width(c as u16, if c == 6 || c == 7 { 40 } else { 12 })?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (i, p) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, &p.location.district)?;
        sheet.write_string(r, 1, &p.location.town)?;
        sheet.write_string(r, 2, &p.location.village)?;
        sheet.write_string(r, 3, &p.department)?;
        sheet.write_string(r, 4, p.problem_type.label())?;
        sheet.write_string(r, 5, p.category.label())?;
        sheet.write_string(r, 6, fit_cell(mask_phones(&p.text)))?;
        sheet.write_string(r, 7, fit_cell(mask_phones(&p.handling)))?;
        sheet.write_string(r, 8, if p.solved { "已解决" } else { "待解决" })?;
        sheet.write_string_with_format(r, 9, p.date.map(show_date).unwrap_or_default(), &text)?;
    }
    workbook_bytes(&mut workbook).map(Some)
}
