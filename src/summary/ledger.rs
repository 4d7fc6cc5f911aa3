//! The ledger (台账): a SQLite file an office keeps for the whole campaign.
//! Each import records the file (name, SHA-256), the day it was received
//! and every household and problem it holds, as versions: a record is
//! stored again only when it changed, so a problem's versions are its
//! status history. A report as of a day reads the latest version of each
//! record among the imports received by then; the same report made later
//! gives the same figures.
//!
//! An import is one transaction (a run killed part way leaves the ledger as
//! it was); a second run on the same ledger waits for the first, then is
//! refused with a message. The schema's version is SQLite's `user_version`;
//! a ledger from an older zoufang is migrated forward when opened.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{
    Connection, OpenFlags, OptionalExtension, TransactionBehavior, named_params, params,
};

use super::identity::{Change, Key, Version, compare};
use super::resolve::{
    Context, Difference, FIELDS, differences_from, differing_place, problem_name, resolve,
    said_differences, visit_name,
};
use super::returns::{Location, Origin, Problem, Returns, Visit};
use crate::schema::returns::{Category, ProblemType};
use crate::schema::roster::VillageKind;
use crate::shared::date::{Date, from_digits, show_date, today};
use crate::shared::fault::{Fault, Place};

/// The schema this zoufang writes; older ledgers are migrated up to it.
const SCHEMA_VERSION: i64 = 4;

/// How long a run waits for another one using the same ledger.
const BUSY_WAIT: Duration = Duration::from_secs(10);

/// Each schema version's statements, applied in order from the ledger's own.
const MIGRATIONS: &[&str] = &[
    // 1: imports, and the versions of households and problems.
    "CREATE TABLE imports (
        id INTEGER PRIMARY KEY,
        file TEXT NOT NULL,
        sha256 TEXT NOT NULL UNIQUE,
        received TEXT NOT NULL,
        departments TEXT NOT NULL,
        households INTEGER NOT NULL,
        problems INTEGER NOT NULL,
        changed INTEGER NOT NULL
    );
    -- Department, cadre, place and sheet names, each stored once.
    CREATE TABLE names (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
    -- Dates are numbers written as 20170308.
    CREATE TABLE visits (
        identity TEXT NOT NULL,
        import_id INTEGER NOT NULL REFERENCES imports(id),
        head TEXT NOT NULL,
        department INTEGER NOT NULL REFERENCES names(id),
        cadre INTEGER NOT NULL REFERENCES names(id),
        district INTEGER NOT NULL REFERENCES names(id),
        town INTEGER NOT NULL REFERENCES names(id),
        village INTEGER NOT NULL REFERENCES names(id),
        date INTEGER NOT NULL,
        sheet INTEGER NOT NULL REFERENCES names(id),
        row INTEGER NOT NULL,
        content INTEGER NOT NULL,
        state INTEGER NOT NULL,
        PRIMARY KEY (identity, import_id)
    ) WITHOUT ROWID;
    CREATE TABLE problems (
        identity TEXT NOT NULL,
        import_id INTEGER NOT NULL REFERENCES imports(id),
        department INTEGER NOT NULL REFERENCES names(id),
        district INTEGER NOT NULL REFERENCES names(id),
        town INTEGER NOT NULL REFERENCES names(id),
        village INTEGER NOT NULL REFERENCES names(id),
        kind INTEGER NOT NULL,
        category INTEGER NOT NULL,
        solved INTEGER NOT NULL,
        count INTEGER NOT NULL,
        village_kind TEXT,
        date INTEGER,
        solved_on INTEGER,
        text TEXT NOT NULL,
        handling TEXT NOT NULL,
        -- 0 for counts from another department's summary.
        sheet INTEGER NOT NULL,
        row INTEGER NOT NULL,
        content INTEGER NOT NULL,
        state INTEGER NOT NULL,
        PRIMARY KEY (identity, import_id)
    ) WITHOUT ROWID;",
    // 2: the cadre who collected each problem (走访人), for the closing
    // pack's list of pending problems; 0 (no name) in older imports.
    "ALTER TABLE problems ADD COLUMN cadre INTEGER NOT NULL DEFAULT 0;",
    // 3: an import can be withdrawn (撤回), and the same bytes imported
    // again; each import keeps what its rows came to and its faults; a
    // record an import held unchanged is noted (`repeats`), so that it
    // still counts when the import that stored it is withdrawn.
    "CREATE TABLE imports_v3 (
        id INTEGER PRIMARY KEY,
        file TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        received TEXT NOT NULL,
        departments TEXT NOT NULL,
        households INTEGER NOT NULL,
        problems INTEGER NOT NULL,
        changed INTEGER NOT NULL,
        -- Rows counted, taken out as repeats of other rows, and refused.
        counted INTEGER NOT NULL DEFAULT 0,
        duplicated INTEGER NOT NULL DEFAULT 0,
        refused INTEGER NOT NULL DEFAULT 0,
        -- The faults said of the file, as JSON.
        faults TEXT NOT NULL DEFAULT '[]',
        -- The day the import was made, and the day it was withdrawn.
        imported TEXT,
        withdrawn TEXT
    );
    INSERT INTO imports_v3 (id, file, sha256, received, departments, households, problems, changed)
        SELECT id, file, sha256, received, departments, households, problems, changed FROM imports;
    DROP TABLE imports;
    ALTER TABLE imports_v3 RENAME TO imports;
    CREATE INDEX imports_by_sha256 ON imports (sha256);
    -- kind: 0 a household, 1 a problem.
    CREATE TABLE repeats (
        identity TEXT NOT NULL,
        kind INTEGER NOT NULL,
        import_id INTEGER NOT NULL REFERENCES imports(id),
        sheet INTEGER NOT NULL,
        row INTEGER NOT NULL,
        PRIMARY KEY (identity, kind, import_id)
    ) WITHOUT ROWID;",
    // 4: the paper household forms scanned back (zoufang scan): each serial
    // once, the day it first came, and whether any scan of it was filled.
    "CREATE TABLE paper (
        serial TEXT PRIMARY KEY,
        filled INTEGER NOT NULL,
        received TEXT NOT NULL,
        file TEXT NOT NULL,
        page INTEGER NOT NULL
    ) WITHOUT ROWID;",
];

/// A paper household form scanned back, as `zoufang scan` records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperForm {
    pub serial: String,
    pub filled: bool,
    pub file: String,
    pub page: u32,
}

/// What recording a scan did to the ledger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PaperRecorded {
    /// Forms the ledger had not seen.
    pub new: usize,
    /// Forms seen blank before and filled now.
    pub now_filled: usize,
}

/// An open ledger.
pub struct Ledger {
    db: Connection,
    path: String,
}

