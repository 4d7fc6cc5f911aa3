//! A scan from start to end, as both faces run it (`zoufang scan` and the
//! page's 扫描件 step): the stack read, counted against the campaign and
//! the roster, filed for the archive, noted in the ledger, and the
//! department's entry workbooks and 交回情况.xlsx written in the output
//! folder.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use jiff::civil::Date;

use super::Scan;
use super::archive::{self, Spool};
use super::report::{self, RETURNS_BOOK};
use crate::check::model::{Roster, cadre_of_serial};
use crate::print::entry::entry_workbook;
use crate::shared::atomic::write_atomic;
use crate::shared::fault::{Fault, io_words};
use crate::shared::file_name::safe_file_name;
use crate::shared::xlsx::write_xlsx;
use crate::summary::ledger::{Ledger, PaperForm, PaperRecorded};

/// The folder of the entry workbooks a scan writes, in the output folder.
pub const ENTRY_DIR: &str = "录入表";

/// The folder of the unreadable pages' images, one JPEG each (for the page).
pub const UNREADABLE_IMAGES: &str = "认不出的页";

/// What a scan is asked to do.
pub struct Job<'a> {
    pub files: &'a [PathBuf],
    /// The name a file is reported under.
    pub name: &'a dyn Fn(&Path) -> String,
    pub out: &'a Path,
    /// The campaign's tag, as the page codes carry it.
    pub tag: &'a str,
    pub roster: Option<&'a Roster>,
    /// The ledger the returned forms are noted in, and the day they came.
    pub ledger: Option<(&'a Path, Date)>,
    pub json: Option<&'a Path>,
    /// Each unreadable page's image as a JPEG of its own, for the page.
    pub unreadable_images: bool,
    /// Counts the pages read, while they are read.
    pub pages_read: Option<&'a AtomicU64>,
}

/// What a scan did.
pub struct Done {
    pub scan: Scan,
    pub seconds: f64,
    /// The archive PDFs written, one per village.
    pub archive_pdfs: usize,
    /// Departments whose entry workbook was written.
    pub entry_books: usize,
    pub recorded: Option<PaperRecorded>,
    /// The unreadable pages' images, in the order of `Scan::unreadable`
    /// (none for a page whose image could not be kept, or when not asked).
    pub unreadable_images: Vec<Option<PathBuf>>,
}

/// Why a scan stopped: a file that could not be written (a sentence), or
/// the ledger's fault.
pub enum Failed {
    Write(String),
    Ledger(Fault),
}

impl Failed {
    /// The sentence for the clerk.
    pub fn words(&self) -> String {
        match self {
            Failed::Write(why) => why.clone(),
            Failed::Ledger(fault) => format!("{}（{}）", fault.message, fault.hint),
        }
    }
}

/// A write that failed, in words: what, where and why.
fn unwritten(what: &str, path: &Path, e: &std::io::Error) -> Failed {
    Failed::Write(format!(
        "{what}写不进去：{}（{}）",
        path.display(),
        io_words(e, true)
    ))
}

/// Runs the scan.
pub fn run(job: &Job) -> Result<Done, Failed> {
    let started = Instant::now();
    let spool = Spool::create(job.out).map_err(|e| unwritten("输出文件夹", job.out, &e))?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pages = super::read_pages(job.files, job.name, workers, Some(&spool), job.pages_read);
    let scan = super::tally(pages, job.tag, job.roster);
    let filed = archive::write(job.out, &scan, job.roster, &spool);
    let images = if job.unreadable_images {
        archive::unreadable_images(&job.out.join(UNREADABLE_IMAGES), &scan, &spool)
    } else {
        Ok(Vec::new())
    };
    spool.remove();
    let filed = filed.map_err(|e| unwritten("归档的 PDF ", job.out, &e))?;
    let unreadable_images =
        images.map_err(|e| unwritten("认不出的页的图", &job.out.join(UNREADABLE_IMAGES), &e))?;
    let recorded = match job.ledger {
        Some((path, received)) => Some(record(path, received, &scan).map_err(Failed::Ledger)?),
        None => None,
    };
    let entry_books = match job.roster {
        Some(roster) => entry_books(&job.out.join(ENTRY_DIR), roster, &scan)?,
        None => 0,
    };
    let book = job.out.join(RETURNS_BOOK);
    write_xlsx(&book, &report::sheets(&scan))
        .map_err(|e| Failed::Write(format!("{} 写不进去：{e}", book.display())))?;
    if let Some(path) = job.json {
        write_atomic(path, &report::json(&scan)).map_err(|e| unwritten("JSON 文件", path, &e))?;
    }
    let archive_dir = job.out.join(archive::ARCHIVE_DIR);
    Ok(Done {
        archive_pdfs: filed.iter().filter(|p| p.starts_with(&archive_dir)).count(),
        scan,
        seconds: started.elapsed().as_secs_f64(),
        entry_books,
        recorded,
        unreadable_images,
    })
}

/// Notes the household forms that came back in the ledger, each once.
fn record(path: &Path, received: Date, scan: &Scan) -> Result<PaperRecorded, Fault> {
    let forms: Vec<PaperForm> = scan
        .households
        .iter()
        .map(|(serial, r)| {
            let (file, page) = r.scans.first().cloned().unwrap_or_default();
            PaperForm {
                serial: serial.clone(),
                filled: r.filled,
                file,
                page,
            }
        })
        .collect();
    Ledger::open(path).and_then(|mut l| l.record_paper(&forms, received))
}

/// Each department's entry workbook with the returned forms first, in the
/// stack's order; how many were written.
fn entry_books(dir: &Path, roster: &Roster, scan: &Scan) -> Result<usize, Failed> {
    // The stack's serials per department, in one pass.
    let department: HashMap<&str, usize> = roster
        .cadres
        .iter()
        .map(|c| (c.id.as_str(), c.department))
        .collect();
    let mut returned: Vec<Vec<String>> = vec![Vec::new(); roster.departments.len()];
    for serial in scan.stack_order() {
        if let Some(&d) = department.get(cadre_of_serial(&serial))
            && let Some(own) = returned.get_mut(d)
        {
            own.push(serial);
        }
    }
    let mut written = 0;
    for (d, (dept, own)) in roster.departments.iter().zip(&returned).enumerate() {
        if own.is_empty() {
            continue;
        }
        let path = dir.join(format!(
            "{}.xlsx",
            safe_file_name(&format!("录入表_{}", dept.name))
        ));
        entry_workbook(roster, d, own)
            .map_err(|e| Failed::Write(format!("录入表写不进去：{}（{e}）", path.display())))
            .and_then(|bytes| {
                write_atomic(&path, &bytes).map_err(|e| unwritten("录入表", &path, &e))
            })?;
        written += 1;
    }
    Ok(written)
}
