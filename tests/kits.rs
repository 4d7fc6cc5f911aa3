//! `zoufang kits` end to end: the sample roster and special names, read back
//! from the PDFs that were written.

mod common;

use std::collections::HashSet;
use std::path::Path;

use common::*;

const ANNEX1_LABELS: &[&str] = &[
    "附件1",
    "村（社区）调查表",
    "（市区）",
    "镇（街道）",
    "村（社区）",
    "基本情况",
    "总户数",
    "总人口",
    "人均可支配收入（元）",
    "村（社区）干部平均年收入（元）",
    "自然村个数",
    "村民小组个数",
    "党员人数",
    "党支部个数",
    "大学生村官人数",
    "2016年村（社区）集体总收入（万元）",
    "2016年村（社区）经营性收入（万元）",
    "2016年村（社区）集体总资产（万元）",
    "本村存在的主要困难和发展对策建议（可另附纸）",
    "基层党建方面：",
    "村级经济发展方面：",
    "公共服务方面：",
    "社会治理及稳定方面：",
    "就业创业方面：",
    "其他方面：",
    "书记：",
    "电话：",
    "走访单位",
    "联系人：",
    "日期：",
    "年",
    "月",
    "日",
];

const ANNEX3_LABELS: &[&str] = &[
    "附件3",
    "群众入户调查表",
    "户主姓名",
    "联系电话",
    "家庭成员数",
    "家庭住址",
    "家庭收入情况",
    "(家境情况)",
    "致贫原因及现状",
    "(贫困户填写)",
    "困难需求",
    "意见建议",
    "(对居住、就医、教育、文化、平安、社保等)",
    "意见建议处理落实情况",
    "所属地：",
    "市(区)",
    "镇(街道)",
    "村(社区)",
    "采集人(单位)：",
    "走访日期：",
];

/// Annex 4's labels. The 走访人 line is the kit's own, printed over the
/// frame all kits share (see `Engine::typeset`), so in the file's text it
/// comes after the frame's labels, though on paper it sits above the table.
const ANNEX4_LABELS: &[&str] = &[
    "附件4",
    "党员干部走访收集问题清单",
    "(个人填写,交本单位汇总)",
    "序号",
    "走访对象",
    "反映问题或意见建议",
    "办理意见",
    "走访人:",
    "走访时间:",
];

/// Labels in the order given appear in the text in that order.
fn assert_in_order(text: &str, labels: &[&str], what: &str) {
    let mut from = 0;
    for label in labels {
        match text[from..].find(label) {
            Some(i) => from += i + label.len(),
            None => panic!("{what}: label {label} missing or out of order in {text}"),
        }
    }
}

