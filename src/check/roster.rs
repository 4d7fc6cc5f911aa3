//! Stage 2: raw sheets → the campaign roster (departments, villages and
//! communities, cadres), with every problem found on the way. Nothing here
//! stops at the first problem: a clerk fixes the whole roster in one pass.

use std::collections::{HashMap, HashSet};

use super::model::{Cadre, Checked, Department, Roster, RowAccount, Village};
use crate::input::cell::{Cell, Sheet};
use crate::input::table::{Row, Table, find_tables};
use crate::schema::roster::*;
use crate::settings::Settings;
use crate::shared::fault::{Place, Problem};
use crate::shared::text::{Phone, clean, clean_name, half_width, is_blank_char, parse_phone};

/// Largest quota accepted; anything above is taken for a typing error.
const MAX_QUOTA: u32 = 500;

/// Builds the roster from the sheets of one or more files.
pub fn build(sheets: &[Sheet], settings: &Settings, source: &str) -> Checked {
    let mut problems = Vec::new();
    let tables = find_tables(&[&DEPARTMENTS, &VILLAGES, &CADRES], sheets, &mut problems);
    for (spec, found) in [&DEPARTMENTS, &VILLAGES, &CADRES].iter().zip(&tables) {
        if found.is_empty() {
            let headers: Vec<String> = spec
                .columns
                .iter()
                .map(|c| format!("{}{}", c.name, if c.required { "*" } else { "" }))
                .collect();
            problems.push(Problem::fault(
                Place::file(source),
                format!("没有找到{}", spec.name),
                format!(
                    "请添加一张表头为「{}」的表（带*的列必填）",
                    headers.join("、")
                ),
            ));
        }
    }
    let mut roster = Roster::default();
    let mut dept_index: HashMap<String, usize> = HashMap::new();
    for table in &tables[0] {
        for row in table.data_rows() {
            if skip_row(&row, &mut problems) {
                continue;
            }
            let name = clean(&row.text(D_NAME));
            if name.is_empty() {
                problems.push(missing(&row, D_NAME, "单位名称"));
                continue;
            }
            let key = dept_key(&name);
            if let Some(&first) = dept_index.get(&key) {
                problems.push(
                    Problem::fault(
                        row.place(D_NAME),
                        format!(
                            "单位重复，{}已经有这个单位",
                            row_ref(&roster.departments[first].place)
                        ),
                        "请删去重复的一行",
                    )
                    .with_value(&name),
                );
                continue;
            }
            dept_index.insert(key, roster.departments.len());
            roster.departments.push(Department {
                name,
                contact: clean_name(&row.text(D_CONTACT)),
                phone: phone_as_written(&row, D_PHONE, &mut problems),
                place: row.row_place(),
            });
        }
    }

    let mut village_keys: HashMap<(String, String, String), usize> = HashMap::new();
    for table in &tables[1] {
        for row in table.data_rows() {
            if skip_row(&row, &mut problems) {
                continue;
            }
            let mut ok = true;
            let mut required = |col: usize, what: &str, problems: &mut Vec<Problem>| {
                let v = row.text(col);
                if v.is_empty() {
                    problems.push(missing(&row, col, what));
                    ok = false;
                }
                v
            };
            let district = required(V_DISTRICT, "市（区）", &mut problems);
            let town = required(V_TOWN, "镇（街道）", &mut problems);
            let name = required(V_NAME, "村（社区）", &mut problems);
            let dept_name = required(V_DEPARTMENT, "挂钩单位", &mut problems);
            let department = if dept_name.is_empty() {
                None
            } else {
                let found =
                    lookup_department(&dept_index, &dept_name, &row, V_DEPARTMENT, &mut problems);
                ok &= found.is_some();
                found
            };
            let kind_text = half_width(&row.text(V_KIND)).replace(' ', "");
            let kind = if kind_text.is_empty() {
                Kind::infer(&name)
            } else {
                Kind::parse(&kind_text)
            };
            if kind.is_none() && !name.is_empty() {
                let p = if kind_text.is_empty() {
                    Problem::fault(
                        row.place(V_KIND),
                        format!("没有填类型，从名称「{name}」也看不出是村还是社区"),
                        "请在「类型」列填写「村」或「社区」",
                    )
                } else {
                    Problem::fault(
                        row.place(V_KIND),
                        "类型只能是「村」或「社区」",
                        "请改成「村」或「社区」",
                    )
                    .with_value(&kind_text)
                };
                problems.push(p);
                ok = false;
            }
            let secretary_phone = phone_as_written(&row, V_SECRETARY_PHONE, &mut problems);
            if !ok {
                continue;
            }
            let (Some(department), Some(kind)) = (department, kind) else {
                continue;
            };
            let key = (district.clone(), town.clone(), village_key(&name));
            if let Some(&first) = village_keys.get(&key) {
                problems.push(
                    Problem::fault(
                        row.place(V_NAME),
                        format!(
                            "{town}的这个村（社区）已经在{}登记过",
                            row_ref(&roster.villages[first].place)
                        ),
                        "同一个村（社区）只登记一行；如果有两个单位挂钩，请在说明中约定由哪个单位负责",
                    )
                    .with_value(&name),
                );
                continue;
            }
            village_keys.insert(key, roster.villages.len());
            roster.villages.push(Village {
                district,
                town,
                name,
                kind,
                secretary: clean_name(&row.text(V_SECRETARY)),
                secretary_phone,
                department,
                place: row.row_place(),
            });
        }
    }

    let village_index = VillageIndex::new(&roster.villages);
    let mut mobiles: HashMap<String, Place> = HashMap::new();
    let mut names: HashMap<(usize, String), Place> = HashMap::new();
    let mut ids: HashMap<String, Place> = HashMap::new();
    let mut pending_ids = Vec::new();
    // Departments and villages named on cadre rows that were rejected: they
    // do have cadres, whose faults are reported; no "no cadres" reminder.
    let mut named = Named::default();
    for table in &tables[2] {
        for row in table.data_rows() {
            if skip_row(&row, &mut problems) {
                continue;
            }
            let mut ok = true;
            let name = clean_name(&row.text(C_NAME));
            if name.is_empty() {
                problems.push(missing(&row, C_NAME, "姓名"));
                ok = false;
            }
            let dept_name = row.text(C_DEPARTMENT);
            let department = if dept_name.is_empty() {
                problems.push(missing(&row, C_DEPARTMENT, "单位"));
                None
            } else {
                lookup_department(&dept_index, &dept_name, &row, C_DEPARTMENT, &mut problems)
            };
            ok &= department.is_some();
            let mobile = read_mobile(&row, &mut problems);
            ok &= mobile.is_some();
            let village_ref = row.text(C_VILLAGE);
            let village = if village_ref.is_empty() {
                problems.push(missing(&row, C_VILLAGE, "走访村（社区）"));
                None
            } else {
                resolve_village(
                    &roster.villages,
                    &village_index,
                    &village_ref,
                    &row,
                    &mut problems,
                )
            };
            ok &= village.is_some();
            let quota = read_quota(&row, settings, &mut problems);
            ok &= quota.is_some();
            let id = half_width(&row.text(C_ID)).replace(' ', "");
            if !id.is_empty() {
                if let Some(first) = ids.get(&id) {
                    problems.push(
                        Problem::fault(
                            row.place(C_ID),
                            format!("编号重复，{}已经用了这个编号", row_ref(first)),
                            "每名干部的编号必须不同；不填则由程序自动编号",
                        )
                        .with_value(&id),
                    );
                    ok = false;
                } else {
                    ids.insert(id.clone(), row.row_place());
                }
            }
            if let Some(m) = &mobile {
                if let Some(first) = mobiles.get(m) {
                    problems.push(
                        Problem::fault(
                            row.place(C_MOBILE),
                            format!("这个手机号码{}已经登记过，同一名干部重复了", row_ref(first)),
                            "请删去重复的一行；如果是两个人，请核对各自的手机号码",
                        )
                        .with_value(m),
                    );
                    ok = false;
                } else {
                    mobiles.insert(m.clone(), row.row_place());
                }
            }
            if let Some(d) = department
                && !name.is_empty()
            {
                if let Some(first) = names.get(&(d, name.clone())) {
                    problems.push(
                        Problem::warning(
                            row.place(C_NAME),
                            format!("同一单位{}已有同名干部", row_ref(first)),
                            "如果是同一个人，请删去重复的一行；如果是两个人，可以不改",
                        )
                        .with_value(&name),
                    );
                } else {
                    names.insert((d, name.clone()), row.row_place());
                }
            }
            let (true, Some(department), Some(mobile), Some(village), Some(quota)) =
                (ok, department, mobile, village, quota)
            else {
                named.departments.extend(department);
                named.villages.extend(village);
                continue;
            };
            let village_dept = roster.villages[village].department;
            if village_dept != department {
                problems.push(
                    Problem::warning(
                        row.place(C_VILLAGE),
                        format!(
                            "这个村（社区）的挂钩单位是「{}」，不是干部所在的「{}」",
                            roster.departments[village_dept].name,
                            roster.departments[department].name
                        ),
                        "请核对走访安排；不改也可以打印",
                    )
                    .with_value(&village_ref),
                );
            }
            if quota < settings.minimum_quota {
                problems.push(
                    Problem::warning(
                        row.place(C_QUOTA),
                        format!(
                            "走访户数少于通知要求的{}户（通知第一条第2点）",
                            settings.minimum_quota
                        ),
                        "请核对；不改也可以打印",
                    )
                    .with_value(quota.to_string()),
                );
            }
            if id.is_empty() {
                pending_ids.push(roster.cadres.len());
            }
            roster.cadres.push(Cadre {
                id,
                name,
                department,
                position: clean(&row.text(C_POSITION)),
                mobile,
                village,
                quota,
                place: row.row_place(),
            });
        }
    }
    assign_ids(&mut roster.cadres, &pending_ids, &ids);
    campaign_warnings(&roster, &named, &mut problems);
    let rows = account_rows(&tables, &roster, &mut problems);
    crate::shared::fault::sort(&mut problems);
    Checked {
        roster,
        problems,
        rows,
    }
}