/// One import, as the ledger lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Import {
    /// The import's number in the ledger (1, 2, …), as `zoufang ledger` shows it.
    pub id: i64,
    pub file: String,
    pub sha256: String,
    pub received: String,
    pub departments: Vec<String>,
    pub households: u64,
    pub problems: u64,
    /// Records new or changed by this import.
    pub changed: u64,
    /// The file's rows: counted, taken out as repeats, refused.
    pub counted: u64,
    pub duplicated: u64,
    pub refused: u64,
    /// The day the import was made (none in a ledger from before it was kept).
    pub imported: Option<String>,
    /// The day it was withdrawn, if it was.
    pub withdrawn: Option<String>,
    /// How many faults were said of the file (`Ledger::faults_of` lists them).
    pub faults: u64,
}

impl Import {
    /// Whether a report as of `day` counts this import: received by then,
    /// and not withdrawn by then.
    pub fn counts_on(&self, day: Date) -> bool {
        let shown = show_date(day);
        self.received <= shown && self.withdrawn.as_ref().is_none_or(|w| *w > shown)
    }
}

/// What importing one file did.
pub struct Imported {
    /// The file's rows as read and resolved: accounts, rejected rows,
    /// notes and conflicts.
    pub returns: Returns,
    /// None when the same bytes were imported before (`earlier` says when).
    pub import: Option<Import>,
    pub earlier: Option<Import>,
}

