//! Hostile inputs: files offices really send (damaged, disguised, encrypted,
//! bloated, oddly encoded) must give a clear message naming the file, or read
//! correctly — never a panic, a hang, a silent skip or a blown memory.
//! Large files are generated here rather than committed.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;

/// Far more than any of these inputs needs; only a hang reaches it.
const HANG: Duration = Duration::from_secs(120);

/// The message of a row that was neither used nor reported.
const LOST_ROW: &str = "这一行没有读入，程序也没有说明原因";

fn check(path: &Path) -> (Run, Measured) {
    let (run, measured) = zoufang_bounded(&["check", path.to_str().unwrap()], HANG);
    assert!(
        run.code >= 0,
        "check was killed or crashed on {}: {}",
        path.display(),
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(!run.stderr.contains(LOST_ROW), "{}", run.stderr);
    (run, measured)
}

/// Rewrites the members of a zip container: `edit` gets each member's name
/// and bytes and writes what replaces them.
fn rewrite_zip(src: &Path, dst: &Path, mut edit: impl FnMut(&str, Vec<u8>, &mut dyn Write)) {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let mut writer = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1));
    for i in 0..archive.len() {
        let mut member = archive.by_index(i).unwrap();
        let name = member.name().unwrap().to_string();
        let mut bytes = Vec::new();
        member.read_to_end(&mut bytes).unwrap();
        writer.start_file(name.as_str(), options).unwrap();
        edit(&name, bytes, &mut writer);
    }
    writer.finish().unwrap();
}

/// A cell of a hand-written sheet row.
enum X<'a> {
    Text(&'a str),
    Number(f64),
    /// A formula and the value Excel cached for it.
    Formula(&'a str, &'a str),
    /// An error value such as `#N/A`.
    Error(&'a str),
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A `<row>` of a worksheet, cells from column A.
fn xml_row(r: u32, cells: &[X]) -> String {
    let mut xml = format!("<row r=\"{r}\">");
    for (c, cell) in cells.iter().enumerate() {
        let at = format!("{}{r}", zoufang::shared::text::column_letter(c as u32));
        xml += &match cell {
            X::Text(s) => {
                format!(
                    "<c r=\"{at}\" t=\"inlineStr\"><is><t>{}</t></is></c>",
                    escape(s)
                )
            }
            X::Number(n) => format!("<c r=\"{at}\"><v>{n}</v></c>"),
            X::Formula(f, v) if v.parse::<f64>().is_ok() => {
                format!("<c r=\"{at}\"><f>{}</f><v>{v}</v></c>", escape(f))
            }
            X::Formula(f, v) => format!(
                "<c r=\"{at}\" t=\"str\"><f>{}</f><v>{}</v></c>",
                escape(f),
                escape(v)
            ),
            X::Error(e) => {
                format!("<c r=\"{at}\" t=\"e\"><f>VLOOKUP(A1,Z:Z,2,0)</f><v>{e}</v></c>")
            }
        };
    }
    xml + "</row>"
}

/// Appends rows to one worksheet of a workbook.
fn append_rows(src: &Path, dst: &Path, member: &str, rows: &str) {
    rewrite_zip(src, dst, |name, bytes, out| {
        if name == member {
            let xml = String::from_utf8(bytes).unwrap();
            let xml = xml.replace("</sheetData>", &format!("{rows}</sheetData>"));
            out.write_all(xml.as_bytes()).unwrap();
        } else {
            out.write_all(&bytes).unwrap();
        }
    });
}

fn roster(dir: &Path) -> PathBuf {
    small_roster(
        dir,
        &[
            ("张卫国", "13800001001", 30.0),
            ("李娜", "13800001002", 30.0),
        ],
    )
}

/// A minimal .docx: a zip holding `word/document.xml`.
fn word_document() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(b"<Types/>").unwrap();
    zip.start_file("word/document.xml", options).unwrap();
    zip.write_all("<w:document><w:body>关于开展走访活动的通知</w:body></w:document>".as_bytes())
        .unwrap();
    zip.finish().unwrap().into_inner()
}

#[test]
fn damaged_disguised_and_encrypted_files_are_named_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(roster(dir.path())).unwrap();
    let png = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/previews/附件4_问题清单.png"),
    )
    .unwrap();
    let et = std::fs::read(fixture("messy-roster-wps.et")).unwrap();
    let ods = std::fs::read(fixture("messy-roster.ods")).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "截断.xlsx",
            good[..good.len() / 2].to_vec(),
            "这个文件是Excel 工作簿（.xlsx），但内容已损坏，读不出来",
        ),
        (
            "截断.ods",
            ods[..ods.len() / 2].to_vec(),
            "这个文件是OpenDocument 表格（.ods），但内容已损坏，读不出来",
        ),
        (
            "截断.et",
            et[..et.len() * 6 / 100].to_vec(),
            "这个表格文件已损坏",
        ),
        ("照片.xlsx", png.clone(), "这个文件不是电子表格"),
        ("通知.xlsx", word_document(), "这个文件是Word 文档，不是电子表格"),
        ("照片.csv", png, "这个文件不是文字表格（CSV）"),
        ("空文件.xlsx", Vec::new(), "这个文件是空的"),
        (
            "系统导出.xls",
            "<html><body><table><tr><td>单位名称</td><td>联系人</td></tr></table></body></html>"
                .as_bytes()
                .to_vec(),
            "这个文件其实是网页（HTML）格式",
        ),
        (
            "老格式.xls",
            "<?xml version=\"1.0\"?><Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\"></Workbook>"
                .as_bytes()
                .to_vec(),
            "这个文件是 Excel 2003 XML 表格",
        ),
        (
            "加密.xlsx",
            std::fs::read(fixture("password.xlsx")).unwrap(),
            "这个工作簿设置了打开密码，程序读不了",
        ),
    ];
    for (name, bytes, message) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let (run, _) = check(&path);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        let expected = format!("【错误】文件「{}」：{message}", path.display());
        assert!(run.stderr.contains(&expected), "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains("请"),
            "{name} says what to do: {}",
            run.stderr
        );
    }
}

