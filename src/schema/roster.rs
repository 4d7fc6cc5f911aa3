//! The roster's three tables: their columns, header aliases and the words of the 类型 column.

use serde::Serialize;

use crate::input::table::{ColumnSpec, TableSpec};
use crate::shared::text::{half_width, is_blank_char};

/// 村 or 社区: decides where summaries are routed (notice §六).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum VillageKind {
    #[serde(rename = "村")]
    Village,
    #[serde(rename = "社区")]
    Community,
}

impl VillageKind {
    pub(crate) fn label(self) -> &'static str {
        match self {
            VillageKind::Village => "村",
            VillageKind::Community => "社区",
        }
    }

    /// Reads a 类型 cell.
    pub(crate) fn parse(s: &str) -> Option<VillageKind> {
        match s {
            "村" | "行政村" | "村委会" | "农村" | "村委" => Some(VillageKind::Village),
            "社区" | "居委会" | "社区居委会" | "城市社区" | "居" => {
                Some(VillageKind::Community)
            }
            _ => None,
        }
    }

    /// Infers the kind from a name such as 东城湾村 or 红梅社区居委会.
    pub(crate) fn infer(name: &str) -> Option<VillageKind> {
        let key = village_key(name);
        if key.ends_with("社区") {
            Some(VillageKind::Community)
        } else if key.ends_with('村') {
            Some(VillageKind::Village)
        } else {
            None
        }
    }
}

pub(crate) const D_NAME: usize = DEPARTMENTS.column("单位名称");
pub(crate) const D_CONTACT: usize = DEPARTMENTS.column("联系人");
pub(crate) const D_PHONE: usize = DEPARTMENTS.column("联系电话");

pub(crate) static DEPARTMENTS: TableSpec = TableSpec {
    name: "单位表",
    columns: &[
        ColumnSpec {
            name: "单位名称",
            aliases: &[
                "单位名称",
                "部门名称",
                "单位(部门)名称",
                "部门(单位)名称",
                "部门(单位)",
                "单位(部门)",
                "单位",
            ],
            required: true,
        },
        ColumnSpec {
            name: "联系人",
            aliases: &["联系人", "联络员", "联系人姓名"],
            required: false,
        },
        ColumnSpec {
            name: "联系电话",
            aliases: &[
                "联系电话",
                "联系人电话",
                "联系人手机",
                "电话",
                "手机",
                "手机号码",
            ],
            required: false,
        },
    ],
};

pub(crate) const V_DISTRICT: usize = VILLAGES.column("市（区）");
pub(crate) const V_TOWN: usize = VILLAGES.column("镇（街道）");
pub(crate) const V_NAME: usize = VILLAGES.column("村（社区）");
pub(crate) const V_KIND: usize = VILLAGES.column("类型");
pub(crate) const V_SECRETARY: usize = VILLAGES.column("书记");
pub(crate) const V_SECRETARY_PHONE: usize = VILLAGES.column("书记电话");
pub(crate) const V_DEPARTMENT: usize = VILLAGES.column("挂钩单位");

pub(crate) static VILLAGES: TableSpec = TableSpec {
    name: "村（社区）表",
    columns: &[
        ColumnSpec {
            name: "市（区）",
            aliases: &["市(区)", "市区", "辖市(区)", "辖市区", "县(市、区)", "区"],
            required: true,
        },
        ColumnSpec {
            name: "镇（街道）",
            aliases: &[
                "镇(街道)",
                "镇/街道",
                "镇街",
                "乡镇(街道)",
                "镇(街道)名称",
                "乡镇",
            ],
            required: true,
        },
        ColumnSpec {
            name: "村（社区）",
            aliases: &[
                "村(社区)",
                "村/社区",
                "村(社区)名称",
                "村(居)",
                "村居",
                "村(社区)名",
            ],
            required: true,
        },
        ColumnSpec {
            name: "类型",
            aliases: &["类型", "村/社区类型", "村(社区)类型"],
            required: false,
        },
        ColumnSpec {
            name: "书记",
            aliases: &["书记", "书记姓名", "村(社区)书记", "党组织书记", "支部书记"],
            required: false,
        },
        ColumnSpec {
            name: "书记电话",
            aliases: &["书记电话", "书记手机", "书记联系电话", "电话", "联系电话"],
            required: false,
        },
        ColumnSpec {
            name: "挂钩单位",
            aliases: &[
                "挂钩单位",
                "挂钩部门",
                "挂钩单位(部门)",
                "走访单位",
                "联系单位",
            ],
            required: true,
        },
    ],
};

pub(crate) const C_NAME: usize = CADRES.column("姓名");
pub(crate) const C_DEPARTMENT: usize = CADRES.column("单位");
pub(crate) const C_POSITION: usize = CADRES.column("职务");
pub(crate) const C_MOBILE: usize = CADRES.column("手机");
pub(crate) const C_VILLAGE: usize = CADRES.column("走访村（社区）");
pub(crate) const C_QUOTA: usize = CADRES.column("走访户数");
pub(crate) const C_ID: usize = CADRES.column("编号");

pub(crate) static CADRES: TableSpec = TableSpec {
    name: "干部表",
    columns: &[
        ColumnSpec {
            name: "姓名",
            aliases: &["姓名", "干部姓名", "走访干部"],
            required: true,
        },
        ColumnSpec {
            name: "单位",
            aliases: &[
                "单位",
                "部门",
                "所在单位",
                "所在部门",
                "工作单位",
                "单位名称",
            ],
            required: true,
        },
        ColumnSpec {
            name: "职务",
            aliases: &["职务", "职位", "职务(职级)", "职务职级"],
            required: false,
        },
        ColumnSpec {
            name: "手机",
            aliases: &["手机", "手机号", "手机号码", "移动电话", "联系电话", "电话"],
            required: true,
        },
        ColumnSpec {
            name: "走访村（社区）",
            aliases: &[
                "走访村(社区)",
                "走访村/社区",
                "走访村",
                "走访社区",
                "挂钩村(社区)",
                "联系村(社区)",
                "村(社区)",
            ],
            required: true,
        },
        ColumnSpec {
            name: "走访户数",
            aliases: &["走访户数", "户数", "任务户数", "走访任务(户)"],
            required: false,
        },
        ColumnSpec {
            name: "编号",
            aliases: &["编号", "干部编号"],
            required: false,
        },
    ],
};

/// The name by which villages are compared: half-width, no spaces, and the
/// committee suffixes that clerks add (村委会, 居委会…) reduced to 村 / 社区.
pub(crate) fn village_key(name: &str) -> String {
    let s: String = half_width(name)
        .chars()
        .filter(|c| !is_blank_char(*c))
        .collect();
    for (suffix, replacement) in [
        ("村民委员会", "村"),
        ("村委会", "村"),
        ("社区居民委员会", "社区"),
        ("社区居委会", "社区"),
        ("居民委员会", "社区"),
        ("居委会", "社区"),
    ] {
        if let Some(stem) = s.strip_suffix(suffix) {
            let stem = stem.strip_suffix(replacement).unwrap_or(stem);
            return format!("{stem}{replacement}");
        }
    }
    s
}
