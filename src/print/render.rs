//! Stage 4: plan → PDFs on disk. Documents are typeset in parallel by one
//! shared engine, each PDF written under a temporary name and renamed, and a
//! manifest of every file written is put at the output folder's root.

use std::path::{Path, PathBuf};

use super::manifest::{
    MANIFEST, listed_in_manifest, manifest_row, remove_unlisted, write_manifest,
};
use super::plan::{Contents, Document, Plan};
use crate::check::model::Roster;
use crate::settings::Settings;
use crate::shared::atomic::{Written, sweep_stale_temps, write_atomic};
use crate::shared::fault::{Fault, Place, write_fault};
use crate::shared::file_name::safe_file_name;
use crate::shared::progress::Progress;
use crate::shared::queue::in_parallel_while;
use crate::shared::text::quote_chars;
use crate::typeset::{Engine, RenderError, Template, evict_caches, typeset_pdf};

/// What a run wrote, or why documents failed.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) written: Vec<Written>,
    pub(crate) failures: Vec<Fault>,
}

/// Where and what `render_all` writes besides the PDFs.
pub(crate) struct Output<'a> {
    /// The output folder.
    pub(crate) dir: &'a Path,
    /// Each department also gets the workbook its returns are entered in.
    pub(crate) entry_workbooks: bool,
    /// The JSON each template receives is written here too.
    pub(crate) emit_data: Option<&'a Path>,
    pub(crate) progress: &'a Progress,
}

