//! A user's variables as templates see them: a minijinja object looked up by name, so a
//! render never copies the user's state into a context map.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use klavier_plan::data::Table;
use minijinja::value::{Enumerator, Object, ObjectRepr};
use minijinja::Value;

/// Everything a template of one user can read. Cheap to hand to a render (an `Arc`);
/// changed between renders through `Arc::make_mut`, which copies nothing while no
/// render holds it.
#[derive(Debug, Clone)]
pub struct Vars {
    /// The user's id.
    pub vu: u32,
    /// The user's iteration count, from 0.
    pub iteration: u64,
    /// The current scenario's name.
    pub scenario: Value,
    /// `[variables]` and `--var`, shared by every user.
    constants: Arc<BTreeMap<String, Value>>,
    /// Extracted values, set and unset as responses arrive.
    set: BTreeMap<Arc<str>, Value>,
    /// The current row of each feeder, by feeder name.
    rows: Vec<(Arc<str>, Value)>,
}

impl Vars {
    /// Variables of user `vu`, starting with the run's constants.
    pub fn new(vu: u32, constants: Arc<BTreeMap<String, Value>>) -> Self {
        Self {
            vu,
            iteration: 0,
            scenario: Value::from(""),
            constants,
            set: BTreeMap::new(),
            rows: Vec::new(),
        }
    }

    /// Sets an extracted variable.
    pub fn set(&mut self, name: &Arc<str>, value: Value) {
        self.set.insert(name.clone(), value);
    }

    /// Unsets an extracted variable (a later request that needs it is skipped).
    pub fn unset(&mut self, name: &str) {
        self.set.remove(name);
    }

    /// The value of an extracted variable, if set.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.set.get(name)
    }

    /// Makes `row` of `table` the current row of feeder `name`.
    pub fn set_row(&mut self, name: &Arc<str>, table: &Arc<Table>, row: usize) {
        let value = Value::from_object(Row {
            table: table.clone(),
            row,
        });
        match self.rows.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.rows.push((name.clone(), value)),
        }
    }
}

impl Object for Vars {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        match key {
            "vu" => Some(Value::from(self.vu)),
            "iteration" => Some(Value::from(self.iteration)),
            "scenario" => Some(self.scenario.clone()),
            _ => self
                .set
                .get(key)
                .or_else(|| self.rows.iter().find(|(n, _)| &**n == key).map(|(_, v)| v))
                .or_else(|| self.constants.get(key))
                .cloned(),
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::NonEnumerable
    }
}

/// One feeder row: `{{ accounts.username }}` reads a cell.
struct Row {
    table: Arc<Table>,
    row: usize,
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Row").field("row", &self.row).finish()
    }
}

impl Object for Row {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let column = self.table.column(key.as_str()?)?;
        // A typed column's cells are numbers or booleans (checked when the file was read).
        Some(self.table.value(self.row, column))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let columns: Vec<Value> = self.table.columns().iter().map(Value::from).collect();
        Enumerator::Values(columns)
    }
}