#[test]
fn zip_bombs_are_refused_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let good = roster(dir.path());
    // Whitespace that expands to 400 MB, where a reader would hold it whole.
    for member in ["xl/sharedStrings.xml", "xl/worksheets/sheet3.xml"] {
        let bomb = dir.path().join("炸弹.xlsx");
        rewrite_zip(&good, &bomb, |name, bytes, out| {
            if name == member {
                let xml = String::from_utf8(bytes).unwrap();
                let cut = xml.find("?>").map(|i| i + 2).unwrap();
                out.write_all(&xml.as_bytes()[..cut]).unwrap();
                let blank = vec![b' '; 1 << 20];
                for _ in 0..400 {
                    out.write_all(&blank).unwrap();
                }
                out.write_all(&xml.as_bytes()[cut..]).unwrap();
            } else {
                out.write_all(&bytes).unwrap();
            }
        });
        assert!(std::fs::metadata(&bomb).unwrap().len() < 4 << 20);
        let (run, measured) = check(&bomb);
        assert_eq!(run.code, 2, "{member}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "【错误】文件「{}」：这个文件解压后超过",
                bomb.display()
            )),
            "{member}: {}",
            run.stderr
        );
        assert!(
            measured.peak_mb < 200.0,
            "{member}: {} MB",
            measured.peak_mb
        );
    }
}

#[test]
fn a_stray_row_a_million_rows_down_is_read_and_reported_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let good = roster(dir.path());
    let (plain, _) = check(&good);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    // Formatted but empty cells all the way down, then one forgotten name.
    let mut rows = String::with_capacity(40 << 20);
    for r in 10..1_000_000u32 {
        rows += &format!("<row r=\"{r}\"><c r=\"A{r}\" s=\"0\"/></row>");
    }
    rows += &xml_row(1_000_000, &[X::Text("王五")]);
    let big = dir.path().join("百万行.xlsx");
    append_rows(&good, &big, "xl/worksheets/sheet3.xml", &rows);
    let (run, measured) = check(&big);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("工作表「干部」第1000000行B列（单位）：「单位」没有填"),
        "{}",
        run.stderr
    );
    assert_eq!(plan_totals(&run.stdout), plan_totals(&plain.stdout));
    assert!(
        run.stdout
            .contains("名单共 5 行数据：读入 4 行，另有 1 行没有读入"),
        "{}",
        run.stdout
    );
    assert!(measured.peak_mb < 250.0, "{} MB", measured.peak_mb);
}

