//! `zoufang summary`: filled returns → annex 5, weekly figures, routing,
//! rejections with their places, merging of summaries, privacy.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value as Json;

const HOUSEHOLD_HEADERS: &[&str] = &[
    "编号",
    "户主姓名",
    "联系电话",
    "家庭成员数",
    "家庭住址",
    "家庭收入情况",
    "致贫原因及现状",
    "困难需求",
    "意见建议",
    "意见建议处理落实情况",
    "市（区）",
    "镇（街道）",
    "村（社区）",
    "采集人",
    "单位",
    "走访日期",
];
const PROBLEM_HEADERS: &[&str] = &[
    "序号",
    "走访对象",
    "市（区）",
    "镇（街道）",
    "村（社区）",
    "类型",
    "类别",
    "反映问题或意见建议",
    "办理意见",
    "状态",
    "走访人",
    "单位",
    "走访日期",
];

fn visit(
    serial: &str,
    head: &str,
    village: (&str, &str, &str),
    cadre: &str,
    dept: &str,
    date: Value,
) -> Vec<Value> {
    let mut row = vec![
        t(serial),
        t(head),
        t("13912345678"),
        n(3.0),
        t("某某路1号"),
        t(""),
        t(""),
        t(""),
        t(""),
        t(""),
    ];
    row.extend([
        t(village.0),
        t(village.1),
        t(village.2),
        t(cadre),
        t(dept),
        date,
    ]);
    row
}

#[allow(clippy::too_many_arguments)]
fn problem(
    village: (&str, &str, &str),
    kind: &str,
    category: &str,
    status: &str,
    dept: &str,
    date: Value,
    text: &str,
) -> Vec<Value> {
    vec![
        n(1.0),
        t("张大爷"),
        t(village.0),
        t(village.1),
        t(village.2),
        t(kind),
        t(category),
        t(text),
        t("已转镇里"),
        t(status),
        t("吴建新"),
        t(dept),
        date,
    ]
}

const DONGCHENGWAN: (&str, &str, &str) = ("武进区", "横山桥镇", "东城湾村");
const MAHANG: (&str, &str, &str) = ("武进区", "湖塘镇", "马杭社区");

/// Department A: 市财政局 visits 东城湾村 and 马杭社区; with planted bad rows.
fn returns_a(dir: &Path) -> PathBuf {
    let path = dir.join("财政局录入表.xlsx");
    let households = sheet(
        "入户调查",
        HOUSEHOLD_HEADERS,
        vec![
            visit(
                "ZF0001-01",
                "王大明",
                DONGCHENGWAN,
                "吴建新",
                "市财政局",
                n(42802.0),
            ), // 2017-03-08 as an Excel date
            visit(
                "ZF0001-02",
                "李小红",
                DONGCHENGWAN,
                "吴建新",
                "市财政局",
                t("2017.3.9"),
            ),
            visit(
                "ZF0002-01",
                "赵四",
                MAHANG,
                "郑丽娟",
                "市财政局",
                t("2017年3月15日"),
            ),
            visit(
                "ZF0002-02",
                "钱五",
                MAHANG,
                "郑丽娟",
                "市财政局",
                t("2017/3/20"),
            ),
            // row 6: a date nobody can read
            visit(
                "ZF0002-03",
                "孙六",
                MAHANG,
                "郑丽娟",
                "市财政局",
                t("三月八号"),
            ),
            // row 7: a printed form not used: only the pre-filled cells
            {
                let mut r = vec![t("ZF0002-04")];
                r.extend(std::iter::repeat_n(t(""), 9));
                r.extend([
                    t(MAHANG.0),
                    t(MAHANG.1),
                    t(MAHANG.2),
                    t("郑丽娟"),
                    t("市财政局"),
                    t(""),
                ]);
                r
            },
        ],
    );
    let problems = sheet(
        "问题清单",
        PROBLEM_HEADERS,
        vec![
            problem(
                DONGCHENGWAN,
                "困难需求",
                "医疗卫生",
                "已办结",
                "市财政局",
                t("2017-03-08"),
                "看病难，电话13912345678",
            ),
            problem(
                DONGCHENGWAN,
                "困难需求",
                "医疗卫生",
                "未解决",
                "市财政局",
                t("2017-03-09"),
                "药费贵",
            ),
            problem(
                DONGCHENGWAN,
                "意见建议",
                "其他",
                "正在办理",
                "市财政局",
                t("2017-03-09"),
                "路灯不亮",
            ),
            problem(
                MAHANG,
                "意见建议",
                "教育文化",
                "已解决",
                "市财政局",
                t("2017-03-20"),
                "图书室",
            ),
            // row 6: not one of the seven categories
            problem(
                MAHANG,
                "意见建议",
                "交通出行",
                "已解决",
                "市财政局",
                t("2017-03-20"),
                "公交",
            ),
            // row 7: a status nobody can read
            problem(
                MAHANG,
                "困难需求",
                "社会保障",
                "看情况",
                "市财政局",
                t("2017-03-20"),
                "低保",
            ),
            // row 8: no department
            problem(
                MAHANG,
                "困难需求",
                "社会保障",
                "待解决",
                "",
                t("2017-03-20"),
                "养老",
            ),
        ],
    );
    write_xlsx(&path, &[households, problems]).unwrap();
    path
}