impl Ledger {
    /// Records the paper forms of a scan received on `received`: a serial
    /// already recorded keeps its day (a scan imported again changes
    /// nothing); one recorded blank and now scanned filled becomes filled.
    pub fn record_paper(
        &mut self,
        forms: &[PaperForm],
        received: Date,
    ) -> Result<PaperRecorded, Fault> {
        let shown = self.path.clone();
        let fault = |e: rusqlite::Error| refused(&shown, &e);
        let day = show_date(received);
        let tx = self.begin()?;
        let mut done = PaperRecorded::default();
        {
            let mut insert = tx
                .prepare(
                    "INSERT OR IGNORE INTO paper (serial, filled, received, file, page) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(fault)?;
            let mut fill = tx
                .prepare("UPDATE paper SET filled = 1 WHERE serial = ?1 AND filled = 0")
                .map_err(fault)?;
            for f in forms {
                if insert
                    .execute(params![f.serial, f.filled, day, f.file, f.page])
                    .map_err(fault)?
                    > 0
                {
                    done.new += 1;
                } else if f.filled {
                    done.now_filled += fill.execute(params![f.serial]).map_err(fault)?;
                }
            }
        }
        tx.commit().map_err(fault)?;
        Ok(done)
    }

    /// Forgets the paper forms first noted from the scanner's file named
    /// `file` (set aside: a wrong file, or one read with a wrong received
    /// day); how many. Reading the files kept notes again the forms they
    /// also hold.
    pub fn forget_paper_of(&mut self, file: &str) -> Result<usize, Fault> {
        self.db
            .execute("DELETE FROM paper WHERE file = ?1", params![file])
            .map_err(|e| refused(&self.path, &e))
    }

    /// The paper forms received by `day`: serial and whether filled.
    pub fn paper_as_of(&self, day: Date) -> Result<Vec<(String, bool)>, Fault> {
        let fault = |e: rusqlite::Error| refused(&self.path, &e);
        let mut statement = self
            .db
            .prepare("SELECT serial, filled FROM paper WHERE received <= ?1 ORDER BY serial")
            .map_err(fault)?;
        let rows = statement
            .query_map(params![show_date(day)], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(fault)?;
        rows.collect::<Result<_, _>>().map_err(fault)
    }

    /// Opens (or creates) the ledger at `path`, migrating it forward.
    pub fn open(path: &Path) -> Result<Ledger, Fault> {
        Ledger::open_waiting(path, BUSY_WAIT)
    }

    /// `open`, waiting at most `wait` for another run that holds the ledger.
    fn open_waiting(path: &Path, wait: Duration) -> Result<Ledger, Fault> {
        let shown = path.display().to_string();
        let fault = |e: rusqlite::Error| refused(&shown, &e);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                Fault::error(
                    Place::file(&shown),
                    format!("台账所在的文件夹建不起来（{e}）"),
                    "请检查台账的路径",
                )
            })?;
        }
        let db = Connection::open(path).map_err(fault)?;
        db.busy_timeout(wait).map_err(fault)?;
        db.pragma_update(None, "journal_mode", "WAL")
            .map_err(fault)?;
        db.pragma_update(None, "synchronous", "NORMAL")
            .map_err(fault)?;
        let mut ledger = Ledger { db, path: shown };
        ledger.migrate()?;
        Ok(ledger)
    }

    fn migrate(&mut self) -> Result<(), Fault> {
        let shown = self.path.clone();
        let fault = |e: rusqlite::Error| refused(&shown, &e);
        // A migration may rebuild a table others refer to (SQLite's way of
        // changing a constraint): references are checked after, not during.
        let checked: bool = self
            .db
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .map_err(fault)?;
        self.db
            .pragma_update(None, "foreign_keys", false)
            .map_err(fault)?;
        let migrated = self.migrate_in_order();
        self.db
            .pragma_update(None, "foreign_keys", checked)
            .map_err(fault)?;
        migrated
    }

    /// Applies each migration the ledger has not had, in one transaction.
    fn migrate_in_order(&mut self) -> Result<(), Fault> {
        let shown = self.path.clone();
        let fault = |e: rusqlite::Error| refused(&shown, &e);
        let tx = self.begin()?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(fault)?;
        if version > SCHEMA_VERSION {
            return Err(Fault::error(
                Place::file(&shown),
                format!(
                    "这个台账是较新版本的 zoufang 建的（第{version}版），这个程序只认得到第{SCHEMA_VERSION}版"
                ),
                "请换用较新版本的 zoufang",
            ));
        }
        for (i, statements) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(statements).map_err(fault)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)
                .map_err(fault)?;
        }
        let broken: Option<String> = tx
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .optional()
            .map_err(fault)?;
        if let Some(table) = broken {
            return Err(corrupt(&shown, "记录（互相对不上）", &table));
        }
        tx.commit().map_err(fault)
    }

    /// A write transaction: other runs wait for it (and it for theirs).
    fn begin(&mut self) -> Result<rusqlite::Transaction<'_>, Fault> {
        let shown = self.path.clone();
        self.db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| refused(&shown, &e))
    }

    /// Every stored name, by id.
    fn names(&self) -> rusqlite::Result<HashMap<i64, Arc<str>>> {
        let mut stmt = self.db.prepare("SELECT id, text FROM names")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, Arc::from(r.get::<_, String>(1)?))))?;
        rows.collect()
    }

    /// Every import so far, in the order they were made.
    pub fn imports(&self) -> Result<Vec<Import>, Fault> {
        let fault = |e: rusqlite::Error| refused(&self.path, &e);
        let mut stmt = self
            .db
            .prepare(&format!("SELECT {IMPORT_COLUMNS} FROM imports ORDER BY id"))
            .map_err(fault)?;
        let rows = stmt.query_map([], import_of).map_err(fault)?;
        rows.collect::<Result<_, _>>().map_err(fault)
    }

    /// Import number `id`, if the ledger has one.
    pub fn import_numbered(&self, id: i64) -> Result<Option<Import>, Fault> {
        find_numbered(&self.db, id).map_err(|e| refused(&self.path, &e))
    }

    /// What was said of import number `id`'s file when it was imported.
    pub fn faults_of(&self, id: i64) -> Result<Vec<Fault>, Fault> {
        let text: Option<String> = self
            .db
            .query_row("SELECT faults FROM imports WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| refused(&self.path, &e))?;
        match text {
            None => Ok(Vec::new()),
            Some(text) => serde_json::from_str(&text)
                .map_err(|_| corrupt(&self.path, "导入记录", &format!("第{id}次导入"))),
        }
    }

    /// Withdraws (撤回) import number `id` on `day`: reports as of that day
    /// and after no longer count it, and its file can be imported again;
    /// reports as of an earlier day still give what they gave. A record a
    /// later import held unchanged keeps counting from that import.
    pub fn withdraw(&mut self, id: i64, day: Date) -> Result<Import, Fault> {
        let shown = self.path.clone();
        let fault = |e: rusqlite::Error| refused(&shown, &e);
        let tx = self.begin()?;
        let import = find_numbered(&tx, id).map_err(fault)?;
        let Some(mut import) = import else {
            return Err(Fault::error(
                Place::file(&shown),
                format!("台账里没有第{id}次导入"),
                "请先列出台账里的导入，看清要撤回的是第几次",
            ));
        };
        if let Some(when) = &import.withdrawn {
            return Err(Fault::error(
                Place::file(&shown),
                format!("第{id}次导入（「{}」）已经在{when}撤回了", import.file),
                "不用再撤回",
            ));
        }
        withdraw_in(&tx, &import, day).map_err(fault)?;
        tx.commit().map_err(fault)?;
        import.withdrawn = Some(show_date(day));
        Ok(import)
    }

    /// The import of a file with these bytes, if there was one.
    pub fn imported(&self, sha256: &str) -> Result<Option<Import>, Fault> {
        find_import(&self.db, sha256).map_err(|e| refused(&self.path, &e))
    }

    /// Imports one file's returns, received on `context.received`, all or
    /// nothing. `sha256` is the file's digest: the same bytes imported again
    /// change nothing.
    pub fn import(
        &mut self,
        file: &str,
        sha256: &str,
        mut returns: Returns,
        context: &Context,
    ) -> Result<Imported, Fault> {
        let shown = self.path.clone();
        let fault = |e: rusqlite::Error| refused(&shown, &e);
        let tx = self.begin()?;
        if let Some(earlier) = find_import(&tx, sha256).map_err(fault)? {
            returns.notes.push(already_imported(file, &earlier));
            return Ok(Imported {
                returns,
                import: None,
                earlier: Some(earlier),
            });
        }
        // The file's own repeats and conflicts, and its dates and serials.
        returns.files = vec![file.to_string()];
        resolve(&mut returns, context);
        let accounts = [
            &returns.households,
            &returns.problem_rows,
            &returns.summary_rows,
        ];
        let mut import = Import {
            id: 0,
            file: file.to_string(),
            sha256: sha256.to_string(),
            received: show_date(context.received),
            departments: returns
                .visits
                .iter()
                .map(|v| v.department.clone())
                .chain(returns.problems.iter().map(|p| p.department.clone()))
                .collect::<BTreeSet<String>>()
                .into_iter()
                .collect(),
            households: returns.visits.len() as u64,
            problems: returns.problems.len() as u64,
            changed: 0,
            counted: accounts.iter().map(|a| a.counted).sum(),
            duplicated: accounts.iter().map(|a| a.duplicates).sum(),
            refused: accounts.iter().map(|a| a.rejected).sum(),
            imported: Some(show_date(today())),
            withdrawn: None,
            faults: 0,
        };
        let import_id = insert_import(&tx, &import).map_err(fault)?;
        import.id = import_id;
        {
            let mut store = Store::new(&tx, import_id).map_err(fault)?;
            import.changed = store
                .visits(&returns.visits, &mut returns.conflicts)
                .map_err(fault)?
                + store
                    .problems(&returns.problems, &mut returns.conflicts)
                    .map_err(fault)?;
        }
        let faults: Vec<&Fault> = returns
            .notes
            .iter()
            .chain(&returns.rejected)
            .chain(&returns.conflicts)
            .collect();
        import.faults = faults.len() as u64;
        let faults = serde_json::to_string(&faults).unwrap_or_else(|_| "[]".into());
        tx.execute(
            "UPDATE imports SET changed = ?1, faults = ?2 WHERE id = ?3",
            params![import.changed as i64, faults, import_id],
        )
        .map_err(fault)?;
        tx.commit().map_err(fault)?;
        Ok(Imported {
            returns,
            import: Some(import),
            earlier: None,
        })
    }

    /// All the records as of `day` (see `read_as_of`), the two halves read
    /// one after the other.
    #[cfg(test)]
    fn as_of(&self, day: Date) -> Result<Returns, Fault> {
        let read = self.read_as_of(day)?;
        let here = self.reader();
        let households = read.households(&here)?;
        let problems = read.problems(&here)?;
        Ok(AsOf::join(households, problems))
    }

    /// Begins a read of the records as the ledger held them on `day`: of
    /// each household and problem, the latest version among the imports
    /// received by then. A problem shown solved counts as solved on its
    /// 办结日期, else on the day the first import of its current solved
    /// spell was received. Its two halves can be read at once, each on a
    /// connection of its own (`reader`, `second_connection`), and are then
    /// joined (`AsOf::join`); a report does so (`read::import_and_report`).
    pub fn read_as_of(&self, day: Date) -> Result<AsOf, Fault> {
        let fault = |e: rusqlite::Error| refused(&self.path, &e);
        let names = self.names().map_err(fault)?;
        // Both halves count the imports made before the read began: one that
        // another run makes meanwhile is left out of both alike.
        let last: i64 = self
            .db
            .query_row("SELECT coalesce(max(id), 0) FROM imports", [], |r| r.get(0))
            .map_err(fault)?;
        Ok(AsOf {
            path: self.path.clone(),
            names,
            as_of: show_date(day),
            last,
        })
    }

    /// This ledger's own connection, to read on.
    pub fn reader(&self) -> Reader<'_> {
        Reader(&self.db)
    }

    /// A read-only connection of its own to the same file, that another
    /// thread can read on while this one reads; none for a ledger with no
    /// file, or where the file cannot be opened again.
    pub fn second_connection(&self) -> Option<SecondConnection> {
        self.db
            .path()
            .filter(|p| !p.is_empty())
            .and_then(|p| Connection::open_with_flags(p, OpenFlags::SQLITE_OPEN_READ_ONLY).ok())
            .filter(|db| db.busy_timeout(BUSY_WAIT).is_ok())
            .map(SecondConnection)
    }
}

