//! What every request to the local web server must show before anything is
//! done for it: the token the server printed (in the address, then kept in a
//! cookie), a Host that is the server's own address (a page elsewhere cannot
//! reach it through a DNS name it controls), and for anything that changes
//! something an Origin that is the server's own (a page elsewhere cannot
//! make the browser post to it). Paths never leave the working folder.

use std::path::{Component, Path, PathBuf};

/// The cookie the token is kept in, named for the server's port: a browser
/// keeps cookies per host, not per port, and two campaigns served at once
/// (two folders, two copies of zoufang) must not replace each other's.
pub(crate) fn cookie_name(port: u16) -> String {
    format!("zoufang_token_{port}")
}

/// The largest upload taken: a city's returns workbook is some tens of MB.
pub(crate) const MAX_UPLOAD: u64 = 64 << 20;

/// The largest scanner file taken (streamed to disk, never held in memory):
/// a department's stack of a few thousand pages.
pub(crate) const MAX_SCAN_UPLOAD: u64 = 2 << 30;

/// Where scanner files are uploaded.
pub(crate) const SCAN_UPLOAD_PATH: &str = "/api/scan/file";

/// Why a request is refused: the HTTP status and a sentence for the clerk.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) status: u16,
    pub(crate) message: &'static str,
}

/// The checks of one server.
pub(crate) struct Guard {
    token: String,
    /// The cookie the token is kept in (`cookie_name`).
    pub(crate) cookie: String,
    /// `127.0.0.1:8765`, `localhost:8765`: the Host values accepted.
    hosts: Vec<String>,
    /// Listening beyond loopback (`--listen`): other computers name this
    /// one by an address of its own, which the server cannot know in
    /// advance (0.0.0.0 listens on all of them). Any IP address with the
    /// server's port is then accepted as Host: an address, unlike a name,
    /// cannot be rebound to another server by DNS.
    port_of_any_ip: Option<u16>,
}

/// What a request is allowed, when it is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pass {
    /// By its cookie.
    Cookie,
    /// By the token in its address: the answer sets the cookie.
    Token,
}

impl Guard {
    /// The guard of a server at `port` on loopback (127.0.0.1 and
    /// localhost), and `beyond_loopback`, at any IP address with that port.
    pub(crate) fn new(token: String, port: u16, beyond_loopback: bool) -> Guard {
        Guard {
            token,
            cookie: cookie_name(port),
            hosts: vec![format!("127.0.0.1:{port}"), format!("localhost:{port}")],
            port_of_any_ip: beyond_loopback.then_some(port),
        }
    }

    /// Whether `host` (a request's Host) names this server.
    fn is_own(&self, host: &str) -> bool {
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
            || self.port_of_any_ip.is_some_and(|port| {
                host.parse::<std::net::SocketAddr>()
                    .is_ok_and(|addr| addr.port() == port)
            })
    }

    /// Checks a request: its method, its address (path and query) and its
    /// headers (names in any case).
    pub(crate) fn check(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
    ) -> Result<Pass, Refusal> {
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim())
        };
        let host = header("host").unwrap_or("");
        if !self.is_own(host) {
            return Err(Refusal {
                status: 403,
                message: "这个地址不是本机的 zoufang：请用启动时显示的地址打开",
            });
        }
        let pass = if query_value(url, "token").is_some_and(|t| same(t, &self.token)) {
            Pass::Token
        } else if header("cookie")
            .and_then(|c| cookie_value(c, &self.cookie))
            .is_some_and(|t| same(t, &self.token))
        {
            Pass::Cookie
        } else {
            return Err(Refusal {
                status: 401,
                message: "请用启动 zoufang 时显示的完整地址（带 token）打开这个页面",
            });
        };
        if !matches!(method, "GET" | "HEAD") {
            // The page's own origin is the address it was opened at.
            let own = header("origin")
                .and_then(|origin| origin.strip_prefix("http://"))
                .is_some_and(|origin| origin.eq_ignore_ascii_case(host));
            if !own {
                return Err(Refusal {
                    status: 403,
                    message: "别的网页不能让 zoufang 做事：请在 zoufang 自己的页面上操作",
                });
            }
        }
        let length = header("content-length").and_then(|l| l.parse::<u64>().ok());
        if url.split('?').next() == Some(SCAN_UPLOAD_PATH) {
            if length.is_some_and(|l| l > MAX_SCAN_UPLOAD) {
                return Err(Refusal {
                    status: 413,
                    message: "文件太大了（超过 2 GB）：请分成几个文件扫描",
                });
            }
        } else if length.is_some_and(|l| l > MAX_UPLOAD) {
            return Err(Refusal {
                status: 413,
                message: "文件太大了（超过 64 MB），不像是名单或录入表",
            });
        }
        Ok(pass)
    }
}

/// Compares two tokens in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The value of `name` in an address's query (`/?token=abc`), undecoded.
pub(crate) fn query_value<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn cookie_value<'a>(cookies: &'a str, name: &str) -> Option<&'a str> {
    cookies
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The file under `root` that a request's path names (already
/// percent-decoded), when it stays inside `root`: no `..`, no absolute
/// path, no drive or backslash, and — symbolic links followed — still
/// inside.
pub(crate) fn inside(root: &Path, relative: &str) -> Option<PathBuf> {
    if relative.contains('\\') || relative.contains('\0') {
        return None;
    }
    let relative = Path::new(relative.trim_start_matches('/'));
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let root = root.canonicalize().ok()?;
    let path = root.join(relative).canonicalize().ok()?;
    path.starts_with(&root).then_some(path)
}