/// Sorts every data row of every table into used (it became a department,
/// village or cadre) or reported (a problem names it). A row that is neither
/// would be lost silently; it is reported here so that it cannot be.
fn account_rows(tables: &[Vec<Table>], roster: &Roster, problems: &mut Vec<Problem>) -> RowAccount {
    let key = |p: &Place| (p.file.clone(), p.sheet.clone(), p.row);
    let used: HashSet<_> = (roster.departments.iter().map(|d| key(&d.place)))
        .chain(roster.villages.iter().map(|v| key(&v.place)))
        .chain(roster.cadres.iter().map(|c| key(&c.place)))
        .collect();
    let reported: HashSet<_> = problems.iter().map(|p| key(&p.place)).collect();
    let mut account = RowAccount::default();
    let mut lost = Vec::new();
    for row in tables.iter().flatten().flat_map(|t| t.data_rows()) {
        account.read += 1;
        let k = key(&row.row_place());
        if used.contains(&k) {
            account.used += 1;
        } else if reported.contains(&k) {
            account.reported += 1;
        } else {
            lost.push(Problem::fault(
                row.row_place(),
                "这一行没有读入，程序也没有说明原因",
                "这是程序的问题：请把名单文件发给维护人员；这一行的内容请先核对",
            ));
            account.reported += 1;
        }
    }
    problems.extend(lost);
    account
}

