//! The returns' tables — the entry workbook's 入户调查 and 问题清单, and the
//! summary workbook's sheets — and the words their cells may hold.

use crate::input::table::{ColumnSpec, TableSpec};
use crate::shared::text::compact;

/// The two types of problem of annex 5 (项目), in the notice's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProblemType {
    /// 困难需求: what a household needs.
    Need,
    /// 意见建议: what a household suggests.
    Advice,
}

impl ProblemType {
    /// Both, in the notice's order.
    pub const ALL: [ProblemType; 2] = [ProblemType::Need, ProblemType::Advice];

    /// The notice's word for it.
    pub fn label(self) -> &'static str {
        match self {
            ProblemType::Need => "困难需求",
            ProblemType::Advice => "意见建议",
        }
    }

    /// Its place in the notice's order (as the ledger stores it).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The type at `index` of the notice's order.
    pub fn from_index(index: usize) -> Option<ProblemType> {
        ProblemType::ALL.get(index).copied()
    }

    /// Reads a 类型 (or 项目) cell, with the short forms clerks write.
    pub(crate) fn parse(s: &str) -> Option<ProblemType> {
        match compact(s).as_str() {
            "困难需求" | "困难" | "需求" | "困难诉求" => Some(ProblemType::Need),
            "意见建议" | "意见" | "建议" | "意见和建议" => Some(ProblemType::Advice),
            _ => None,
        }
    }
}

/// The seven categories of annex 5 (具体内容), in the notice's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    Housing,
    Health,
    Education,
    Safety,
    Employment,
    Welfare,
    Other,
}

impl Category {
    /// All seven, in the notice's order.
    pub const ALL: [Category; 7] = [
        Category::Housing,
        Category::Health,
        Category::Education,
        Category::Safety,
        Category::Employment,
        Category::Welfare,
        Category::Other,
    ];

    /// The notice's words for it.
    pub fn label(self) -> &'static str {
        match self {
            Category::Housing => "房屋土地",
            Category::Health => "医疗卫生",
            Category::Education => "教育文化",
            Category::Safety => "平安治理",
            Category::Employment => "就业创业",
            Category::Welfare => "社会保障",
            Category::Other => "其他方面",
        }
    }

    /// Every category's words, in the notice's order.
    pub fn labels() -> [&'static str; 7] {
        Category::ALL.map(Category::label)
    }

    /// Its place in the notice's order (as the ledger stores it).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The category at `index` of the notice's order.
    pub fn from_index(index: usize) -> Option<Category> {
        Category::ALL.get(index).copied()
    }

    /// Reads a 类别 (or 具体内容) cell: the seven categories, with or
    /// without the notice's spaces, and the unambiguous short forms clerks
    /// write.
    pub(crate) fn parse(s: &str) -> Option<Category> {
        let key = compact(s);
        let key = key
            .strip_suffix("类")
            .unwrap_or(&key)
            .strip_suffix("方面")
            .map_or(key.clone(), |k| {
                if k == "其他" {
                    "其他方面".to_string()
                } else {
                    k.to_string()
                }
            });
        if let Some(c) = Category::ALL.into_iter().find(|c| c.label() == key) {
            return Some(c);
        }
        match key.as_str() {
            "房屋" | "土地" | "住房" => Some(Category::Housing),
            "医疗" | "卫生" => Some(Category::Health),
            "教育" | "文化" => Some(Category::Education),
            "平安" | "治理" | "社会治理" => Some(Category::Safety),
            "就业" | "创业" => Some(Category::Employment),
            "社保" | "保障" => Some(Category::Welfare),
            "其他" | "其它" | "其它方面" => Some(Category::Other),
            _ => None,
        }
    }
}