#[test]
fn formulas_read_their_cached_values_and_errors_and_long_cells_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let good = roster(dir.path());
    let long = "职".repeat(20_000);
    let rows = [
        xml_row(
            20,
            &[
                X::Text("赵六"),
                X::Text("市民政局"),
                X::Error("#REF!"),
                X::Error("#N/A"),
                X::Text("东城湾村"),
                X::Number(30.0),
            ],
        ),
        xml_row(
            21,
            &[
                X::Formula("\"钱\"&\"七\"", "钱七"),
                X::Text("市民政局"),
                X::Text("科员"),
                X::Formula("\"1380013\"&\"8021\"", "13800138021"),
                X::Text("东城湾村"),
                X::Formula("10*3", "30"),
            ],
        ),
        xml_row(
            22,
            &[
                X::Text("孙八"),
                X::Text("市民政局"),
                X::Text(&long),
                X::Text("13800138022"),
                X::Text("东城湾村"),
                X::Number(30.0),
            ],
        ),
    ]
    .concat();
    let path = dir.path().join("公式.xlsx");
    append_rows(&good, &path, "xl/worksheets/sheet3.xml", &rows);
    let (run, _) = check(&path);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    let expect = [
        "工作表「干部」第20行C列（职务），填的是「#REF!」：这个单元格是公式算出的错误值，不是数据",
        "工作表「干部」第20行D列（手机），填的是「#N/A」：这个必填的单元格是公式算出的错误值，不是数据",
        &format!(
            "工作表「干部」第22行C列（职务），填的是「{}……（共20000字）」：这个单元格有20000个字，太长了",
            "职".repeat(40)
        ),
    ];
    for e in expect {
        assert!(lines.iter().any(|l| l.contains(e)), "{e}\n{}", run.stderr);
    }
    // Row 21 (all formulas) is used: three cadres, 90 household forms.
    assert_eq!(
        plan_totals(&run.stdout)[1..3],
        ["3", "90"],
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("名单共 7 行数据：读入 5 行，另有 2 行没有读入"),
        "{}",
        run.stdout
    );
}

/// The small roster as a folder of CSVs, each saved the way some office's
/// machine saves them.
fn csv_roster(dir: &Path) -> PathBuf {
    let folder = dir.join("名单csv");
    std::fs::create_dir_all(&folder).unwrap();
    // Excel's "CSV UTF-8": BOM and CRLF; a NUL byte from a damaged copy.
    let depts = "\u{feff}单位名称,联系人,联系电话\r\n市民政局,刘启兵\0,85681596\r\n";
    std::fs::write(folder.join("单位.csv"), depts).unwrap();
    // Excel on Chinese Windows: GBK.
    let villages = "市（区）,镇（街道）,村（社区）,类型,书记,书记电话,挂钩单位\n\
                    武进区,横山桥镇,东城湾村,,顾建华,13806110011,市民政局\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(villages);
    std::fs::write(folder.join("村（社区）.csv"), gbk).unwrap();
    // Pasted together from a UTF-8 export and a GBK one.
    let header = "姓名,单位,职务,手机,走访村（社区）,走访户数,编号\n";
    let utf8_row = "张卫国,市民政局,科员,13800001001,东城湾村,30,\n";
    let (gbk_row, _, _) = encoding_rs::GBK.encode("李娜,市民政局,科员,13800001002,东城湾村,30,\n");
    let mixed = [header.as_bytes(), utf8_row.as_bytes(), &gbk_row].concat();
    std::fs::write(folder.join("干部.csv"), mixed).unwrap();
    folder
}

#[test]
fn csv_in_any_encoding_reads_the_same_as_the_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let (xlsx, _) = check(&roster(dir.path()));
    let folder = csv_roster(dir.path());
    let (csv, _) = check(&folder);
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    assert_eq!(plan_totals(&csv.stdout), plan_totals(&xlsx.stdout));
    assert!(
        csv.stdout.contains("名单共 4 行数据，全部读入"),
        "{}",
        csv.stdout
    );

    // Excel's "Unicode text": UTF-16 with tabs.
    let cadres = "姓名\t单位\t职务\t手机\t走访村（社区）\t走访户数\t编号\r\n\
                  张卫国\t市民政局\t科员\t13800001001\t东城湾村\t30\t\r\n\
                  李娜\t市民政局\t科员\t13800001002\t东城湾村\t30\t\r\n";
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(cadres.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(folder.join("干部.csv"), utf16).unwrap();
    let (csv, _) = check(&folder);
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    assert_eq!(plan_totals(&csv.stdout), plan_totals(&xlsx.stdout));
}

