//! The manifest at the output folder's root: every file a run wrote, with its pages, department, cadre and serials.

use std::path::{Path, PathBuf};

use super::plan::{Contents, Document};
use crate::check::model::Roster;
use crate::shared::atomic::{Written, write_atomic};

/// The manifest's file name at the output root.
pub const MANIFEST: &str = "清单.csv";

/// The manifest's columns.
const MANIFEST_HEADERS: [&str; 12] = [
    "文件",
    "种类",
    "页数",
    "单位",
    "干部",
    "干部编号",
    "市（区）",
    "镇（街道）",
    "村（社区）",
    "起始编号",
    "结束编号",
    "联系卡张数",
];

pub(super) fn manifest_row(roster: &Roster, doc: &Document, file: &Written) -> Vec<String> {
    let dept = &roster.departments[doc.department];
    let place = |v: usize| {
        let v = &roster.villages[v];
        (v.district.as_str(), v.town.as_str(), v.name.as_str())
    };
    let (kind, cadre, id, (district, town, village)) = match &doc.contents {
        &Contents::Kit { cadre: c, .. } => (
            "干部走访材料（联系卡、附件3、附件4）",
            roster.cadres[c].name.as_str(),
            roster.cadres[c].id.as_str(),
            place(roster.cadres[c].village),
        ),
        Contents::CardFile(_) => ("单位联系卡（附件2，供印刷厂）", "", "", ("", "", "")),
        &Contents::Village(v) => ("村（社区）调查表（附件1）", "", "", place(v)),
    };
    let (first, last) = doc.serials().cloned().unwrap_or_default();
    vec![
        file.path.to_string_lossy().replace('\\', "/"),
        kind.to_string(),
        file.pages.to_string(),
        dept.name.clone(),
        cadre.to_string(),
        id.to_string(),
        district.to_string(),
        town.to_string(),
        village.to_string(),
        first,
        last,
        doc.cards.to_string(),
    ]
}

pub(super) fn write_manifest(rows: &[Vec<String>], out: &Path) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(MANIFEST_HEADERS)?;
    for row in rows {
        w.write_record(row)?;
    }
    // A byte-order mark, so that Excel opens the Chinese text correctly.
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(
        w.into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))?,
    );
    write_atomic(&out.join(MANIFEST), &bytes)
}

/// The files a previous run listed in the folder's manifest, with their
/// pages, in the manifest's order (department by department).
pub fn read_manifest(out: &Path) -> Vec<(PathBuf, u32)> {
    let Ok(text) = std::fs::read_to_string(out.join(MANIFEST)) else {
        return Vec::new();
    };
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    reader
        .records()
        .flatten()
        .filter_map(|r| {
            let pages = r.get(2).and_then(|p| p.parse().ok()).unwrap_or(0);
            r.get(0).map(|path| (PathBuf::from(path), pages))
        })
        .collect()
}

/// The files a previous run listed in the folder's manifest.
pub(super) fn listed_in_manifest(out: &Path) -> Vec<PathBuf> {
    read_manifest(out)
        .into_iter()
        .map(|(path, _)| path)
        .collect()
}

/// Removes what a previous run wrote and this one did not (a cadre taken off
/// the roster must not leave a kit to be printed); nothing else is touched:
/// only PDFs inside the folder that the old manifest listed, then their
/// folders if that left them empty.
pub(super) fn remove_unlisted(out: &Path, before: &[PathBuf], written: &[Written]) {
    let now: std::collections::HashSet<&Path> = written.iter().map(|w| w.path.as_path()).collect();
    for rel in before {
        let inside = rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        let pdf = rel.extension().is_some_and(|e| e == "pdf");
        if !inside || !pdf || now.contains(rel.as_path()) {
            continue;
        }
        if std::fs::remove_file(out.join(rel)).is_ok()
            && let Some(parent) = rel.parent().filter(|p| !p.as_os_str().is_empty())
        {
            // Fails, as it should, when the folder still holds anything.
            let _ = std::fs::remove_dir(out.join(parent));
        }
    }
}