/// Renders every document of the plan into `output.dir`, then writes the manifest.
pub(crate) fn render_all(
    engine: &Engine,
    settings: &Settings,
    roster: &Roster,
    plan: &Plan,
    output: &Output,
) -> Report {
    let Output {
        dir: out,
        entry_workbooks,
        emit_data,
        progress,
    } = *output;
    sweep_stale_temps(out, 2);
    let before = listed_in_manifest(out);
    // Rendered in the plan's order, except the one-page annex-1 documents,
    // which come last: they fill the other core while the last department's
    // card file (a third of a second at 200 cadres) is still being made.
    let mut order: Vec<usize> = (0..plan.documents.len()).collect();
    order.sort_by_key(|&i| plan.documents[i].template() == Template::Village);
    let jobs: Vec<&Document> = order.iter().map(|&i| &plan.documents[i]).collect();
    let render_one = |&doc: &&Document| -> Result<Written, Fault> {
        // Made here, and freed when the document is done (see `Plan::payload`).
        let job = plan.payload(doc, roster, settings);
        if let Some(dir) = emit_data {
            job.emit(dir, &doc.path)?;
        }
        let result = typeset_pdf(engine, &job, &doc.path, settings.pdf_a);
        drop(job);
        evict_caches();
        let (typeset, bytes) = result.map_err(|e| failure(roster, doc, e))?;
        let path = out.join(&doc.path);
        write_atomic(&path, &bytes).map_err(|e| {
            write_fault(&path, "文件", &e, "请检查输出文件夹是否可写、磁盘是否已满")
        })?;
        let pages = typeset.document.pages().len();
        progress.inc(pages as u64);
        Ok(Written {
            path: doc.path.clone(),
            pages,
            bytes: bytes.len(),
        })
    };
    // Each department's entry workbook: (department, file), written by one
    // worker before it starts on the PDFs (the workbooks took a city's run
    // several seconds at its end, on one core).
    let books: Vec<(usize, PathBuf)> = if entry_workbooks {
        roster
            .departments
            .iter()
            .enumerate()
            .filter_map(|(d, dept)| {
                let doc = plan
                    .documents
                    .iter()
                    .find(|doc| doc.department == d && doc.template() == Template::Kit)?;
                let folder = doc.path.parent().map(Path::to_path_buf).unwrap_or_default();
                let name = safe_file_name(&format!("录入表_{}", dept.name));
                Some((d, folder.join(format!("{name}.xlsx"))))
            })
            .collect()
    } else {
        Vec::new()
    };
    let write_books = || -> Vec<Result<usize, Fault>> {
        books
            .iter()
            .map(|(d, rel)| {
                let path = out.join(rel);
                let hint = "请检查输出文件夹是否可写";
                let bytes = crate::print::entry::entry_workbook(roster, *d, &[]).map_err(|e| {
                    Fault::error(
                        Place::file(path.display().to_string()),
                        format!("录入表写不进去（{e}）"),
                        hint,
                    )
                })?;
                write_atomic(&path, &bytes).map_err(|e| write_fault(&path, "录入表", &e, hint))?;
                Ok(bytes.len())
            })
            .collect()
    };
    let (rendered, books_written) = in_parallel_while(&jobs, render_one, write_books);
    // Back in the plan's order.
    let mut results: Vec<Option<Result<Written, Fault>>> = order.iter().map(|_| None).collect();
    for (&i, r) in order.iter().zip(rendered) {
        results[i] = Some(r);
    }
    let results = results.into_iter().flatten();
    let mut report = Report::default();
    for r in results {
        match r {
            Ok(w) => report.written.push(w),
            Err(p) if report.failures.contains(&p) => {}
            Err(p) => report.failures.push(p),
        }
    }
    if !report.failures.is_empty() {
        return report;
    }
    let mut rows: Vec<Vec<String>> = plan
        .documents
        .iter()
        .zip(&report.written)
        .map(|(d, w)| manifest_row(roster, d, w))
        .collect();
    for ((d, rel), result) in books.into_iter().zip(books_written) {
        match result {
            Ok(bytes) => {
                let (first, last) = plan
                    .documents
                    .iter()
                    .filter(|doc| doc.department == d)
                    .filter_map(|doc| doc.serials().cloned())
                    .fold((String::new(), String::new()), |(f, _), (a, b)| {
                        (if f.is_empty() { a } else { f }, b)
                    });
                rows.push(vec![
                    rel.to_string_lossy().replace('\\', "/"),
                    "录入表（走访后填写，交单位汇总）".into(),
                    String::new(),
                    roster.departments[d].name.clone(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    first,
                    last,
                    String::new(),
                ]);
                report.written.push(Written {
                    path: rel,
                    pages: 0,
                    bytes,
                });
            }
            Err(fault) => report.failures.push(fault),
        }
    }
    if let Err(e) = write_manifest(&rows, out) {
        report.failures.push(write_fault(
            &out.join(MANIFEST),
            "清单文件",
            &e,
            "请检查输出文件夹是否可写",
        ));
    } else {
        remove_unlisted(out, &before, &report.written);
    }
    report
}

/// Turns a typesetting failure into a message about the person or village.
fn failure(roster: &Roster, doc: &Document, error: RenderError) -> Fault {
    let cadre = |c: usize| {
        (
            roster.cadres[c].place.clone(),
            format!("干部「{}」", roster.cadres[c].name),
        )
    };
    let (place, who) = match &doc.contents {
        &Contents::Kit { cadre: c, .. } => cadre(c),
        Contents::CardFile(cadres) => cadre(cadres[0]),
        &Contents::Village(v) => {
            let v = &roster.villages[v];
            (v.place.clone(), format!("村（社区）「{}」", v.name))
        }
    };
    match error {
        RenderError::MissingGlyphs(chars) => Fault::error(
            place,
            format!("{who}的资料里有字体中没有的字：{}", quote_chars(&chars)),
            "请核对这些字是否写对；如确实是这些字，请用 --font-path 指定含有这些字的字体",
        ),
        // The same template error hits every document of its kind: it names
        // the template, not the person, so that it is reported once.
        RenderError::Template(lines) => Fault::error(
            Place::file(format!("模板 {}", doc.template().main_file())),
            format!("模板出错，材料排不出来：{}", lines.join("；")),
            "请改正模板文件中指出的位置",
        ),
    }
}
