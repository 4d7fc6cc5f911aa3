//! Stage 2: raw sheets → the campaign roster (departments, villages and
//! communities, cadres), with every fault found on the way. Nothing here
//! stops at the first fault: a clerk fixes the whole roster in one pass.

use std::collections::{HashMap, HashSet};

use super::model::{Cadre, Checked, Department, Roster, RowAccount, Village};
use crate::input::cell::{Cell, Sheet};
use crate::input::table::{Row, Table, find_tables};
use crate::schema::roster::*;
use crate::settings::Settings;
use crate::shared::fault::{Fault, Place};
use crate::shared::text::{Phone, clean, clean_name, half_width, is_blank_char, parse_phone};

/// Largest quota accepted; anything above is taken for a typing error.
const MAX_QUOTA: u32 = 500;

/// Builds the roster from the sheets of one or more files.
pub fn build(sheets: &[Sheet], settings: &Settings, source: &str) -> Checked {
    let mut faults = Vec::new();
    let tables = find_tables(&[&DEPARTMENTS, &VILLAGES, &CADRES], sheets, &mut faults);
    missing_tables(&tables, source, &mut faults);
    let [departments, villages, cadres] = [&tables[0], &tables[1], &tables[2]];
    let mut reader = RosterReader {
        settings,
        roster: Roster::default(),
        faults,
        departments: FirstRows::default(),
        villages: FirstRows::default(),
        ids: FirstRows::default(),
        mobiles: FirstRows::default(),
        names: FirstRows::default(),
        pending_ids: Vec::new(),
        named: Named::default(),
    };
    for row in departments.iter().flat_map(|t| t.data_rows()) {
        if !skip_row(&row, &mut reader.faults) {
            reader.department(&row);
        }
    }
    for row in villages.iter().flat_map(|t| t.data_rows()) {
        if !skip_row(&row, &mut reader.faults) {
            reader.village(&row);
        }
    }
    let village_index = VillageIndex::new(&reader.roster.villages);
    for row in cadres.iter().flat_map(|t| t.data_rows()) {
        if !skip_row(&row, &mut reader.faults) {
            reader.cadre(&row, &village_index);
        }
    }
    let RosterReader {
        mut roster,
        mut faults,
        ids,
        pending_ids,
        named,
        ..
    } = reader;
    assign_ids(&mut roster.cadres, &pending_ids, &ids);
    campaign_warnings(&roster, &named, &mut faults);
    let rows = account_rows(&tables, &roster, &mut faults);
    crate::shared::fault::sort(&mut faults);
    Checked {
        roster,
        faults,
        rows,
    }
}

/// A table of the roster that no sheet holds.
fn missing_tables(tables: &[Vec<Table>], source: &str, faults: &mut Vec<Fault>) {
    for (spec, found) in [&DEPARTMENTS, &VILLAGES, &CADRES].iter().zip(tables) {
        if found.is_empty() {
            let headers: Vec<String> = spec
                .columns
                .iter()
                .map(|c| format!("{}{}", c.name, if c.required { "*" } else { "" }))
                .collect();
            faults.push(Fault::error(
                Place::file(source),
                format!("没有找到{}", spec.name),
                format!(
                    "请添加一张表头为「{}」的表（带*的列必填）",
                    headers.join("、")
                ),
            ));
        }
    }
}

/// The first row each key was seen on, to name it when the key comes again.
struct FirstRows<K>(HashMap<K, (Place, usize)>);

impl<K> Default for FirstRows<K> {
    fn default() -> Self {
        FirstRows(HashMap::new())
    }
}

impl<K: std::hash::Hash + Eq> FirstRows<K> {
    /// Records that `key` is first seen at `place` (as entry `index` of
    /// the roster, where it has one); `Err` naming the earlier row ("工作表
    /// 「…」第N行") when it was seen before.
    fn first(&mut self, key: K, place: Place, index: usize) -> Result<(), String> {
        match self.0.entry(key) {
            std::collections::hash_map::Entry::Occupied(earlier) => Err(row_ref(&earlier.get().0)),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert((place, index));
                Ok(())
            }
        }
    }

    /// The roster entry of `key`.
    fn index(&self, key: &K) -> Option<usize> {
        self.0.get(key).map(|(_, index)| *index)
    }

    fn contains(&self, key: &K) -> bool {
        self.0.contains_key(key)
    }
}

