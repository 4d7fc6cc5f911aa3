//! Fuzzing the roster and returns readers with property tests: real files
//! with bytes flipped, XML inside workbooks broken, random CSV text, random
//! cell values. Whatever comes in, reading must not panic and every row read
//! must be used or reported.
//!
//! CI runs a short, fixed number of cases (below). A longer run:
//! `PROPTEST_CASES=20000 cargo test --release --test fuzz`. A failing case is
//! saved by proptest in `tests/fuzz.proptest-regressions`; commit that file
//! so the case is replayed on every run.

mod common;

use std::io::{Read, Write};
use std::path::Path;

use proptest::prelude::*;
use zoufang::check::roster;
use zoufang::input::read_input;
use zoufang::settings::Settings;
use zoufang::summary::count::summarise;
use zoufang::summary::returns::{Returns, read_returns};

use common::*;

/// Cases per property in a plain `cargo test`: about a minute in all on CI.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "tests/fuzz.proptest-regressions",
            ),
        )),
        ..ProptestConfig::default()
    }
}

fn seed(path: &str) -> (String, Vec<u8>) {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let ext = full.extension().unwrap().to_string_lossy().into_owned();
    (ext, std::fs::read(&full).unwrap())
}

fn seeds() -> Vec<(String, Vec<u8>)> {
    [
        "samples/roster.xlsx",
        "samples/returns/录入表_市财政局.xlsx",
        "tests/fixtures/messy-roster.xlsx",
        "tests/fixtures/messy-roster.xls",
        "tests/fixtures/messy-roster.ods",
        "tests/fixtures/messy-roster-wps.et",
    ]
    .iter()
    .map(|p| seed(p))
    .collect()
}

