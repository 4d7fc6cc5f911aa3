//! The blank roster `zoufang init` writes: the three tables with two example
//! rows each, dropdowns, text-format phone columns and instructions.

use std::path::Path;

use rust_xlsxwriter::XlsxError;

use crate::shared::xlsx::{SheetSpec, n, row, t, write_xlsx};

use super::roster::{CADRES, DEPARTMENTS, VILLAGES};

/// Writes the blank roster `init` gives an office: the three tables with two
/// example rows each, dropdowns for 类型 and the department names, phone
/// columns as text, and a 说明 sheet.
pub(crate) fn write_blank_roster(path: &Path) -> Result<(), XlsxError> {
    let departments = SheetSpec {
        name: "单位".into(),
        title: Some("单位名单（每个单位一行）".into()),
        headers: DEPARTMENTS.headers(),
        rows: vec![
            row(&[t("市民政局"), t("刘启兵"), t("85681596")]),
            row(&[t("市委农工办"), t("刘超锋"), t("85680720、13776880150")]),
        ],
        text_columns: vec![2],
        column_widths: vec![26.0, 10.0, 24.0],
        ..Default::default()
    };
    let dept_list = "='单位'!$A$3:$A$300".to_string();
    let villages = SheetSpec {
        name: "村（社区）".into(),
        title: Some("挂钩村（社区）名单（每个村或社区一行）".into()),
        headers: VILLAGES.headers(),
        rows: vec![
            row(&[
                t("武进区"),
                t("横山桥镇"),
                t("东城湾村"),
                t("村"),
                t("顾建华"),
                t("13806110011"),
                t("市委农工办"),
            ]),
            row(&[
                t("钟楼区"),
                t("五星街道"),
                t("五星社区"),
                t("社区"),
                t("邹玥"),
                t("15161150055"),
                t("市民政局"),
            ]),
        ],
        text_columns: vec![5],
        column_widths: vec![10.0, 12.0, 16.0, 8.0, 10.0, 16.0, 26.0],
        dropdowns: vec![(3, "村,社区".into()), (6, dept_list.clone())],
        ..Default::default()
    };
    let cadres = SheetSpec {
        name: "干部".into(),
        title: Some("走访干部名单（每人一行；走访户数不填按30户，编号不填自动编）".into()),
        headers: CADRES.headers(),
        rows: vec![
            row(&[
                t("张三"),
                t("市民政局"),
                t("科员"),
                t("13800138000"),
                t("五星社区"),
                n(30.0),
                t(""),
            ]),
            row(&[
                t("李四"),
                t("市委农工办"),
                t("科员"),
                t("13800138001"),
                t("东城湾村"),
                n(30.0),
                t(""),
            ]),
        ],
        text_columns: vec![3, 6],
        column_widths: vec![10.0, 24.0, 10.0, 14.0, 18.0, 10.0, 10.0],
        dropdowns: vec![(1, dept_list)],
        ..Default::default()
    };
    let notes = SheetSpec {
        name: "说明".into(),
        headers: vec!["填表说明".into()],
        rows: [
            "1. 先填「单位」表，再填「村（社区）」表和「干部」表；示例行可以直接改写或删除。",
            "2. 表头文字请不要改动；表头上面的标题行可以改。",
            "3. 带下拉框的格子请从下拉框选择；挂钩单位、干部的单位要与「单位」表中的名称完全一致。",
            "4. 类型填 村 或 社区：村的汇总报市委农工办，社区的汇总报市民政局。",
            "5. 手机号码填11位数字；书记电话、联系电话可以是座机（如 0519-85680720）或多个号码。",
            "6. 两个镇有同名村时，干部表的走访村（社区）写成「横山桥镇东城湾村」这样。",
            "7. 填好后运行 zoufang check 名单.xlsx 检查，没有错误再运行 zoufang kits 名单.xlsx -o 打印材料。",
        ]
        .iter()
        .map(|line| row(&[t(line)]))
        .collect(),
        column_widths: vec![100.0],
        ..Default::default()
    };
    write_xlsx(path, &[departments, villages, cadres, notes])
}

/// Writes a blank roster (`名单.xlsx`) and the commented settings file into
/// `dir`, never over existing files: the roster's path, or what went wrong.
pub(crate) fn init_folder(dir: &std::path::Path) -> Result<std::path::PathBuf, String> {
    let roster = dir.join("名单.xlsx");
    let config = dir.join(crate::settings::SETTINGS_FILE);
    for path in [&roster, &config] {
        if path.exists() {
            return Err(format!(
                "{} 已经存在，没有覆盖。请换一个文件夹，或先把它移走。",
                path.display()
            ));
        }
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| e.to_string())
        .and_then(|_| write_blank_roster(&roster).map_err(|e| e.to_string()))
        .and_then(|_| {
            crate::shared::atomic::write_atomic(
                &config,
                crate::settings::DEFAULT_SETTINGS_FILE.as_bytes(),
            )
            .map_err(|e| e.to_string())
        })
        .map_err(|e| format!("写不进去：{}（{e}）", dir.display()))?;
    Ok(roster)
}
