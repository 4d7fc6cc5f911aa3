//! The entry workbook `kits` writes per department: one row per printed
//! household form (serial, place, cadre and department filled), a problem
//! sheet with dropdowns, and instructions — filled in after the visits and
//! read back by `summary`.

use rust_xlsxwriter::{DataValidation, Formula, XlsxError};

use crate::check::model::Roster;
use crate::input::OPTIONS_SHEET;
use crate::schema::returns::*;
use crate::shared::xlsx::{header_and_text_formats, new_workbook};

/// Empty rows offered for problems on the 问题清单 sheet.
const PROBLEM_ROWS: u32 = 500;

/// The instructions on the 说明 sheet.
const INSTRUCTIONS: &[&str] = &[
    "填表说明",
    "1. 「入户调查」表每一行对应一张已印好的群众入户调查表（附件3），按纸质表右上角的编号找到对应行填写。",
    "   编号、市（区）、镇（街道）、村（社区）、采集人、单位已经填好，请勿改动；没有用到的表格，该行空着即可。",
    "2. 走访日期请写成 2017-03-08、2017.3.8、2017/3/8 或 2017年3月8日。",
    "3. 联系电话按文本填写，不会变成科学计数法。",
    "4. 「问题清单」表一行填一个问题（附件4），类型、类别、状态请从下拉框中选择：",
    "   类型：困难需求 或 意见建议；类别：房屋土地、医疗卫生、教育文化、平安治理、就业创业、社会保障、其他方面；",
    "   状态：已解决 或 待解决。村（社区）和走访人也可从下拉框选择。",
    "5. 填好后交本单位汇总，用 zoufang summary 命令生成附件5汇总表和每周走访情况。",
    "   汇总只统计数量，户主姓名和电话不会上报。",
];

/// A column's position as the spreadsheet writer counts them.
fn col(c: usize) -> u16 {
    c as u16
}

/// The entry workbook of department `d`, as `.xlsx` bytes. Every column is
/// placed through the tables' definitions in `schema::returns`, which
/// `summary` reads them back with.
pub(crate) fn entry_workbook(roster: &Roster, d: usize) -> Result<Vec<u8>, XlsxError> {
    let dept = &roster.departments[d];
    let cadres: Vec<_> = roster.cadres.iter().filter(|c| c.department == d).collect();
    let villages: Vec<_> = roster
        .villages
        .iter()
        .filter(|v| v.department == d)
        .collect();
    let mut workbook = new_workbook()?;
    let (header, text) = header_and_text_formats();

    let sheet = workbook.add_worksheet();
    sheet.set_name("入户调查")?;
    for (c, col) in HOUSEHOLDS.columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, col.name, &header)?;
        sheet.set_column_width(c as u16, if H_TEXTS.contains(&c) { 24 } else { 12 })?;
    }
    // 编号 and 联系电话 stay text, so numbers never turn into 1.38E+10.
    for c in [H_SERIAL, H_PHONE, H_DATE] {
        sheet.set_column_format(col(c), &text)?;
    }
    sheet.set_freeze_panes(1, 1)?;
    let mut row = 1;
    for cadre in &cadres {
        let village = &roster.villages[cadre.village];
        for serial in cadre.serials() {
            sheet.write_string_with_format(row, col(H_SERIAL), &serial, &text)?;
            sheet.write_string(row, col(H_DISTRICT), &village.district)?;
            sheet.write_string(row, col(H_TOWN), &village.town)?;
            sheet.write_string(row, col(H_VILLAGE), &village.name)?;
            sheet.write_string(row, col(H_CADRE), &cadre.name)?;
            sheet.write_string(row, col(H_DEPARTMENT), &dept.name)?;
            row += 1;
        }
    }

    let sheet = workbook.add_worksheet();
    sheet.set_name("问题清单")?;
    for (c, col) in PROBLEMS.columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, col.name, &header)?;
        sheet.set_column_width(
            c as u16,
            if [P_TEXT, P_HANDLING].contains(&c) {
                36
            } else {
                12
            },
        )?;
    }
    sheet.set_column_format(col(P_DATE), &text)?;
    sheet.set_freeze_panes(1, 0)?;
    let last = PROBLEM_ROWS;
    for r in 1..=last {
        sheet.write_number(r, col(P_NUMBER), r as f64)?;
    }
    let list = |values: &[&str]| DataValidation::new().allow_list_strings(values);
    let mut dropdown = |c: usize, rule: &DataValidation| {
        sheet
            .add_data_validation(1, col(c), last, col(c), rule)
            .map(|_| ())
    };
    dropdown(P_TYPE, &list(&TYPES)?)?;
    dropdown(P_CATEGORY, &list(&CATEGORIES)?)?;
    dropdown(P_STATUS, &list(&["已解决", "待解决"])?)?;
    let range = |col: char, n: usize| {
        DataValidation::new()
            .allow_list_formula(Formula::new(format!(
                "='{OPTIONS_SHEET}'!${col}$1:${col}${}",
                n.max(1)
            )))
            .ignore_blank(true)
    };
    dropdown(P_DISTRICT, &range('A', villages.len()))?;
    dropdown(P_TOWN, &range('B', villages.len()))?;
    dropdown(P_VILLAGE, &range('C', villages.len()))?;
    dropdown(P_CADRE, &range('D', cadres.len()))?;
    dropdown(P_DEPARTMENT, &list(&[dept.name.as_str()])?)?;

    let sheet = workbook.add_worksheet();
    sheet.set_name("说明")?;
    sheet.set_column_width(0, 110)?;
    for (i, line) in INSTRUCTIONS.iter().enumerate() {
        sheet.write_string(i as u32, 0, *line)?;
    }

    // The dropdown lists live on a hidden sheet.
    let sheet = workbook.add_worksheet();
    sheet.set_name(OPTIONS_SHEET)?;
    for (i, v) in villages.iter().enumerate() {
        sheet.write_string(i as u32, 0, &v.district)?;
        sheet.write_string(i as u32, 1, &v.town)?;
        sheet.write_string(i as u32, 2, &v.name)?;
    }
    for (i, c) in cadres.iter().enumerate() {
        sheet.write_string(i as u32, 3, &c.name)?;
    }
    sheet.set_hidden(true);
    workbook.save_to_buffer()
}