/// 市教育局's solved housing need in 东城湾村.
fn house_repair() -> Vec<Value> {
    problem(
        DONGCHENGWAN,
        "困难需求",
        "房屋土地",
        "已解决",
        "市教育局",
        t("2017-03-10"),
        "危房改造",
    )
}

/// Department B: 市教育局 visits 东城湾村 too.
fn returns_b(dir: &Path) -> PathBuf {
    let path = dir.join("教育局录入表.xlsx");
    let households = sheet(
        "入户调查",
        HOUSEHOLD_HEADERS,
        vec![visit(
            "ZF0010-01",
            "周七",
            DONGCHENGWAN,
            "卫东升",
            "市教育局",
            t("2017-03-10"),
        )],
    );
    let problems = sheet("问题清单", PROBLEM_HEADERS, vec![house_repair()]);
    write_xlsx(&path, &[households, problems]).unwrap();
    path
}

fn run_json(args: &[&str], json: &Path) -> (Run, Json) {
    let run = zoufang(args);
    let value = serde_json::from_str(
        &std::fs::read_to_string(json).unwrap_or_else(|_| panic!("{}", run.stderr)),
    )
    .unwrap();
    (run, value)
}

fn village<'a>(json: &'a Json, name: &str) -> &'a Json {
    json["annex5"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["level"] == "village" && t["village"] == name)
        .unwrap()
}

fn cell(table: &Json, kind: &str, category: &str) -> (u64, u64) {
    let row = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == kind && r["category"] == category)
        .unwrap();
    (
        row["solved"].as_u64().unwrap(),
        row["pending"].as_u64().unwrap(),
    )
}