#[test]
fn a_csv_with_a_quote_left_open_or_too_big_is_refused_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let folder = csv_roster(dir.path());
    // A quotation mark left open in the second row: 40 MB of rows after it
    // would be read as one cell.
    let mut cadres = "姓名,单位,职务,手机,走访村（社区）,走访户数,编号\n张卫国,\"市民政局,科员,13800001001,东城湾村,30,\n".to_string();
    cadres.push_str(&"李娜,市民政局,科员,13800001002,东城湾村,30,\n".repeat(800_000));
    let file = folder.join("干部.csv");
    std::fs::write(&file, &cadres).unwrap();
    let refused = format!(
        "【错误】文件「{}」工作表「干部」第2行B列：这一格的内容超过了 127 KB",
        file.display()
    );
    // In a roster folder the other tables are read (a fault: exit 1); alone,
    // as returns, nothing is (exit 2).
    let (run, measured) = check(&folder);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&refused) && run.stderr.contains("引号"),
        "{}",
        run.stderr
    );
    assert!(measured.peak_mb < 300.0, "{} MB", measured.peak_mb);
    let out = dir.path().join("汇总");
    let (run, measured) = zoufang_bounded(
        &[
            "summary",
            file.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        HANG,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(&refused), "{}", run.stderr);
    assert!(measured.peak_mb < 300.0, "{} MB", measured.peak_mb);

    // A file of hundreds of MB (sparse: nothing is written to disk) is
    // refused before it is read.
    std::fs::File::create(&file)
        .unwrap()
        .set_len(600 << 20)
        .unwrap();
    let (run, measured) = check(&folder);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "【错误】文件「{}」：这个文件有 600 MB，太大了",
            file.display()
        )),
        "{}",
        run.stderr
    );
    assert!(measured.peak_mb < 100.0, "{} MB", measured.peak_mb);
}

/// One row of the sample returns' household sheet, with replacements.
fn household(r: u32, serial: &str, opinion: X, date: X) -> String {
    xml_row(
        r,
        &[
            X::Text(serial),
            X::Text("王大明"),
            X::Text("13910007000"),
            X::Number(3.0),
            X::Text("马杭社区居委会2组9号"),
            X::Text("务工"),
            X::Text(""),
            X::Text(""),
            opinion,
            X::Text(""),
            X::Text("武进区"),
            X::Text("湖塘镇"),
            X::Text("马杭社区居委会"),
            X::Text("吴建新"),
            X::Text("市财政局"),
            date,
        ],
    )
}

fn problem(r: u32, text: X, category: X) -> String {
    xml_row(
        r,
        &[
            X::Number(r as f64),
            X::Text("王大明"),
            X::Text("武进区"),
            X::Text("湖塘镇"),
            X::Text("马杭社区居委会"),
            X::Text("意见建议"),
            category,
            text,
            X::Text("已转镇里"),
            X::Text("待解决"),
            X::Text("吴建新"),
            X::Text("市财政局"),
            X::Text("2017-03-20"),
        ],
    )
}

