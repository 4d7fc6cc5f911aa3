//! The demonstration roster shipped in `samples/`: a few Changzhou districts,
//! four departments, ten villages and communities, twenty cadres, written the
//! way an office writes it (a title row, merged district cells, phones typed
//! as numbers, a landline and a list of numbers, a rare name character).

use std::path::Path;

use rust_xlsxwriter::XlsxError;

use crate::schema::roster::{CADRES, DEPARTMENTS, VILLAGES};
use crate::shared::xlsx::{SheetSpec, Value, n, row, t, write_xlsx};

/// Writes the demonstration roster.
pub(crate) fn write_demo_roster(path: &Path) -> Result<(), XlsxError> {
    let departments = SheetSpec {
        name: "单位".into(),
        title: Some("市级机关部门（单位）名单".into()),
        headers: DEPARTMENTS.headers(),
        rows: vec![
            row(&[t("市发展和改革委员会"), t("周建国"), t("0519-85681234")]),
            row(&[t("市财政局"), t("陈  静"), n(13915012345.0)]),
            row(&[t("市教育局"), t("王晓燕"), t("85682233、13861234567")]),
            row(&[t("市卫生和计划生育委员会"), t("李堃"), t("138 6122 0088")]),
        ],
        text_columns: vec![2],
        column_widths: vec![26.0, 10.0, 24.0],
        ..Default::default()
    };
    let villages = SheetSpec {
        name: "村（社区）".into(),
        title: Some("2017年市级机关部门挂钩村（社区）名单".into()),
        headers: VILLAGES.headers(),
        rows: vec![
            row(&[
                t("武进区"),
                t("横山桥镇"),
                t("东城湾村"),
                t("村"),
                t("顾建华"),
                n(13806110011.0),
                t("市发展和改革委员会"),
            ]),
            row(&[
                t("武进区"),
                t("横山桥镇"),
                t("芳茂村"),
                t(""),
                t("蒋国平"),
                n(13906120022.0),
                t("市发展和改革委员会"),
            ]),
            row(&[
                t("武进区"),
                t("湖塘镇"),
                t("马杭社区居委会"),
                t(""),
                t("吴丽萍"),
                t("0519-86301122"),
                t("市财政局"),
            ]),
            row(&[
                t("天宁区"),
                t("郑陆镇"),
                t("三河口村"),
                t("村"),
                t("钱志刚"),
                n(13775130033.0),
                t("市财政局"),
            ]),
            row(&[
                t("天宁区"),
                t("郑陆镇"),
                t("焦溪村"),
                t("村"),
                t("恽国良"),
                n(13601500044.0),
                t("市教育局"),
            ]),
            row(&[
                t("钟楼区"),
                t("五星街道"),
                t("五星社区"),
                t("社区"),
                t("邹玥"),
                n(15161150055.0),
                t("市教育局"),
            ]),
            row(&[
                t("钟楼区"),
                t("北港街道"),
                t("北港社区"),
                t("社区"),
                t("朱小红"),
                n(13912340066.0),
                t("市教育局"),
            ]),
            row(&[
                t("新北区"),
                t("罗溪镇"),
                t("三河口村"),
                t("村"),
                t("陶德明"),
                n(13861100077.0),
                t("市卫生和计划生育委员会"),
            ]),
            row(&[
                t("溧阳市"),
                t("天目湖镇"),
                t("平桥村"),
                t("村"),
                t("史瑢"),
                n(13584500088.0),
                t("市卫生和计划生育委员会"),
            ]),
            row(&[
                t("金坛区"),
                t("薛埠镇"),
                t("仙姑村"),
                t("村"),
                t("汤卫东"),
                n(13961400099.0),
                t("市卫生和计划生育委员会"),
            ]),
        ],
        text_columns: vec![5],
        merges: vec![(0, 0, 2), (3, 0, 4), (5, 0, 6), (0, 1, 1), (3, 1, 4)],
        column_widths: vec![10.0, 12.0, 16.0, 6.0, 10.0, 16.0, 26.0],
        ..Default::default()
    };
    let cadre_rows: &[(&str, &str, &str, f64, &str, f64)] = &[
        (
            "张卫国",
            "市发展和改革委员会",
            "副主任",
            13800001001.0,
            "东城湾村",
            30.0,
        ),
        (
            "刘  洋",
            "市发展和改革委员会",
            "处长",
            13800001002.0,
            "东城湾村",
            30.0,
        ),
        (
            "孙晓梅",
            "市发展和改革委员会",
            "副处长",
            13800001003.0,
            "芳茂村",
            32.0,
        ),
        (
            "赵志强",
            "市发展和改革委员会",
            "科员",
            13800001004.0,
            "芳茂村委会",
            30.0,
        ),
        (
            "周  敏",
            "市发展和改革委员会",
            "主任科员",
            13800001005.0,
            "横山桥镇东城湾村",
            30.0,
        ),
        (
            "吴建新",
            "市财政局",
            "副局长",
            13800002001.0,
            "马杭社区",
            30.0,
        ),
        (
            "郑丽娟",
            "市财政局",
            "处长",
            13800002002.0,
            "马杭社区",
            30.0,
        ),
        (
            "冯  刚",
            "市财政局",
            "科长",
            13800002003.0,
            "郑陆镇三河口村",
            35.0,
        ),
        (
            "陈思远",
            "市财政局",
            "科员",
            13800002004.0,
            "郑陆镇三河口村",
            30.0,
        ),
        (
            "褚红霞",
            "市财政局",
            "科员",
            13800002005.0,
            "湖塘镇马杭社区",
            30.0,
        ),
        (
            "卫东升",
            "市教育局",
            "副局长",
            13800003001.0,
            "焦溪村",
            30.0,
        ),
        ("蒋文华", "市教育局", "处长", 13800003002.0, "焦溪村", 30.0),
        (
            "沈佳怡",
            "市教育局",
            "科长",
            13800003003.0,
            "五星社区",
            30.0,
        ),
        (
            "韩  磊",
            "市教育局",
            "科员",
            13800003004.0,
            "北港社区",
            30.0,
        ),
        ("杨喆", "市教育局", "科员", 13800003005.0, "北港社区", 30.0),
        (
            "朱国庆",
            "市卫生和计划生育委员会",
            "副主任",
            13800004001.0,
            "罗溪镇三河口村",
            30.0,
        ),
        (
            "秦海燕",
            "市卫生和计划生育委员会",
            "处长",
            13800004002.0,
            "平桥村",
            30.0,
        ),
        (
            "尤建军",
            "市卫生和计划生育委员会",
            "科长",
            13800004003.0,
            "平桥村",
            30.0,
        ),
        (
            "许昇",
            "市卫生和计划生育委员会",
            "科员",
            13800004004.0,
            "仙姑村",
            30.0,
        ),
        (
            "何静怡",
            "市卫生和计划生育委员会",
            "科员",
            13800004005.0,
            "仙姑村",
            30.0,
        ),
    ];
    let cadres = SheetSpec {
        name: "干部".into(),
        title: Some("走访干部名单（每人走访不少于30户）".into()),
        headers: CADRES.headers(),
        rows: cadre_rows
            .iter()
            .map(|&(name, dept, pos, phone, village, quota)| {
                row(&[
                    t(name),
                    t(dept),
                    t(pos),
                    n(phone),
                    t(village),
                    n(quota),
                    Value::Blank,
                ])
            })
            .collect(),
        column_widths: vec![10.0, 24.0, 10.0, 14.0, 18.0, 10.0, 10.0],
        ..Default::default()
    };
    write_xlsx(path, &[departments, villages, cadres])
}