// Where the code that reads and writes these tables finds each column.
pub(crate) const H_SERIAL: usize = HOUSEHOLDS.column("编号");
pub(crate) const H_HEAD: usize = HOUSEHOLDS.column("户主姓名");
pub(crate) const H_PHONE: usize = HOUSEHOLDS.column("联系电话");
pub(crate) const H_MEMBERS: usize = HOUSEHOLDS.column("家庭成员数");
pub(crate) const H_ADDRESS: usize = HOUSEHOLDS.column("家庭住址");
pub(crate) const H_HANDLING: usize = HOUSEHOLDS.column("意见建议处理落实情况");
/// The columns of free text a clerk writes sentences in.
pub(crate) const H_TEXTS: [usize; 5] = [
    HOUSEHOLDS.column("家庭收入情况"),
    HOUSEHOLDS.column("致贫原因及现状"),
    HOUSEHOLDS.column("困难需求"),
    HOUSEHOLDS.column("意见建议"),
    HOUSEHOLDS.column("意见建议处理落实情况"),
];
pub(crate) const H_DISTRICT: usize = HOUSEHOLDS.column("市（区）");
pub(crate) const H_TOWN: usize = HOUSEHOLDS.column("镇（街道）");
pub(crate) const H_VILLAGE: usize = HOUSEHOLDS.column("村（社区）");
pub(crate) const H_CADRE: usize = HOUSEHOLDS.column("采集人");
pub(crate) const H_DEPARTMENT: usize = HOUSEHOLDS.column("单位");
pub(crate) const H_DATE: usize = HOUSEHOLDS.column("走访日期");

/// The annex-3 table of the entry workbook.
pub static HOUSEHOLDS: TableSpec = TableSpec {
    name: "入户调查表",
    columns: &[
        ColumnSpec {
            name: "编号",
            aliases: &["编号", "表格编号", "调查表编号"],
            required: false,
        },
        ColumnSpec {
            name: "户主姓名",
            aliases: &["户主姓名", "户主", "被走访户主"],
            required: true,
        },
        ColumnSpec {
            name: "联系电话",
            aliases: &["联系电话", "电话", "户主电话"],
            required: false,
        },
        ColumnSpec {
            name: "家庭成员数",
            aliases: &["家庭成员数", "家庭人口", "家庭人口数"],
            required: false,
        },
        ColumnSpec {
            name: "家庭住址",
            aliases: &["家庭住址", "住址"],
            required: false,
        },
        ColumnSpec {
            name: "家庭收入情况",
            aliases: &["家庭收入情况", "家庭收入情况(家境情况)"],
            required: false,
        },
        ColumnSpec {
            name: "致贫原因及现状",
            aliases: &["致贫原因及现状", "致贫原因及现状(贫困户填写)"],
            required: false,
        },
        ColumnSpec {
            name: "困难需求",
            aliases: &["困难需求", "困难需求(贫困户填写)"],
            required: false,
        },
        ColumnSpec {
            name: "意见建议",
            aliases: &["意见建议"],
            required: false,
        },
        ColumnSpec {
            name: "意见建议处理落实情况",
            aliases: &["意见建议处理落实情况", "处理落实情况"],
            required: false,
        },
        ColumnSpec {
            name: "市（区）",
            aliases: &["市(区)", "市区", "辖市(区)"],
            required: false,
        },
        ColumnSpec {
            name: "镇（街道）",
            aliases: &["镇(街道)", "镇/街道", "镇街"],
            required: false,
        },
        ColumnSpec {
            name: "村（社区）",
            aliases: &["村(社区)", "村/社区", "所属村(社区)"],
            required: false,
        },
        ColumnSpec {
            name: "采集人",
            aliases: &["采集人", "走访人", "走访干部"],
            required: true,
        },
        ColumnSpec {
            name: "单位",
            aliases: &["单位", "采集人单位", "所在单位", "走访单位"],
            required: true,
        },
        ColumnSpec {
            name: "走访日期",
            aliases: &["走访日期", "日期", "走访时间"],
            required: true,
        },
    ],
};