/// A connection to read a ledger on.
pub struct Reader<'a>(&'a Connection);

/// A second connection to a ledger (see `Ledger::second_connection`).
pub struct SecondConnection(Connection);

impl SecondConnection {
    pub fn reader(&self) -> Reader<'_> {
        Reader(&self.0)
    }
}

/// The records of one kind as read from the ledger, and the files they
/// come from.
pub struct Half<T> {
    /// The records; a problem's file is named when the halves are joined.
    pub records: Vec<T>,
    pub sources: Sources,
}

/// The files records come from, numbered in the order first met.
#[derive(Default, Clone)]
pub struct Sources {
    by_import: HashMap<i64, usize>,
    /// (import id, file name).
    files: Vec<(i64, String)>,
}

impl Sources {
    /// The number of import `id`'s file, if it was met already.
    fn known(&self, id: i64) -> Option<usize> {
        self.by_import.get(&id).copied()
    }

    /// The number of import `id`'s file, named `file`.
    fn of(&mut self, id: i64, file: String) -> usize {
        *self.by_import.entry(id).or_insert_with(|| {
            self.files.push((id, file));
            self.files.len() - 1
        })
    }
}

/// One read of the ledger as of a day (see `Ledger::read_as_of`): the
/// households and the problems, each read on a connection of its own, and
/// then joined.
pub struct AsOf {
    /// The ledger's path, as messages show it.
    path: String,
    names: HashMap<i64, Arc<str>>,
    /// The day, as stored.
    as_of: String,
    /// The last import counted.
    last: i64,
}

impl AsOf {
    /// The records of both halves: the files in the order the records first
    /// name them, households first (the problems' own numbering is mapped
    /// onto it).
    pub fn join(households: Half<Visit>, problems: Half<Problem>) -> Returns {
        let Half {
            records: visits,
            mut sources,
        } = households;
        let renumbered: Vec<usize> = problems
            .sources
            .files
            .into_iter()
            .map(|(id, file)| sources.of(id, file))
            .collect();
        let mut returns = Returns {
            visits,
            problems: problems.records,
            ..Returns::default()
        };
        returns.files = sources.files.into_iter().map(|(_, file)| file).collect();
        for v in &mut returns.visits {
            v.origin.file = returns.files[v.origin.source].as_str().into();
        }
        for o in returns
            .problems
            .iter_mut()
            .filter_map(|p| p.origin.as_mut())
        {
            o.source = renumbered[o.source];
            o.file = returns.files[o.source].as_str().into();
        }
        returns
    }

    fn fault(&self, e: rusqlite::Error) -> Fault {
        refused(&self.path, &e)
    }

    fn name(&self, id: i64) -> Result<&Arc<str>, Fault> {
        self.names
            .get(&id)
            .ok_or_else(|| corrupt(&self.path, "名称", &id.to_string()))
    }

    fn text(&self, id: i64) -> Result<String, Fault> {
        self.name(id).map(|n| n.to_string())
    }

    fn day(&self, number: i64) -> Result<Date, Fault> {
        from_digits(number).ok_or_else(|| corrupt(&self.path, "日期", &number.to_string()))
    }

    /// The latest version of each record of `table` (`visits` or
    /// `problems`) among the imports this read counts: its rows, ordered by
    /// identity and then as received, are each made a record by `read`
    /// (given the row, the indexes of `columns` in it, where the import's
    /// id, file and received day are, the record's identity and its
    /// previous version),
    /// and the last of each identity is kept.
    fn latest_versions<T, const N: usize>(
        &self,
        reader: &Reader,
        table: &str,
        columns: [&str; N],
        mut read: impl FnMut(
            &rusqlite::Row,
            [usize; N],
            ImportColumns,
            &Key,
            Option<&T>,
        ) -> Result<T, Fault>,
    ) -> Result<Vec<T>, Fault> {
        let fault = |e: rusqlite::Error| self.fault(e);
        let own: Vec<String> = columns.iter().map(|c| format!("r.{c}")).collect();
        let mut stmt = reader
            .0
            .prepare(&format!(
                "SELECT r.identity, {}, i.id AS import_id, i.file, i.received
                 FROM {table} r JOIN imports i ON i.id = r.import_id
                 WHERE i.received <= ?1 AND i.id <= ?2
                    AND (i.withdrawn IS NULL OR i.withdrawn > ?1)
                 ORDER BY r.identity, i.received, i.id",
                own.join(", ")
            ))
            .map_err(fault)?;
        let indexes = column_indexes(&stmt, columns).map_err(fault)?;
        let [identity, import_id, file, received] =
            column_indexes(&stmt, ["identity", "import_id", "file", "received"]).map_err(fault)?;
        let import = ImportColumns {
            import_id,
            file,
            received,
        };
        let mut records = Vec::new();
        let mut latest = Latest::default();
        let mut rows = stmt.query(params![&self.as_of, self.last]).map_err(fault)?;
        while let Some(r) = rows.next().map_err(fault)? {
            let key = Key::stored(r.get(identity).map_err(fault)?);
            let record = read(r, indexes, import, &key, latest.previous(&key))?;
            latest.offer(key, record, &mut records);
        }
        latest.finish(&mut records);
        Ok(records)
    }

    /// The number of the file of the import a row comes from (the file's
    /// name is read the first time its import is met).
    fn source(
        &self,
        sources: &mut Sources,
        r: &rusqlite::Row,
        import: ImportColumns,
    ) -> Result<usize, Fault> {
        let fault = |e: rusqlite::Error| self.fault(e);
        let id = r.get(import.import_id).map_err(fault)?;
        Ok(match sources.known(id) {
            Some(n) => n,
            None => sources.of(id, r.get(import.file).map_err(fault)?),
        })
    }

    /// The latest version of each household, by identity.
    pub fn households(&self, reader: &Reader) -> Result<Half<Visit>, Fault> {
        let fault = |e: rusqlite::Error| self.fault(e);
        let mut sources = Sources::default();
        let columns = [
            "head",
            "department",
            "cadre",
            "district",
            "town",
            "village",
            "date",
            "sheet",
            "row",
            "content",
            "state",
        ];
        let visits = self.latest_versions(reader, "visits", columns, |r, c, import, key, _| {
            let [
                head,
                department,
                cadre,
                district,
                town,
                village,
                date,
                sheet,
                row,
                content,
                state,
            ] = c;
            let id = |c: usize| r.get::<_, i64>(c).map_err(fault);
            Ok(Visit {
                // A household known by its serial; else by what the row says.
                serial: key.serial().unwrap_or_default().to_string(),
                head: r.get(head).map_err(fault)?,
                department: self.text(id(department)?)?,
                cadre: self.text(id(cadre)?)?,
                location: Location {
                    district: self.text(id(district)?)?,
                    town: self.text(id(town)?)?,
                    village: self.text(id(village)?)?,
                },
                date: self.day(id(date)?)?,
                origin: Origin {
                    sheet: self.name(id(sheet)?)?.clone(),
                    row: r.get(row).map_err(fault)?,
                    source: self.source(&mut sources, r, import)?,
                    file: Arc::from(""),
                    columns: None,
                },
                content: id(content)? as u64,
                state: id(state)? as u64,
            })
        })?;
        Ok(Half {
            records: visits,
            sources,
        })
    }

