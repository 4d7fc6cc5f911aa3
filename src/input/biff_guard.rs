//! The guard for `.xls` and WPS `.et` files (OLE containers of BIFF
//! records): before calamine reads one, its sheets' claimed sizes and cell
//! positions are checked against what the file really holds (`claims`).
//! calamine reserves room for every cell a sheet's DIMENSIONS record claims,
//! and lays the cells it finds out as a full grid from the first to the last
//! row and column any of them names: an 11 kB copy of a workbook with a few
//! bytes changed asked for 17 GB.

use std::io::{Cursor, Read};

use super::claims::{Oversized, within};

/// Checks the workbook stream of an OLE container. `Ok(())` when every
/// sheet is within bounds, or when the file is not one this scan reads (the
/// reader then says what is wrong with it). Each sheet is read as calamine
/// reads it: from the position its BOUNDSHEET record gives, not in stream
/// order (a damaged record earlier in the stream must not hide it).
pub(super) fn check(bytes: &[u8]) -> Result<(), Oversized> {
    let Some(stream) = workbook_stream(bytes) else {
        return Ok(());
    };
    // The globals, up to their EOF: each sheet's position and name.
    let mut sheets = Vec::new();
    for (typ, data) in records(&stream) {
        match typ {
            0x0085 if data.len() >= 4 => sheets.push((u32_at(data, 0) as usize, sheet_name(data))),
            0x000A => break,
            _ => {}
        }
    }
    for (i, (at, name)) in sheets.iter().enumerate() {
        let Some(sheet) = stream.get(*at..) else {
            continue;
        };
        sheet_bounds(sheet).check(|| {
            if name.is_empty() {
                format!("第{}个工作表", i + 1)
            } else {
                name.clone()
            }
        })?;
    }
    Ok(())
}

/// What one sheet's records claim and hold, read as calamine reads them:
/// its own BOF first, embedded substreams (charts) skipped, up to its EOF.
fn sheet_bounds(sheet: &[u8]) -> Bounds {
    let mut bounds = Bounds::default();
    let (mut own_bof, mut nested) = (false, 0usize);
    for (typ, data) in records(sheet) {
        if nested > 0 {
            match typ {
                0x0809 => nested += 1,
                0x000A => nested -= 1,
                _ => {}
            }
            continue;
        }
        match typ {
            0x0809 if own_bof => nested += 1,
            0x0809 => own_bof = true,
            0x000A => break,
            0x0200 => bounds.claimed = bounds.claimed.max(dimensions(data)),
            // Cells calamine keeps (NUMBER, LABEL, RSTRING, BOOLERR, RK,
            // LABELSST, FORMULA): row and column first.
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 if data.len() >= 4 => {
                bounds.cell(u16_at(data, 0), u16_at(data, 2));
            }
            // MULRK: a row, a first column, one entry per cell, the last column.
            0x00BD if data.len() >= 6 => {
                let last = u16_at(data, data.len() - 2);
                bounds.cell(u16_at(data, 0), u16_at(data, 2));
                bounds.cell(u16_at(data, 0), last);
            }
            _ => {}
        }
    }
    bounds
}

/// The cells calamine reserves room for from a DIMENSIONS record, computed
/// as it does (BIFF8: u32 rows, u16 columns; BIFF5: all u16; 32-bit
/// arithmetic that wraps when the first row or column is past the last).
fn dimensions(data: &[u8]) -> u64 {
    let (first_row, last_row, mut first_col, last_col) = match data.len() {
        10 => (
            u32::from(u16_at(data, 0)),
            u32::from(u16_at(data, 2)),
            u32::from(u16_at(data, 4)),
            u32::from(u16_at(data, 6)),
        ),
        14 | 16 => (
            u32_at(data, 0),
            u32_at(data, 4),
            u32::from(u16_at(data, 8)),
            u32::from(u16_at(data, 10)),
        ),
        _ => return 0,
    };
    if first_col > 0xFF || last_col < first_col {
        first_col = 0;
    }
    let (end_row, end_col) = if last_row >= 1 && last_col >= 1 {
        (last_row - 1, last_col - 1)
    } else {
        (first_row, first_col)
    };
    let span = |first: u32, end: u32| u64::from(end.wrapping_sub(first).wrapping_add(1));
    span(first_row, end_row).saturating_mul(span(first_col, end_col))
}

/// The name in a BOUNDSHEET record: after 6 bytes, a length, a flag for
/// two-byte characters, the characters.
fn sheet_name(data: &[u8]) -> String {
    let (Some(&len), Some(&wide)) = (data.get(6), data.get(7)) else {
        return String::new();
    };
    let chars = data.get(8..).unwrap_or_default();
    if wide & 1 == 1 {
        let units: Vec<u16> = chars
            .chunks_exact(2)
            .take(usize::from(len))
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        chars
            .iter()
            .take(usize::from(len))
            .map(|&b| char::from(b))
            .collect()
    }
}

/// What a sheet claims and holds.
#[derive(Default)]
struct Bounds {
    claimed: u64,
    cells: u64,
    rows: Option<(u16, u16)>,
    cols: Option<(u16, u16)>,
}