pub(crate) const P_NUMBER: usize = PROBLEMS.column("序号");
pub(crate) const P_VISITED: usize = PROBLEMS.column("走访对象");
pub(crate) const P_DISTRICT: usize = PROBLEMS.column("市（区）");
pub(crate) const P_TOWN: usize = PROBLEMS.column("镇（街道）");
pub(crate) const P_VILLAGE: usize = PROBLEMS.column("村（社区）");
pub(crate) const P_TYPE: usize = PROBLEMS.column("类型");
pub(crate) const P_CATEGORY: usize = PROBLEMS.column("类别");
pub(crate) const P_TEXT: usize = PROBLEMS.column("反映问题或意见建议");
pub(crate) const P_HANDLING: usize = PROBLEMS.column("办理意见");
pub(crate) const P_STATUS: usize = PROBLEMS.column("状态");
pub(crate) const P_CADRE: usize = PROBLEMS.column("走访人");
pub(crate) const P_DEPARTMENT: usize = PROBLEMS.column("单位");
pub(crate) const P_DATE: usize = PROBLEMS.column("走访日期");
pub(crate) const P_SOLVED_ON: usize = PROBLEMS.column("办结日期");

/// The annex-4 table of the entry workbook, one problem a row.
pub static PROBLEMS: TableSpec = TableSpec {
    name: "问题清单",
    columns: &[
        ColumnSpec {
            name: "序号",
            aliases: &["序号"],
            required: false,
        },
        ColumnSpec {
            name: "走访对象",
            aliases: &["走访对象"],
            required: false,
        },
        ColumnSpec {
            name: "市（区）",
            aliases: &["市(区)", "市区", "辖市(区)"],
            required: false,
        },
        ColumnSpec {
            name: "镇（街道）",
            aliases: &["镇(街道)", "镇/街道", "镇街"],
            required: false,
        },
        ColumnSpec {
            name: "村（社区）",
            aliases: &["村(社区)", "村/社区"],
            required: true,
        },
        ColumnSpec {
            name: "类型",
            aliases: &["类型", "问题类型"],
            required: true,
        },
        ColumnSpec {
            name: "类别",
            aliases: &["类别", "问题类别", "具体内容"],
            required: true,
        },
        ColumnSpec {
            name: "反映问题或意见建议",
            aliases: &[
                "反映问题或意见建议",
                "反映问题",
                "问题内容",
                "问题或意见建议",
            ],
            required: false,
        },
        ColumnSpec {
            name: "办理意见",
            aliases: &["办理意见", "处理意见"],
            required: false,
        },
        ColumnSpec {
            name: "状态",
            aliases: &["状态", "办理状态", "解决情况"],
            required: true,
        },
        ColumnSpec {
            name: "走访人",
            aliases: &["走访人", "采集人"],
            required: false,
        },
        ColumnSpec {
            name: "单位",
            aliases: &["单位", "走访单位", "所在单位"],
            required: true,
        },
        ColumnSpec {
            name: "走访日期",
            aliases: &["走访日期", "日期", "走访时间"],
            required: false,
        },
        ColumnSpec {
            name: "办结日期",
            aliases: &["办结日期", "解决日期", "办结时间"],
            required: false,
        },
    ],
};

pub(crate) const S_DISTRICT: usize = SUMMARY_ROWS.column("市（区）");
pub(crate) const S_TOWN: usize = SUMMARY_ROWS.column("镇（街道）");
pub(crate) const S_VILLAGE: usize = SUMMARY_ROWS.column("村（社区）");
pub(crate) const S_KIND: usize = SUMMARY_ROWS.column("村或社区");
pub(crate) const S_DEPARTMENT: usize = SUMMARY_ROWS.column("单位");
pub(crate) const S_TYPE: usize = SUMMARY_ROWS.column("项目");
pub(crate) const S_CATEGORY: usize = SUMMARY_ROWS.column("具体内容");
pub(crate) const S_SOLVED: usize = SUMMARY_ROWS.column("已解决（个）");
pub(crate) const S_PENDING: usize = SUMMARY_ROWS.column("待解决（个）");

