//! A plain-text table with aligned columns, for the summary.

/// A table whose first column is left-aligned (rows indented under the title)
/// and whose other columns are right-aligned; widths fit the widest cell.
pub(super) struct Table {
    headers: Vec<String>,
    left: Vec<bool>,                // per column: left-aligned (the first always is)
    rows: Vec<Option<Vec<String>>>, // None is a horizontal rule
}

impl Table {
    pub(super) fn new(headers: &[&str]) -> Self {
        Table {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            left: headers.iter().enumerate().map(|(i, _)| i == 0).collect(),
            rows: Vec::new(),
        }
    }

    /// Left-aligns the last column (free text such as notes).
    pub(super) fn note_column(mut self) -> Self {
        if let Some(last) = self.left.last_mut() {
            *last = true;
        }
        self
    }

    pub(super) fn push(&mut self, cells: Vec<String>) {
        self.rows.push(Some(cells));
    }

    pub(super) fn rule(&mut self) {
        self.rows.push(None);
    }

    /// Drops columns, by header in `drop_order`, until the table is at most `width`
    /// characters wide (or nothing in `drop_order` is left to drop).
    pub(super) fn fit(mut self, width: usize, drop_order: &[&str]) -> Self {
        for header in drop_order {
            if self.width() <= width {
                break;
            }
            if let Some(i) = self.headers.iter().position(|h| h == header) {
                self.remove_column(i);
            }
        }
        self
    }

    fn remove_column(&mut self, i: usize) {
        self.headers.remove(i);
        self.left.remove(i);
        for cells in self.rows.iter_mut().flatten() {
            if i < cells.len() {
                cells.remove(i);
            }
        }
    }

    /// The widest line, in characters.
    pub(super) fn width(&self) -> usize {
        let widths = self.widths();
        widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1)
    }

    fn widths(&self) -> Vec<usize> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for cells in self.rows.iter().flatten() {
            for (i, cell) in cells.iter().enumerate() {
                let indent = if i == 0 { 2 } else { 0 };
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count() + indent);
                }
            }
        }
        widths
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let widths = self.widths();
        let line = |f: &mut std::fmt::Formatter<'_>, cells: &[String], indent: &str| {
            let mut text = String::new();
            for (i, (cell, &w)) in cells.iter().zip(&widths).enumerate() {
                if i == 0 {
                    text.push_str(&format!("{indent}{cell:<0$}", w - indent.len()));
                } else if self.left[i] {
                    text.push_str(&format!("  {cell:<w$}"));
                } else {
                    text.push_str(&format!("  {cell:>w$}"));
                }
            }
            writeln!(f, "{}", text.trim_end())
        };
        line(f, &self.headers, "")?;
        let total_width = self.width();
        for row in &self.rows {
            match row {
                Some(cells) => line(f, cells, "  ")?,
                None => writeln!(f, "  {}", "─".repeat(total_width.saturating_sub(2)))?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_drops_columns_in_order_until_it_fits() {
        let mut table = Table::new(&["Requests", "count", "stddev", "min", "p99"]);
        table.push(vec![
            "GET /a".into(),
            "1".into(),
            "2ms".into(),
            "1ms".into(),
            "3ms".into(),
        ]);
        let full = table.width();
        let table = table.fit(full - 1, &["stddev", "min"]);
        assert_eq!(table.headers, ["Requests", "count", "min", "p99"]);
        assert!(table.width() < full);
        let text = table.fit(0, &["min"]).to_string();
        assert_eq!(text.lines().next(), Some("Requests  count  p99"));
        assert!(text.contains("  GET /a      1  3ms"), "{text}");
    }
}
