//! The entry workbook `kits` writes per department: one row per printed
//! household form (serial, place, cadre and department filled), a problem
//! sheet with dropdowns, and instructions — filled in after the visits and
//! read back by `summary`.

use rust_xlsxwriter::{
    DataValidation, DataValidationRule, ExcelDateTime, Format, Formula, XlsxError,
};

use crate::check::model::Roster;
use crate::input::OPTIONS_SHEET;
use crate::schema::returns::*;
use crate::shared::xlsx::{header_and_text_formats, new_workbook, workbook_bytes};

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
    "   序号已经编好，是这个问题的编号：以后每周交表时，同一个问题留在同一个序号上，只改状态、办理意见和办结日期；新问题往下填。",
    "   问题解决了，请把状态改为已解决，并在「办结日期」填上解决的日期（每周的解决问题数按这个日期算；不填则按收到这份表的日期算）。",
    "5. 填好后交本单位汇总，用 zoufang summary 命令生成附件5汇总表和每周走访情况。",
    "   汇总只统计数量，户主姓名和电话不会上报。",
];

/// A column's position as the spreadsheet writer counts them.
fn col(c: usize) -> u16 {
    c as u16
}

/// The column `scan` adds to the 入户调查 sheet: whether the paper form came back.
pub const RETURNED_COLUMN: &str = "纸质表已交回";

