//! The campaign across weeks: the same entry workbook sent again and again,
//! re-sorted, with statuses moved on. Nothing counts twice, "solved this
//! week" means solved this week, and the ledger gives a past week's report
//! again exactly.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value as Json;
use zoufang::schema::returns::{HOUSEHOLDS, PROBLEMS};

const DONGCHENGWAN: (&str, &str, &str) = ("武进区", "横山桥镇", "东城湾村");
const WUXING: (&str, &str, &str) = ("钟楼区", "五星街道", "五星社区");
const MAHANG: (&str, &str, &str) = ("武进区", "湖塘镇", "马杭社区");

/// Three departments, one village and one cadre each (ZF0001 to ZF0003,
/// five forms each); 市教育局 will send nothing.
fn roster(dir: &Path) -> PathBuf {
    roster_with(dir, n(5.0))
}

/// The same roster, every cadre's 走访户数 given as `quota`.
fn roster_with(dir: &Path, quota: Value) -> PathBuf {
    let path = dir.join("名单.xlsx");
    let departments = ["市民政局", "市财政局", "市教育局"];
    let villages = [DONGCHENGWAN, WUXING, MAHANG];
    let cadres = ["张三", "李四", "王五"];
    let depts = sheet(
        "单位",
        DEPT_HEADERS,
        departments
            .iter()
            .map(|d| vec![t(d), t("联系人"), t("85681596")])
            .collect(),
    );
    let village_rows = sheet(
        "村（社区）",
        VILLAGE_HEADERS,
        villages
            .iter()
            .zip(departments)
            .map(|(v, d)| {
                vec![
                    t(v.0),
                    t(v.1),
                    t(v.2),
                    t(""),
                    t("书记"),
                    t("13806110011"),
                    t(d),
                ]
            })
            .collect(),
    );
    let cadre_rows = sheet(
        "干部",
        CADRE_HEADERS,
        cadres
            .iter()
            .zip(departments)
            .zip(villages)
            .enumerate()
            .map(|(i, ((c, d), v))| {
                vec![
                    t(c),
                    t(d),
                    t("科员"),
                    t(&format!("1380013800{i}")),
                    t(v.2),
                    quota.clone(),
                    t(&format!("ZF000{}", i + 1)),
                ]
            })
            .collect(),
    );
    write_xlsx(&path, &[depts, village_rows, cadre_rows]).expect("roster");
    path
}

/// A household row as a clerk fills the entry workbook.
fn household(
    serial: &str,
    head: &str,
    members: Value,
    village: (&str, &str, &str),
    cadre: &str,
    dept: &str,
    date: &str,
) -> Vec<Value> {
    let mut row = vec![Value::Blank; HOUSEHOLDS.columns.len()];
    let mut set = |name: &str, v: Value| row[HOUSEHOLDS.column(name)] = v;
    set("编号", t(serial));
    set("户主姓名", t(head));
    set("联系电话", t("13912345678"));
    set("家庭成员数", members);
    set("家庭住址", t("某某路1号"));
    set("市（区）", t(village.0));
    set("镇（街道）", t(village.1));
    set("村（社区）", t(village.2));
    set("采集人", t(cadre));
    set("单位", t(dept));
    set("走访日期", t(date));
    row
}

/// A problem row: 序号, text, status, the visit's date and the 办结日期.
fn problem(number: f64, text: &str, status: &str, date: &str, solved_on: &str) -> Vec<Value> {
    let mut row = vec![Value::Blank; PROBLEMS.columns.len()];
    let mut set = |name: &str, v: Value| row[PROBLEMS.column(name)] = v;
    set("序号", n(number));
    set("走访对象", t("王大明"));
    set("市（区）", t(DONGCHENGWAN.0));
    set("镇（街道）", t(DONGCHENGWAN.1));
    set("村（社区）", t(DONGCHENGWAN.2));
    set("类型", t("困难需求"));
    set("类别", t("房屋土地"));
    set("反映问题或意见建议", t(text));
    set("办理意见", t("已转镇里"));
    set("状态", t(status));
    set("走访人", t("张三"));
    set("单位", t("市民政局"));
    set("走访日期", t(date));
    set("办结日期", t(solved_on));
    row
}