/// Gives cadres without a 编号 the next free `ZF0001`-style number, in roster order.
fn assign_ids(cadres: &mut [Cadre], pending: &[usize], taken: &HashMap<String, Place>) {
    let mut next = 1;
    for &i in pending {
        loop {
            let id = format!("ZF{next:04}");
            next += 1;
            if !taken.contains_key(&id) {
                cadres[i].id = id;
                break;
            }
        }
    }
}

/// Departments and villages that rejected cadre rows named.
#[derive(Default)]
struct Named {
    departments: std::collections::HashSet<usize>,
    villages: std::collections::HashSet<usize>,
}

/// The notice's rules that are advice, not faults.
fn campaign_warnings(roster: &Roster, named: &Named, problems: &mut Vec<Problem>) {
    for (d, dept) in roster.departments.iter().enumerate() {
        let villages = roster.villages.iter().filter(|v| v.department == d).count();
        if villages == 0 || villages > 3 {
            problems.push(Problem::warning(
                dept.place.clone(),
                format!("「{}」挂钩了{villages}个村（社区），通知要求每个单位走访1至3个（通知第一条第2点）", dept.name),
                "请核对挂钩安排；不改也可以打印",
            ));
        }
        if !named.departments.contains(&d) && !roster.cadres.iter().any(|c| c.department == d) {
            problems.push(Problem::warning(
                dept.place.clone(),
                format!("「{}」没有登记走访干部，不会生成干部材料", dept.name),
                "请在干部表中添加该单位的干部",
            ));
        }
    }
    for (v, village) in roster.villages.iter().enumerate() {
        if !named.villages.contains(&v) && !roster.cadres.iter().any(|c| c.village == v) {
            problems.push(Problem::warning(
                village.place.clone(),
                format!("「{}」没有安排干部走访", village.name),
                "请在干部表中安排干部；不改也可以打印该村（社区）调查表",
            ));
        }
    }
}

