//! `zoufang check` on rosters as offices write them: every fault named with
//! its file, sheet, row and column, all in one run; messy but valid rosters pass.

mod common;

use common::*;

/// A roster with one planted fault of each kind.
fn faulty_roster(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("有错的名单.xlsx");
    let depts = sheet(
        "单位",
        DEPT_HEADERS,
        vec![
            vec![t("市民政局"), t("刘启兵"), t("85681596")],
            vec![t("市农工办"), t("刘超锋"), t("85680720、13776880150")],
            vec![t("市档案局"), t(""), t("")],
        ],
    );
    let villages = sheet(
        "村（社区）",
        VILLAGE_HEADERS,
        vec![
            vec![
                t("武进区"),
                t("横山桥镇"),
                t("三河口村"),
                t(""),
                t(""),
                t(""),
                t("市民政局"),
            ],
            vec![
                t("天宁区"),
                t("郑陆镇"),
                t("三河口村"),
                t(""),
                t(""),
                t(""),
                t("市农工办"),
            ],
            vec![
                t("钟楼区"),
                t("五星街道"),
                t("五星社区"),
                t(""),
                t(""),
                t(""),
                t("市民政局"),
            ],
        ],
    );
    let cadres = sheet(
        "干部",
        CADRE_HEADERS,
        vec![
            // row 2: fine, but below the notice's 30 households
            vec![
                t("张三"),
                t("市民政局"),
                t("科员"),
                n(13800138000.0),
                t("五星社区"),
                n(20.0),
                t(""),
            ],
            // row 3: unknown department
            vec![
                t("李四"),
                t("市发改委"),
                t("科员"),
                n(13800138001.0),
                t("五星社区"),
                t(""),
                t(""),
            ],
            // row 4: unknown village
            vec![
                t("王五"),
                t("市民政局"),
                t("科员"),
                n(13800138002.0),
                t("红梅社区"),
                t(""),
                t(""),
            ],
            // row 5: a name found in two towns
            vec![
                t("赵六"),
                t("市民政局"),
                t("科员"),
                n(13800138003.0),
                t("三河口村"),
                t(""),
                t(""),
            ],
            // row 6: the same cadre again (same mobile as row 2)
            vec![
                t("张三"),
                t("市民政局"),
                t("科员"),
                n(13800138000.0),
                t("五星社区"),
                t(""),
                t(""),
            ],
            // row 7: no name
            vec![
                t(""),
                t("市民政局"),
                t("科员"),
                n(13800138004.0),
                t("五星社区"),
                t(""),
                t(""),
            ],
            // row 8: a mobile of 10 digits
            vec![
                t("孙七"),
                t("市民政局"),
                t("科员"),
                n(1380013800.0),
                t("五星社区"),
                t(""),
                t(""),
            ],
            // row 9: a quota that is not a whole number
            vec![
                t("周八"),
                t("市民政局"),
                t("科员"),
                n(13800138005.0),
                t("五星社区"),
                n(2.5),
                t(""),
            ],
            // row 10: a quota written in words
            vec![
                t("吴九"),
                t("市民政局"),
                t("科员"),
                n(13800138006.0),
                t("五星社区"),
                t("三十"),
                t(""),
            ],
        ],
    );
    write_xlsx(&path, &[depts, villages, cadres]).unwrap();
    path
}

