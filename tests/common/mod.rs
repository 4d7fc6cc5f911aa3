//! Test harness: runs the real `zoufang` binary on fixture files and reads
//! what it wrote the way a user would (PDF text, manifest, messages).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub use zoufang::dev::measure::{Measured, measure_command};
pub use zoufang::dev::served::Served as Server;
pub use zoufang::shared::xlsx::{SheetSpec, Value, n, t, write_xlsx};

/// What a run of the binary gave.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `zoufang` with the given arguments.
pub fn zoufang(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_zoufang"))
        .args(args)
        .output()
        .expect("binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `kits` on a roster into `out`, which must succeed, and gives the
/// rows of the manifest it wrote, header first.
pub fn kits_manifest(roster: &Path, out: &Path) -> Vec<Vec<String>> {
    print_quietly("kits", roster, out);
    read_csv(&out.join(zoufang::print::manifest::MANIFEST))
}

/// Runs `zoufang COMMAND ROSTER -o OUT FLAGS…` (`kits` or `cards`).
pub fn print_into(command: &str, roster: &Path, out: &Path, flags: &[&str]) -> Run {
    let mut args = vec![
        command,
        roster.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend(flags);
    zoufang(&args)
}

/// Runs `zoufang COMMAND ROSTER -o OUT -q` (`kits` or `cards`), which must succeed.
pub fn print_quietly(command: &str, roster: &Path, out: &Path) -> Run {
    let run = print_into(command, roster, out, &["-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run
}

/// A file of `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The cells of the plan's totals line (合计) that `check` prints.
pub fn plan_totals(stdout: &str) -> Vec<String> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("合计"))
        .unwrap_or_else(|| panic!("no totals in {stdout}"));
    line.split_whitespace().skip(1).map(String::from).collect()
}

/// The address space a bounded run may take: past it an allocation fails
/// and the program aborts, where Linux would otherwise overcommit and let a
/// huge allocation that is never touched pass unseen.
pub const ADDRESS_SPACE: u64 = 4 << 30;

/// Runs `zoufang` killed after `limit`, under `ADDRESS_SPACE`, with its
/// peak memory: for inputs that must not hang it or blow up its memory.
pub fn zoufang_bounded(args: &[&str], limit: std::time::Duration) -> (Run, Measured) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_zoufang"));
    limit_address_space(&mut command, ADDRESS_SPACE);
    command
        .args(args)
        .stdout(std::fs::File::create(&out).expect("stdout file"))
        .stderr(std::fs::File::create(&err).expect("stderr file"));
    let measured = measure_command(&mut command, Some(limit)).expect("binary runs");
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).expect("output")).into_owned();
    let run = Run {
        code: measured.code.unwrap_or(-1),
        stdout: read(&out),
        stderr: read(&err),
    };
    (run, measured)
}

