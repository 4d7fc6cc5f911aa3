//! `zoufang scan`: a scanner's stack read back. Every page is decoded,
//! identified by its printed code and, for a household form, found filled
//! or blank; then counted per cadre against what was printed.
//!
//! Pages are read by one worker per core while one thread reads the files
//! in order and hands pages over still compressed, a few at a time: memory
//! holds the pages in flight, not the stack.

pub(crate) mod archive;
pub(crate) mod filters;
pub(crate) mod identify;
pub(crate) mod jbig2;
pub mod job;
pub(crate) mod pdf;
pub(crate) mod raster;
pub(crate) mod report;
pub(crate) mod source;
pub(crate) mod strips;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};

use crate::check::model::{Roster, cadre_of_serial};
use crate::print::page_code::PageCode;

pub use identify::Outcome;

/// One page read: which file (as the user named it), which page of it
/// (none when the file could not be opened at all) and what it is.
#[derive(Debug, Clone)]
pub struct PageRead {
    pub file: String,
    pub page: Option<u32>,
    pub outcome: Outcome,
    /// Whose form it is, from the roster (when one was given).
    pub who: Option<Who>,
    /// Where its image was kept for the archive (not for blank pages).
    pub stored: Option<archive::Stored>,
}

/// Whose form a page is, as the roster names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Who {
    pub department: String,
    /// The cadre's name (none for a village's form).
    pub cadre: String,
    /// 区 镇 村, as the forms print them.
    pub village: String,
}

/// Reads every page of `files` on `workers` threads; results in the files'
/// and pages' order. `name` gives the name a file is reported under.
pub(crate) fn read_pages(
    files: &[PathBuf],
    name: &dyn Fn(&Path) -> String,
    workers: usize,
    spool: Option<&archive::Spool>,
    pages_read: Option<&std::sync::atomic::AtomicU64>,
) -> Vec<PageRead> {
    let workers = workers.max(1);
    let (pages_tx, pages_rx) = mpsc::sync_channel::<(usize, usize, source::RawPage)>(workers * 2);
    let pages_rx = Mutex::new(pages_rx);
    let (done_tx, done_rx) = mpsc::channel::<(usize, PageRead)>();
    let names: Vec<String> = files.iter().map(|f| name(f)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let pages_rx = &pages_rx;
            let names = &names;
            scope.spawn(move || {
                loop {
                    // The lock is held only while taking the next page.
                    let next = pages_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok((seq, file, raw))) = next else {
                        break;
                    };
                    let (outcome, stored) = match raw.encoded.decode() {
                        Ok(gray) => {
                            let working = identify::Working::new(&gray);
                            drop(gray);
                            let outcome = identify::identify(&working);
                            let stored = match (&outcome, spool) {
                                (Outcome::Blank, _) | (_, None) => None,
                                (&Outcome::Identified { upside_down, .. }, Some(spool)) => {
                                    spool.put(&working.gray, upside_down)
                                }
                                (_, Some(spool)) => spool.put(&working.gray, false),
                            };
                            (outcome, stored)
                        }
                        Err(why) => (Outcome::Unreadable(why), None),
                    };
                    let read = PageRead {
                        file: names[file].clone(),
                        page: Some(raw.page),
                        outcome,
                        who: None,
                        stored,
                    };
                    if let Some(n) = pages_read {
                        n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    if done_tx.send((seq, read)).is_err() {
                        break;
                    }
                }
            });
        }
        let mut seq = 0;
        for (f, path) in files.iter().enumerate() {
            let result = source::pages(path, &mut |raw| {
                // A worker gone (it cannot be, short of a panic) ends the reading.
                let _ = pages_tx.send((seq, f, raw));
                seq += 1;
            });
            if let Err(why) = result {
                let _ = done_tx.send((
                    seq,
                    PageRead {
                        file: names[f].clone(),
                        page: None,
                        outcome: Outcome::Unreadable(why),
                        who: None,
                        stored: None,
                    },
                ));
                seq += 1;
            }
        }
        drop(pages_tx);
    });
    drop(done_tx);
    let mut reads: Vec<(usize, PageRead)> = done_rx.into_iter().collect();
    reads.sort_by_key(|(seq, _)| *seq);
    reads.into_iter().map(|(_, r)| r).collect()
}