/// The roster as its rows are read, with every fault found.
struct RosterReader<'a> {
    settings: &'a Settings,
    roster: Roster,
    faults: Vec<Fault>,
    /// Departments by `dept_key`; villages by district, town and
    /// `village_key`; cadres' 编号, mobiles, and names in a department.
    departments: FirstRows<String>,
    villages: FirstRows<(String, String, String)>,
    ids: FirstRows<String>,
    mobiles: FirstRows<String>,
    names: FirstRows<(usize, String)>,
    /// Cadres without a 编号, numbered at the end.
    pending_ids: Vec<usize>,
    named: Named,
}

impl RosterReader<'_> {
    /// A row of the 单位 table.
    fn department(&mut self, row: &Row) {
        let name = clean(&row.text(D_NAME));
        if name.is_empty() {
            self.faults.push(missing(row, D_NAME, "单位名称"));
            return;
        }
        let index = self.roster.departments.len();
        if let Err(first) = self
            .departments
            .first(dept_key(&name), row.row_place(), index)
        {
            self.faults.push(
                Fault::error(
                    row.place(D_NAME),
                    format!("单位重复，{first}已经有这个单位"),
                    "请删去重复的一行",
                )
                .with_value(&name),
            );
            return;
        }
        self.roster.departments.push(Department {
            name,
            contact: clean_name(&row.text(D_CONTACT)),
            phone: phone_as_written(row, D_PHONE, &mut self.faults),
            place: row.row_place(),
        });
    }

    /// A required value; `None` (and a fault) when it is empty.
    fn required(&mut self, row: &Row, col: usize, what: &str) -> Option<String> {
        let value = row.text(col);
        if value.is_empty() {
            self.faults.push(missing(row, col, what));
            return None;
        }
        Some(value)
    }

    /// The department a row names in `col`.
    fn department_of(&mut self, row: &Row, col: usize, name: &str) -> Option<usize> {
        let found = self.departments.index(&dept_key(name));
        if found.is_none() {
            self.faults.push(
                Fault::error(
                    row.place(col),
                    "单位表里没有这个单位",
                    "请改成单位表中的单位名称（写法要完全一致），或先在单位表中添加这个单位",
                )
                .with_value(name),
            );
        }
        found
    }

    /// A row of the 村（社区） table.
    fn village(&mut self, row: &Row) {
        let district = self.required(row, V_DISTRICT, "市（区）");
        let town = self.required(row, V_TOWN, "镇（街道）");
        let name = self.required(row, V_NAME, "村（社区）");
        let department = self
            .required(row, V_DEPARTMENT, "挂钩单位")
            .map(|d| self.department_of(row, V_DEPARTMENT, &d));
        let kind = name.as_deref().map(|name| self.village_kind(row, name));
        let secretary_phone = phone_as_written(row, V_SECRETARY_PHONE, &mut self.faults);
        let (Some(district), Some(town), Some(name), Some(Some(department)), Some(Some(kind))) =
            (district, town, name, department, kind)
        else {
            return;
        };
        let key = (district.clone(), town.clone(), village_key(&name));
        let index = self.roster.villages.len();
        if let Err(first) = self.villages.first(key, row.row_place(), index) {
            self.faults.push(
                Fault::error(
                    row.place(V_NAME),
                    format!("{town}的这个村（社区）已经在{first}登记过"),
                    "同一个村（社区）只登记一行；如果有两个单位挂钩，请在说明中约定由哪个单位负责",
                )
                .with_value(&name),
            );
            return;
        }
        self.roster.villages.push(Village {
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

    /// 村 or 社区: as the 类型 column says, else as the name says.
    fn village_kind(&mut self, row: &Row, name: &str) -> Option<VillageKind> {
        let kind_text = half_width(&row.text(V_KIND)).replace(' ', "");
        if kind_text.is_empty() {
            let kind = VillageKind::infer(name);
            if kind.is_none() {
                self.faults.push(Fault::error(
                    row.place(V_KIND),
                    format!("没有填类型，从名称「{name}」也看不出是村还是社区"),
                    "请在「类型」列填写「村」或「社区」",
                ));
            }
            return kind;
        }
        let kind = VillageKind::parse(&kind_text);
        if kind.is_none() {
            self.faults.push(
                Fault::error(
                    row.place(V_KIND),
                    "类型只能是「村」或「社区」",
                    "请改成「村」或「社区」",
                )
                .with_value(&kind_text),
            );
        }
        kind
    }

    /// A row of the 干部 table.
    fn cadre(&mut self, row: &Row, village_index: &VillageIndex) {
        let name = self.required(row, C_NAME, "姓名").map(|n| clean_name(&n));
        let department = self
            .required(row, C_DEPARTMENT, "单位")
            .and_then(|d| self.department_of(row, C_DEPARTMENT, &d));
        let mobile = read_mobile(row, &mut self.faults);
        let village_ref = row.text(C_VILLAGE);
        let village = if village_ref.is_empty() {
            self.faults.push(missing(row, C_VILLAGE, "走访村（社区）"));
            None
        } else {
            resolve_village(
                &self.roster.villages,
                village_index,
                &village_ref,
                row,
                &mut self.faults,
            )
        };
        let quota = read_quota(row, self.settings, &mut self.faults);
        let id = half_width(&row.text(C_ID)).replace(' ', "");
        let mut unique = true;
        if !id.is_empty()
            && let Err(first) = self.ids.first(id.clone(), row.row_place(), 0)
        {
            self.faults.push(
                Fault::error(
                    row.place(C_ID),
                    format!("编号重复，{first}已经用了这个编号"),
                    "每名干部的编号必须不同；不填则由程序自动编号",
                )
                .with_value(&id),
            );
            unique = false;
        }
        if let Some(m) = &mobile
            && let Err(first) = self.mobiles.first(m.clone(), row.row_place(), 0)
        {
            self.faults.push(
                Fault::error(
                    row.place(C_MOBILE),
                    format!("这个手机号码{first}已经登记过，同一名干部重复了"),
                    "请删去重复的一行；如果是两个人，请核对各自的手机号码",
                )
                .with_value(m),
            );
            unique = false;
        }
        if let (Some(d), Some(name)) = (department, &name)
            && let Err(first) = self.names.first((d, name.clone()), row.row_place(), 0)
        {
            self.faults.push(
                Fault::warning(
                    row.place(C_NAME),
                    format!("同一单位{first}已有同名干部"),
                    "如果是同一个人，请删去重复的一行；如果是两个人，可以不改",
                )
                .with_value(name),
            );
        }
        let (true, Some(name), Some(department), Some(mobile), Some(village), Some(quota)) =
            (unique, name, department, mobile, village, quota)
        else {
            // They do have cadres, whose faults are reported: no "no
            // cadres" reminder.
            self.named.departments.extend(department);
            self.named.villages.extend(village);
            return;
        };
        self.arrangement_warnings(row, department, village, quota, &village_ref);
        if id.is_empty() {
            self.pending_ids.push(self.roster.cadres.len());
        }
        self.roster.cadres.push(Cadre {
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

    /// A cadre visiting another department's village, or fewer households
    /// than the notice asks: advice, not faults.
    fn arrangement_warnings(
        &mut self,
        row: &Row,
        department: usize,
        village: usize,
        quota: u32,
        village_ref: &str,
    ) {
        let village_dept = self.roster.villages[village].department;
        if village_dept != department {
            self.faults.push(
                Fault::warning(
                    row.place(C_VILLAGE),
                    format!(
                        "这个村（社区）的挂钩单位是「{}」，不是干部所在的「{}」",
                        self.roster.departments[village_dept].name,
                        self.roster.departments[department].name
                    ),
                    "请核对走访安排；不改也可以打印",
                )
                .with_value(village_ref),
            );
        }
        if quota < self.settings.minimum_quota {
            self.faults.push(
                Fault::warning(
                    row.place(C_QUOTA),
                    format!(
                        "走访户数少于通知要求的{}户（通知第一条第2点）",
                        self.settings.minimum_quota
                    ),
                    "请核对；不改也可以打印",
                )
                .with_value(quota.to_string()),
            );
        }
    }
}

/// Sorts every data row of every table into used (it became a department,
/// village or cadre) or reported (a fault names it). A row that is neither
/// would be lost silently; it is reported here so that it cannot be.
fn account_rows(tables: &[Vec<Table>], roster: &Roster, faults: &mut Vec<Fault>) -> RowAccount {
    let key = |p: &Place| (p.file.clone(), p.sheet.clone(), p.row);
    let used: HashSet<_> = (roster.departments.iter().map(|d| key(&d.place)))
        .chain(roster.villages.iter().map(|v| key(&v.place)))
        .chain(roster.cadres.iter().map(|c| key(&c.place)))
        .collect();
    let reported: HashSet<_> = faults.iter().map(|p| key(&p.place)).collect();
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
            lost.push(Fault::error(
                row.row_place(),
                "这一行没有读入，程序也没有说明原因",
                "这是程序的问题：请把名单文件发给维护人员；这一行的内容请先核对",
            ));
            account.reported += 1;
        }
    }
    faults.extend(lost);
    account
}

/// Gives cadres without a 编号 the next free `ZF0001`-style number, in roster order.
fn assign_ids(cadres: &mut [Cadre], pending: &[usize], taken: &FirstRows<String>) {
    let mut next = 1;
    for &i in pending {
        loop {
            let id = format!("ZF{next:04}");
            next += 1;
            if !taken.contains(&id) {
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
fn campaign_warnings(roster: &Roster, named: &Named, faults: &mut Vec<Fault>) {
    for (d, dept) in roster.departments.iter().enumerate() {
        let villages = roster.villages.iter().filter(|v| v.department == d).count();
        if villages == 0 || villages > 3 {
            faults.push(Fault::warning(
                dept.place.clone(),
                format!("「{}」挂钩了{villages}个村（社区），通知要求每个单位走访1至3个（通知第一条第2点）", dept.name),
                "请核对挂钩安排；不改也可以打印",
            ));
        }
        if !named.departments.contains(&d) && !roster.cadres.iter().any(|c| c.department == d) {
            faults.push(Fault::warning(
                dept.place.clone(),
                format!("「{}」没有登记走访干部，不会生成干部材料", dept.name),
                "请在干部表中添加该单位的干部",
            ));
        }
    }
    for (v, village) in roster.villages.iter().enumerate() {
        if !named.villages.contains(&v) && !roster.cadres.iter().any(|c| c.village == v) {
            faults.push(Fault::warning(
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
fn skip_row(row: &Row, faults: &mut Vec<Fault>) -> bool {
    faults.extend(row.error_cells());
    let long = row.long_cells(ROSTER_CELL_LIMIT);
    if !long.is_empty() {
        faults.extend(long);
        return true;
    }
    let cells = row.filled_cells();
    let is_note = cells.len() == 1
        && ["注", "说明", "备注", "填表", "制表", "审核", "合计", "总计"]
            .iter()
            .any(|p| cells[0].starts_with(p));
    if is_note {
        faults.push(
            Fault::warning(
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
fn missing(row: &Row, col: usize, what: &str) -> Fault {
    if let Cell::Error(e) = row.cell(col) {
        return Fault::error(
            row.place(col),
            "这个必填的单元格是公式算出的错误值，不是数据",
            format!("请改正公式，或直接填写{what}"),
        )
        .with_value(e.clone());
    }
    Fault::error(
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

/// A phone kept as written (landlines, lists), mobiles normalised.
fn phone_as_written(row: &Row, col: usize, faults: &mut Vec<Fault>) -> String {
    let raw = row.text(col);
    match parse_phone(&raw) {
        Phone::Scientific(s) => {
            faults.push(scientific(row, col, &s));
            String::new()
        }
        phone => phone.as_str().to_string(),
    }
}

fn scientific(row: &Row, col: usize, s: &str) -> Fault {
    Fault::error(
        row.place(col),
        "号码被 Excel 显示成了科学计数法，后几位数字已经丢失",
        "请把这一列设为“文本”格式，重新输入完整号码",
    )
    .with_value(s)
}

fn read_mobile(row: &Row, faults: &mut Vec<Fault>) -> Option<String> {
    let raw = row.text(C_MOBILE);
    if raw.is_empty() {
        faults.push(missing(row, C_MOBILE, "手机"));
        return None;
    }
    match parse_phone(&raw) {
        Phone::Mobile(m) => Some(m),
        Phone::Scientific(s) => {
            faults.push(scientific(row, C_MOBILE, &s));
            None
        }
        Phone::Other(s) => {
            faults.push(
                Fault::error(
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

fn read_quota(row: &Row, settings: &Settings, faults: &mut Vec<Fault>) -> Option<u32> {
    let cell = row.cell(C_QUOTA);
    let bad = |value: String| {
        Fault::error(
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
                    faults.push(bad(clean(s)));
                    return None;
                }
            }
        }
        other => {
            faults.push(bad(other.display()));
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
    faults: &mut Vec<Fault>,
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
            faults.push(
                Fault::error(
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
            faults.push(
                Fault::error(
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
        assert_eq!(
            VillageKind::infer("东城湾村委会"),
            Some(VillageKind::Village)
        );
        assert_eq!(VillageKind::infer("红梅社区"), Some(VillageKind::Community));
        assert_eq!(VillageKind::infer("清潭新村"), Some(VillageKind::Village));
        assert_eq!(VillageKind::infer("花园"), None);
    }
}