/// Makes `command` run with at most `bytes` of address space.
pub fn limit_address_space(command: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: between fork and exec only setrlimit runs, which is
    // async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// The form XObjects (placed PDF pages) of a PDF, with their object ids.
pub fn forms(doc: &lopdf::Document) -> impl Iterator<Item = (lopdf::ObjectId, &lopdf::Stream)> {
    doc.objects.iter().filter_map(|(id, o)| match o {
        lopdf::Object::Stream(s)
            if s.dict.get(b"Subtype").and_then(|t| t.as_name()).ok() == Some(&b"Form"[..]) =>
        {
            Some((*id, s))
        }
        _ => None,
    })
}

/// The PDF's bytes, made readable for `pdf-extract`: it caches fonts by
/// resource name across a page and the form XObjects the page draws (a
/// kit's household form is two: its frame and the kit's own lines), so a
/// page's `/f0` and its forms' `/f0` are confused and text comes out garbled
/// or missing (poppler reads these PDFs right). Each form's fonts are
/// renamed `/x81_f0`, … (its object number) so that names are unique.
fn readable_pdf(path: &Path) -> Vec<u8> {
    use lopdf::{Dictionary, Document, Object};
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut doc = Document::load_mem(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let forms: Vec<_> = forms(&doc).map(|(id, _)| id).collect();
    let resolve = |doc: &Document, o: &Object| -> Option<Dictionary> {
        match o {
            Object::Reference(r) => doc.get_dictionary(*r).ok().cloned(),
            Object::Dictionary(d) => Some(d.clone()),
            _ => None,
        }
    };
    for id in forms {
        let Ok(Object::Stream(stream)) = doc.get_object(id).cloned() else {
            continue;
        };
        let Some(mut resources) = stream
            .dict
            .get(b"Resources")
            .ok()
            .and_then(|r| resolve(&doc, r))
        else {
            continue;
        };
        let Some(fonts) = resources.get(b"Font").ok().and_then(|f| resolve(&doc, f)) else {
            continue;
        };
        let mut content = stream
            .decompressed_content()
            .unwrap_or_else(|_| stream.content.clone());
        let mut renamed = Dictionary::new();
        for (name, font) in fonts.iter() {
            let mut new = format!("x{}_", id.0).into_bytes();
            new.extend_from_slice(name);
            let (from, to) = (
                [b"/", &name[..], b" "].concat(),
                [b"/", &new[..], b" "].concat(),
            );
            let mut out = Vec::with_capacity(content.len());
            let mut i = 0;
            while i < content.len() {
                if content[i..].starts_with(&from) {
                    out.extend_from_slice(&to);
                    i += from.len();
                } else {
                    out.push(content[i]);
                    i += 1;
                }
            }
            content = out;
            renamed.set(new, font.clone());
        }
        resources.set("Font", renamed);
        if let Ok(Object::Stream(s)) = doc.get_object_mut(id) {
            s.dict.set("Resources", resources);
            s.set_plain_content(content);
        }
    }
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save pdf");
    out
}

/// The text of a PDF, as a reader's copy-paste would give it, with the
/// spaces Typst puts between CJK and Latin removed.
pub fn pdf_text(path: &Path) -> String {
    pdf_words(path)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The text of a PDF with each run of white space made one space: where
/// the numbers of a table row must stay apart.
pub fn pdf_words(path: &Path) -> String {
    let bytes = readable_pdf(path);
    let text = pdf_extract::extract_text_from_mem(&bytes)
        .unwrap_or_else(|e| panic!("extract {}: {e}", path.display()));
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text of each page of a PDF, spaces removed.
pub fn pdf_pages(path: &Path) -> Vec<String> {
    let bytes = readable_pdf(path);
    pdf_extract::extract_text_from_mem_by_pages(&bytes)
        .expect("extract pages")
        .into_iter()
        .map(|p| p.chars().filter(|c| !c.is_whitespace()).collect())
        .collect()
}

/// Rows of a CSV written by zoufang (UTF-8 with BOM), header first.
pub fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).expect("read csv");
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| r.expect("csv row").iter().map(String::from).collect())
        .collect()
}

/// A sheet with headers and rows of text.
pub fn sheet(name: &str, headers: &[&str], rows: Vec<Vec<Value>>) -> SheetSpec {
    SheetSpec {
        name: name.into(),
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows,
        ..Default::default()
    }
}

pub const DEPT_HEADERS: &[&str] = &["单位名称", "联系人", "联系电话"];
pub const VILLAGE_HEADERS: &[&str] = &[
    "市（区）",
    "镇（街道）",
    "村（社区）",
    "类型",
    "书记",
    "书记电话",
    "挂钩单位",
];
pub const CADRE_HEADERS: &[&str] = &[
    "姓名",
    "单位",
    "职务",
    "手机",
    "走访村（社区）",
    "走访户数",
    "编号",
];

/// A small valid roster: one department, one village, the given cadres
/// (name, mobile, quota).
pub fn small_roster(dir: &Path, cadres: &[(&str, &str, f64)]) -> PathBuf {
    let path = dir.join("名单.xlsx");
    let depts = sheet(
        "单位",
        DEPT_HEADERS,
        vec![vec![t("市民政局"), t("刘启兵"), t("85681596")]],
    );
    let villages = sheet(
        "村（社区）",
        VILLAGE_HEADERS,
        vec![vec![
            t("武进区"),
            t("横山桥镇"),
            t("东城湾村"),
            t(""),
            t("顾建华"),
            t("13806110011"),
            t("市民政局"),
        ]],
    );
    let cadres = sheet(
        "干部",
        CADRE_HEADERS,
        cadres
            .iter()
            .map(|(name, mobile, quota)| {
                vec![
                    t(name),
                    t("市民政局"),
                    t("科员"),
                    t(mobile),
                    t("东城湾村"),
                    n(*quota),
                    t(""),
                ]
            })
            .collect(),
    );
    write_xlsx(&path, &[depts, villages, cadres]).expect("write roster");
    path
}

/// The (solved, pending) totals of the annex-5 table of the summary JSON
/// that `pick` chooses (by its level, department…).
pub fn annex5_totals(
    json: &serde_json::Value,
    pick: impl Fn(&serde_json::Value) -> bool,
) -> (u64, u64) {
    let table = json["annex5"]
        .as_array()
        .expect("annex5")
        .iter()
        .find(|t| pick(t))
        .unwrap_or_else(|| panic!("no such table in {}", json["annex5"]));
    let n = |k: &str| table[k].as_u64().expect("a count");
    (n("solved"), n("pending"))
}

/// `zoufang serve` on `folder`, on loopback on a port the system picks;
/// stopped when dropped.
pub fn start(folder: &Path) -> Server {
    Server::start(Path::new(env!("CARGO_BIN_EXE_zoufang")), folder).expect("zoufang serve starts")
}

/// `zoufang summary` with `args`, into `dir/cli`, and the JSON it wrote.
pub fn summary_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let json = dir.join("cli.json");
    let out = dir.join("cli");
    let mut all = vec!["summary"];
    all.extend_from_slice(args);
    all.extend([
        "-o",
        out.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "-q",
    ]);
    let run = zoufang(&all);
    assert!(run.code <= 1, "{}", run.stderr);
    serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap()
}

/// A file of `samples/`.
pub fn sample(rel: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(rel),
    )
    .expect("a sample")
}

/// A path as a browser puts it in an address: every byte but unreserved
/// ASCII and the slashes as `%XX`.
pub fn encode(path: &str) -> String {
    path.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