    /// The latest version of each problem, by identity, with the day its
    /// current solved spell began.
    pub fn problems(&self, reader: &Reader) -> Result<Half<Problem>, Fault> {
        let fault = |e: rusqlite::Error| self.fault(e);
        let mut sources = Sources::default();
        let columns = [
            "department",
            "district",
            "town",
            "village",
            "kind",
            "category",
            "solved",
            "count",
            "village_kind",
            "date",
            "solved_on",
            "text",
            "handling",
            "sheet",
            "row",
            "content",
            "state",
            "cadre",
        ];
        let day = |number: Option<i64>| number.map(|n| self.day(n)).transpose();
        let problems = self.latest_versions(
            reader,
            "problems",
            columns,
            |r, c, import, key, previous| {
                let [
                    department,
                    district,
                    town,
                    village,
                    kind,
                    category,
                    solved,
                    count,
                    village_kind,
                    date,
                    solved_on,
                    text,
                    handling,
                    sheet,
                    row,
                    content,
                    state,
                    cadre,
                ] = c;
                let id = |c: usize| r.get::<_, i64>(c).map_err(fault);
                let received: String = r.get(import.received).map_err(fault)?;
                let received: Date = received
                    .parse()
                    .map_err(|_| corrupt(&self.path, "日期", &received))?;
                // The type and category as stored: their places in the notice's order.
                let n = id(kind)?;
                let problem_type = usize::try_from(n)
                    .ok()
                    .and_then(ProblemType::from_index)
                    .ok_or_else(|| corrupt(&self.path, "问题的类型", &n.to_string()))?;
                let n = id(category)?;
                let category = usize::try_from(n)
                    .ok()
                    .and_then(Category::from_index)
                    .ok_or_else(|| corrupt(&self.path, "问题的类别", &n.to_string()))?;
                let village_kind: Option<String> = r.get(village_kind).map_err(fault)?;
                // Counts from another department's summary have no sheet.
                let origin = match id(sheet)? {
                    0 => None,
                    sheet => Some(Origin {
                        sheet: self.name(sheet)?.clone(),
                        row: r.get(row).map_err(fault)?,
                        source: self.source(&mut sources, r, import)?,
                        file: Arc::from(""),
                        columns: None,
                    }),
                };
                let is_solved: bool = r.get(solved).map_err(fault)?;
                let solved_on = day(r.get(solved_on).map_err(fault)?)?;
                // The solved spell this version continues, or starts.
                let since = previous
                    .filter(|p: &&Problem| p.solved)
                    .and_then(|p| p.solved_since);
                Ok(Problem {
                    department: self.text(id(department)?)?,
                    location: Location {
                        district: self.text(id(district)?)?,
                        town: self.text(id(town)?)?,
                        village: self.text(id(village)?)?,
                    },
                    problem_type,
                    category,
                    solved: is_solved,
                    count: id(count)? as u64,
                    village_kind: village_kind.as_deref().and_then(VillageKind::parse),
                    date: day(r.get(date).map_err(fault)?)?,
                    solved_on,
                    text: r.get(text).map_err(fault)?,
                    handling: r.get(handling).map_err(fault)?,
                    cadre: match id(cadre)? {
                        0 => String::new(),
                        cadre => self.text(cadre)?,
                    },
                    origin,
                    content: id(content)? as u64,
                    state: id(state)? as u64,
                    identity: key.clone(),
                    described: None,
                    solved_since: is_solved.then(|| solved_on.or(since).unwrap_or(received)),
                })
            },
        )?;
        Ok(Half {
            records: problems,
            sources,
        })
    }
}

/// Where a version's import is in the row that reads it.
#[derive(Clone, Copy)]
struct ImportColumns {
    import_id: usize,
    file: usize,
    received: usize,
}

/// The indexes of a statement's result columns, by their names.
fn column_indexes<const N: usize>(
    stmt: &rusqlite::Statement,
    names: [&str; N],
) -> rusqlite::Result<[usize; N]> {
    let mut out = [0; N];
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = stmt.column_index(name)?;
    }
    Ok(out)
}

/// Records one import's records: each household and problem that is new
/// or changed since the ledger's latest version of it, with a conflict
/// said where its content differs.
struct Store<'a> {
    import_id: i64,
    names: Names<'a>,
    latest_visit: rusqlite::Statement<'a>,
    insert_visit: rusqlite::Statement<'a>,
    latest_problem: rusqlite::Statement<'a>,
    insert_problem: rusqlite::Statement<'a>,
    insert_repeat: rusqlite::Statement<'a>,
}

impl<'a> Store<'a> {
    fn new(db: &'a Connection, import_id: i64) -> rusqlite::Result<Store<'a>> {
        Ok(Store {
            import_id,
            names: Names::new(db)?,
            // The version's compared columns (`Record::fields`), and where
            // it came from.
            latest_visit: db.prepare(
                "SELECT v.content, v.state, i.file, n.text AS sheet, v.row,
                    v.head AS f1, d.text || t.text || g.text AS f2, c.text AS f3,
                    u.text AS f4, v.date AS day
                 FROM visits v JOIN imports i ON i.id = v.import_id
                 JOIN names n ON n.id = v.sheet JOIN names d ON d.id = v.district
                 JOIN names t ON t.id = v.town JOIN names g ON g.id = v.village
                 JOIN names c ON c.id = v.cadre JOIN names u ON u.id = v.department
                 WHERE v.identity = ?1 AND i.withdrawn IS NULL
                 ORDER BY i.received DESC, i.id DESC LIMIT 1",
            )?,
            insert_visit: db.prepare(
                "INSERT INTO visits (identity, import_id, head, department, cadre,
                    district, town, village, date, sheet, row, content, state)
                 VALUES (:identity, :import_id, :head, :department, :cadre,
                    :district, :town, :village, :date, :sheet, :row, :content, :state)",
            )?,
            latest_problem: db.prepare(
                "SELECT p.content, p.state, i.file, coalesce(n.text, '') AS sheet, p.row,
                    p.text AS f1, d.text || t.text || g.text AS f2, p.kind AS kind,
                    p.category AS category, p.date AS day, coalesce(c.text, '') AS f6
                 FROM problems p JOIN imports i ON i.id = p.import_id
                 LEFT JOIN names n ON n.id = p.sheet JOIN names d ON d.id = p.district
                 JOIN names t ON t.id = p.town JOIN names g ON g.id = p.village
                 LEFT JOIN names c ON c.id = p.cadre
                 WHERE p.identity = ?1 AND i.withdrawn IS NULL
                 ORDER BY i.received DESC, i.id DESC LIMIT 1",
            )?,
            insert_problem: db.prepare(
                "INSERT INTO problems (identity, import_id, department, district, town, village,
                    kind, category, solved, count, village_kind, date, solved_on, text, handling,
                    sheet, row, content, state, cadre)
                 VALUES (:identity, :import_id, :department, :district, :town, :village,
                    :kind, :category, :solved, :count, :village_kind, :date, :solved_on, :text,
                    :handling, :sheet, :row, :content, :state, :cadre)",
            )?,
            insert_repeat: db.prepare(
                "INSERT OR IGNORE INTO repeats (identity, kind, import_id, sheet, row)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
        })
    }