impl Bounds {
    fn cell(&mut self, row: u16, col: u16) {
        self.cells += 1;
        let widen = |range: &mut Option<(u16, u16)>, v: u16| {
            *range = Some(match *range {
                None => (v, v),
                Some((a, b)) => (a.min(v), b.max(v)),
            });
        };
        widen(&mut self.rows, row);
        widen(&mut self.cols, col);
    }

    /// The grid calamine would lay the cells out in.
    fn grid(&self) -> u64 {
        match (self.rows, self.cols) {
            (Some((r0, r1)), Some((c0, c1))) => (u64::from(r1 - r0) + 1) * (u64::from(c1 - c0) + 1),
            _ => 0,
        }
    }

    fn check(&self, sheet: impl FnOnce() -> String) -> Result<(), Oversized> {
        within(self.claimed.max(self.grid()), self.cells, sheet)
    }
}

/// The BIFF records of a stream: (type, data), until the bytes run out.
fn records(stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let header = stream.get(at..at + 4)?;
        let typ = u16_at(header, 0);
        let len = usize::from(u16_at(header, 2));
        let data = stream.get(at + 4..at + 4 + len)?;
        at += 4 + len;
        Some((typ, data))
    })
}

/// The workbook stream (`Workbook`, or `Book` in older files), read no
/// further than the container's own size.
fn workbook_stream(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).ok()?;
    let name = ["/Workbook", "/Book", "/WORKBOOK", "/BOOK"]
        .into_iter()
        .find(|n| file.is_stream(n))?;
    let stream = file.open_stream(name).ok()?;
    let mut out = Vec::new();
    stream.take(bytes.len() as u64).read_to_end(&mut out).ok()?;
    Some(out)
}

fn u16_at(data: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([data[at], data[at + 1]])
}

fn u32_at(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut r = typ.to_le_bytes().to_vec();
        r.extend((data.len() as u16).to_le_bytes());
        r.extend(data);
        r
    }

    fn number(row: u16, col: u16) -> Vec<u8> {
        let mut d = row.to_le_bytes().to_vec();
        d.extend(col.to_le_bytes());
        d.extend([0; 10]);
        record(0x0203, &d)
    }

    fn dimensions(first_row: u32, last_row: u32, cols: u16) -> Vec<u8> {
        let mut d = first_row.to_le_bytes().to_vec();
        d.extend(last_row.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend(cols.to_le_bytes());
        d.extend([0, 0]);
        record(0x0200, &d)
    }

    /// An OLE container whose workbook stream has globals naming one sheet
    /// 名单, `between` (records that belong to no sheet), and that sheet's
    /// records.
    fn workbook_with(between: &[u8], cells: &[Vec<u8>]) -> Vec<u8> {
        let mut stream = record(0x0809, &[0; 16]);
        let name: Vec<u16> = "名单".encode_utf16().collect();
        let boundsheet_len = 4 + 8 + 2 * name.len();
        let sheet_at = stream.len() + boundsheet_len + 4 + between.len();
        let mut boundsheet = (sheet_at as u32).to_le_bytes().to_vec();
        boundsheet.extend([0, 0]);
        boundsheet.extend([name.len() as u8, 1]);
        boundsheet.extend(name.iter().flat_map(|u| u.to_le_bytes()));
        stream.extend(record(0x0085, &boundsheet));
        stream.extend(record(0x000A, &[]));
        stream.extend(between);
        assert_eq!(stream.len(), sheet_at);
        stream.extend(record(0x0809, &[0; 16]));
        for c in cells {
            stream.extend(c);
        }
        stream.extend(record(0x000A, &[]));
        let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        file.create_stream("/Workbook")
            .unwrap()
            .write_all(&stream)
            .unwrap();
        file.flush().unwrap();
        file.into_inner().into_inner()
    }

    fn workbook(cells: &[Vec<u8>]) -> Vec<u8> {
        workbook_with(&[], cells)
    }

    #[test]
    fn a_dense_sheet_passes_and_a_far_flung_cell_does_not() {
        let cells: Vec<Vec<u8>> = (0..300)
            .flat_map(|r| (0..16).map(move |c| number(r, c)))
            .collect();
        assert_eq!(check(&workbook(&cells)), Ok(()));
        let far = [number(0, 0), number(65_535, 255)];
        assert_eq!(
            check(&workbook(&far)),
            Err(Oversized {
                sheet: "名单".into(),
                claimed: 65_536 * 256
            })
        );
        let claimed = [dimensions(0, 1_000_000_000, 255), number(0, 0)];
        assert!(check(&workbook(&claimed)).is_err());
        // A first row past the last: calamine's 32-bit count wraps round.
        let wrapped = [dimensions(5, 3, 2), number(0, 0)];
        assert_eq!(
            check(&workbook(&wrapped)).map_err(|o| o.claimed),
            Err(u64::from(u32::MAX - 1) * 2)
        );
        assert_eq!(check(b"not an OLE file"), Ok(()));
    }

    #[test]
    fn a_sheet_is_read_from_where_the_workbook_says_it_starts() {
        // A record whose length runs past the sheet's start: read in stream
        // order, the sheet's records would be swallowed by it.
        let mut swallowing = 0x00FCu16.to_le_bytes().to_vec();
        swallowing.extend(64u16.to_le_bytes());
        let far = [number(0, 0), number(65_535, 255)];
        assert!(check(&workbook_with(&swallowing, &far)).is_err());
    }
}