#[test]
fn sample_kits_hold_every_form_prefilled() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let roster = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/roster.xlsx");
    let run = print_into("kits", &roster, &out, &["--quiet"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("已生成 38 个文件，共 885 页"),
        "{}",
        run.stdout
    );

    let manifest = read_csv(&out.join("清单.csv"));
    assert_eq!(manifest[0][..3], ["文件", "种类", "页数"]);
    let rows = &manifest[1..];
    assert_eq!(rows.len(), 38);
    let mut serials = Vec::new();
    let mut card_files = 0;
    let mut entry_workbooks = 0;
    for row in rows {
        let path = out.join(&row[0]);
        if row[1].starts_with("录入表") {
            entry_workbooks += 1;
            assert!(path.exists());
            continue;
        }
        let pages = pdf_pages(&path);
        assert_eq!(pages.len().to_string(), row[2], "{}", row[0]);
        if row[1].starts_with("单位联系卡") {
            card_files += 1;
            continue;
        }
        if row[4].is_empty() {
            // Annex 1: one page, pre-filled with the village, its secretary and the department.
            let text = &pages[0];
            assert_in_order(text, ANNEX1_LABELS, &row[0]);
            for value in [&row[6], &row[7], &row[8], &row[3]] {
                assert!(text.contains(value.as_str()), "{} lacks {value}", row[0]);
            }
        } else {
            let (first, last) = (&row[9], &row[10]);
            let quota: usize = row[11].parse().unwrap();
            let card_pages = quota.div_ceil(10) * 2;
            assert_eq!(pages.len(), card_pages + quota + 1, "{}", row[0]);
            for (i, page) in pages[card_pages..card_pages + quota].iter().enumerate() {
                assert_in_order(page, ANNEX3_LABELS, &row[0]);
                let serial = format!("{}-{:02}", row[5], i + 1);
                assert!(
                    page.contains(&format!("编号：{serial}")),
                    "{serial} on page {i} of {}",
                    row[0]
                );
                assert!(page.contains(&format!("采集人(单位)：{}（{}）", row[4], row[3])));
                assert!(page.contains(&format!(
                    "所属地：{}市(区){}镇(街道){}村(社区)",
                    row[6], row[7], row[8]
                )));
                serials.push(serial);
            }
            assert_eq!(&serials[serials.len() - quota], first);
            assert_eq!(serials.last().unwrap(), last);
            let annex4 = pages.last().unwrap();
            assert_in_order(annex4, ANNEX4_LABELS, &row[0]);
            assert!(annex4.contains(&format!("走访人:{}（{}）", row[4], row[3])));
        }
    }
    assert_eq!(card_files, 4, "one card file per department");
    assert_eq!(entry_workbooks, 4, "one entry workbook per department");
    assert_eq!(serials.len(), 607);
    assert_eq!(
        serials.iter().collect::<HashSet<_>>().len(),
        607,
        "serials are unique"
    );

    // Names are printed exactly as the roster writes them (spaces in two-character names dropped).
    let by_name = |name: &str| {
        rows.iter()
            .find(|r| r[4] == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    for name in ["刘洋", "杨喆", "许昇", "周敏"] {
        assert!(pdf_text(&out.join(&by_name(name)[0])).contains(name));
    }
    let village = |v: &str| rows.iter().find(|r| r[4].is_empty() && r[8] == v).unwrap();
    let pingqiao = pdf_text(&out.join(&village("平桥村")[0]));
    for value in [
        "史瑢",
        "13584500088",
        "市卫生和计划生育委员会",
        "李堃",
        "13861220088",
    ] {
        assert!(pingqiao.contains(value), "{value} in {pingqiao}");
    }
    let jiaoxi = pdf_text(&out.join(&village("焦溪村")[0]));
    assert!(
        jiaoxi.contains("85682233、13861234567"),
        "a list of numbers is kept as written"
    );
}

#[test]
fn special_characters_print_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let names = ["潘#明", "吴$婷[实习]", "王\\磊", "李堃", "刘䶮"];
    let cadres: Vec<(&str, String, f64)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, format!("1380013800{i}"), 1.0))
        .collect();
    let cadres: Vec<(&str, &str, f64)> = cadres
        .iter()
        .map(|(n, m, q)| (*n, m.as_str(), *q))
        .collect();
    let roster = small_roster(dir.path(), &cadres);
    let out = dir.path().join("out");
    let manifest = kits_manifest(&roster, &out);
    for name in names {
        let row = manifest
            .iter()
            .find(|r| r[4] == name)
            .unwrap_or_else(|| panic!("{name} in manifest"));
        let text = pdf_text(&out.join(&row[0]));
        assert!(
            text.contains(&format!("采集人(单位)：{name}（市民政局）")),
            "{name}: {text}"
        );
        assert!(
            text.contains(&format!("走访人:{name}（市民政局）")),
            "{name}: {text}"
        );
    }
}

#[test]
fn undrawable_character_is_a_fault_naming_the_person() {
    let dir = tempfile::tempdir().unwrap();
    let roster = small_roster(dir.path(), &[("张\u{30000}", "13800138000", 30.0)]);
    let run = zoufang(&["check", roster.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("工作表「干部」第2行：干部「张\u{30000}」的资料里有字体中没有的字：「\u{30000}」(U+30000)"),
        "{}",
        run.stderr
    );
    let out = dir.path().join("out");
    let run = print_into("kits", &roster, &out, &[]);
    assert_eq!(run.code, 1);
    assert!(
        !out.exists(),
        "nothing is written when the roster has faults"
    );
}

/// The decoded content of every form XObject (placed PDF page) in a PDF.
fn form_contents(path: &Path) -> HashSet<Vec<u8>> {
    let doc = lopdf::Document::load(path).unwrap();
    forms(&doc)
        .map(|(_, s)| {
            s.decompressed_content()
                .unwrap_or_else(|_| s.content.clone())
        })
        .collect()
}

#[test]
fn kits_whose_lines_take_the_same_room_print_one_shared_frame() {
    let dir = tempfile::tempdir().unwrap();
    let roster = small_roster(
        dir.path(),
        &[("张甲", "13800138001", 2.0), ("李乙", "13800138002", 2.0)],
    );
    let out = dir.path().join("out");
    let manifest = kits_manifest(&roster, &out);
    let kit = |name: &str| out.join(&manifest.iter().find(|r| r[4] == name).unwrap()[0]);
    let (first, second) = (kit("张甲"), kit("李乙"));
    // The frame (titles, tables, labels) is the same drawing in both kits;
    // each kit's own lines are not.
    let shared = &form_contents(&first) & &form_contents(&second);
    assert!(!shared.is_empty(), "no form is shared");
    for (path, name) in [(&first, "张甲"), (&second, "李乙")] {
        let pages = pdf_pages(path);
        assert_in_order(&pages[2], ANNEX3_LABELS, name);
        assert!(pages[2].contains(&format!("采集人(单位)：{name}（市民政局）")));
        assert!(pages[4].contains(&format!("走访人:{name}（市民政局）")));
    }
}