    /// Notes that this import held the record `key` (of `kind`) unchanged,
    /// at `sheet` and `row`.
    fn repeat(&mut self, key: &Key, kind: Kind, sheet: i64, row: u32) -> rusqlite::Result<()> {
        self.insert_repeat
            .execute(params![
                key.as_str(),
                kind as i64,
                self.import_id,
                sheet,
                row
            ])
            .map(drop)
    }

    /// Stores the households that changed; how many.
    fn visits(&mut self, visits: &[Visit], conflicts: &mut Vec<Fault>) -> rusqlite::Result<u64> {
        let mut changed = 0;
        for v in visits {
            let key = v.key();
            let stored = |r: &rusqlite::Row| {
                Ok([
                    r.get("f1")?,
                    r.get("f2")?,
                    r.get("f3")?,
                    r.get("f4")?,
                    stored_day(r.get("day")?),
                    // A household the ledger knows by its serial has that serial.
                    key.serial().unwrap_or_default().to_string(),
                ])
            };
            match against_latest(&mut self.latest_visit, &key, v.version(), stored)? {
                Seen::Same => {
                    let sheet = self.names.id(&v.origin.sheet)?;
                    self.repeat(&key, Kind::Visit, sheet, v.origin.row)?;
                    continue;
                }
                Seen::New | Seen::Updated => {}
                Seen::Conflict(earlier) => {
                    let differences = differences_from(earlier.fields.clone(), v);
                    conflicts.push(changed_in_ledger(
                        &visit_name(v),
                        &earlier,
                        &v.origin,
                        &differences,
                    ))
                }
            }
            changed += 1;
            let names = &mut self.names;
            self.insert_visit.execute(named_params! {
                ":identity": key.as_str(),
                ":import_id": self.import_id,
                ":head": v.head,
                ":department": names.id(&v.department)?,
                ":cadre": names.id(&v.cadre)?,
                ":district": names.id(&v.location.district)?,
                ":town": names.id(&v.location.town)?,
                ":village": names.id(&v.location.village)?,
                ":date": day_number(v.date),
                ":sheet": names.id(&v.origin.sheet)?,
                ":row": v.origin.row,
                ":content": v.content as i64,
                ":state": v.state as i64,
            })?;
        }
        Ok(changed)
    }

    /// Stores the problems that changed; how many. Counts from another
    /// department's summary (one record per village, type, category and
    /// state) are superseded as a whole.
    fn problems(
        &mut self,
        problems: &[Problem],
        conflicts: &mut Vec<Fault>,
    ) -> rusqlite::Result<u64> {
        let mut changed = 0;
        for (n, p) in problems.iter().enumerate() {
            let (sheet, row) = match &p.origin {
                Some(o) => (self.names.id(&o.sheet)?, o.row),
                None => (0, n as u32),
            };
            let stored = |r: &rusqlite::Row| {
                let kind: i64 = r.get("kind")?;
                let category: i64 = r.get("category")?;
                Ok([
                    r.get("f1")?,
                    r.get("f2")?,
                    usize::try_from(kind)
                        .ok()
                        .and_then(ProblemType::from_index)
                        .map_or("", ProblemType::label)
                        .to_string(),
                    usize::try_from(category)
                        .ok()
                        .and_then(Category::from_index)
                        .map_or("", Category::label)
                        .to_string(),
                    r.get::<_, Option<i64>>("day")?
                        .map(stored_day)
                        .unwrap_or_default(),
                    r.get("f6")?,
                ])
            };
            match against_latest(&mut self.latest_problem, &p.identity, p.version(), stored)? {
                Seen::Same => {
                    self.repeat(&p.identity, Kind::Problem, sheet, row)?;
                    continue;
                }
                Seen::Conflict(earlier) if let Some(origin) = &p.origin => {
                    let differences = differences_from(earlier.fields.clone(), p);
                    conflicts.push(changed_in_ledger(
                        &problem_name(p),
                        &earlier,
                        origin,
                        &differences,
                    ))
                }
                Seen::New | Seen::Updated | Seen::Conflict(_) => {}
            }
            changed += 1;
            let names = &mut self.names;
            let cadre = if p.cadre.is_empty() {
                0
            } else {
                names.id(&p.cadre)?
            };
            self.insert_problem.execute(named_params! {
                ":identity": p.identity.as_str(),
                ":import_id": self.import_id,
                ":department": names.id(&p.department)?,
                ":district": names.id(&p.location.district)?,
                ":town": names.id(&p.location.town)?,
                ":village": names.id(&p.location.village)?,
                ":kind": p.problem_type.index() as i64,
                ":category": p.category.index() as i64,
                ":solved": p.solved,
                ":count": p.count as i64,
                ":village_kind": p.village_kind.map(VillageKind::label),
                ":date": p.date.map(day_number),
                ":solved_on": p.solved_on.map(day_number),
                ":text": p.text,
                ":handling": p.handling,
                ":sheet": sheet,
                ":row": row,
                ":content": p.content as i64,
                ":state": p.state as i64,
                ":cadre": cadre,
            })?;
        }
        Ok(changed)
    }
}

/// The two kinds of record, as `repeats` numbers them; each with its table
/// and the columns a version copies from one import to another.
#[derive(Clone, Copy)]
enum Kind {
    Visit = 0,
    Problem = 1,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::Visit => "visits",
            Kind::Problem => "problems",
        }
    }

    /// The columns of a version besides its identity, import, sheet and row.
    fn content_columns(self) -> &'static str {
        match self {
            Kind::Visit => "head, department, cadre, district, town, village, date, content, state",
            Kind::Problem => {
                "department, district, town, village, kind, category, solved, count, \
                 village_kind, date, solved_on, text, handling, content, state, cadre"
            }
        }
    }
}

