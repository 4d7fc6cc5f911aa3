//! The page the server shows, embedded: no CDN, no outside request.

/// The roster page (名单): upload, plan, faults and reminders.
pub(super) const PAGE: &str = include_str!("page.html");