fn entry_workbook(path: &Path, households: Vec<Vec<Value>>, problems: Vec<Vec<Value>>) -> PathBuf {
    let headers = |spec: &zoufang::input::table::TableSpec| spec.headers();
    let h = headers(&HOUSEHOLDS);
    let p = headers(&PROBLEMS);
    let h: Vec<&str> = h.iter().map(String::as_str).collect();
    let p: Vec<&str> = p.iter().map(String::as_str).collect();
    write_xlsx(
        path,
        &[
            sheet("入户调查", &h, households),
            sheet("问题清单", &p, problems),
        ],
    )
    .expect("returns");
    path.to_path_buf()
}

fn mz(serial: &str, head: &str, date: &str) -> Vec<Value> {
    household(serial, head, n(3.0), DONGCHENGWAN, "张三", "市民政局", date)
}

/// 市民政局's workbook at the end of week 1 (6-12 March 2017).
fn civil_week1(dir: &Path) -> PathBuf {
    entry_workbook(
        &dir.join("民政局_第1周.xlsx"),
        vec![
            mz("ZF0001-01", "王大明", "2017-03-06"),
            mz("ZF0001-02", "李小红", "2017-03-07"),
            mz("ZF0001-03", "赵刚", "2017-03-08"),
        ],
        vec![
            problem(1.0, "房屋漏雨", "待解决", "2017-03-06", ""),
            problem(2.0, "院墙倒塌", "已解决", "2017-03-07", "2017-03-08"),
            problem(3.0, "宅基地纠纷", "已解决", "2017-03-08", ""),
        ],
    )
}

/// The same workbook a week later: week 1's rows again, re-sorted, one
/// status moved on, two visits and a problem added.
fn civil_week2(dir: &Path) -> PathBuf {
    entry_workbook(
        &dir.join("民政局_第2周.xlsx"),
        vec![
            mz("ZF0001-03", "赵刚", "2017-03-08"),
            mz("ZF0001-01", "王大明", "2017-03-06"),
            mz("ZF0001-02", "李小红", "2017-03-07"),
            mz("ZF0001-04", "孙丽", "2017-03-14"),
            mz("ZF0001-05", "周强", "2017-03-15"),
        ],
        vec![
            problem(3.0, "宅基地纠纷", "已解决", "2017-03-08", ""),
            problem(1.0, "房屋漏雨", "已解决", "2017-03-06", ""),
            problem(2.0, "院墙倒塌", "已解决", "2017-03-07", "2017-03-08"),
            problem(4.0, "危房改造", "已解决", "2017-03-14", "2017-03-15"),
        ],
    )
}

/// 市财政局's one return.
fn finance(dir: &Path) -> PathBuf {
    entry_workbook(
        &dir.join("财政局.xlsx"),
        vec![household(
            "ZF0002-01",
            "钱多多",
            n(4.0),
            WUXING,
            "李四",
            "市财政局",
            "2017-03-09",
        )],
        Vec::new(),
    )
}

fn summary_json(args: &[&str], json: &Path) -> (Run, Json) {
    let mut all = vec!["summary"];
    all.extend_from_slice(args);
    all.extend(["--json", json.to_str().unwrap(), "-q"]);
    let run = zoufang(&all);
    let text = std::fs::read_to_string(json).unwrap_or_else(|_| panic!("{}", run.stderr));
    (run, serde_json::from_str(&text).unwrap())
}