/// Households' family names and given names for the demonstration returns.
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
];
const GIVEN: &[&str] = &[
    "建国", "秀英", "桂兰", "志强", "玉梅", "国华", "小平", "红英", "德明", "丽华", "永福",
];

/// Problems the demonstration returns record: (type, category, text, handling).
const DEMO_PROBLEMS: &[(&str, &str, &str, &str)] = &[
    (
        "困难需求",
        "医疗卫生",
        "老人常年吃药，医药费负担重",
        "已协调镇卫生院办理慢病补助",
    ),
    (
        "意见建议",
        "平安治理",
        "村口路灯坏了，晚上出行不安全",
        "已转镇里安排维修",
    ),
    (
        "困难需求",
        "社会保障",
        "家中有重病人，希望申请低保",
        "已指导提交低保申请材料",
    ),
    (
        "意见建议",
        "教育文化",
        "希望村里办暑期托管班",
        "已转教育部门研究",
    ),
    (
        "困难需求",
        "就业创业",
        "儿子失业在家，希望推荐工作",
        "已推荐参加人社局招聘会",
    ),
    (
        "意见建议",
        "房屋土地",
        "老房子漏雨，希望危房改造",
        "已报镇建设办核查",
    ),
    ("意见建议", "其他", "希望增加公交班次", "已反映给交通部门"),
];

