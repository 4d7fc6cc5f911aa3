//! The page the server shows, embedded at build time: no CDN, no outside
//! request, and no inline script or style (the Content-Security-Policy
//! allows only the page's own files).

/// The page (名单, 打印, 回收, 汇总).
pub(super) const PAGE: &str = include_str!("page.html");

/// Its look and its behaviour, by the names the page asks for them.
pub(super) const FILES: [(&str, &str, &str); 2] = [
    (
        "page.css",
        "text/css; charset=utf-8",
        include_str!("page.css"),
    ),
    (
        "page.js",
        "text/javascript; charset=utf-8",
        include_str!("page.js"),
    ),
];