/// (period, cumulative) figures of a department: cadres, households,
/// problems, solved.
fn figures(json: &Json, department: &str) -> ([u64; 4], [u64; 4]) {
    let w = json["weekly"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["department"] == department)
        .unwrap_or_else(|| panic!("no {department} in {}", json["weekly"]));
    let four =
        |f: &Json| ["cadres", "households", "problems", "solved"].map(|k| f[k].as_u64().unwrap());
    (four(w), four(&w["cumulative"]))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The roster, and 市民政局's two weeks and 市财政局's one return, summed
/// up for the week of 13-19 March as received on 20 March into `out`, with
/// `more` flags.
fn two_weeks(dir: &Path, out: &Path, more: &[&str]) -> (Run, Json) {
    let roster = roster(dir);
    let (w1, w2, fin) = (civil_week1(dir), civil_week2(dir), finance(dir));
    let mut args = vec![
        s(&w1),
        s(&w2),
        s(&fin),
        "-o",
        s(out),
        "--roster",
        s(&roster),
        "--week",
        "2017-03-15",
        "--received",
        "2017-03-20",
    ];
    args.extend_from_slice(more);
    summary_json(&args, &dir.join("s.json"))
}

#[test]
fn week_two_sent_with_week_one_counts_every_household_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let json = dir.path().join("s.json");
    let (run, j) = two_weeks(dir.path(), &out, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // Week 2 (13-19 March): two new households, one problem raised; solved
    // then: only 序号4 (办结日期 15 March). 序号1 and 序号3 carry no
    // 办结日期: they count as solved the day received (20 March), not this week.
    assert_eq!(figures(&j, "市民政局"), ([1, 2, 1, 1], [1, 5, 4, 2]));
    assert_eq!(figures(&j, "市财政局"), ([0, 0, 0, 0], [1, 1, 0, 0]));
    let account = &j["account"]["households"];
    assert_eq!(
        (
            account["read"].as_u64(),
            account["counted"].as_u64(),
            account["duplicates"].as_u64()
        ),
        (Some(9), Some(6), Some(3))
    );
    assert!(
        run.stderr.contains("有 3 户入户调查和 3 个问题在文件「"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("读入 9 行 = 计入 6 行 + 重复（只计一次）3 行"),
        "{}",
        run.stdout
    );
    // 市教育局 sent nothing.
    assert_eq!(
        j["completeness"]["missing"],
        serde_json::json!(["市教育局"])
    );
    assert!(
        run.stdout.contains("名单上 3 个单位，本期已交 2 个（67%）"),
        "{}",
        run.stdout
    );

    // The same workbook given twice is read once.
    let w1 = civil_week1(dir.path());
    let (run, j) = summary_json(
        &[s(&w1), s(&w1), "-o", s(&out), "--received", "2017-03-13"],
        &json,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("内容完全相同（同一个文件交了两次）"),
        "{}",
        run.stderr
    );
    assert_eq!(figures(&j, "市民政局").1, [1, 3, 3, 2]);
}

#[test]
fn a_serial_on_two_households_and_impossible_rows_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let roster = roster(dir.path());
    let file = entry_workbook(
        &dir.path().join("民政局.xlsx"),
        vec![
            mz("ZF0001-01", "王大明", "2017-03-06"),
            mz("ZF0001-01", "李小红", "2017-03-07"),
            mz("ZF0009-01", "赵刚", "2017-03-08"),
            mz("ZF0001-02", "孙丽", "2071-03-08"),
            household(
                "ZF0001-03",
                "周强",
                t("三口人"),
                DONGCHENGWAN,
                "张三",
                "市民政局",
                "2017-03-09",
            ),
            household(
                "ZF0001-04",
                "吴敏",
                n(-3.0),
                DONGCHENGWAN,
                "张三",
                "市民政局",
                "2017-03-09",
            ),
            mz("ZF0001-05", "郑华", "2016-03-09"),
        ],
        vec![problem(
            1.0,
            "房屋漏雨",
            "待解决",
            "2017-03-06",
            "2017-03-09",
        )],
    );
    let out = dir.path().join("out");
    let json = dir.path().join("s.json");
    let (run, j) = summary_json(
        &[
            s(&file),
            "-o",
            s(&out),
            "--roster",
            s(&roster),
            "--received",
            "2017-03-13",
        ],
        &json,
    );
    assert_eq!(run.code, 1);
    let name = file.display();
    for expected in [
        format!(
            "【错误】文件「{name}」工作表「入户调查」第3行B列（户主姓名）：编号「ZF0001-01」的入户调查在本表第2行已经有了，两行内容不同：户主姓名「王大明」→「李小红」，走访日期「2017-03-06」→「2017-03-07」"
        ),
        format!(
            "【错误】文件「{name}」工作表「入户调查」第4行A列（编号），填的是「ZF0009-01」：这个编号不是名单印出的入户调查表编号"
        ),
        format!(
            "【错误】文件「{name}」工作表「入户调查」第5行P列（走访日期），填的是「2071-03-08」：走访日期晚于收到这份表的日期（2017-03-13）"
        ),
        // Two rows with the same fault in one column: said once.
        format!(
            "【错误】文件「{name}」工作表「入户调查」D列（家庭成员数）共 2 行（第6行「三口人」、第7行「-3」）：家庭成员数应为1到50之间的整数"
        ),
        format!(
            "【错误】文件「{name}」工作表「入户调查」第8行P列（走访日期），填的是「2016-03-09」：走访日期早于走访开始的日期（2017-03-01）"
        ),
        format!(
            "【错误】文件「{name}」工作表「问题清单」第2行N列（办结日期），填的是「2017-03-09」：状态是待解决，却填了办结日期"
        ),
    ] {
        assert!(
            run.stderr.contains(&expected),
            "missing {expected}\n{}",
            run.stderr
        );
    }
    let account = &j["account"]["households"];
    assert_eq!(
        (
            account["read"].as_u64(),
            account["counted"].as_u64(),
            account["rejected"].as_u64()
        ),
        (Some(7), Some(1), Some(6))
    );
    assert_eq!(j["rejected"].as_array().unwrap().len(), 7);
}

/// The ledger: week 1 imported on 13 March, week 2 on 20 March; week 1's
/// report made again afterwards gives the same figures; bytes imported again
/// change nothing; a household changed between weeks is a conflict the later
/// one wins.
#[test]
fn the_ledger_counts_each_week_once_and_remembers_past_weeks() {
    let dir = tempfile::tempdir().unwrap();
    let roster = roster(dir.path());
    let ledger = dir.path().join("台账.sqlite");
    let (w1, w2, fin) = (
        civil_week1(dir.path()),
        civil_week2(dir.path()),
        finance(dir.path()),
    );
    let out = dir.path().join("out");
    let json = dir.path().join("s.json");
    let base = [
        "-o",
        s(&out),
        "--roster",
        s(&roster),
        "--ledger",
        s(&ledger),
    ];
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|a| a.to_string()).collect()
    };
    let run_with = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        summary_json(&args, &json)
    };

    let (run, week1) = run_with(with(&[
        s(&w1),
        s(&fin),
        "--received",
        "2017-03-13",
        "--week",
        "2017-03-08",
    ]));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(figures(&week1, "市民政局"), ([1, 3, 3, 1], [1, 3, 3, 1]));
    assert_eq!(
        week1["completeness"]["missing"],
        serde_json::json!(["市教育局"])
    );
    assert_eq!(week1["ledger"]["imports"].as_array().unwrap().len(), 2);

    // The same bytes again: nothing changes.
    let (run, _) = run_with(with(&[
        s(&w1),
        "--received",
        "2017-03-14",
        "--week",
        "2017-03-08",
    ]));
    assert!(
        run.stderr
            .contains("以前已经导入过台账（第1次导入：2017-03-13收到的「"),
        "{}",
        run.stderr
    );

    let (run, week2) = run_with(with(&[
        s(&w2),
        "--received",
        "2017-03-20",
        "--week",
        "2017-03-15",
    ]));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // Solved in week 2: 序号3 (first shown solved in the return received 13
    // March) and 序号4 (办结日期 15 March). 序号1 became solved in the return
    // received 20 March: next week's.
    assert_eq!(figures(&week2, "市民政局"), ([1, 2, 1, 2], [1, 5, 4, 3]));
    assert_eq!(figures(&week2, "市财政局"), ([0, 0, 0, 0], [1, 1, 0, 0]));
    // Annex 5 as of 20 March: all four problems solved.
    assert_eq!(annex5_totals(&week2, |t| t["level"] == "city"), (4, 0));

    // Week 1's report made again now, as of the day it was made.
    let (run, again) = run_with(with(&["--week", "2017-03-08", "--as-of", "2017-03-13"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    for key in ["weekly", "annex5", "completeness"] {
        assert_eq!(again[key], week1[key], "{key}");
    }

    // A household whose head was written differently in a later return.
    let w3 = entry_workbook(
        &dir.path().join("民政局_第3周.xlsx"),
        vec![mz("ZF0001-02", "李晓红", "2017-03-07")],
        Vec::new(),
    );
    let (run, _) = run_with(with(&[
        s(&w3),
        "--received",
        "2017-03-27",
        "--week",
        "2017-03-22",
    ]));
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("编号「ZF0001-02」的入户调查与台账里先前导入的（文件「"),
        "{}",
        run.stderr
    );
    // It names the column and both values.
    assert!(
        run.stderr
            .contains("工作表「入户调查」第2行B列（户主姓名）：")
            && run
                .stderr
                .contains("内容不同：户主姓名「李小红」→「李晓红」。按这次交的计算"),
        "{}",
        run.stderr
    );
}

/// A workbook that is not a return (the roster, dropped by mistake) is not
/// recorded in the ledger: given again, it is refused again for what it is,
/// not waved through as "imported before, nothing changed".
#[test]
fn a_workbook_that_is_not_a_return_stays_out_of_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let roster = roster(dir.path());
    let ledger = dir.path().join("台账.sqlite");
    let out = dir.path().join("out");
    let json = dir.path().join("s.json");
    for _ in 0..2 {
        let (run, json) = summary_json(
            &[
                s(&roster),
                "--ledger",
                s(&ledger),
                "--received",
                "2017-03-20",
                "-o",
                s(&out),
            ],
            &json,
        );
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr
                .contains("：没有找到入户调查表、问题清单或附件5汇总表。"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("以前已经导入过"), "{}", run.stderr);
        assert!(
            run.stdout.contains("有 1 处错误（见上面的【错误】）"),
            "{}",
            run.stdout
        );
        assert!(!run.stdout.contains("有 0 行"), "{}", run.stdout);
        assert_eq!(json["ledger"]["imports"], serde_json::json!([]), "{json}");
    }
}

