//! Data feeders: `[data.NAME]` tables read from CSV, a JSON array of objects, or JSON lines.
//!
//! A table is read once at start into one text buffer plus cell boundaries (no string per
//! cell), so a million rows load in about a second and are shared by every user through
//! an `Arc`, never copied. Cells are text: a JSON number or boolean keeps its JSON
//! spelling, a nested value its JSON text, `null` the empty string. A column may be
//! declared a [`ColumnType`] (`types = { qty = "int" }`): every cell is checked when the
//! file is read, and templates see the column's values as numbers or booleans. A JSON
//! file's column whose values are all numbers (or all booleans) is typed so by itself.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How a feeder hands out rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Each user walks the rows in order, starting at row `vu mod rows`, wrapping around.
    Sequential,
    /// A row picked at random (the user's seeded random stream) each time.
    Random,
    /// Each row used once across all users of the run.
    Unique,
}

/// What a `unique` feeder does when every row has been used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExhausted {
    /// The user that needs a row stops.
    Stop,
    /// Start over from the first row.
    Recycle,
}

/// When a user draws a new row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Per {
    /// At the start of each iteration.
    Iteration,
    /// Once, when the user starts.
    User,
}

/// What a column's cells are, as templates see them: text unless the feeder's `types`
/// says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColumnType {
    /// Any text (`"string"`).
    #[default]
    Text,
    /// A whole number, `i64` (`"int"`).
    Int,
    /// A finite number (`"float"`).
    Float,
    /// `true` or `false` (`"bool"`).
    Bool,
}

impl ColumnType {
    /// The names a profile writes, with their types.
    pub const NAMES: [(&'static str, ColumnType); 4] = [
        ("string", ColumnType::Text),
        ("int", ColumnType::Int),
        ("float", ColumnType::Float),
        ("bool", ColumnType::Bool),
    ];

    /// The name a profile writes.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("string", |(name, _)| name)
    }

    /// `cell` as a template value of this type, or why it is not one.
    pub fn value(self, cell: &str) -> Result<minijinja::Value, String> {
        let wrong = || format!("{cell:?} is not {}", self.article());
        match self {
            ColumnType::Text => Ok(minijinja::Value::from(cell)),
            ColumnType::Int => cell
                .parse::<i64>()
                .map(minijinja::Value::from)
                .map_err(|_| wrong()),
            // A whole number stays one (`7`, not `7.0`, in a path or a JSON body).
            ColumnType::Float => match (cell.parse::<i64>(), cell.parse::<f64>()) {
                (Ok(n), _) => Ok(minijinja::Value::from(n)),
                (_, Ok(x)) if x.is_finite() => Ok(minijinja::Value::from(x)),
                _ => Err(wrong()),
            },
            ColumnType::Bool => match cell {
                "true" => Ok(minijinja::Value::from(true)),
                "false" => Ok(minijinja::Value::from(false)),
                _ => Err(wrong()),
            },
        }
    }

    /// The type a JSON file's value says its column has: integers, other numbers and
    /// booleans as such; strings, null and nested values are text.
    fn of_json(value: &serde_json::Value) -> Self {
        match value {
            serde_json::Value::Number(n) if n.is_i64() => ColumnType::Int,
            serde_json::Value::Number(n) if n.is_f64() => ColumnType::Float,
            serde_json::Value::Bool(_) => ColumnType::Bool,
            _ => ColumnType::Text,
        }
    }

    /// The type of a column holding values of both types: integers among floats are
    /// floats; anything else mixed is text.
    fn and(self, other: Self) -> Self {
        match (self, other) {
            (a, b) if a == b => a,
            (ColumnType::Int, ColumnType::Float) | (ColumnType::Float, ColumnType::Int) => {
                ColumnType::Float
            }
            _ => ColumnType::Text,
        }
    }

    fn article(self) -> &'static str {
        match self {
            ColumnType::Text => "a string",
            ColumnType::Int => "an int (a whole number such as 42 or -7)",
            ColumnType::Float => "a float (a finite number such as 2.5 or 1e3)",
            ColumnType::Bool => "a bool (true or false)",
        }
    }
}

/// Declared column types by column name (`[data.NAME] types`); others are text.
pub type Types = BTreeMap<String, ColumnType>;

