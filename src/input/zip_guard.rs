//! The zip-bomb guard: a zip container's members counted byte by byte before any reader holds them.

use std::io::Cursor;

/// An archive member may expand to at most this much…
const ZIP_ENTRY_LIMIT: u64 = 1 << 30;
/// …and all of them together to this much.
const ZIP_TOTAL_LIMIT: u64 = 2 << 30;
/// Past this size a member must not be more than `ZIP_MAX_RATIO` times its
/// compressed size: spreadsheets compress about 5 to 20 times; bombs, thousands.
const ZIP_RATIO_FROM: u64 = 128 << 20;
const ZIP_MAX_RATIO: u64 = 100;

/// What the zip scan found: the member names, and whether any worksheet
/// of an xlsx has merged cells.
pub(super) struct ZipScan {
    pub(super) names: Vec<String>,
    pub(super) merged_cells: bool,
}

/// The member names of a zip container, after expanding every member into
/// nothing, counting bytes: one that would expand past the limits (a "zip
/// bomb") is refused before any reader holds it in memory. Damage is left to
/// the reader to report. On the way it notes whether a worksheet has merged
/// cells: calamine finds them by parsing the whole sheet a second time, which
/// made reading a large returns workbook (no merges) half as slow again.
pub(super) fn zip_members(bytes: &[u8]) -> Result<ZipScan, String> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(ZipScan {
            names: Vec::new(),
            merged_cells: true,
        });
    };
    let names: Vec<String> = archive
        .file_names()
        .flatten()
        .map(|n| n.into_owned())
        .collect();
    let mut scan = ZipScan {
        names,
        merged_cells: false,
    };
    const MERGE_TAG: &[u8] = b"mergeCell";
    let finder = memchr::memmem::Finder::new(MERGE_TAG);
    let mut total = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    for i in 0..archive.len() {
        let Ok(mut member) = archive.by_index(i) else {
            scan.merged_cells = true;
            return Ok(scan);
        };
        // Any member but the shared strings may be a worksheet: writers
        // name and place them as they like.
        let worksheet = member
            .name()
            .map_or(true, |n| !n.to_ascii_lowercase().contains("sharedstrings"));
        let packed = member.compressed_size().max(1);
        let mut size = 0u64;
        // The tail of the previous chunk, so that a tag split across two
        // chunks is still found.
        let mut carry = 0;
        loop {
            let n = match std::io::Read::read(&mut member, &mut buf[carry..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if worksheet && !scan.merged_cells {
                let seen = carry + n;
                scan.merged_cells = finder.find(&buf[..seen]).is_some();
                carry = (MERGE_TAG.len() - 1).min(seen);
                buf.copy_within(seen - carry..seen, 0);
            } else {
                carry = 0;
            }
            size += n as u64;
            total += n as u64;
            let bomb = size > ZIP_RATIO_FROM && size / packed > ZIP_MAX_RATIO;
            if bomb || size > ZIP_ENTRY_LIMIT || total > ZIP_TOTAL_LIMIT {
                return Err(format!(
                    "这个文件解压后超过 {} MB（文件本身只有 {} KB），不像正常的表格，为防止电脑卡死没有读取",
                    size.max(total) >> 20,
                    bytes.len() >> 10
                ));
            }
        }
    }
    Ok(scan)
}
