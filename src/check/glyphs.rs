//! Characters no font can draw, found before anything is typeset.

use super::model::Roster;
use crate::shared::fault::{Fault, Place};
use crate::shared::text::quote_chars;
use crate::typeset::Engine;

/// Faults for characters in printed roster values that no font can draw,
/// found before anything is typeset; each names the person or village.
pub(crate) fn glyph_faults(engine: &Engine, roster: &Roster) -> Vec<Fault> {
    let mut faults = Vec::new();
    let mut check = |place: &Place, who: String, texts: &[&str]| {
        let mut chars = Vec::new();
        for t in texts {
            for c in engine.undrawable(t) {
                if !chars.contains(&c) {
                    chars.push(c);
                }
            }
        }
        if !chars.is_empty() {
            faults.push(Fault::error(
                place.clone(),
                format!(
                    "{who}的资料里有字体中没有的字：{}，印出来会是方框",
                    quote_chars(&chars)
                ),
                "请核对这些字是否写对；如确实是这些字，请用 --font-path 指定含有这些字的字体",
            ));
        }
    };
    for d in &roster.departments {
        check(
            &d.place,
            format!("单位「{}」", d.name),
            &[&d.name, &d.contact, &d.phone],
        );
    }
    for v in &roster.villages {
        check(
            &v.place,
            format!("村（社区）「{}」", v.name),
            &[
                &v.district,
                &v.town,
                &v.name,
                &v.secretary,
                &v.secretary_phone,
            ],
        );
    }
    for c in &roster.cadres {
        check(
            &c.place,
            format!("干部「{}」", c.name),
            &[&c.name, &c.position, &c.id],
        );
    }
    faults
}