#[test]
fn every_fault_is_named_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let roster = faulty_roster(dir.path());
    let run = zoufang(&["check", roster.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let f = format!("【错误】文件「{}」工作表「干部」", roster.display());
    let w = format!("【提醒】文件「{}」", roster.display());
    let expected = [
        format!(
            "{f}第3行B列（单位），填的是「市发改委」：单位表里没有这个单位。请改成单位表中的单位名称（写法要完全一致），或先在单位表中添加这个单位。"
        ),
        format!(
            "{f}第4行E列（走访村（社区）），填的是「红梅社区」：村（社区）表里没有这个村（社区）。请改成村（社区）表中的名称，或先在村（社区）表中添加。"
        ),
        format!(
            "{f}第5行E列（走访村（社区）），填的是「三河口村」：横山桥镇和郑陆镇都有叫这个名字的村（社区），不知道是哪一个。请连镇（街道）一起写，如「横山桥镇三河口村」或「郑陆镇三河口村」。"
        ),
        format!(
            "{f}第6行D列（手机），填的是「13800138000」：这个手机号码工作表「干部」第2行已经登记过，同一名干部重复了。请删去重复的一行；如果是两个人，请核对各自的手机号码。"
        ),
        format!("{f}第7行A列（姓名）：「姓名」没有填。这一列必须填写，请补上姓名。"),
        format!(
            "{f}第8行D列（手机），填的是「1380013800」：手机号码应为以1开头的11位数字。请填写干部本人的手机号码（联系卡上会印出来）。"
        ),
        // The same fault in two rows of one column: said once, both rows named.
        format!(
            "{f}F列（走访户数）共 2 行（第9行「2.5」、第10行「三十」）：走访户数应为1到500之间的整数。请填写整数，如 30；不填则按30户。"
        ),
        format!(
            "{w}工作表「干部」第2行F列（走访户数），填的是「20」：走访户数少于通知要求的30户（通知第一条第2点）。请核对；不改也可以打印。"
        ),
        format!(
            "{w}工作表「单位」第4行：「市档案局」挂钩了0个村（社区），通知要求每个单位走访1至3个（通知第一条第2点）。请核对挂钩安排；不改也可以打印。"
        ),
    ];
    let lines: Vec<&str> = run.stderr.lines().collect();
    for e in &expected {
        assert!(
            lines.contains(&e.as_str()),
            "missing:\n{e}\nin:\n{}",
            run.stderr
        );
    }
    assert!(run.stdout.contains("名单有 8 处错误"), "{}", run.stdout);
    // Nothing is printed when check fails.
    let out = dir.path().join("out");
    let run = print_into("kits", &roster, &out, &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("没有生成任何材料"));
    assert!(!out.exists());
}

#[test]
fn sample_roster_passes() {
    let roster = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/roster.xlsx");
    let run = zoufang(&["check", roster.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("名单可以打印"));
    let total = run.stdout.lines().find(|l| l.starts_with("合计")).unwrap();
    let numbers: Vec<&str> = total.split_whitespace().skip(1).collect();
    assert_eq!(numbers, ["10", "20", "607", "607", "885"]);
}

/// A department whose only cadre row has a fault has a cadre: the fault is
/// reported, not a reminder that the department or its village has none.
#[test]
fn a_rejected_cadre_row_is_not_a_missing_cadre() {
    let dir = tempfile::tempdir().unwrap();
    let roster = small_roster(dir.path(), &[("张卫国", "1380000100", 3.0)]);
    let run = zoufang(&["check", roster.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("手机号码应为以1开头的11位数字"), "{all}");
    assert!(!all.contains("没有登记走访干部"), "{all}");
    assert!(!all.contains("没有安排干部走访"), "{all}");
    // Without that row the reminders are right.
    let empty = small_roster(dir.path(), &[]);
    let run = zoufang(&["check", empty.to_str().unwrap()]);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("没有登记走访干部"), "{all}");
    assert!(all.contains("没有安排干部走访"), "{all}");
}

/// A folder of CSV files saved by Excel on Chinese Windows (GBK), with title
/// rows, spaces in headers, full-width brackets and digits, `+86` mobiles,
/// committee suffixes and a town prefix on village names, blank rows.
#[test]
fn gbk_csv_folder_as_offices_write_it() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("名单");
    std::fs::create_dir(&folder).unwrap();
    let write_gbk = |name: &str, text: &str| {
        let (bytes, _, _) = encoding_rs::GBK.encode(text);
        std::fs::write(folder.join(name), bytes).unwrap();
    };
    write_gbk(
        "单位.csv",
        "市级机关部门名单,,\r\n单位名称 ,联系人,联系电话\r\n市民政局,刘启兵,0519-85681596\r\n,,\r\n",
    );
    write_gbk(
        "村.csv",
        "挂钩村（社区）一览,,,,,,\r\n市(区),镇 (街道),村 (社区),类型,书记,书记电话,挂钩单位\r\n\
         武进区,横山桥镇,东城湾村委会,,顾建华,１３８０６１１００１１,市民政局\r\n\
         钟楼区,五星街道,五星社区居委会,,邹玥,,市民政局\r\n",
    );
    write_gbk(
        "干部.csv",
        "姓 名,所在单位,职务,手机号码,走访村(社区),走访户数,编号\r\n\
         张　三,市民政局,科长,+86 138-0013-8000,横山桥镇东城湾村,30,\r\n\
         ,,,,,,\r\n\
         潘#明,市民政局,科员,13800138001,五星社区,３０,MZ-01\r\n",
    );
    let run = zoufang(&["check", folder.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let total = run.stdout.lines().find(|l| l.starts_with("合计")).unwrap();
    let numbers: Vec<&str> = total.split_whitespace().skip(1).collect();
    assert_eq!(numbers, ["2", "2", "60", "60", "88"]);

    let out = dir.path().join("out");
    let manifest = kits_manifest(&folder, &out);
    let zhang = manifest.iter().find(|r| r[4] == "张三").unwrap();
    assert_eq!(zhang[5], "ZF0001");
    assert_eq!(
        (zhang[8].as_str(), zhang[9].as_str()),
        ("东城湾村委会", "ZF0001-01")
    );
    let pan = manifest.iter().find(|r| r[4] == "潘#明").unwrap();
    assert_eq!(pan[9], "MZ-01-01");
    let text = pdf_text(&out.join(&pan[0]));
    assert!(text.contains("采集人(单位)：潘#明（市民政局）"));
    let village = manifest
        .iter()
        .find(|r| r[8] == "东城湾村委会" && r[4].is_empty())
        .unwrap();
    assert!(pdf_text(&out.join(&village[0])).contains("13806110011"));
}