#[test]
fn returns_with_formulas_errors_and_huge_text_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/returns/录入表_市财政局.xlsx");
    let with_households = dir.path().join("a.xlsx");
    let long = "路灯".repeat(10_000);
    let huge = "漏雨".repeat(20_000);
    append_rows(
        &sample,
        &with_households,
        "xl/worksheets/sheet1.xml",
        &[
            household(
                60,
                "ZF0006-91",
                X::Text(&long),
                X::Formula("DATE(2017,3,8)", "42802"),
            ),
            household(61, "ZF0006-92", X::Text(""), X::Error("#VALUE!")),
        ]
        .concat(),
    );
    let path = dir.path().join("录入表_含公式.xlsx");
    append_rows(
        &with_households,
        &path,
        "xl/worksheets/sheet2.xml",
        &[
            problem(17, X::Text(&huge), X::Text("房屋土地")),
            problem(18, X::Text("路面坑洼"), X::Error("#N/A")),
            problem(
                19,
                X::Formula("\"路面\"&\"坑洼\"", "路面坑洼"),
                X::Text("平安治理"),
            ),
        ]
        .concat(),
    );
    let out = dir.path().join("out");
    let json = dir.path().join("s.json");
    let (run, _) = zoufang_bounded(
        &[
            "summary",
            path.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ],
        HANG,
    );
    assert_eq!(run.code, 1, "two rows are rejected: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    for table in ["households", "problems"] {
        let a = &value["account"][table];
        let sum = ["counted", "rejected", "blank"]
            .iter()
            .map(|k| a[k].as_u64().unwrap())
            .sum::<u64>();
        assert_eq!(a["read"].as_u64().unwrap(), sum, "{table}: {a}");
        assert_eq!(a["rejected"], 1, "{table}: {a}");
    }
    let rejected = value["rejected"].as_array().unwrap();
    assert!(
        rejected
            .iter()
            .any(|r| r["sheet"] == "入户调查" && r["row"] == 61 && r["value"] == "#VALUE!"),
        "{rejected:?}"
    );
    assert!(
        rejected
            .iter()
            .any(|r| r["sheet"] == "问题清单" && r["row"] == 18 && r["value"] == "#N/A"),
        "{rejected:?}"
    );
    // The 40,000-character problem reaches the department's problem list,
    // cut to what an Excel cell holds and saying so.
    let list = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
        .map(|e| e.path())
        .find(|p| {
            p.to_string_lossy().contains("问题清单") && p.extension().is_some_and(|e| e == "xlsx")
        })
        .unwrap_or_else(|| panic!("no problem list under {}", out.display()));
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&list).unwrap();
    use calamine::Reader;
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let cut = range
        .rows()
        .flat_map(|r| r.iter())
        .map(|c| c.to_string())
        .find(|s| s.starts_with("漏雨漏雨"))
        .expect("the long problem is listed");
    assert!(cut.chars().count() <= 32_767);
    assert!(
        cut.ends_with("（原文共40000字，这里只列出前面部分，全文见原录入表）"),
        "{}",
        &cut[cut.len() - 200..]
    );
}

/// A one-cadre roster with the given department, village and position.
fn named_roster(path: &Path, dept: &str, village: &str, position: &str) {
    let depts = sheet(
        "单位",
        DEPT_HEADERS,
        vec![vec![t(dept), t("欧阳娜娜"), t("0519-85681596")]],
    );
    let villages = sheet(
        "村（社区）",
        VILLAGE_HEADERS,
        vec![vec![
            t("常州国家高新技术产业开发区（新北区）"),
            t("常州西太湖科技产业园管理委员会（西太湖街道）"),
            t(village),
            t("村"),
            t("阿卜杜热依木·买买提明"),
            t("13806110011"),
            t(dept),
        ]],
    );
    let cadres = sheet(
        "干部",
        CADRE_HEADERS,
        vec![vec![
            t("阿卜杜热依木·买买提明"),
            t(dept),
            t(position),
            t("13800001001"),
            t(village),
            n(30.0),
            t(""),
        ]],
    );
    write_xlsx(path, &[depts, villages, cadres]).unwrap();
}

/// Each output's pages, in manifest order.
fn kit_pages(dir: &Path, roster: &Path) -> (PathBuf, Vec<(String, Vec<String>)>) {
    let out = dir.join(roster.file_stem().unwrap());
    let manifest = kits_manifest(roster, &out);
    let pages = manifest[1..]
        .iter()
        .filter(|row| row[0].ends_with(".pdf"))
        .map(|row| (row[0].clone(), pdf_pages(&out.join(&row[0]))))
        .collect();
    (out, pages)
}

#[test]
fn long_names_shrink_to_fit_their_forms() {
    let dir = tempfile::tempdir().unwrap();
    let dept = "市农业农村局（市乡村振兴局）市委农村工作领导小组办公室综合服务保障中心";
    let village =
        "横山桥镇东城湾村民委员会暨芳茂山生态农业示范园区联合党总支部委员会所在地东城湾村";
    assert_eq!(village.chars().count(), 40);
    let position = "市委农村工作领导小组办公室综合协调处副处长（主持工作）兼机关党委委员";
    let short = dir.path().join("短.xlsx");
    named_roster(&short, "市民政局", "东城湾村", "科员");
    let long = dir.path().join("长.xlsx");
    named_roster(&long, dept, village, position);
    let (_, expected) = kit_pages(dir.path(), &short);
    let (_, printed) = kit_pages(dir.path(), &long);
    assert_eq!(printed.len(), expected.len());
    for ((file, pages), (_, short_pages)) in printed.iter().zip(&expected) {
        // Every form keeps to the pages it has with short names…
        assert_eq!(pages.len(), short_pages.len(), "{file}");
        for (i, page) in pages.iter().enumerate() {
            // …and every name on it is printed whole.
            let at = format!("{file} page {}", i + 1);
            if page.contains("群众入户调查表") || page.contains("村（社区）调查表") {
                assert!(page.contains(village), "{at}");
            }
            if page.contains("群众入户调查表") || page.contains("问题清单") {
                assert!(page.contains(dept), "{at}");
            }
            if page.contains("联系卡") && page.contains("手机") {
                assert!(page.contains(position), "{at}");
            }
        }
    }
}