/// A validated `[data.NAME]`.
#[derive(Debug, Clone)]
pub struct Feeder {
    /// The name templates use: `{{ NAME.column }}`.
    pub name: String,
    /// The rows, shared.
    pub table: Arc<Table>,
    /// How rows are handed out.
    pub strategy: Strategy,
    /// When a user draws a new row.
    pub per: Per,
    /// What `unique` does when the rows run out.
    pub on_exhausted: OnExhausted,
}

/// Rows of text cells under named columns.
#[derive(Clone, PartialEq, Eq)]
pub struct Table {
    columns: Vec<String>,
    /// The type of each column, by index.
    types: Vec<ColumnType>,
    text: String,
    /// End offset in `text` of every cell, row by row; a cell starts where the previous ends.
    ends: Vec<usize>,
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("columns", &self.columns)
            .field("rows", &self.rows())
            .finish()
    }
}

impl Table {
    fn new(columns: Vec<String>, types: &Types) -> Self {
        let types = columns
            .iter()
            .map(|c| types.get(c).copied().unwrap_or_default())
            .collect();
        Self {
            columns,
            types,
            text: String::new(),
            ends: Vec::new(),
        }
    }

    /// Appends the next cell; a cell of a typed column must be of its type.
    fn push_cell(&mut self, cell: &str) -> Result<(), String> {
        let column = self.ends.len() % self.columns.len().max(1);
        if let Some(kind) = self.types.get(column).filter(|t| **t != ColumnType::Text) {
            kind.value(cell)
                .map_err(|e| format!("column {:?}: {e}", self.columns[column]))?;
        }
        self.text.push_str(cell);
        self.ends.push(self.text.len());
        Ok(())
    }

    /// Types the columns `types` does not declare by what a JSON file's values were
    /// (`kinds`, one per column): a column of JSON numbers is a column of numbers.
    fn infer(&mut self, kinds: &[Option<ColumnType>], types: &Types) {
        for (c, kind) in kinds.iter().enumerate() {
            if let (Some(kind), false) = (kind, types.contains_key(&self.columns[c])) {
                self.types[c] = *kind;
            }
        }
    }

    /// The type of column `column` (text unless declared).
    pub fn column_type(&self, column: usize) -> ColumnType {
        self.types.get(column).copied().unwrap_or_default()
    }

    /// The cell at `row`, `column` as a template value of its column's type (checked
    /// when the file was read, so a typed cell always parses).
    pub fn value(&self, row: usize, column: usize) -> minijinja::Value {
        let cell = self.cell(row, column);
        self.column_type(column)
            .value(cell)
            .unwrap_or_else(|_| minijinja::Value::from(cell))
    }

    /// The columns for `klavier check`: names, typed ones with their type
    /// (`user, qty: int`).
    pub fn describe_columns(&self) -> String {
        let described: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, name)| match self.column_type(i) {
                ColumnType::Text => name.clone(),
                kind => format!("{name}: {}", kind.name()),
            })
            .collect();
        described.join(", ")
    }

    /// The column names, in file order (JSON: the first object's keys, in order).
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The index of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.ends.len() / self.columns.len().max(1)
    }

    /// The cell at `row`, `column`. Panics when out of range: indices come from
    /// [`rows`](Self::rows) and [`column`](Self::column).
    pub fn cell(&self, row: usize, column: usize) -> &str {
        let at = row * self.columns.len() + column;
        let start = if at == 0 { 0 } else { self.ends[at - 1] };
        &self.text[start..self.ends[at]]
    }
}

/// Why a data file could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line of the problem, when known.
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for DataError {}

/// Reads the table in `path`: `.json` (an array of objects), `.jsonl`/`.ndjson` (one object
/// per line), anything else CSV with a header row.
pub fn load(path: &Path) -> Result<Table, DataError> {
    load_typed(path, &Types::new())
}

/// As [`load`], checking that every cell of a column `types` names is of its type (a
/// cell that is not names its line).
pub fn load_typed(path: &Path, types: &Types) -> Result<Table, DataError> {
    let error = |line: Option<u64>, message: String| DataError {
        path: path.to_owned(),
        line,
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| error(None, format!("cannot read: {e}")))?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let table = match extension.as_deref() {
        Some("json") => parse_json_array_typed(&bytes, types),
        Some("jsonl" | "ndjson") => parse_json_lines_typed(&bytes, types),
        _ => parse_csv_typed(&bytes, types),
    }
    .map_err(|(line, message)| error(line, message))?;
    if table.rows() == 0 {
        return Err(error(None, "has no rows".into()));
    }
    Ok(table)
}

type ParseError = (Option<u64>, String);