/// Withdraws import `id` on `day` (see `Ledger::withdraw`), in `tx`.
fn withdraw_in(tx: &Connection, import: &Import, day: Date) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE imports SET withdrawn = ?1 WHERE id = ?2",
        params![show_date(day), import.id],
    )?;
    let after = (import.received.as_str(), import.id);
    for kind in [Kind::Visit, Kind::Problem] {
        let table = kind.table();
        // Of each record the withdrawn import stored, the first import after
        // it, still counting, that held the record unchanged (a repeat), when
        // no import between them stored a version of its own: that import
        // now holds the record. Set at once, not record by record (the
        // city's import: 2.9 s record by record).
        tx.execute_batch("DROP TABLE IF EXISTS temp.promoted")?;
        tx.execute(
            &format!(
                "CREATE TEMP TABLE promoted AS
                 WITH first_repeat AS (
                     SELECT r.identity, i.received, i.id AS holder, r.sheet, r.row,
                         ROW_NUMBER() OVER (PARTITION BY r.identity ORDER BY i.received, i.id) AS n
                     FROM {table} mine
                     JOIN repeats r ON r.identity = mine.identity AND r.kind = ?4
                     JOIN imports i ON i.id = r.import_id
                     WHERE mine.import_id = ?1 AND i.withdrawn IS NULL
                         AND (i.received, i.id) > (?2, ?3))
                 SELECT p.identity, p.holder, p.sheet, p.row FROM first_repeat p
                 WHERE p.n = 1 AND NOT EXISTS (
                     SELECT 1 FROM {table} v JOIN imports i ON i.id = v.import_id
                     WHERE v.identity = p.identity AND i.withdrawn IS NULL
                         AND (i.received, i.id) > (?2, ?3)
                         AND (i.received, i.id) < (p.received, p.holder))"
            ),
            params![import.id, after.0, after.1, kind as i64],
        )?;
        let columns: Vec<&str> = kind.content_columns().split(", ").collect();
        let taken: Vec<String> = columns.iter().map(|c| format!("t.{c}")).collect();
        tx.execute(
            &format!(
                "INSERT INTO {table} (identity, import_id, sheet, row, {})
                 SELECT t.identity, p.holder, p.sheet, p.row, {} FROM temp.promoted p
                 JOIN {table} t ON t.identity = p.identity AND t.import_id = ?1",
                columns.join(", "),
                taken.join(", ")
            ),
            [import.id],
        )?;
        tx.execute(
            "DELETE FROM repeats WHERE kind = ?1
                AND (identity, import_id) IN (SELECT identity, holder FROM temp.promoted)",
            [kind as i64],
        )?;
        tx.execute_batch("DROP TABLE temp.promoted")?;
    }
    Ok(())
}

/// Records an import (its count of changed records still 0); its id.
fn insert_import(db: &Connection, import: &Import) -> rusqlite::Result<i64> {
    db.execute(
        "INSERT INTO imports (file, sha256, received, departments, households, problems, changed,
            counted, duplicated, refused, imported)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8, ?9, ?10)",
        params![
            import.file,
            import.sha256,
            import.received,
            import.departments.join("、"),
            import.households as i64,
            import.problems as i64,
            import.counted as i64,
            import.duplicated as i64,
            import.refused as i64,
            import.imported,
        ],
    )?;
    Ok(db.last_insert_rowid())
}

/// What is said of a file whose bytes the ledger already has.
pub fn already_imported(file: &str, earlier: &Import) -> Fault {
    Fault::warning(
        Place::file(file),
        format!(
            "这个文件以前已经导入过台账（第{}次导入：{}收到的「{}」），内容完全相同，这次没有改变任何内容",
            earlier.id, earlier.received, earlier.file
        ),
        "不用再导入；如果那次的收到日期填错了，先撤回那次导入，再重新导入",
    )
}

/// The latest version of each record, from rows ordered by identity and
/// then by when they were received: a record is final when the next row's
/// identity differs.
struct Latest<T> {
    last: Option<(Key, T)>,
}

impl<T> Default for Latest<T> {
    fn default() -> Self {
        Latest { last: None }
    }
}

impl<T> Latest<T> {
    /// The version before this one of the same record, if any.
    fn previous(&self, identity: &Key) -> Option<&T> {
        self.last
            .as_ref()
            .filter(|(i, _)| i == identity)
            .map(|(_, t)| t)
    }

    /// Takes the next version; the record before it goes to `out` when
    /// this one is of another record.
    fn offer(&mut self, identity: Key, item: T, out: &mut Vec<T>) {
        if let Some((previous, t)) = self.last.take()
            && previous != identity
        {
            out.push(t);
        }
        self.last = Some((identity, item));
    }

    fn finish(self, out: &mut Vec<T>) {
        out.extend(self.last.map(|(_, t)| t));
    }
}

/// Names stored once (`names` table), by id, as an import writes them.
struct Names<'a> {
    insert: rusqlite::Statement<'a>,
    find: rusqlite::Statement<'a>,
    known: HashMap<String, i64>,
}