/// Longest text a roster cell may hold: names, titles and places are short;
/// anything longer is a paste gone wrong.
const ROSTER_CELL_LIMIT: usize = 100;

/// Whether a data row is not roster data: a note such as `注：…` or `填表人：…`
/// below a table (reported as a warning) or a row with an absurdly long cell
/// (reported as a fault). Also reports the row's formula errors (`#N/A`);
/// such cells read as empty.
fn skip_row(row: &Row, problems: &mut Vec<Problem>) -> bool {
    problems.extend(row.error_cells());
    let long = row.long_cells(ROSTER_CELL_LIMIT);
    if !long.is_empty() {
        problems.extend(long);
        return true;
    }
    let cells = row.filled_cells();
    let is_note = cells.len() == 1
        && ["注", "说明", "备注", "填表", "制表", "审核", "合计", "总计"]
            .iter()
            .any(|p| cells[0].starts_with(p));
    if is_note {
        problems.push(
            Problem::warning(
                row.row_place(),
                "这一行是说明文字，不是名单数据，没有读取",
                "如果这行是名单，请补全各列",
            )
            .with_value(&cells[0]),
        );
    }
    is_note
}

/// A required value left empty (a formula error there is already reported,
/// so it is not reported twice).
fn missing(row: &Row, col: usize, what: &str) -> Problem {
    if let Cell::Error(e) = row.cell(col) {
        return Problem::fault(
            row.place(col),
            "这个必填的单元格是公式算出的错误值，不是数据",
            format!("请改正公式，或直接填写{what}"),
        )
        .with_value(e.clone());
    }
    Problem::fault(
        row.place(col),
        format!("「{what}」没有填"),
        format!("这一列必须填写，请补上{what}"),
    )
}

/// "第7行" for messages that point at another row of the same sheet.
fn row_ref(place: &Place) -> String {
    match place.row {
        Some(r) => format!("工作表「{}」第{r}行", place.sheet),
        None => format!("工作表「{}」", place.sheet),
    }
}

/// Department names compare without spaces and with half-width brackets.
fn dept_key(name: &str) -> String {
    half_width(name)
        .chars()
        .filter(|c| !is_blank_char(*c))
        .collect()
}

fn lookup_department(
    index: &HashMap<String, usize>,
    name: &str,
    row: &Row,
    col: usize,
    problems: &mut Vec<Problem>,
) -> Option<usize> {
    let found = index.get(&dept_key(name)).copied();
    if found.is_none() {
        problems.push(
            Problem::fault(
                row.place(col),
                "单位表里没有这个单位",
                "请改成单位表中的单位名称（写法要完全一致），或先在单位表中添加这个单位",
            )
            .with_value(name),
        );
    }
    found
}

/// A phone kept as written (landlines, lists), mobiles normalised.
fn phone_as_written(row: &Row, col: usize, problems: &mut Vec<Problem>) -> String {
    let raw = row.text(col);
    match parse_phone(&raw) {
        Phone::Scientific(s) => {
            problems.push(scientific(row, col, &s));
            String::new()
        }
        phone => phone.as_str().to_string(),
    }
}

fn scientific(row: &Row, col: usize, s: &str) -> Problem {
    Problem::fault(
        row.place(col),
        "号码被 Excel 显示成了科学计数法，后几位数字已经丢失",
        "请把这一列设为“文本”格式，重新输入完整号码",
    )
    .with_value(s)
}

fn read_mobile(row: &Row, problems: &mut Vec<Problem>) -> Option<String> {
    let raw = row.text(C_MOBILE);
    if raw.is_empty() {
        problems.push(missing(row, C_MOBILE, "手机"));
        return None;
    }
    match parse_phone(&raw) {
        Phone::Mobile(m) => Some(m),
        Phone::Scientific(s) => {
            problems.push(scientific(row, C_MOBILE, &s));
            None
        }
        Phone::Other(s) => {
            problems.push(
                Problem::fault(
                    row.place(C_MOBILE),
                    "手机号码应为以1开头的11位数字",
                    "请填写干部本人的手机号码（联系卡上会印出来）",
                )
                .with_value(s),
            );
            None
        }
    }
}