/// CSV with a header row; every row must have as many fields as the header.
pub fn parse_csv(bytes: &[u8]) -> Result<Table, ParseError> {
    parse_csv_typed(bytes, &Types::new())
}

/// As [`parse_csv`], with typed columns.
pub fn parse_csv_typed(bytes: &[u8], types: &Types) -> Result<Table, ParseError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| csv_error(&e))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect::<Vec<_>>();
    if headers.iter().all(String::is_empty) {
        return Err((Some(1), "the header row is empty".into()));
    }
    if let Some(dup) = duplicate(&headers) {
        return Err((Some(1), format!("column {dup:?} appears twice")));
    }
    let mut table = Table::new(headers, types);
    let mut record = csv::StringRecord::new();
    let mut last_line = None;
    let mut last_spans_lines = false;
    while reader.read_record(&mut record).map_err(|e| csv_error(&e))? {
        last_line = record.position().map(csv::Position::line);
        // Only a last cell can run on to the end unnoticed: elsewhere the row comes up
        // short of the header's width, an error of its own.
        last_spans_lines = record
            .iter()
            .next_back()
            .is_some_and(|f| f.contains(['\n', '\r']));
        for field in &record {
            table.push_cell(field).map_err(|m| (last_line, m))?;
        }
    }
    // The csv crate reads a quote that is never closed to the end of the file, as one
    // cell: a stray `"` would silently swallow every row after it.
    let closed = bytes.trim_ascii_end().ends_with(b"\"");
    if last_spans_lines && !closed {
        return Err((
            last_line,
            "a quote opened on this row is never closed".into(),
        ));
    }
    Ok(table)
}

fn csv_error(e: &csv::Error) -> ParseError {
    let line = e.position().map(csv::Position::line);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("the row has {len} fields, the header {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8".to_owned(),
        _ => e.to_string(),
    };
    (line, message)
}

fn duplicate(names: &[String]) -> Option<&String> {
    names
        .iter()
        .enumerate()
        .find(|(i, n)| names[..*i].contains(n))
        .map(|(_, n)| n)
}

/// A JSON array of objects.
pub fn parse_json_array(bytes: &[u8]) -> Result<Table, ParseError> {
    parse_json_array_typed(bytes, &Types::new())
}

/// As [`parse_json_array`], with typed columns.
pub fn parse_json_array_typed(bytes: &[u8], types: &Types) -> Result<Table, ParseError> {
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_slice(bytes)
        .map_err(|e| {
            let message = format!("not a JSON array of objects: {e}");
            (Some(e.line() as u64), message)
        })?;
    let mut table: Option<Table> = None;
    let mut kinds = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let table = table.get_or_insert_with(|| Table::new(row.keys().cloned().collect(), types));
        push_object(table, row, &mut kinds).map_err(|m| (None, format!("element {index}: {m}")))?;
    }
    let mut table = table.unwrap_or_else(|| Table::new(Vec::new(), types));
    table.infer(&kinds, types);
    Ok(table)
}

/// One JSON object per line; blank lines are skipped.
pub fn parse_json_lines(bytes: &[u8]) -> Result<Table, ParseError> {
    parse_json_lines_typed(bytes, &Types::new())
}

/// As [`parse_json_lines`], with typed columns.
pub fn parse_json_lines_typed(bytes: &[u8], types: &Types) -> Result<Table, ParseError> {
    let mut table: Option<Table> = None;
    let mut kinds = Vec::new();
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = Some(index as u64 + 1);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let row: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(line)
            .map_err(|e| (line_no, format!("not a JSON object: {e}")))?;
        let table = table.get_or_insert_with(|| Table::new(row.keys().cloned().collect(), types));
        push_object(table, &row, &mut kinds).map_err(|m| (line_no, m))?;
    }
    let mut table = table.unwrap_or_else(|| Table::new(Vec::new(), types));
    table.infer(&kinds, types);
    Ok(table)
}