/// The entry workbook of department `d`, as `.xlsx` bytes. Every column is
/// placed through the tables' definitions in `schema::returns`, which
/// `summary` reads them back with.
///
/// `returned` lists the serials of the paper forms scanned back, in the
/// order of the stack (`zoufang scan`): their rows come first, in that
/// order, marked 是 in a column of their own, so that the clerk types the
/// forms as they lie; the other rows follow as printed. Empty for `kits`.
pub(crate) fn entry_workbook(
    roster: &Roster,
    d: usize,
    returned: &[String],
) -> Result<Vec<u8>, XlsxError> {
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
    let printed: Vec<(String, &crate::check::model::Cadre)> = cadres
        .iter()
        .flat_map(|c| c.serials().into_iter().map(move |s| (s, *c)))
        .collect();
    let position: std::collections::HashMap<&str, usize> = returned
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut order: Vec<usize> = (0..printed.len()).collect();
    // Returned forms first, in the stack's order; the rest as printed.
    order.sort_by_key(|&i| {
        position
            .get(printed[i].0.as_str())
            .copied()
            .unwrap_or(usize::MAX)
    });
    let returned_col = col(HOUSEHOLDS.columns.len());
    if !returned.is_empty() {
        sheet.write_string_with_format(0, returned_col, RETURNED_COLUMN, &header)?;
        sheet.set_column_width(returned_col, 14)?;
    }
    for (row, &i) in (1..).zip(&order) {
        let (serial, cadre) = &printed[i];
        let village = &roster.villages[cadre.village];
        sheet.write_string_with_format(row, col(H_SERIAL), serial, &text)?;
        sheet.write_string(row, col(H_DISTRICT), &village.district)?;
        sheet.write_string(row, col(H_TOWN), &village.town)?;
        sheet.write_string(row, col(H_VILLAGE), &village.name)?;
        sheet.write_string(row, col(H_CADRE), &cadre.name)?;
        sheet.write_string(row, col(H_DEPARTMENT), &dept.name)?;
        if position.contains_key(serial.as_str()) {
            sheet.write_string(row, returned_col, "是")?;
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
    // 办结日期: a real date (Excel offers its date entry), the day a
    // problem was solved, which decides the week it counts as solved in.
    sheet.set_column_format(
        col(P_SOLVED_ON),
        &Format::new().set_num_format("yyyy-mm-dd"),
    )?;
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
    dropdown(P_TYPE, &list(&ProblemType::ALL.map(ProblemType::label))?)?;
    dropdown(P_CATEGORY, &list(&Category::labels())?)?;
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
    let day = |y, m, d| ExcelDateTime::from_ymd(y, m, d);
    let solved_on = DataValidation::new()
        .allow_date(DataValidationRule::Between(
            day(2000, 1, 1)?,
            day(2100, 12, 31)?,
        ))
        .ignore_blank(true)
        .set_error_title("办结日期")?
        .set_error_message("请填写问题解决的日期，如 2017-03-20；还没解决的请空着。")?;
    dropdown(P_SOLVED_ON, &solved_on)?;

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
    workbook_bytes(&mut workbook)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::table::find_tables;
    use crate::input::{Sheet, read_input};

    fn sample_roster() -> Roster {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/roster.xlsx");
        let input = read_input(&path);
        let settings = crate::settings::Settings::default();
        crate::check::roster::build(&input.sheets, &settings, "名单.xlsx").roster
    }

    /// The `<dataValidation>` ranges (`F2:F501`) of one member of the
    /// workbook's zip, with what their list offers.
    fn dropdowns(xlsx: &[u8], member: &str) -> Vec<(String, String)> {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut archive.by_name(member).unwrap(), &mut xml).unwrap();
        xml.split("<dataValidation ")
            .skip(1)
            .map(|v| {
                let sqref = v
                    .split("sqref=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap();
                let formula = v.split("<formula1>").nth(1).unwrap().split("</formula1>");
                (
                    sqref.to_string(),
                    formula.into_iter().next().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// Written by `kits`, read back by `summary`'s table finder: every
    /// column where the reader looks for it, every pre-filled value in the
    /// column the reader reads it from, every dropdown on the column whose
    /// words it offers.
    #[test]
    fn the_entry_workbook_reads_back_column_for_column() {
        let roster = sample_roster();
        let d = 0;
        let bytes = entry_workbook(&roster, d, &[]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("录入表.xlsx");
        std::fs::write(&path, &bytes).unwrap();
        let input = read_input(&path);
        assert!(input.faults.is_empty(), "{:?}", input.faults);
        let sheets: Vec<Sheet> = input.sheets;
        let mut notes = Vec::new();
        let found = find_tables(&[&HOUSEHOLDS, &PROBLEMS], &sheets, &mut notes);
        for (spec, tables) in [(&HOUSEHOLDS, &found[0]), (&PROBLEMS, &found[1])] {
            assert_eq!(tables.len(), 1, "{}", spec.name);
            let written: Vec<Option<usize>> = (0..spec.columns.len()).map(Some).collect();
            assert_eq!(tables[0].columns, written, "{}", spec.name);
        }

        let cadres: Vec<_> = roster.cadres.iter().filter(|c| c.department == d).collect();
        let expected: Vec<_> = cadres
            .iter()
            .flat_map(|c| c.serials().into_iter().map(move |s| (*c, s)))
            .collect();
        let rows: Vec<_> = found[0][0].data_rows().collect();
        assert_eq!(rows.len(), expected.len());
        for (row, (cadre, serial)) in rows.iter().zip(&expected) {
            let village = &roster.villages[cadre.village];
            assert_eq!(row.text(H_SERIAL), *serial);
            assert_eq!(row.text(H_DISTRICT), village.district);
            assert_eq!(row.text(H_TOWN), village.town);
            assert_eq!(row.text(H_VILLAGE), village.name);
            assert_eq!(row.text(H_CADRE), cadre.name);
            assert_eq!(row.text(H_DEPARTMENT), roster.departments[d].name);
            assert_eq!(row.text(H_HEAD), "", "left for the clerk");
        }

        let letter = |c: usize| crate::shared::text::column_letter(c as u32);
        let offered = dropdowns(&bytes, "xl/worksheets/sheet2.xml");
        let on = |c: usize| {
            let range = format!("{0}2:{0}{1}", letter(c), PROBLEM_ROWS + 1);
            offered
                .iter()
                .find(|(sqref, _)| *sqref == range)
                .map(|(_, list)| list.clone())
                .unwrap_or_else(|| panic!("no dropdown on {range}: {offered:?}"))
        };
        assert!(on(P_TYPE).contains("困难需求"));
        assert!(on(P_CATEGORY).contains("房屋土地"));
        assert!(on(P_STATUS).contains("已解决"));
        assert!(on(P_DISTRICT).contains("$A$1"));
        assert!(on(P_TOWN).contains("$B$1"));
        assert!(on(P_VILLAGE).contains("$C$1"));
        assert!(on(P_CADRE).contains("$D$1"));
        assert!(on(P_DEPARTMENT).contains(&roster.departments[d].name));
        assert!(on(P_SOLVED_ON).parse::<f64>().is_ok(), "a date rule");
        assert_eq!(offered.len(), 9);
    }
}