/// A roster that leaves 走访户数 blank prints as many forms as the settings
/// file beside it says: those serials are the roster's, not strangers.
#[test]
fn serials_follow_the_settings_default_quota() {
    let dir = tempfile::tempdir().unwrap();
    let roster = roster_with(dir.path(), t(""));
    std::fs::write(dir.path().join("zoufang.toml"), "default_quota = 40\n").unwrap();
    let file = entry_workbook(
        &dir.path().join("民政局.xlsx"),
        vec![mz("ZF0001-35", "王大明", "2017-03-06")],
        Vec::new(),
    );
    let out = dir.path().join("out");
    let json = dir.path().join("s.json");
    let (run, j) = summary_json(
        &[
            s(&file),
            "-o",
            s(&out),
            "--roster",
            s(&roster),
            "--received",
            "2017-03-13",
        ],
        &json,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(figures(&j, "市民政局").1, [1, 1, 0, 0]);
}

#[test]
fn the_weekly_brief_says_what_the_json_says_and_charts_it() {
    let dir = tempfile::tempdir().unwrap();
    let run_into = |out: &Path, emit: &Path| two_weeks(dir.path(), out, &["--emit-data", s(emit)]);
    let (out, emit) = (dir.path().join("out"), dir.path().join("data"));
    let (run, j) = run_into(&out, &emit);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let brief = out.join("走访情况周报_2017-03-13至2017-03-19.pdf");
    // Numbers apart (table rows, chart labels), and words without the
    // spaces text extraction puts where the font changes.
    let text = pdf_words(&brief);
    let flat = pdf_text(&brief);
    let says = |phrase: &str| {
        let phrase: String = phrase.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(flat.contains(&phrase), "{phrase} not in {text}");
    };
    says("走访情况周报");
    says("统计期：2017年3月13日至2017年3月19日");
    // Every department's period and cumulative figures, as the JSON has
    // them; the roster's department that sent nothing, as zeros.
    for department in ["市民政局", "市财政局"] {
        let (period, cumulative) = figures(&j, department);
        let row = std::iter::once(department.to_string())
            .chain(period.iter().chain(&cumulative).map(|n| n.to_string()))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(text.contains(&row), "{row} not in {text}");
    }
    assert!(text.contains("市教育局 0 0 0 0 0 0 0 0"), "{text}");
    assert!(text.contains("合计 1 2 1 1 2 6 4 2"), "{text}");
    says("干部走访1人、走访2户，汇总问题1个，解决问题1个");
    // Who has reported.
    says("名单上共3个单位，本期交回录入表的2个（67%）");
    says("还没有交的1个：市教育局");
    // The charts' labels: progress against the forms printed, lowest first;
    // households per week; problems by category and district.
    let progress = ["0 / 5 户 0%", "1 / 5 户 20%", "5 / 5 户 100%"];
    let at: Vec<usize> = progress
        .iter()
        .map(|p| text.find(p).unwrap_or_else(|| panic!("{p} not in {text}")))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert!(text.contains("4 2 3/6–3/12 3/13–3/19"), "{text}");
    // Charts 3 and 4 count the problems as the text does, at the period's
    // end (4 raised, 2 solved by 19 March), not as of the report's day.
    says("截至2017年3月19日）");
    says("房屋土地 已解决 2 待解决 2");
    says("武进区 已解决 2 待解决 2");
    // Counts only: no household's name, no phone.
    for private in ["王大明", "钱多多", "1390000"] {
        assert!(!flat.contains(private), "{private} in {text}");
    }
    // Each chart alone as SVG, and the data every template received.
    let charts = out.join("周报图表");
    let svgs: Vec<_> = std::fs::read_dir(&charts)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(svgs.len(), 4, "{svgs:?}");
    for svg in &svgs {
        let head = std::fs::read_to_string(svg).unwrap();
        assert!(head.starts_with("<svg"), "{}", svg.display());
    }
    let data: Json = serde_json::from_str(
        &std::fs::read_to_string(emit.join("走访情况周报_2017-03-13至2017-03-19.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(data["departments"][0]["name"], "市民政局");
    let chart: Json = serde_json::from_str(
        &std::fs::read_to_string(emit.join("周报图表/图2_每周走访户数.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(chart["chart"], "weeks");
    let weeks: Vec<u64> = chart["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["households"].as_u64().unwrap())
        .collect();
    assert_eq!(weeks, [4, 2]);

    // Same inputs, same bytes.
    let again = dir.path().join("again");
    run_into(&again, &dir.path().join("data2"));
    assert_eq!(
        std::fs::read(&brief).unwrap(),
        std::fs::read(again.join(brief.file_name().unwrap())).unwrap()
    );
    for svg in &svgs {
        assert_eq!(
            std::fs::read(svg).unwrap(),
            std::fs::read(again.join("周报图表").join(svg.file_name().unwrap())).unwrap()
        );
    }
}

#[test]
fn the_closing_pack_lists_what_is_pending_without_names_or_phones() {
    let dir = tempfile::tempdir().unwrap();
    let roster = roster(dir.path());
    let civil = entry_workbook(
        &dir.path().join("民政局.xlsx"),
        vec![
            mz("ZF0001-01", "王大明", "2017-03-06"),
            mz("ZF0001-02", "李小红", "2017-03-07"),
            mz("ZF0001-03", "赵刚", "2017-03-14"),
        ],
        vec![
            problem(
                1.0,
                "房屋漏雨，请回电13912345678",
                "待解决",
                "2017-03-06",
                "",
            ),
            problem(2.0, "院墙倒塌", "已解决", "2017-03-07", "2017-03-08"),
        ],
    );
    let fin = finance(dir.path());
    let out = dir.path().join("out");
    let ledger = dir.path().join("台账.sqlite");
    // Through a ledger: what the pack lists (the cadre, too) comes back
    // from it.
    let run = zoufang(&[
        "summary",
        s(&civil),
        s(&fin),
        "--ledger",
        s(&ledger),
        "--received",
        "2017-03-20",
        "--roster",
        s(&roster),
        "--closing",
        "-o",
        s(&out),
        "-q",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let folder = out.join("结束总结");
    let mut files: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "走访活动数据汇总_全市.pdf",
            "走访活动数据汇总_市教育局.pdf",
            "走访活动数据汇总_市民政局.pdf",
            "走访活动数据汇总_市财政局.pdf",
        ]
    );
    let civil_pack = folder.join("走访活动数据汇总_市民政局.pdf");
    let words = pdf_words(&civil_pack);
    let flat = pdf_text(&civil_pack);
    // Totals: 1 cadre, 3 households, 1 village, 2 problems (1 solved, 1
    // pending), 5 forms printed, 60% visited.
    assert!(words.contains("1 3 1 2 1 1 5 60%"), "{words}");
    assert!(flat.contains("五、待解决的问题（1个）"), "{flat}");
    assert!(
        flat.contains("1武进区横山桥镇东城湾村张三房屋土地2017-03-06房屋漏雨，请回电139****5678"),
        "{flat}"
    );
    assert!(words.contains("3/6–3/12 3/13–3/19"), "{words}");
    assert!(flat.contains("武进区横山桥镇东城湾村3211"), "{flat}");
    let city = pdf_words(&folder.join("走访活动数据汇总_全市.pdf"));
    assert!(city.contains("市民政局 3 2 1 1"), "{city}");
    assert!(city.contains("市财政局 1 0 0 0"), "{city}");
    assert!(city.contains("2 4 2 2 1 1 15 27%"), "{city}");
    for pack in &files {
        let text = pdf_text(&folder.join(pack));
        for private in ["王大明", "李小红", "钱多多", "13912345678"] {
            assert!(!text.contains(private), "{private} in {pack}: {text}");
        }
    }
}

#[test]
fn a_received_day_before_the_campaign_or_after_today_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let w1 = civil_week1(dir.path());
    let ledger = dir.path().join("台账.sqlite");
    for (day, said) in [
        ("2099-01-01", "晚于今天"),
        ("2016-12-01", "早于走访开始的日期（2017-03-01）"),
    ] {
        let run = zoufang(&[
            "summary",
            s(&w1),
            "--ledger",
            s(&ledger),
            "--received",
            day,
            "-o",
            s(&dir.path().join("out")),
        ]);
        assert_eq!(run.code, 2, "{day}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("收到日期（{day}）"))
                && run.stderr.contains(said)
                && run.stderr.contains("--received"),
            "{}",
            run.stderr
        );
        assert!(!ledger.exists(), "nothing imported on {day}");
    }
}

/// Departments send a week's returns after it ends: one received on the
/// Monday after is that week's — its visits in that week's report made
/// after it (today by default), and its department counted as having
/// reported for that week, not for the week the Monday starts.
#[test]
fn a_return_received_on_monday_is_the_week_befores() {
    let dir = tempfile::tempdir().unwrap();
    let roster = roster(dir.path());
    let ledger = dir.path().join("台账.sqlite");
    let w1 = civil_week1(dir.path());
    let out = dir.path().join("out");
    let json = dir.path().join("s.json");
    let report = |week: &str, more: &[&str]| {
        let mut args = vec![
            "-o",
            s(&out),
            "--roster",
            s(&roster),
            "--ledger",
            s(&ledger),
            "--week",
            week,
        ];
        args.extend_from_slice(more);
        summary_json(&args, &json).1
    };
    // Imported on Monday 13 March, reported on its own day for week 6-12.
    let week1 = report("2017-03-08", &[s(&w1), "--received", "2017-03-13"]);
    assert_eq!(figures(&week1, "市民政局").0, [1, 3, 3, 1]);
    let reported = |json: &Json| json["completeness"]["reported"].clone();
    assert_eq!(reported(&week1), serde_json::json!(["市民政局"]));
    // Reported later from the ledger alone: the same week, the same figures.
    let later = report("2017-03-08", &[]);
    assert_eq!(figures(&later, "市民政局").0, [1, 3, 3, 1]);
    assert_eq!(reported(&later), serde_json::json!(["市民政局"]));
    // The week that Monday starts: nothing reported for it.
    let week2 = report("2017-03-15", &[]);
    assert_eq!(reported(&week2), serde_json::json!([]));
    // As of a day before the return came, it was not there.
    let before = report("2017-03-08", &["--as-of", "2017-03-12"]);
    assert_eq!(reported(&before), serde_json::json!([]));
    assert_eq!(before["weekly"], serde_json::json!([]));
    // With no grace days (a setting), a Monday return is the new week's.
    std::fs::write(dir.path().join("zoufang.toml"), "report_grace_days = 0\n").unwrap();
    assert_eq!(
        reported(&report("2017-03-15", &[])),
        serde_json::json!(["市民政局"])
    );
    assert_eq!(reported(&report("2017-03-08", &[])), serde_json::json!([]));
}

/// Week 1 withdrawn after week 2 (which held week 1's rows unchanged):
/// every household week 2 held still counts; a report as of a day before
/// the withdrawal gives what it gave; the same bytes can be imported again.
#[test]
fn withdrawing_an_import_keeps_what_a_later_one_held_and_past_reports() {
    let dir = tempfile::tempdir().unwrap();
    let roster = roster(dir.path());
    let ledger = dir.path().join("台账.sqlite");
    let (w1, w2, fin) = (
        civil_week1(dir.path()),
        civil_week2(dir.path()),
        finance(dir.path()),
    );
    let out = dir.path().join("out");
    let json = dir.path().join("s.json");
    let report = |extra: &[&str]| {
        let mut args = vec![
            "-o",
            s(&out),
            "--roster",
            s(&roster),
            "--ledger",
            s(&ledger),
            "--week",
            "2017-03-15",
        ];
        args.extend_from_slice(extra);
        summary_json(&args, &json)
    };
    report(&[s(&w1), s(&fin), "--received", "2017-03-13"]);
    let (_, before) = report(&[s(&w2), "--received", "2017-03-20"]);
    let cumulative = figures(&before, "市民政局").1;
    assert_eq!(cumulative[..3], [1, 5, 4]);

    let withdrawn = zoufang(&["ledger", "withdraw", "1", "--ledger", s(&ledger)]);
    assert_eq!(withdrawn.code, 0, "{}", withdrawn.stderr);
    assert!(
        withdrawn.stdout.contains("已撤回第1次导入"),
        "{}",
        withdrawn.stdout
    );
    let listed = zoufang(&["ledger", "list", "--ledger", s(&ledger)]);
    let first = listed
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .expect("import 1 listed");
    assert!(
        first.contains("撤回") && first.contains("民政局_第1周.xlsx"),
        "{}",
        listed.stdout
    );
    // As of today: week 2 held all of week 1's households, so they count.
    let (_, now) = report(&[]);
    assert_eq!(
        figures(&now, "市民政局").1[..3],
        [1, 5, 4],
        "{}",
        now["weekly"]
    );
    // As of the day week 2 came, before the withdrawal: as it was.
    let (_, then) = report(&["--as-of", "2017-03-20"]);
    assert_eq!(then["weekly"], before["weekly"]);
    assert_eq!(then["completeness"], before["completeness"]);
    // Withdrawn twice: said, nothing changes.
    let again = zoufang(&["ledger", "withdraw", "1", "--ledger", s(&ledger)]);
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("已经在") && again.stderr.contains("撤回了"),
        "{}",
        again.stderr
    );
    // The same bytes imported again: a new import.
    let (run, _) = report(&[s(&w1), "--received", "2017-03-13"]);
    assert!(!run.stderr.contains("已经导入过"), "{}", run.stderr);
    let shown = zoufang(&["ledger", "show", "4", "--ledger", s(&ledger)]);
    assert!(shown.stdout.contains("第4次导入：「"), "{}", shown.stdout);
    assert!(
        shown.stdout.contains("收到日期：2017-03-13"),
        "{}",
        shown.stdout
    );
}