fn read_quota(row: &Row, settings: &Settings, problems: &mut Vec<Problem>) -> Option<u32> {
    let cell = row.cell(C_QUOTA);
    let bad = |value: String| {
        Problem::fault(
            row.place(C_QUOTA),
            format!("走访户数应为1到{MAX_QUOTA}之间的整数"),
            format!("请填写整数，如 30；不填则按{}户", settings.default_quota),
        )
        .with_value(value)
    };
    let n = match cell {
        c if c.is_empty() => return Some(settings.default_quota),
        // Already reported by `Row::error_cells`.
        Cell::Error(_) => return None,
        Cell::Number(n) if n.fract() == 0.0 && *n >= 1.0 && *n <= MAX_QUOTA as f64 => *n as u32,
        Cell::Text(s) => {
            let t = half_width(&clean(s)).replace(' ', "");
            let t = t.strip_suffix('户').unwrap_or(&t);
            match t.parse::<u32>() {
                Ok(n) if (1..=MAX_QUOTA).contains(&n) => n,
                _ => {
                    problems.push(bad(clean(s)));
                    return None;
                }
            }
        }
        other => {
            problems.push(bad(other.display()));
            return None;
        }
    };
    Some(n)
}

/// The villages' names, towns and districts as compared (`village_key`),
/// made once: a city's 6,000 cadres each looked through 1,200 villages.
struct VillageIndex {
    /// Indices of the villages by name.
    by_name: HashMap<String, Vec<usize>>,
    /// (district, town) of each village.
    places: Vec<(String, String)>,
}

impl VillageIndex {
    fn new(villages: &[Village]) -> VillageIndex {
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, v) in villages.iter().enumerate() {
            by_name.entry(village_key(&v.name)).or_default().push(i);
        }
        let places = villages
            .iter()
            .map(|v| (village_key(&v.district), village_key(&v.town)))
            .collect();
        VillageIndex { by_name, places }
    }
}

/// Finds the village a cadre's 走访村（社区） names. A leading district or town
/// name is allowed (横山桥镇东城湾村); a name found in two towns is a fault
/// that says how to write it.
fn resolve_village(
    villages: &[Village],
    index: &VillageIndex,
    reference: &str,
    row: &Row,
    problems: &mut Vec<Problem>,
) -> Option<usize> {
    let key = village_key(reference);
    // Every village whose name ends the reference, with what comes before it.
    let mut matches: Vec<usize> = key
        .char_indices()
        .map(|(at, _)| at)
        .chain([key.len()])
        .filter_map(|at| Some((&key[..at], index.by_name.get(&key[at..])?)))
        .flat_map(|(prefix, found)| {
            found.iter().copied().filter(move |&i| {
                let (district, town) = &index.places[i];
                prefix.is_empty()
                    || prefix == town
                    || prefix == district
                    || prefix == format!("{district}{town}")
            })
        })
        .collect();
    matches.sort_unstable();
    match matches.as_slice() {
        [one] => Some(*one),
        [] => {
            problems.push(
                Problem::fault(
                    row.place(C_VILLAGE),
                    "村（社区）表里没有这个村（社区）",
                    "请改成村（社区）表中的名称，或先在村（社区）表中添加",
                )
                .with_value(reference),
            );
            None
        }
        many => {
            let places: Vec<String> = many
                .iter()
                .map(|&i| format!("{}{}", villages[i].town, villages[i].name))
                .collect();
            let towns: Vec<String> = many.iter().map(|&i| villages[i].town.clone()).collect();
            problems.push(
                Problem::fault(
                    row.place(C_VILLAGE),
                    format!(
                        "{}都有叫这个名字的村（社区），不知道是哪一个",
                        towns.join("和")
                    ),
                    format!("请连镇（街道）一起写，如「{}」", places.join("」或「")),
                )
                .with_value(reference),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn village_keys() {
        assert_eq!(village_key("东城湾村委会"), "东城湾村");
        assert_eq!(village_key("东城湾村"), "东城湾村");
        assert_eq!(village_key("红梅社区居委会"), "红梅社区");
        assert_eq!(village_key("红梅居委会"), "红梅社区");
        assert_eq!(village_key(" 东城湾 村 "), "东城湾村");
    }

    #[test]
    fn kinds() {
        assert_eq!(Kind::infer("东城湾村委会"), Some(Kind::Village));
        assert_eq!(Kind::infer("红梅社区"), Some(Kind::Community));
        assert_eq!(Kind::infer("清潭新村"), Some(Kind::Village));
        assert_eq!(Kind::infer("花园"), None);
    }
}