#[test]
fn annex5_weekly_rejections_and_routing() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (returns_a(dir.path()), returns_b(dir.path()));
    let out = dir.path().join("out");
    let json_path = dir.path().join("summary.json");
    let (run, json) = run_json(
        &[
            "summary",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--from",
            "2017-03-06",
            "--to",
            "2017-03-12",
            "--received",
            "2017-03-21",
            "--json",
            json_path.to_str().unwrap(),
        ],
        &json_path,
    );
    assert_eq!(run.code, 1, "rows were rejected: {}", run.stderr);

    // The account adds up.
    assert!(
        run.stdout
            .contains("入户调查：读入 7 行 = 计入 5 行 + 退回 1 行 + 未填写的空白行 1 行"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("问题清单：读入 8 行 = 计入 5 行 + 退回 3 行 + 未填写的空白行 0 行"),
        "{}",
        run.stdout
    );
    assert_eq!(json["read"]["households"], 7);
    assert_eq!(json["read"]["problems"], 8);

    // Every planted row is rejected with its sheet, row and reason.
    let rejected = json["rejected"].as_array().unwrap();
    let find = |sheet: &str, row: u64| {
        rejected
            .iter()
            .find(|r| r["sheet"] == sheet && r["row"] == row)
            .unwrap_or_else(|| panic!("{sheet} row {row}: {rejected:?}"))
    };
    assert_eq!(rejected.len(), 4);
    // In the order of the files, each file's household table first (its
    // household sheet is read on a thread of its own, after the others).
    let order: Vec<(String, &str)> = rejected
        .iter()
        .map(|r| {
            let file = r["file"].as_str().unwrap();
            let name = std::path::Path::new(file).file_name().unwrap();
            (
                name.to_string_lossy().into_owned(),
                r["sheet"].as_str().unwrap(),
            )
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort_by_key(|(file, sheet)| {
        (
            order.iter().position(|o| &o.0 == file),
            *sheet != "入户调查",
        )
    });
    assert_eq!(order, sorted);
    assert_eq!(order.first().map(|o| o.1), Some("入户调查"));
    let r = find("入户调查", 6);
    assert_eq!(
        (r["column"].as_str().unwrap(), r["value"].as_str().unwrap()),
        ("P（走访日期）", "三月八号")
    );
    assert!(r["reason"].as_str().unwrap().starts_with("走访日期看不懂"));
    assert_eq!(find("问题清单", 6)["value"], "交通出行");
    assert_eq!(find("问题清单", 7)["value"], "看情况");
    assert!(
        find("问题清单", 8)["reason"]
            .as_str()
            .unwrap()
            .starts_with("「单位」没有填")
    );
    assert!(
        run.stderr.contains(
            "工作表「问题清单」第6行G列（类别），填的是「交通出行」：类别不是附件5的七类之一"
        ),
        "{}",
        run.stderr
    );

    // Annex 5 per village: 东城湾村 has both departments' problems.
    let dcw = village(&json, "东城湾村");
    assert_eq!(
        (dcw["kind"].as_str(), dcw["route"].as_str()),
        (Some("村"), Some("市委农工办"))
    );
    assert_eq!(cell(dcw, "困难需求", "医疗卫生"), (1, 1));
    assert_eq!(cell(dcw, "困难需求", "房屋土地"), (1, 0));
    assert_eq!(cell(dcw, "意见建议", "其他方面"), (0, 1));
    assert_eq!(
        (dcw["solved"].as_u64(), dcw["pending"].as_u64()),
        (Some(2), Some(2))
    );
    let mh = village(&json, "马杭社区");
    assert_eq!(
        (mh["kind"].as_str(), mh["route"].as_str()),
        (Some("社区"), Some("市民政局"))
    );
    assert_eq!(cell(mh, "意见建议", "教育文化"), (1, 0));
    assert_eq!(annex5_totals(&json, |t| t["level"] == "city"), (3, 2));
    assert_eq!(
        annex5_totals(&json, |t| t["level"] == "department"
            && t["department"] == "市财政局"),
        (2, 2)
    );

    // Weekly figures: the week of 6–12 March, and cumulative.
    let weekly = json["weekly"].as_array().unwrap();
    let cz = weekly
        .iter()
        .find(|w| w["department"] == "市财政局")
        .unwrap();
    assert_eq!(
        (
            cz["cadres"].as_u64(),
            cz["households"].as_u64(),
            cz["problems"].as_u64(),
            cz["solved"].as_u64()
        ),
        // Solved this week: none. The solved problems carry no 办结日期, so
        // they count as solved the day the returns were received (21 March).
        (Some(1), Some(2), Some(3), Some(0))
    );
    // Cumulative to the period's end: the visits of 15 and 20 March and the
    // problems raised then come later.
    let c = &cz["cumulative"];
    assert_eq!(
        (
            c["cadres"].as_u64(),
            c["households"].as_u64(),
            c["problems"].as_u64(),
            c["solved"].as_u64()
        ),
        (Some(1), Some(2), Some(3), Some(0))
    );

    // Routing, and the PDFs carry the numbers.
    let rural = out.join("报市委农工办/附件5_武进区横山桥镇东城湾村.pdf");
    let text = pdf_text(&rural);
    for label in [
        "附件5",
        "群众入户调查问题建议汇总表",
        "市（区）",
        "武进区",
        "横山桥镇",
        "东城湾村",
        "困难需求",
        "合计",
        "意见建议",
        "已解决（个）",
        "待解决（个）",
        "小计（个）",
    ] {
        assert!(text.contains(label), "{label} in {text}");
    }
    // The village's values are printed over the shared frame (labels come
    // first in the text), row by row: 房屋土地 1 solved, 0 pending, 1 in
    // all; 医疗卫生 1, 1, 2; … the last row, all problems: 2, 2, 4.
    assert!(
        text.contains("东城湾村101112000"),
        "房屋土地 1 0 1, 医疗卫生 1 1 2: {text}"
    );
    assert!(text.trim_end().ends_with("011224"), "合计 2 2 4: {text}");
    // The note under the table, the same for every village, is printed
    // with the frame.
    assert!(
        text.contains(
            "统计的是截至目前的全部问题（每周走访情况的统计期为2017-03-06至2017-03-12）。"
        ),
        "{text}"
    );
    assert!(
        out.join("报市民政局/附件5_武进区湖塘镇马杭社区.pdf")
            .exists()
    );

    // Nothing going up the chain carries household names or phones.
    for path in [
        out.join("报市委农工办/附件5_武进区横山桥镇东城湾村.pdf"),
        out.join("附件5_汇总（全市、各市区、各镇街道、各单位）.pdf"),
    ] {
        let text = pdf_text(&path);
        assert!(!text.contains("王大明") && !text.contains("13912345678"));
    }
    let list = out.join("报市委农工办/问题清单（电话已隐去）.xlsx");
    let input = zoufang::input::read_input(&list);
    let cells: String = input
        .sheets
        .iter()
        .flat_map(|s| s.rows.iter().flatten())
        .map(|c| c.display())
        .collect();
    assert!(cells.contains("看病难，电话139****5678"), "{cells}");
    assert!(!cells.contains("13912345678") && !cells.contains("张大爷"));
    let input = zoufang::input::read_input(&out.join("汇总表.xlsx"));
    let cells: String = input
        .sheets
        .iter()
        .flat_map(|s| s.rows.iter().flatten())
        .map(|c| c.display())
        .collect();
    assert!(!cells.contains("王大明") && !cells.contains("1391234") && !cells.contains("张大爷"));
}

#[test]
fn merged_summaries_equal_the_raw_summary() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (returns_a(dir.path()), returns_b(dir.path()));
    let summarise = |inputs: &[&Path], name: &str| -> (PathBuf, Json) {
        let out = dir.path().join(name);
        let json = dir.path().join(format!("{name}.json"));
        let mut args = vec!["summary".to_string()];
        args.extend(inputs.iter().map(|p| p.to_str().unwrap().to_string()));
        args.extend(
            [
                "-o",
                out.to_str().unwrap(),
                "--json",
                json.to_str().unwrap(),
            ]
            .map(String::from),
        );
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (_, value) = run_json(&args, &json);
        (out, value)
    };
    let (out_a, _) = summarise(&[&a], "a");
    let (out_b, _) = summarise(&[&b], "b");
    let (_, raw) = summarise(&[&a, &b], "raw");
    let (_, merged) = summarise(
        &[&out_a.join("汇总表.xlsx"), &out_b.join("汇总表.xlsx")],
        "merged",
    );
    assert_eq!(merged["annex5"], raw["annex5"]);
    assert_eq!(merged["weekly"], raw["weekly"]);
    assert_eq!(merged["rejected"].as_array().unwrap().len(), 0);
}

#[test]
fn kits_write_an_entry_workbook_that_summary_reads() {
    let dir = tempfile::tempdir().unwrap();
    let roster = small_roster(
        dir.path(),
        &[("潘#明", "13800138001", 3.0), ("李堃", "13800138002", 2.0)],
    );
    let out = dir.path().join("kits");
    let manifest = kits_manifest(&roster, &out);
    let entry = manifest
        .iter()
        .find(|r| r[1].starts_with("录入表"))
        .expect("entry workbook in the manifest");
    assert_eq!(
        (entry[9].as_str(), entry[10].as_str()),
        ("ZF0001-01", "ZF0002-02")
    );
    let path = out.join(&entry[0]);
    let input = zoufang::input::read_input(&path);
    let households = input.sheets.iter().find(|s| s.name == "入户调查").unwrap();
    let serials: Vec<String> = households.rows[1..]
        .iter()
        .map(|r| r[0].display())
        .collect();
    assert_eq!(
        serials,
        [
            "ZF0001-01",
            "ZF0001-02",
            "ZF0001-03",
            "ZF0002-01",
            "ZF0002-02"
        ]
    );
    assert_eq!(households.rows[1][12].display(), "东城湾村");
    assert_eq!(households.rows[1][13].display(), "潘#明");
    assert!(input.sheets.iter().any(|s| s.name == "问题清单"));
    assert!(input.sheets.iter().any(|s| s.name == "说明"));

    // Unfilled, it reads back as blank forms only; with --roster every cadre is below quota.
    let json = dir.path().join("s.json");
    let (run, value) = run_json(
        &[
            "summary",
            path.to_str().unwrap(),
            "-o",
            dir.path().join("s").to_str().unwrap(),
            "--roster",
            roster.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ],
        &json,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("入户调查：读入 5 行 = 计入 0 行 + 退回 0 行 + 未填写的空白行 5 行"),
        "{}",
        run.stdout
    );
    assert_eq!(value["follow_up"].as_array().unwrap().len(), 2);
    assert!(
        run.stdout
            .contains("市民政局 潘#明（ZF0001）：印发 3 份，交回 0 份"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("武进区横山桥镇东城湾村"));
}

/// Copies an xlsx, storing the rows of its first worksheet from row `first`
/// (1-based, as Excel numbers them) ahead of the others. Excel accepts rows
/// in any order, and calamine reads them as they are stored.
fn rows_stored_from(from: &Path, to: &Path, first: u32) {
    use std::io::{Read, Write};
    let mut archive = zip::ZipArchive::new(std::fs::File::open(from).unwrap()).unwrap();
    let mut writer = zip::ZipWriter::new(std::fs::File::create(to).unwrap());
    let number = |row: &str| -> u32 {
        let at = row.find("<row r=\"").expect("a row element") + "<row r=\"".len();
        row[at..].split('"').next().unwrap().parse().unwrap()
    };
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let text = String::from_utf8(bytes).unwrap();
            let start = text.find("<sheetData>").unwrap() + "<sheetData>".len();
            let end = text.find("</sheetData>").unwrap();
            let rows: Vec<&str> = text[start..end].split_inclusive("</row>").collect();
            let (late, early): (Vec<&str>, Vec<&str>) =
                rows.into_iter().partition(|row| number(row) >= first);
            assert!(!late.is_empty() && !early.is_empty());
            let stored: String = late.into_iter().chain(early).collect();
            bytes = format!("{}{stored}{}", &text[..start], &text[end..]).into_bytes();
        }
        writer
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(&bytes).unwrap();
    }
    writer.finish().unwrap();
}