/// Appends a JSON object's values as a row, in the table's column order, and folds
/// each value's type into `kinds` (one per column).
fn push_object(
    table: &mut Table,
    row: &serde_json::Map<String, serde_json::Value>,
    kinds: &mut Vec<Option<ColumnType>>,
) -> Result<(), String> {
    if row.len() != table.columns.len() {
        let keys: Vec<&str> = row.keys().map(String::as_str).collect();
        return Err(format!(
            "has keys [{}], the first row [{}]",
            keys.join(", "),
            table.columns.join(", ")
        ));
    }
    for c in 0..table.columns.len() {
        let value = row
            .get(&table.columns[c])
            .ok_or_else(|| format!("has no key {:?}", table.columns[c]))?;
        match value {
            serde_json::Value::String(s) => table.push_cell(s)?,
            serde_json::Value::Null => table.push_cell("")?,
            other => table.push_cell(&other.to_string())?,
        }
        kinds.resize(table.columns.len(), None);
        let kind = ColumnType::of_json(value);
        kinds[c] = Some(kinds[c].map_or(kind, |seen| seen.and(kind)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_reads_header_and_rows() {
        let t = parse_csv(b"user,pass\nalice,a1\n\"bob, jr\",b2\n").expect("valid");
        assert_eq!(t.columns(), ["user", "pass"]);
        assert_eq!(t.rows(), 2);
        assert_eq!(t.cell(1, 0), "bob, jr");
        assert_eq!(t.cell(1, 1), "b2");
        assert_eq!(t.column("pass"), Some(1));
    }

    #[test]
    fn csv_row_of_the_wrong_width_names_its_line() {
        let (line, message) = parse_csv(b"user,pass\nalice,a1\nbob\n").expect_err("ragged");
        assert_eq!(line, Some(3));
        assert_eq!(message, "the row has 1 fields, the header 2");
    }

    #[test]
    fn csv_quote_never_closed_is_an_error_not_the_rest_of_the_file() {
        let err = parse_csv(b"name,id\nann,\"1\nbob,2\n").err();
        assert_eq!(
            err,
            Some((
                Some(2),
                "a quote opened on this row is never closed".to_owned()
            ))
        );
        // A quoted cell that holds a line break and is closed is fine.
        assert!(parse_csv(b"name,id\nann,\"1\n2\"\n").is_ok());
        assert!(parse_csv(b"name,id\n\"a\nb\",2\n").is_ok());
    }

    #[test]
    fn csv_duplicate_column_is_an_error() {
        let (line, message) = parse_csv(b"a,b,a\n1,2,3\n").expect_err("duplicate");
        assert_eq!(
            (line, message.as_str()),
            (Some(1), "column \"a\" appears twice")
        );
    }

    #[test]
    fn json_array_cells_are_text() {
        let t =
            parse_json_array(br#"[{"id": 7, "name": "x", "ok": true, "tags": [1], "n": null}]"#)
                .expect("valid");
        // Columns in the order the first object writes them.
        assert_eq!(t.columns(), ["id", "name", "ok", "tags", "n"]);
        let row: Vec<&str> = (0..5).map(|c| t.cell(0, c)).collect();
        assert_eq!(row, ["7", "x", "true", "[1]", ""]);
    }

    #[test]
    fn json_array_with_different_keys_names_the_element() {
        let (_, message) =
            parse_json_array(br#"[{"a": 1}, {"b": 2}]"#).expect_err("different keys");
        assert_eq!(message, "element 1: has no key \"a\"");
    }

    #[test]
    fn json_lines_errors_name_the_line() {
        let t = parse_json_lines(b"{\"a\": \"1\"}\n\n{\"a\": \"2\"}\n").expect("valid");
        assert_eq!((t.rows(), t.cell(1, 0)), (2, "2"));
        let (line, message) = parse_json_lines(b"{\"a\": 1}\n{oops}\n").expect_err("bad line");
        assert_eq!(line, Some(2));
        assert!(message.starts_with("not a JSON object"), "{message}");
    }

    fn types(pairs: &[(&str, ColumnType)]) -> Types {
        pairs.iter().map(|(n, t)| ((*n).to_owned(), *t)).collect()
    }

    #[test]
    fn typed_columns_are_values_of_their_type() {
        let declared = types(&[
            ("qty", ColumnType::Int),
            ("price", ColumnType::Float),
            ("active", ColumnType::Bool),
            ("zip", ColumnType::Text),
        ]);
        let t = parse_csv_typed(
            b"qty,price,active,zip,name
3,2.5,true,01234,ann
-7,1e3,false,9,bob
",
            &declared,
        )
        .expect("valid");
        use minijinja::Value;
        let row: Vec<Value> = (0..5).map(|c| t.value(0, c)).collect();
        assert_eq!(
            row,
            [
                Value::from(3),
                Value::from(2.5),
                Value::from(true),
                Value::from("01234"),
                Value::from("ann")
            ]
        );
        assert_eq!(t.value(1, 0), Value::from(-7));
        assert_eq!(t.value(1, 1), Value::from(1000.0));
        // Cells are still text where text is wanted (a path, a header).
        assert_eq!(t.cell(0, 1), "2.5");
        assert_eq!(
            t.describe_columns(),
            "qty: int, price: float, active: bool, zip, name"
        );
    }

    #[test]
    fn a_cell_that_is_not_of_its_columns_type_names_its_line() {
        let declared = types(&[("qty", ColumnType::Int)]);
        let err = parse_csv_typed(
            b"name,qty
ann,3
bob,3.5
",
            &declared,
        )
        .err();
        let message = r#"column "qty": "3.5" is not an int (a whole number such as 42 or -7)"#;
        assert_eq!(err, Some((Some(3), message.to_owned())));
        let declared = types(&[("ok", ColumnType::Bool), ("x", ColumnType::Float)]);
        let (line, message) = parse_json_lines_typed(
            b"{\"ok\": true, \"x\": 1}\n{\"ok\": \"yes\", \"x\": 2}\n",
            &declared,
        )
        .expect_err("not a bool");
        assert_eq!(line, Some(2));
        assert!(
            message.starts_with(r#"column "ok": "yes" is not a bool"#),
            "{message}"
        );
        let (_, message) = parse_json_array_typed(br#"[{"x": 1}, {"x": "NaN"}]"#, &declared)
            .expect_err("not finite");
        assert!(
            message.starts_with(r#"element 1: column "x": "NaN" is not a float"#),
            "{message}"
        );
        // A JSON number is an int's cell; null (the empty cell) is not.
        let declared = types(&[("n", ColumnType::Int)]);
        assert!(parse_json_array_typed(br#"[{"n": 7}]"#, &declared).is_ok());
        assert!(parse_json_array_typed(br#"[{"n": null}]"#, &declared).is_err());
    }

    #[test]
    fn json_columns_of_numbers_or_booleans_keep_their_type() {
        use minijinja::Value;
        let t = parse_json_lines_typed(
            b"{\"id\": 7, \"price\": 2, \"ok\": true, \"zip\": \"01234\", \"mixed\": 1, \"n\": 1}\n\
              {\"id\": 8, \"price\": 2.5, \"ok\": false, \"zip\": \"98765\", \"mixed\": \"x\", \"n\": null}\n",
            &Types::from([("id".to_owned(), ColumnType::Text)]),
        )
        .expect("valid");
        // A declared type wins; numbers among floats are floats; mixed or null is text.
        assert_eq!(
            t.describe_columns(),
            "id, price: float, ok: bool, zip, mixed, n"
        );
        let row: Vec<Value> = (0..6).map(|c| t.value(1, c)).collect();
        let wanted = [
            Value::from("8"),
            Value::from(2.5),
            Value::from(false),
            Value::from("98765"),
            Value::from("x"),
            Value::from(""),
        ];
        assert_eq!(row, wanted);
        // A whole number in a float column stays whole: `2`, not `2.0`, in a path.
        assert_eq!(t.value(0, 1).to_string(), "2");
        let t = parse_json_array(br#"[{"id": 7}, {"id": 9}]"#).expect("valid");
        assert_eq!(t.value(1, 0), Value::from(9));
        assert_eq!(t.cell(1, 0), "9");
    }

    #[test]
    fn load_reports_file_and_line() {
        let dir = std::env::temp_dir().join(format!("klavier-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("accounts.csv");
        std::fs::write(&path, "user,pass\nalice\n").expect("write");
        let e = load(&path).expect_err("ragged");
        assert_eq!(
            e.to_string(),
            format!("{}:2: the row has 1 fields, the header 2", path.display())
        );
        std::fs::write(&path, "user,pass\n").expect("write");
        assert_eq!(load(&path).expect_err("empty").message, "has no rows");
        let missing = load(&dir.join("nope.csv")).expect_err("missing");
        assert!(
            missing.message.starts_with("cannot read"),
            "{}",
            missing.message
        );
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn many_rows_load_quickly() {
        // 200k rows here (debug build); a million in release takes well under a second.
        let mut csv = String::from("id,user,pass\n");
        for i in 0..200_000 {
            csv.push_str(&format!("{i},user{i},secret{i}\n"));
        }
        let started = std::time::Instant::now();
        let t = parse_csv(csv.as_bytes()).expect("valid");
        assert_eq!(t.rows(), 200_000);
        assert_eq!(t.cell(199_999, 1), "user199999");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}