/// Where a page was found: file and page.
pub type Where = (String, u32);

/// A household form as it came back.
#[derive(Debug, Clone, Default)]
pub struct Returned {
    /// Written on, in any of its scans.
    pub filled: bool,
    /// Every scan of it, in the order read.
    pub scans: Vec<Where>,
}

/// The roster's part in a scan: whose forms, and how many were printed.
#[derive(Debug, Clone)]
pub struct CadreReturns {
    pub department: String,
    /// The cadre's name (empty without a roster).
    pub name: String,
    pub id: String,
    /// Household forms printed (none without a roster).
    pub printed: Option<u32>,
    pub filled: u32,
    pub blank: u32,
    /// Serials printed and not scanned back.
    pub missing: Vec<String>,
    /// Sheets of the problem list scanned back.
    pub problem_sheets: u32,
}

/// What a stack said, after checking every page against the campaign and
/// the roster.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub pages: Vec<PageRead>,
    /// Household forms scanned back, by serial.
    pub households: BTreeMap<String, Returned>,
    pub villages: BTreeMap<(String, String, String), Vec<Where>>,
    /// Problem-list sheets scanned back, by cadre id and sheet.
    pub problem_sheets: BTreeMap<(String, u32), Vec<Where>>,
    pub cadres: Vec<CadreReturns>,
}

impl Scan {
    /// Serials scanned more than once, with every place they were found.
    pub fn repeated(&self) -> impl Iterator<Item = (&String, &Returned)> {
        self.households.iter().filter(|(_, r)| r.scans.len() > 1)
    }

    pub fn unreadable(&self) -> impl Iterator<Item = (&PageRead, &str)> {
        self.pages.iter().filter_map(|p| match &p.outcome {
            Outcome::Unreadable(why) => Some((p, why.as_str())),
            _ => None,
        })
    }
}

impl Scan {
    /// The serials of the household forms in the order they lie in the
    /// stack (files and pages as read), each once.
    pub fn stack_order(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.pages
            .iter()
            .filter_map(|p| match &p.outcome {
                Outcome::Identified {
                    code: PageCode::Household { serial },
                    ..
                } => Some(serial.clone()),
                _ => None,
            })
            .filter(|s| seen.insert(s.clone()))
            .collect()
    }
}