/// A sheet whose first stored rows are not its first rows: they hold a
/// household table's header, but the sheet's top is a problem list. summary
/// reads household sheets (known by their first stored rows) on a thread of
/// their own and makes annex 5 from the other sheets meanwhile; it must
/// notice these problems and make annex 5 again with them.
#[test]
fn problems_in_a_sheet_stored_out_of_order_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = vec![
        house_repair(),
        problem(
            DONGCHENGWAN,
            "意见建议",
            "医疗卫生",
            "待解决",
            "市教育局",
            t("2017-03-10"),
            "村卫生室缺药",
        ),
    ];
    // Row 41, below where headers are looked for: in the sheet as a whole it
    // is one more (wrong) row of the problem list. Stored first, then row 81,
    // it is all a look at a sheet's first stored rows sees.
    rows.resize(39, Vec::new());
    rows.push(HOUSEHOLD_HEADERS.iter().map(|h| t(h)).collect());
    rows.resize(79, Vec::new());
    rows.push(problem(
        DONGCHENGWAN,
        "困难需求",
        "教育文化",
        "待解决",
        "市教育局",
        t("2017-03-11"),
        "校车不够",
    ));
    let in_order = dir.path().join("按顺序.xlsx");
    write_xlsx(&in_order, &[sheet("问题清单", PROBLEM_HEADERS, rows)]).unwrap();
    let out_of_order = dir.path().join("行的存放顺序打乱.xlsx");
    rows_stored_from(&in_order, &out_of_order, 41);
    let summarise = |file: &Path, name: &str| {
        let out = dir.path().join(name);
        let json = dir.path().join(format!("{name}.json"));
        let (run, value) = run_json(
            &[
                "summary",
                file.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
                "--json",
                json.to_str().unwrap(),
            ],
            &json,
        );
        let pdf = out
            .join("报市委农工办")
            .join("附件5_武进区横山桥镇东城湾村.pdf");
        (run, value, pdf_text(&pdf))
    };
    let (run, json, pdf) = summarise(&out_of_order, "打乱");
    let table = village(&json, "东城湾村");
    assert_eq!(
        cell(table, "困难需求", "房屋土地"),
        (1, 0),
        "{}",
        run.stderr
    );
    assert_eq!(cell(table, "意见建议", "医疗卫生"), (0, 1));
    assert_eq!(cell(table, "困难需求", "教育文化"), (0, 1));
    // The household header, read as a problem row, is turned back.
    assert!(run.stdout.contains("有 1 行没有计入汇总"), "{}", run.stdout);
    let (in_order_run, in_order_json, in_order_pdf) = summarise(&in_order, "按顺序");
    assert_eq!(json["annex5"], in_order_json["annex5"]);
    assert_eq!(pdf, in_order_pdf);
    assert_eq!(run.stdout, in_order_run.stdout.replace("按顺序", "打乱"));
}