/// Writes filled-in entry workbooks: what `summary` reads after the visits.
/// For the demonstration roster (`city` false), two departments' workbooks
/// with part of each quota visited; for a synthetic city, one workbook with
/// every household of every cadre (≈ 0.25 problems per household).
pub(crate) fn write_demo_returns(
    roster: &crate::check::model::Roster,
    dir: &Path,
    city: bool,
) -> Result<Vec<std::path::PathBuf>, XlsxError> {
    use crate::schema::returns::*;

    std::fs::create_dir_all(dir).map_err(XlsxError::IoError)?;
    let mut written = Vec::new();
    let mut seq = 0usize;
    let groups: Vec<(String, Vec<usize>)> = if city {
        vec![("全市".to_string(), (0..roster.departments.len()).collect())]
    } else {
        roster
            .departments
            .iter()
            .enumerate()
            .take(3)
            .skip(1)
            .map(|(d, dept)| (dept.name.clone(), vec![d]))
            .collect()
    };
    for (group, members) in groups {
        let mut households = Vec::new();
        let mut problems = Vec::new();
        for cadre in roster
            .cadres
            .iter()
            .filter(|c| members.contains(&c.department))
        {
            let dept = &roster.departments[cadre.department];
            let village = &roster.villages[cadre.village];
            // Each cadre has visited some of the quota so far (all of it in a city run).
            let visited = if city {
                cadre.quota as usize
            } else {
                8 + (seq % 5) * 3
            };
            for (i, serial) in cadre.serials().into_iter().enumerate().take(visited) {
                seq += 1;
                let head = format!(
                    "{}{}",
                    SURNAMES[seq % SURNAMES.len()],
                    GIVEN[seq % GIVEN.len()]
                );
                let day = 6 + (i % 20) as u32;
                let date = if seq.is_multiple_of(3) {
                    format!("2017.3.{day}")
                } else {
                    format!("2017-03-{day:02}")
                };
                let mut row = vec![Value::Blank; HOUSEHOLDS.columns.len()];
                row[H_SERIAL] = t(&serial);
                row[H_HEAD] = t(&head);
                row[H_PHONE] = t(&format!("139{:08}", 10_000_000 + seq * 7919 % 89_999_999));
                row[H_MEMBERS] = n((2 + seq % 4) as f64);
                row[H_ADDRESS] = t(&format!(
                    "{}{}组{}号",
                    village.name,
                    1 + seq % 9,
                    1 + seq % 40
                ));
                row[H_TEXTS[0]] = t(if seq.is_multiple_of(4) {
                    "务农，收入一般"
                } else {
                    "务工，收入稳定"
                });
                if seq % 4 == 1 {
                    let (kind, category, text, handling) = DEMO_PROBLEMS[seq % DEMO_PROBLEMS.len()];
                    // 困难需求 or 意见建议, the household form's columns of the two kinds.
                    let column = if kind == "困难需求" {
                        H_TEXTS[2]
                    } else {
                        H_TEXTS[3]
                    };
                    row[column] = t(text);
                    row[H_HANDLING] = t(handling);
                    let status = ["已解决", "待解决", "已办结", "正在办理"][seq / 4 % 4];
                    let mut problem = vec![Value::Blank; PROBLEMS.columns.len()];
                    problem[P_NUMBER] = n(problems.len() as f64 + 1.0);
                    problem[P_VISITED] = t(&head);
                    problem[P_DISTRICT] = t(&village.district);
                    problem[P_TOWN] = t(&village.town);
                    problem[P_VILLAGE] = t(&village.name);
                    problem[P_TYPE] = t(kind);
                    problem[P_CATEGORY] = t(category);
                    problem[P_TEXT] = t(text);
                    problem[P_HANDLING] = t(handling);
                    problem[P_STATUS] = t(status);
                    problem[P_CADRE] = t(&cadre.name);
                    problem[P_DEPARTMENT] = t(&dept.name);
                    problem[P_DATE] = t(&date);
                    // Some solved problems carry the day they were solved.
                    if status == "已解决" && seq % 8 == 1 {
                        problem[P_SOLVED_ON] = t(&format!("2017-03-{:02}", day + 3));
                    }
                    problems.push(problem);
                }
                row[H_DISTRICT] = t(&village.district);
                row[H_TOWN] = t(&village.town);
                row[H_VILLAGE] = t(&village.name);
                row[H_CADRE] = t(&cadre.name);
                row[H_DEPARTMENT] = t(&dept.name);
                row[H_DATE] = t(&date);
                households.push(row);
            }
        }
        let sheets = [
            SheetSpec {
                name: "入户调查".into(),
                headers: HOUSEHOLDS.headers(),
                rows: households,
                text_columns: vec![H_SERIAL, H_PHONE, H_DATE],
                large: city,
                ..Default::default()
            },
            SheetSpec {
                name: "问题清单".into(),
                headers: PROBLEMS.headers(),
                rows: problems,
                text_columns: vec![P_DATE, P_SOLVED_ON],
                large: city,
                ..Default::default()
            },
        ];
        let path = dir.join(format!("录入表_{group}.xlsx"));
        write_xlsx(&path, &sheets)?;
        written.push(path);
    }
    Ok(written)
}