/// Decodes `%XX` escapes (UTF-8); `None` for a broken escape.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// `%XX` for every byte but unreserved ASCII (file names in headers).
pub(crate) fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guard {
        Guard::new("s3cret".into(), 8765, false)
    }

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn token_host_and_origin_decide() {
        let g = guard();
        let host = ("Host", "127.0.0.1:8765");
        assert_eq!(
            g.check("GET", "/?token=s3cret", &h(&[host])),
            Ok(Pass::Token)
        );
        assert_eq!(
            g.check(
                "GET",
                "/",
                &h(&[host, ("Cookie", "a=b; zoufang_token_8765=s3cret")])
            ),
            Ok(Pass::Cookie)
        );
        assert_eq!(
            g.check("GET", "/", &h(&[host])).map_err(|r| r.status),
            Err(401)
        );
        // Another campaign's server (another port) keeps its own cookie:
        // both are sent, ours is found.
        assert_eq!(
            g.check(
                "GET",
                "/",
                &h(&[
                    host,
                    (
                        "Cookie",
                        "zoufang_token_9999=other; zoufang_token_8765=s3cret"
                    )
                ])
            ),
            Ok(Pass::Cookie)
        );
        assert_eq!(
            g.check(
                "GET",
                "/",
                &h(&[host, ("Cookie", "zoufang_token_9999=s3cret")])
            )
            .map_err(|r| r.status),
            Err(401)
        );
        assert_eq!(
            g.check("GET", "/?token=s3cres", &h(&[host]))
                .map_err(|r| r.status),
            Err(401)
        );
        // DNS rebinding: the right token under a foreign name.
        assert_eq!(
            g.check(
                "GET",
                "/?token=s3cret",
                &h(&[("Host", "evil.example:8765")])
            )
            .map_err(|r| r.status),
            Err(403)
        );
        // CSRF: a post without our own Origin.
        let cookie = ("Cookie", "zoufang_token_8765=s3cret");
        for origin in [
            None,
            Some("http://evil.example"),
            Some("http://127.0.0.1:9999"),
        ] {
            let mut headers = vec![host, cookie];
            headers.extend(origin.map(|o| ("Origin", o)));
            assert_eq!(
                g.check("POST", "/api/roster", &h(&headers))
                    .map_err(|r| r.status),
                Err(403),
                "{origin:?}"
            );
        }
        assert_eq!(
            g.check(
                "POST",
                "/api/roster",
                &h(&[host, cookie, ("Origin", "http://127.0.0.1:8765")])
            ),
            Ok(Pass::Cookie)
        );
        assert_eq!(
            g.check(
                "POST",
                "/api/roster",
                &h(&[
                    host,
                    cookie,
                    ("Origin", "http://127.0.0.1:8765"),
                    ("Content-Length", "999999999")
                ])
            )
            .map_err(|r| r.status),
            Err(413)
        );
    }

    #[test]
    fn listening_beyond_loopback_accepts_addresses_not_names() {
        let g = Guard::new("s3cret".into(), 8765, true);
        let cookie = ("Cookie", "zoufang_token_8765=s3cret");
        let get = |host: &str| {
            g.check("GET", "/", &h(&[("Host", host), cookie]))
                .map_err(|r| r.status)
        };
        assert_eq!(get("192.168.1.20:8765"), Ok(Pass::Cookie));
        assert_eq!(get("[fe80::1]:8765"), Ok(Pass::Cookie));
        assert_eq!(get("192.168.1.20:9999"), Err(403));
        assert_eq!(get("evil.example:8765"), Err(403));
        assert_eq!(get("192.168.1.20"), Err(403));
        // A change only from the page opened at that same address.
        let post = |origin: &str| {
            g.check(
                "POST",
                "/api/roster",
                &h(&[("Host", "192.168.1.20:8765"), cookie, ("Origin", origin)]),
            )
            .map_err(|r| r.status)
        };
        assert_eq!(post("http://192.168.1.20:8765"), Ok(Pass::Cookie));
        assert_eq!(post("http://127.0.0.1:8765"), Err(403));
        assert_eq!(post("http://evil.example"), Err(403));
    }

    #[test]
    fn paths_stay_inside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("汇总")).unwrap();
        std::fs::write(dir.path().join("汇总/表.pdf"), b"%PDF").unwrap();
        assert!(inside(dir.path(), "汇总/表.pdf").is_some());
        for bad in [
            "../etc/passwd",
            "汇总/../../x",
            "/etc/passwd",
            "汇总\\..\\x",
            "C:/x",
        ] {
            assert_eq!(inside(dir.path(), bad), None, "{bad}");
        }
        assert_eq!(
            percent_decode("%E6%B1%87%E6%80%BB/a%20b.pdf").as_deref(),
            Some("汇总/a b.pdf")
        );
        assert_eq!(percent_decode("%zz"), None);
    }
}