/// Checks the pages read against the campaign (`tag`) and, when given, the
/// roster; a page of another campaign or a serial the roster never printed
/// becomes unreadable, with the reason. Then counts per cadre.
pub fn tally(mut pages: Vec<PageRead>, tag: &str, roster: Option<&Roster>) -> Scan {
    let printed: Option<BTreeMap<String, usize>> = roster.map(|r| {
        r.cadres
            .iter()
            .enumerate()
            .flat_map(|(c, cadre)| cadre.serials().into_iter().map(move |s| (s, c)))
            .collect()
    });
    let cadre_ids: Option<BTreeMap<&str, usize>> = roster.map(|r| {
        r.cadres
            .iter()
            .enumerate()
            .map(|(c, x)| (x.id.as_str(), c))
            .collect()
    });
    let mut scan = Scan::default();
    for page in &mut pages {
        let Outcome::Identified {
            tag: t,
            code,
            filled,
            ..
        } = &page.outcome
        else {
            continue;
        };
        let why = if t != tag {
            Some("这是另一次活动印的表（活动名称或年度与这次不同），没有计入".to_string())
        } else {
            match (code, roster) {
                (PageCode::Household { serial }, Some(_))
                    if !printed.as_ref().is_some_and(|p| p.contains_key(serial)) =>
                {
                    Some(format!(
                        "名单上没有编号 {serial} 的入户调查表（可能是按别的名单印的），没有计入"
                    ))
                }
                (PageCode::Problems { cadre, .. }, Some(_))
                    if !cadre_ids
                        .as_ref()
                        .is_some_and(|ids| ids.contains_key(cadre.as_str())) =>
                {
                    Some(format!("名单上没有编号 {cadre} 的干部，没有计入"))
                }
                (
                    PageCode::Village {
                        district,
                        town,
                        name,
                    },
                    Some(r),
                ) if !r
                    .villages
                    .iter()
                    .any(|v| &v.district == district && &v.town == town && &v.name == name) =>
                {
                    Some(format!("名单上没有 {district}{town}{name}，没有计入"))
                }
                _ => None,
            }
        };
        if let Some(why) = why {
            page.outcome = Outcome::Unreadable(why);
            continue;
        }
        if let Some(r) = roster {
            page.who = who(r, code, printed.as_ref(), cadre_ids.as_ref());
        }
        let at = (page.file.clone(), page.page.unwrap_or(0));
        match code {
            PageCode::Household { serial } => {
                let r = scan.households.entry(serial.clone()).or_default();
                r.filled |= filled.unwrap_or(false);
                r.scans.push(at);
            }
            PageCode::Village {
                district,
                town,
                name,
            } => scan
                .villages
                .entry((district.clone(), town.clone(), name.clone()))
                .or_default()
                .push(at),
            PageCode::Problems { cadre, sheet } => scan
                .problem_sheets
                .entry((cadre.clone(), *sheet))
                .or_default()
                .push(at),
        }
    }
    scan.pages = pages;
    scan.cadres = match roster {
        Some(r) => r
            .cadres
            .iter()
            .map(|cadre| {
                let mut row = CadreReturns {
                    department: r.departments[cadre.department].name.clone(),
                    name: cadre.name.clone(),
                    id: cadre.id.clone(),
                    printed: Some(cadre.quota),
                    filled: 0,
                    blank: 0,
                    missing: Vec::new(),
                    problem_sheets: 0,
                };
                for serial in cadre.serials() {
                    match scan.households.get(&serial) {
                        Some(x) if x.filled => row.filled += 1,
                        Some(_) => row.blank += 1,
                        None => row.missing.push(serial),
                    }
                }
                row.problem_sheets = sheets_of(&scan, &cadre.id);
                row
            })
            .collect(),
        None => {
            let mut by_cadre: BTreeMap<&str, CadreReturns> = BTreeMap::new();
            let ids = scan
                .households
                .keys()
                .map(|s| cadre_of_serial(s))
                .chain(scan.problem_sheets.keys().map(|(c, _)| c.as_str()));
            for id in ids {
                by_cadre.entry(id).or_insert_with(|| CadreReturns {
                    department: String::new(),
                    name: String::new(),
                    id: id.to_string(),
                    printed: None,
                    filled: 0,
                    blank: 0,
                    missing: Vec::new(),
                    problem_sheets: sheets_of(&scan, id),
                });
            }
            for (serial, r) in &scan.households {
                if let Some(row) = by_cadre.get_mut(cadre_of_serial(serial)) {
                    if r.filled {
                        row.filled += 1;
                    } else {
                        row.blank += 1;
                    }
                }
            }
            by_cadre.into_values().collect()
        }
    };
    scan
}

/// Whose form `code` is in the roster.
fn who(
    r: &Roster,
    code: &PageCode,
    printed: Option<&BTreeMap<String, usize>>,
    cadre_ids: Option<&BTreeMap<&str, usize>>,
) -> Option<Who> {
    let place = |v: usize| {
        let v = &r.villages[v];
        format!("{}{}{}", v.district, v.town, v.name)
    };
    let of_cadre = |c: usize| {
        let cadre = &r.cadres[c];
        Who {
            department: r.departments[cadre.department].name.clone(),
            cadre: cadre.name.clone(),
            village: place(cadre.village),
        }
    };
    match code {
        PageCode::Household { serial } => printed?.get(serial).map(|&c| of_cadre(c)),
        PageCode::Problems { cadre, .. } => cadre_ids?.get(cadre.as_str()).map(|&c| of_cadre(c)),
        PageCode::Village {
            district,
            town,
            name,
        } => {
            let v = r
                .villages
                .iter()
                .position(|v| &v.district == district && &v.town == town && &v.name == name)?;
            Some(Who {
                department: r.departments[r.villages[v].department].name.clone(),
                cadre: String::new(),
                village: place(v),
            })
        }
    }
}

fn sheets_of(scan: &Scan, cadre: &str) -> u32 {
    scan.problem_sheets
        .range((cadre.to_string(), 0)..=(cadre.to_string(), u32::MAX))
        .count() as u32
}