/// Changzhou's county-level units and a few of their towns and streets, for
/// synthetic rosters of any size.
const DISTRICTS: &[(&str, &[&str])] = &[
    (
        "溧阳市",
        &[
            "溧城镇",
            "天目湖镇",
            "别桥镇",
            "上黄镇",
            "戴埠镇",
            "社渚镇",
            "南渡镇",
            "竹箦镇",
        ],
    ),
    (
        "金坛区",
        &[
            "金城镇",
            "儒林镇",
            "直溪镇",
            "朱林镇",
            "薛埠镇",
            "指前镇",
            "东城街道",
            "西城街道",
        ],
    ),
    (
        "武进区",
        &[
            "湖塘镇",
            "牛塘镇",
            "洛阳镇",
            "遥观镇",
            "横林镇",
            "横山桥镇",
            "雪堰镇",
            "前黄镇",
            "礼嘉镇",
            "嘉泽镇",
        ],
    ),
    (
        "新北区",
        &[
            "罗溪镇",
            "西夏墅镇",
            "薛家镇",
            "奔牛镇",
            "孟河镇",
            "春江镇",
            "龙虎塘街道",
            "三井街道",
        ],
    ),
    (
        "天宁区",
        &[
            "郑陆镇",
            "青龙街道",
            "茶山街道",
            "雕庄街道",
            "红梅街道",
            "天宁街道",
        ],
    ),
    (
        "钟楼区",
        &[
            "邹区镇",
            "五星街道",
            "永红街道",
            "北港街道",
            "西林街道",
            "南大街街道",
        ],
    ),
    (
        "经开区",
        &["横林镇", "遥观镇", "潞城街道", "戚墅堰街道", "丁堰街道"],
    ),
];

const VILLAGE_STEMS: &[&str] = &[
    "东湖", "西庄", "南塘", "北桥", "新河", "前进", "红星", "永安", "和平", "万家", "塘桥", "陈巷",
    "马鞍", "芦墅", "杨庄", "秦巷", "龙潭", "凤凰", "桃园", "梅林", "竹园", "清河", "石桥", "河口",
    "长荡", "丰收", "跃进", "建设", "光明", "幸福",
];

const DEPARTMENT_STEMS: &[&str] = &[
    "发展和改革委员会",
    "教育局",
    "科学技术局",
    "工业和信息化局",
    "公安局",
    "民政局",
    "司法局",
    "财政局",
    "人力资源和社会保障局",
    "自然资源和规划局",
    "生态环境局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "商务局",
    "文化广电和旅游局",
    "卫生健康委员会",
    "退役军人事务局",
    "应急管理局",
    "审计局",
    "市场监督管理局",
    "统计局",
    "医疗保障局",
    "城市管理局",
    "机关事务管理局",
    "信访局",
    "总工会",
    "团市委",
    "妇联",
];

/// Writes a header row into a sheet written row by row.
fn write_header(
    sheet: &mut rust_xlsxwriter::Worksheet,
    headers: &[String],
) -> Result<(), XlsxError> {
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, h)?;
    }
    Ok(())
}

/// A synthetic city roster with `cadres` cadres, about one village per five
/// cadres and one department per sixty, written with constant memory.
pub(crate) fn write_city_roster(path: &Path, cadres: usize) -> Result<(), XlsxError> {
    city_roster(path, cadres, false, None)
}