/// Reads a file as a roster and as returns, and checks that nothing was lost.
fn read_everything(dir: &Path, ext: &str, bytes: &[u8]) {
    let path = dir.join(format!("input.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let input = read_input(&path);
    let settings = Settings::default();
    let checked = roster::build(&input.sheets, &settings, "input");
    // A row used became exactly one department, village or cadre.
    let rows = checked.rows;
    let roster_entries = checked.roster.departments.len()
        + checked.roster.villages.len()
        + checked.roster.cadres.len();
    assert_eq!(rows.used, roster_entries as u64, "{rows:?}");
    assert!(
        !checked
            .problems
            .iter()
            .any(|p| p.message.contains("程序也没有说明原因")),
        "{:?}",
        checked.problems
    );
    if !checked.has_faults() {
        let _ = zoufang::print::plan::plan(&checked.roster, &settings);
    }
    let mut returns = Returns::default();
    read_returns(&input.sheets, "input", &mut returns);
    let mut rejected = 0;
    for a in [
        &returns.households,
        &returns.problem_rows,
        &returns.summary_rows,
    ] {
        assert_eq!(a.read, a.counted + a.rejected + a.blank, "{a:?}");
        rejected += a.rejected;
    }
    // Every row counted is a record, every row rejected a message.
    assert_eq!(rejected, returns.rejected.len() as u64);
    assert_eq!(returns.households.counted, returns.visits.len() as u64);
    let raw_problems = returns
        .problems
        .iter()
        .filter(|p| p.kind_of_village.is_none());
    assert_eq!(returns.problem_rows.counted, raw_problems.count() as u64);
    let _ = summarise(&returns, Some(&checked.roster), None);
    for p in input.problems.iter().chain(&checked.problems) {
        // Every message names the file it is about and says in Chinese what to do.
        let text = p.to_string();
        let file = path.display().to_string();
        assert!(p.place.file == file || p.place.file == "input", "{text}");
        assert!(
            p.hint
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{text}"
        );
    }
}

/// One edit of a byte string, at a position given as a fraction of its length.
#[derive(Debug, Clone)]
enum Edit {
    Flip(f64, u8),
    Cut(f64),
    Delete(f64, usize),
    Repeat(f64, usize),
    Insert(f64, Vec<u8>),
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
    let at = |f: f64, len: usize| ((f * len as f64) as usize).min(len);
    match edit {
        Edit::Flip(f, b) => {
            if !bytes.is_empty() {
                let i = at(*f, bytes.len() - 1);
                bytes[i] ^= b | 1;
            }
        }
        Edit::Cut(f) => {
            let i = at(*f, bytes.len());
            bytes.truncate(i);
        }
        Edit::Delete(f, n) => {
            let i = at(*f, bytes.len());
            let end = (i + n).min(bytes.len());
            bytes.drain(i..end);
        }
        Edit::Repeat(f, n) => {
            let i = at(*f, bytes.len());
            let end = (i + n).min(bytes.len());
            let piece = bytes[i..end].to_vec();
            bytes.splice(i..i, piece);
        }
        Edit::Insert(f, piece) => {
            let i = at(*f, bytes.len());
            bytes.splice(i..i, piece.iter().copied());
        }
    }
}

/// Pieces of spreadsheet XML that readers trip over.
const TOKENS: &[&str] = &[
    "<row r=\"1048576\">",
    "<row r=\"0\">",
    "<row r=\"99999999999\">",
    "<c r=\"XFD1048576\" t=\"s\"><v>999999</v></c>",
    "<c r=\"A1\" t=\"e\"><v>#N/A</v></c>",
    "<c r=\"B2\" t=\"n\"><v>NaN</v></c>",
    "<c r=\"C3\" t=\"d\"><v>2017-13-45</v></c>",
    "<c r=\"D4\" t=\"inlineStr\"><is><t>单位名称</t></is></c>",
    "<mergeCell ref=\"A1:XFD1048576\"/>",
    "<mergeCell ref=\"Z9:A1\"/>",
    "<table:table-cell table:number-columns-repeated=\"4294967295\"/>",
    "<table:table-row table:number-rows-repeated=\"1048576\"/>",
    "&#0;",
    "&bogus;",
    "]]>",
    "\u{feff}",
];

fn edit() -> impl Strategy<Value = Edit> {
    let token = prop::sample::select(TOKENS).prop_map(|t| t.as_bytes().to_vec());
    prop_oneof![
        (0.0..1.0, any::<u8>()).prop_map(|(f, b)| Edit::Flip(f, b)),
        (0.0..1.0).prop_map(Edit::Cut),
        (0.0..1.0, 1usize..400).prop_map(|(f, n)| Edit::Delete(f, n)),
        (0.0..1.0, 1usize..400).prop_map(|(f, n)| Edit::Repeat(f, n)),
        (0.0..1.0, token).prop_map(|(f, t)| Edit::Insert(f, t)),
        (0.0..1.0, prop::collection::vec(any::<u8>(), 1..16)).prop_map(|(f, b)| Edit::Insert(f, b)),
    ]
}

/// The members of a zip container, with one of them edited, zipped again.
fn edit_member(bytes: &[u8], which: usize, edits: &[Edit]) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let which = which % archive.len();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..archive.len() {
        let mut member = archive.by_index(i).unwrap();
        let name = member.name().unwrap().to_string();
        let mut content = Vec::new();
        member.read_to_end(&mut content).unwrap();
        if i == which {
            for e in edits {
                apply(&mut content, e);
            }
        }
        out.start_file(name.as_str(), stored).unwrap();
        out.write_all(&content).unwrap();
    }
    out.finish().unwrap().into_inner()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn bytes_of_real_files_edited(seed in 0usize..6, edits in prop::collection::vec(edit(), 1..6)) {
        let (ext, mut bytes) = seeds().swap_remove(seed);
        for e in &edits {
            apply(&mut bytes, e);
        }
        let dir = tempfile::tempdir().unwrap();
        read_everything(dir.path(), &ext, &bytes);
    }

    #[test]
    fn xml_inside_workbooks_edited(
        seed in prop::sample::select(vec![0usize, 1, 2, 4]),
        member in 0usize..16,
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let (ext, bytes) = seeds().swap_remove(seed);
        let bytes = edit_member(&bytes, member, &edits);
        let dir = tempfile::tempdir().unwrap();
        read_everything(dir.path(), &ext, &bytes);
    }

    #[test]
    fn any_csv_text(
        text in "[单位名称联系人电话姓名手机走访村社区市区镇街道\"',\t\r\n\0 0-9a-z\u{feff}\u{3000}（）]{0,400}",
        gbk in any::<bool>(),
    ) {
        let bytes = if gbk {
            encoding_rs::GB18030.encode(&text).0.into_owned()
        } else {
            text.into_bytes()
        };
        let dir = tempfile::tempdir().unwrap();
        read_everything(dir.path(), "csv", &bytes);
    }

    #[test]
    fn any_cell_values_in_a_roster(
        cells in prop::collection::vec(
            prop::collection::vec(
                prop_oneof![
                    Just(String::new()),
                    Just("东城湾村".to_string()),
                    Just("市民政局".to_string()),
                    "1[3-9][0-9]{9}",
                    "[0-9 -]{0,14}",
                    "[张王李赵·\\[\\]#\u{3000}（）a-z]{0,8}",
                    "-?[0-9]{1,6}(\\.[0-9]{1,3})?",
                ],
                7,
            ),
            0..12,
        ),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let roster = small_roster(dir.path(), &[("张卫国", "13800001001", 30.0)]);
        let depts = sheet("单位", DEPT_HEADERS, vec![vec![t("市民政局"), t("刘启兵"), t("85681596")]]);
        let villages = sheet(
            "村（社区）",
            VILLAGE_HEADERS,
            vec![vec![t("武进区"), t("横山桥镇"), t("东城湾村"), t(""), t("顾建华"), t("13806110011"), t("市民政局")]],
        );
        let rows = cells
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| match c.parse::<f64>() {
                        Ok(x) if c.len() < 8 => n(x),
                        _ => t(c),
                    })
                    .collect()
            })
            .collect();
        write_xlsx(&roster, &[depts, villages, sheet("干部", CADRE_HEADERS, rows)]).unwrap();
        let bytes = std::fs::read(&roster).unwrap();
        read_everything(dir.path(), "xlsx", &bytes);
    }
}
