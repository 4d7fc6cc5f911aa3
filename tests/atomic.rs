//! Outputs are all-or-nothing: a run killed part way leaves no partial file,
//! re-running replaces what it wrote and leaves other files alone.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Every file below `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Files of someone else's in the output folder.
const FOREIGN: &[&str] = &["印刷厂备注.txt", "自己的.pdf"];

/// Whether a file under its final name is whole: a PDF that reads to its
/// end, a workbook that opens, a manifest that parses.
fn assert_whole(dir: &Path, rel: &Path) {
    let path = dir.join(rel);
    let name = rel.to_string_lossy();
    assert!(!name.ends_with(".tmp"), "temporary file left: {name}");
    if FOREIGN.contains(&name.as_ref()) {
        return;
    }
    match rel.extension().and_then(|e| e.to_str()) {
        Some("pdf") => {
            let bytes = std::fs::read(&path).unwrap();
            assert!(bytes.starts_with(b"%PDF-"), "{name}");
            assert!(
                bytes.trim_ascii_end().ends_with(b"%%EOF"),
                "{name} is cut short"
            );
            assert!(!pdf_pages(&path).is_empty(), "{name}");
        }
        Some("xlsx") => {
            let book: Result<calamine::Xlsx<_>, _> = calamine::open_workbook(&path);
            assert!(book.is_ok(), "{name} does not open");
        }
        Some("csv") => assert!(!read_csv(&path).is_empty(), "{name}"),
        _ => {}
    }
}

#[test]
fn a_killed_run_leaves_no_partial_file_and_a_rerun_replaces_only_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let roster = dir.path().join("city.xlsx");
    let run = zoufang(&["sample", "--cadres", "80", "-o", roster.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // Someone else's files in the same folder, and a crashed run's leftover.
    std::fs::write(out.join("印刷厂备注.txt"), "别删").unwrap();
    std::fs::write(out.join("自己的.pdf"), "not ours").unwrap();
    let dead = out.join(".走访材料.pdf.4194000.tmp");
    std::fs::write(&dead, "half").unwrap();

    // Kill the run once it has written a few PDFs.
    let mut child = Command::new(env!("CARGO_BIN_EXE_zoufang"))
        .args([
            "kits",
            roster.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "-q",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let pdfs = files(&out)
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
            .count();
        if pdfs >= 4 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no PDF written"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let left = files(&out);
    assert!(left.len() > 3, "{left:?}");
    for rel in &left {
        assert_whole(&out, rel);
    }
    assert!(
        !left.iter().any(|p| p.ends_with(render_manifest())),
        "no manifest for an unfinished run"
    );

    // A full run into the same folder.
    print_quietly("kits", &roster, &out);
    let full = files(&out);
    for rel in &full {
        assert_whole(&out, rel);
    }
    assert!(!dead.exists(), "a dead run's temporary file is swept");
    assert_eq!(
        std::fs::read_to_string(out.join("印刷厂备注.txt")).unwrap(),
        "别删"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("自己的.pdf")).unwrap(),
        "not ours"
    );
    let listed: Vec<String> = read_csv(&out.join(render_manifest()))[1..]
        .iter()
        .map(|r| r[0].clone())
        .collect();
    let first_kit = listed
        .iter()
        .find(|p| p.contains("走访材料_"))
        .unwrap()
        .clone();

    // The first cadre leaves the roster: their kit goes, nothing else does.
    let smaller = dir.path().join("smaller.xlsx");
    drop_first_cadre(&roster, &smaller);
    print_quietly("kits", &smaller, &out);
    assert!(!out.join(&first_kit).exists(), "{first_kit} is still there");
    let after = files(&out);
    assert_eq!(after.len(), full.len() - 1, "{after:?}");
    assert!(out.join("印刷厂备注.txt").exists() && out.join("自己的.pdf").exists());
}

fn render_manifest() -> &'static str {
    zoufang::print::manifest::MANIFEST
}

/// A copy of a roster without the first row of its cadre table.
fn drop_first_cadre(src: &Path, dst: &Path) {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut book: Xlsx<_> = open_workbook(src).unwrap();
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        let mut rows: Vec<Vec<Value>> = range
            .rows()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::Float(x) => n(*x),
                        Data::Int(x) => n(*x as f64),
                        Data::Empty => Value::Blank,
                        other => t(&other.to_string()),
                    })
                    .collect()
            })
            .collect();
        let header: Vec<String> = rows.remove(0).iter().map(text_of).collect();
        if name == "干部" {
            rows.remove(0);
        }
        let headers: Vec<&str> = header.iter().map(String::as_str).collect();
        sheets.push(sheet(&name, &headers, rows));
    }
    write_xlsx(dst, &sheets).unwrap();
}

fn text_of(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::Number(x) => x.to_string(),
        Value::Blank => String::new(),
    }
}
