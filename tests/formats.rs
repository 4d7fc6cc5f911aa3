//! The same messy roster saved as .xlsx, .xls, WPS .et and .ods: a title row,
//! a two-row merged header, merged district and town cells, phones typed as
//! numbers, full-width spaces and brackets in headers, a blank row, a note
//! row, a hidden sheet with old data. Every format reads the same.

mod common;

use common::*;

#[test]
fn every_format_reads_the_same() {
    for name in [
        "messy-roster.xlsx",
        "messy-roster.xls",
        "messy-roster-wps.et",
        "messy-roster.ods",
    ] {
        let path = fixture(name);
        let run = zoufang(&["check", path.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{name}:\n{}\n{}", run.stdout, run.stderr);
        assert_eq!(
            plan_totals(&run.stdout),
            ["4", "4", "121", "121", "181"],
            "{name}"
        );
        let file = path.display();
        assert!(
            run.stderr.contains(&format!(
                "【提醒】文件「{file}」工作表「旧名单」：这个工作表是隐藏的，没有读取"
            )),
            "{name}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!(
                "【提醒】文件「{file}」工作表「挂钩村」第8行，填的是「注：类型不填时按名称判断」"
            )),
            "{name}: {}",
            run.stderr
        );
    }
}

#[test]
fn wps_file_prints_with_merged_cells_filled() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let manifest = kits_manifest(&fixture("messy-roster-wps.et"), &out);
    let pan = manifest.iter().find(|r| r[4] == "潘#明").unwrap();
    // 舜山村's district and town come from merged cells above it.
    assert_eq!(&pan[6..9], ["天宁区", "郑陆镇", "舜山村"]);
    let text = pdf_text(&out.join(&pan[0]));
    assert!(
        text.contains("所属地：天宁区市(区)郑陆镇镇(街道)舜山村村(社区)"),
        "{text}"
    );
    let village = manifest
        .iter()
        .find(|r| r[4].is_empty() && r[8] == "舜山村")
        .unwrap();
    let text = pdf_text(&out.join(&village[0]));
    for value in ["周新", "13601500045", "市司法局", "钱芳", "85682001"] {
        assert!(text.contains(value), "{value} in {text}");
    }
    let li = manifest.iter().find(|r| r[4] == "李堃").unwrap();
    assert!(pdf_text(&out.join(&li[0])).contains("采集人(单位)：李堃（市总工会）"));
}