/// Moves the first cell of the first worksheet of an `.xls` to the sheet's
/// last row and column (BIFF8: 65,535 and 255), as a flipped byte or two of
/// a damaged copy does.
fn fling_a_cell(path: &Path) {
    let mut file = cfb::open_rw(path).unwrap();
    let mut stream = Vec::new();
    file.open_stream("/Workbook")
        .unwrap()
        .read_to_end(&mut stream)
        .unwrap();
    let (mut at, mut bofs) = (0, 0);
    loop {
        let typ = u16::from_le_bytes([stream[at], stream[at + 1]]);
        let len = usize::from(u16::from_le_bytes([stream[at + 2], stream[at + 3]]));
        if typ == 0x0809 {
            bofs += 1;
        }
        // NUMBER, LABELSST or RK: row, then column.
        if bofs == 2 && matches!(typ, 0x0203 | 0x00FD | 0x027E) {
            stream[at + 4..at + 8].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0x00]);
            break;
        }
        at += 4 + len;
    }
    let mut out = file.open_stream("/Workbook").unwrap();
    out.write_all(&stream).unwrap();
    out.flush().unwrap();
}

/// Writes a run of 6,000 rows of 16,384 equal values (two dozen bytes of
/// XML) before the first row of each sheet of an `.ods`, as a damaged repeat
/// count does: calamine would write out 98 million values.
fn repeat_a_cell(src: &Path, dst: &Path) {
    const RUN: &str = r#"<table:table-row table:number-rows-repeated="6000"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row>"#;
    rewrite_zip(src, dst, |name, bytes, out| {
        if name == "content.xml" {
            let xml = String::from_utf8(bytes).unwrap();
            let first = xml.find("<table:table-row").unwrap();
            out.write_all(format!("{}{RUN}{}", &xml[..first], &xml[first..]).as_bytes())
                .unwrap();
        } else {
            out.write_all(&bytes).unwrap();
        }
    });
}

#[test]
fn a_sheet_whose_size_its_cells_do_not_bear_is_refused_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    // Besides the edits below, two copies the long run (tests/fuzz.rs) found
    // asking for a terabyte: a DIMENSIONS record whose first row is past its
    // last (calamine's count wraps round), read at the sheet's own position.
    for name in [
        "messy-roster.xls",
        "messy-roster-wps.et",
        "messy-roster.ods",
        "damaged-dimensions.xls",
        "damaged-dimensions.et",
    ] {
        let path = dir.path().join(name);
        if name.ends_with(".ods") {
            repeat_a_cell(&fixture(name), &path);
        } else if name.starts_with("damaged") {
            std::fs::copy(fixture(name), &path).unwrap();
        } else {
            std::fs::copy(fixture(name), &path).unwrap();
            fling_a_cell(&path);
        }
        assert!(std::fs::metadata(&path).unwrap().len() < 64 << 10);
        for command in ["check", "summary"] {
            let out = dir.path().join("out");
            let args = match command {
                "check" => vec![command, path.to_str().unwrap()],
                _ => vec![command, path.to_str().unwrap(), "-o", out.to_str().unwrap()],
            };
            let (run, measured) = zoufang_bounded(&args, HANG);
            assert_eq!(run.code, 2, "{command} {name}: {}", run.stderr);
            assert!(
                run.stderr
                    .contains(&format!("【错误】文件「{}」工作表「", path.display()))
                    && run.stderr.contains("万个单元格，与文件的大小"),
                "{}",
                run.stderr
            );
            assert!(
                measured.peak_mb < 300.0,
                "{command} {name}: {} MB",
                measured.peak_mb
            );
        }
    }
}