impl<'a> Names<'a> {
    fn new(db: &'a Connection) -> rusqlite::Result<Names<'a>> {
        Ok(Names {
            insert: db.prepare("INSERT OR IGNORE INTO names (text) VALUES (?1)")?,
            find: db.prepare("SELECT id FROM names WHERE text = ?1")?,
            known: HashMap::new(),
        })
    }

    /// The id of `text`, stored when new.
    fn id(&mut self, text: &str) -> rusqlite::Result<i64> {
        if let Some(id) = self.known.get(text) {
            return Ok(*id);
        }
        self.insert.execute([text])?;
        let id = self.find.query_row([text], |r| r.get(0))?;
        self.known.insert(text.to_string(), id);
        Ok(id)
    }
}

/// A day the ledger stores (20170308) as a clerk writes it; empty when it
/// is not one.
fn stored_day(number: i64) -> String {
    from_digits(number).map(show_date).unwrap_or_default()
}

/// A date as the ledger stores it: the number 20170308.
fn day_number(day: Date) -> i64 {
    i64::from(day.year()) * 10_000 + i64::from(day.month()) * 100 + i64::from(day.day())
}

/// The import of these bytes that still counts (not withdrawn), if any.
fn find_import(db: &Connection, sha256: &str) -> rusqlite::Result<Option<Import>> {
    db.query_row(
        &format!("SELECT {IMPORT_COLUMNS} FROM imports WHERE sha256 = ?1 AND withdrawn IS NULL"),
        [sha256],
        import_of,
    )
    .optional()
}

/// Import number `id`, if any.
fn find_numbered(db: &Connection, id: i64) -> rusqlite::Result<Option<Import>> {
    db.query_row(
        &format!("SELECT {IMPORT_COLUMNS} FROM imports WHERE id = ?1"),
        [id],
        import_of,
    )
    .optional()
}

/// The columns `import_of` reads, in its order.
const IMPORT_COLUMNS: &str = "id, file, sha256, received, departments, households, problems, \
     changed, counted, duplicated, refused, imported, withdrawn, json_array_length(faults)";

/// An `imports` row as an `Import`.
fn import_of(r: &rusqlite::Row) -> rusqlite::Result<Import> {
    let count = |i: usize| r.get::<_, i64>(i).map(|n| n as u64);
    Ok(Import {
        id: r.get(0)?,
        file: r.get(1)?,
        sha256: r.get(2)?,
        received: r.get(3)?,
        departments: split_list(&r.get::<_, String>(4)?),
        households: count(5)?,
        problems: count(6)?,
        changed: count(7)?,
        counted: count(8)?,
        duplicated: count(9)?,
        refused: count(10)?,
        imported: r.get(11)?,
        withdrawn: r.get(12)?,
        faults: count(13)?,
    })
}

fn split_list(text: &str) -> Vec<String> {
    text.split('、')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// How a record being imported stands to the ledger's latest version of it.
enum Seen {
    /// Not in the ledger yet.
    New,
    /// The same content and state: nothing to store.
    Same,
    /// The same content in a new state (a status moved on).
    Updated,
    /// Different content: a conflict, the new one stands.
    Conflict(StoredAt),
}

/// Where the ledger's latest version of a record came from.
struct StoredAt {
    file: String,
    sheet: String,
    row: u32,
    /// Its compared columns (`Record::fields`).
    fields: [String; FIELDS],
}

/// Compares `version` with the latest version of `key`, found with
/// `latest` (content, state, file, sheet, row), as `identity` compares
/// two versions.
fn against_latest(
    latest: &mut rusqlite::Statement,
    key: &Key,
    version: Version,
    fields: impl Fn(&rusqlite::Row) -> rusqlite::Result<[String; FIELDS]>,
) -> rusqlite::Result<Seen> {
    let before = latest
        .query_row([key.as_str()], |r| {
            Ok((
                Version {
                    content: r.get::<_, i64>("content")? as u64,
                    state: r.get::<_, i64>("state")? as u64,
                },
                StoredAt {
                    file: r.get("file")?,
                    sheet: r.get("sheet")?,
                    row: r.get("row")?,
                    fields: fields(r)?,
                },
            ))
        })
        .optional()?;
    Ok(match before {
        None => Seen::New,
        Some((stored, at)) => match compare(stored, version) {
            Change::Same => Seen::Same,
            Change::Updated => Seen::Updated,
            Change::Conflict => Seen::Conflict(at),
        },
    })
}

/// A record whose content differs from the ledger's latest version of it
/// (`earlier`: where that came from): the new one stands.
fn changed_in_ledger(
    what: &str,
    earlier: &StoredAt,
    now: &Origin,
    differences: &[Difference],
) -> Fault {
    let StoredAt {
        file, sheet, row, ..
    } = earlier;
    Fault::error(
        differing_place(now, differences),
        format!(
            "{what}与台账里先前导入的（文件「{file}」工作表「{sheet}」第{row}行）内容不同{}",
            said_differences(differences)
        ),
        "按这次交的计算；如果先前的才对，请改正这一行后重新导入",
    )
}

/// The ledger could not be used: busy, damaged, not a ledger, not writable.
fn refused(path: &str, e: &rusqlite::Error) -> Fault {
    let busy = matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    let (message, hint) = if busy {
        (
            "台账正被另一个 zoufang 使用，等了一会儿还没用完".to_string(),
            "请等另一个导入或汇总结束后再运行",
        )
    } else if matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase)
    ) {
        (
            "这个文件不是台账（不是 SQLite 数据库），或已损坏".to_string(),
            "请检查是不是选错了文件；台账损坏时请用备份",
        )
    } else {
        (
            format!("台账读写出错（{e}）"),
            "请检查台账文件是否可写、磁盘是否已满",
        )
    };
    Fault::error(Place::file(path), message, hint)
}

/// A value in the ledger that zoufang did not write: `what` it should be.
fn corrupt(path: &str, what: &str, value: &str) -> Fault {
    Fault::error(
        Place::file(path),
        format!("台账里有看不懂的{what}，台账可能被别的程序改过"),
        "请用备份的台账",
    )
    .with_value(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context {
        Context {
            start: jiff::civil::date(2017, 3, 1),
            received: jiff::civil::date(2017, 3, 13),
            printed: None,
        }
    }

    #[test]
    fn a_ledger_in_use_makes_the_second_run_wait_then_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("台账.sqlite");
        let mut ledger = Ledger::open_waiting(&path, Duration::from_millis(200)).unwrap();
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let refused = ledger
            .import("a.xlsx", "abc", Returns::default(), &context())
            .err()
            .expect("refused while the other run writes");
        assert!(
            refused.message.contains("台账正被另一个 zoufang 使用"),
            "{refused}"
        );
        other.execute_batch("ROLLBACK").unwrap();
        let imported = ledger
            .import("a.xlsx", "abc", Returns::default(), &context())
            .unwrap();
        assert!(imported.import.is_some());
        assert_eq!(ledger.imports().unwrap().len(), 1);
    }

    #[test]
    fn schema_versions_migrate_forward_and_a_newer_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("台账.sqlite");
        drop(Ledger::open(&path).unwrap());
        let db = Connection::open(&path).unwrap();
        let version: i64 = db
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        db.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(db);
        let refused = Ledger::open(&path).err().expect("a newer ledger");
        assert!(refused.message.contains("较新版本的 zoufang"), "{refused}");

        let not_a_ledger = dir.path().join("名单.sqlite");
        std::fs::write(
            &not_a_ledger,
            b"PK\x03\x04 not a database at all, just bytes",
        )
        .unwrap();
        let refused = Ledger::open(&not_a_ledger).err().expect("not a ledger");
        assert!(refused.message.contains("不是台账"), "{refused}");
    }

    #[test]
    fn a_first_version_ledger_is_migrated_and_its_problems_read_without_a_cadre() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("台账.sqlite");
        let db = Connection::open(&path).unwrap();
        db.execute_batch(MIGRATIONS[0]).unwrap();
        db.pragma_update(None, "user_version", 1).unwrap();
        db.execute_batch(
            "INSERT INTO imports VALUES (1, 'a.xlsx', 'abc', '2017-03-13', '市民政局', 0, 1, 1);
             INSERT INTO names VALUES (1, '市民政局'), (2, '武进区'), (3, '横山桥镇'),
                 (4, '东城湾村'), (5, '问题清单');
             INSERT INTO problems VALUES ('p1', 1, 1, 2, 3, 4, 0, 0, 0, 1, NULL, 20170306,
                 NULL, '房屋漏雨', '', 5, 2, 7, 8);",
        )
        .unwrap();
        drop(db);
        let ledger = Ledger::open(&path).unwrap();
        let version: i64 = ledger
            .db
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let returns = ledger.as_of(jiff::civil::date(2017, 3, 20)).unwrap();
        let texts: Vec<(&str, &str)> = returns
            .problems
            .iter()
            .map(|p| (p.text.as_str(), p.cadre.as_str()))
            .collect();
        assert_eq!(texts, [("房屋漏雨", "")]);
    }
}