/// The machine-readable annex-5 sheet that `summary` writes and reads back.
pub(crate) static SUMMARY_ROWS: TableSpec = TableSpec {
    name: "附件5明细表",
    columns: &[
        ColumnSpec {
            name: "市（区）",
            aliases: &["市(区)"],
            required: true,
        },
        ColumnSpec {
            name: "镇（街道）",
            aliases: &["镇(街道)"],
            required: true,
        },
        ColumnSpec {
            name: "村（社区）",
            aliases: &["村(社区)"],
            required: true,
        },
        ColumnSpec {
            name: "村或社区",
            aliases: &["村或社区"],
            required: true,
        },
        ColumnSpec {
            name: "单位",
            aliases: &["单位"],
            required: true,
        },
        ColumnSpec {
            name: "项目",
            aliases: &["项目"],
            required: true,
        },
        ColumnSpec {
            name: "具体内容",
            aliases: &["具体内容"],
            required: true,
        },
        ColumnSpec {
            name: "已解决（个）",
            aliases: &["已解决(个)", "已解决"],
            required: true,
        },
        ColumnSpec {
            name: "待解决（个）",
            aliases: &["待解决(个)", "待解决"],
            required: true,
        },
    ],
};

pub(crate) const W_DEPARTMENT: usize = WEEKLY_ROWS.column("单位");
/// The four figures of notice §七.1 for the period, in the order of `Figures`.
pub(crate) const W_PERIOD: [usize; 4] = [
    WEEKLY_ROWS.column("干部走访人数"),
    WEEKLY_ROWS.column("走访户数"),
    WEEKLY_ROWS.column("汇总问题数"),
    WEEKLY_ROWS.column("解决问题数"),
];
/// The same four figures, cumulative.
pub(crate) const W_CUMULATIVE: [usize; 4] = [
    WEEKLY_ROWS.column("累计干部走访人数"),
    WEEKLY_ROWS.column("累计走访户数"),
    WEEKLY_ROWS.column("累计汇总问题数"),
    WEEKLY_ROWS.column("累计解决问题数"),
];

/// The weekly figures sheet that `summary` writes and reads back.
pub(crate) static WEEKLY_ROWS: TableSpec = TableSpec {
    name: "每周走访情况表",
    columns: &[
        ColumnSpec {
            name: "单位",
            aliases: &["单位"],
            required: true,
        },
        ColumnSpec {
            name: "干部走访人数",
            aliases: &["干部走访人数"],
            required: true,
        },
        ColumnSpec {
            name: "走访户数",
            aliases: &["走访户数"],
            required: true,
        },
        ColumnSpec {
            name: "汇总问题数",
            aliases: &["汇总问题数"],
            required: true,
        },
        ColumnSpec {
            name: "解决问题数",
            aliases: &["解决问题数"],
            required: true,
        },
        ColumnSpec {
            name: "累计干部走访人数",
            aliases: &["累计干部走访人数"],
            required: true,
        },
        ColumnSpec {
            name: "累计走访户数",
            aliases: &["累计走访户数"],
            required: true,
        },
        ColumnSpec {
            name: "累计汇总问题数",
            aliases: &["累计汇总问题数"],
            required: true,
        },
        ColumnSpec {
            name: "累计解决问题数",
            aliases: &["累计解决问题数"],
            required: true,
        },
    ],
};

/// Reads a 状态 cell: `Some(true)` for solved, `Some(false)` for pending.
pub(crate) fn parse_status(s: &str) -> Option<bool> {
    match compact(s).as_str() {
        "已解决" | "已办结" | "解决" | "办结" | "已完成" | "已落实" => Some(true),
        "待解决" | "未解决" | "正在办理" | "办理中" | "未办结" | "正在解决" | "在办" | "待办" => {
            Some(false)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(parse_status("已办结"), Some(true));
        assert_eq!(parse_status("正在办理"), Some(false));
        assert_eq!(parse_status("不知道"), None);
        assert_eq!(Category::parse("其他"), Some(Category::Other));
        assert_eq!(Category::parse("房屋 土地"), Some(Category::Housing));
        assert_eq!(Category::parse("社会保障"), Some(Category::Welfare));
        assert_eq!(Category::parse("交通"), None);
        assert_eq!(ProblemType::parse("意见建议"), Some(ProblemType::Advice));
        assert_eq!(Category::from_index(6), Some(Category::Other));
        assert_eq!(ProblemType::ALL.map(ProblemType::index), [0, 1]);
    }
}