/// The synthetic city with `quota` household forms per cadre: the city's
/// cadres, villages, departments and files, with fewer pages (the page's
/// print step at city scale, in the browser tests).
pub fn write_city_roster_with_quota(
    path: &Path,
    cadres: usize,
    quota: u32,
) -> Result<(), XlsxError> {
    city_roster(path, cadres, false, Some(quota))
}

/// The synthetic city with a mobile number one digit short on every cadre:
/// a roster with as many faults as cadres (the web page's fault table at
/// its largest).
pub(crate) fn write_faulty_city_roster(path: &Path, cadres: usize) -> Result<(), XlsxError> {
    city_roster(path, cadres, true, None)
}

fn city_roster(
    path: &Path,
    cadres: usize,
    short_mobiles: bool,
    quota: Option<u32>,
) -> Result<(), XlsxError> {
    let cadres = cadres.max(1);
    let villages = (cadres / 5).max(1);
    let departments = (cadres / 60).clamp(1, 600);
    let dept_name = |d: usize| {
        let stem = DEPARTMENT_STEMS[d % DEPARTMENT_STEMS.len()];
        match d / DEPARTMENT_STEMS.len() {
            0 => format!("市{stem}"),
            k => format!("市{stem}第{}分局", k + 1),
        }
    };
    let village = |v: usize| {
        let (district, towns) = DISTRICTS[v % DISTRICTS.len()];
        let town = towns[(v / DISTRICTS.len()) % towns.len()];
        let stem = VILLAGE_STEMS[(v / 3) % VILLAGE_STEMS.len()];
        let kind = if v % 4 == 3 { "社区" } else { "村" };
        // The number keeps every name unique.
        (district, town, format!("{stem}{}{kind}", v + 1))
    };
    let mut workbook = crate::shared::xlsx::new_workbook()?;
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name("单位")?;
    write_header(sheet, &DEPARTMENTS.headers())?;
    for d in 0..departments {
        let r = d as u32 + 1;
        sheet.write_string(r, 0, dept_name(d))?;
        sheet.write_string(
            r,
            1,
            format!("{}{}", SURNAMES[d % SURNAMES.len()], GIVEN[d % GIVEN.len()]),
        )?;
        sheet.write_string(r, 2, format!("0519-856{:05}", d))?;
    }
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name("村（社区）")?;
    write_header(sheet, &VILLAGES.headers())?;
    for v in 0..villages {
        let (district, town, name) = village(v);
        let r = v as u32 + 1;
        sheet.write_string(r, 0, district)?;
        sheet.write_string(r, 1, town)?;
        sheet.write_string(r, 2, &name)?;
        sheet.write_string(
            r,
            4,
            format!(
                "{}{}",
                SURNAMES[(v + 3) % SURNAMES.len()],
                GIVEN[(v + 5) % GIVEN.len()]
            ),
        )?;
        sheet.write_string(r, 5, format!("137{:08}", v))?;
        sheet.write_string(r, 6, dept_name(v % departments))?;
    }
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name("干部")?;
    // No 编号 column: the city leaves numbering to zoufang.
    let mut headers = CADRES.headers();
    headers.retain(|h| h != "编号");
    write_header(sheet, &headers)?;
    for i in 0..cadres {
        let v = i % villages;
        let (_, town, name) = village(v);
        let r = i as u32 + 1;
        sheet.write_string(
            r,
            0,
            format!(
                "{}{}{}",
                SURNAMES[i % SURNAMES.len()],
                GIVEN[(i / 15) % GIVEN.len()],
                i
            ),
        )?;
        sheet.write_string(r, 1, dept_name(v % departments))?;
        sheet.write_string(r, 2, ["科员", "科长", "处长", "副主任"][i % 4])?;
        let mobile = 13_800_000_000 + i as u64;
        sheet.write_number(
            r,
            3,
            if short_mobiles { mobile / 10 } else { mobile } as f64,
        )?;
        sheet.write_string(r, 4, format!("{town}{name}"))?;
        sheet.write_number(r, 5, quota.map_or((30 + i % 4) as f64, f64::from))?;
    }
    let bytes = workbook.save_to_buffer()?;
    crate::shared::atomic::write_atomic(path, &bytes).map_err(XlsxError::IoError)
}
