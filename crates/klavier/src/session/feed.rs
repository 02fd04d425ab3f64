//! Feeders at run time: the plan's tables plus the one cross-thread cursor `unique`
//! needs (touched once per draw, not per byte).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use klavier_plan::data::{Feeder, OnExhausted, Per, Strategy};
use klavier_plan::segment::Segment;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::vars::Vars;

/// Every feeder of a run, shared by all users of all workers.
#[derive(Debug, Default)]
pub struct Feeds {
    feeds: Vec<Feed>,
    /// Set once a `unique` feeder with `on_exhausted = "stop"` had no row for a user.
    ran_out: AtomicBool,
    /// Which rows `unique` may hand out: the segment's.
    segment: Segment,
}

#[derive(Debug)]
struct Feed {
    name: Arc<str>,
    feeder: Feeder,
    /// Rows handed out so far by `unique`.
    taken: AtomicUsize,
}

/// A `unique` feeder ran out of rows and says `on_exhausted = "stop"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exhausted {
    /// The feeder's name.
    pub feeder: Arc<str>,
}

impl Feeds {
    /// Run-time state of `feeders`.
    pub fn new(feeders: &[Feeder]) -> Self {
        Self::for_segment(feeders, Segment::WHOLE)
    }

    /// Run-time state of `feeders` in segment `segment` of a run: `unique` hands out only
    /// the segment's rows (`r mod N == I`), so segments never share one.
    pub fn for_segment(feeders: &[Feeder], segment: Segment) -> Self {
        let feeds = feeders
            .iter()
            .map(|feeder| Feed {
                name: feeder.name.as_str().into(),
                feeder: feeder.clone(),
                taken: AtomicUsize::new(0),
            })
            .collect();
        Self {
            feeds,
            ran_out: AtomicBool::new(false),
            segment,
        }
    }

    /// Whether a `unique` feeder ran out of rows and stopped a user.
    pub fn ran_out(&self) -> bool {
        self.ran_out.load(Ordering::Relaxed)
    }

    /// How many feeders there are (the length of a user's `positions`).
    pub fn len(&self) -> usize {
        self.feeds.len()
    }

    /// Whether there is no feeder.
    pub fn is_empty(&self) -> bool {
        self.feeds.is_empty()
    }

    /// Draws the next row of every feeder drawn `per`, into `vars`. `positions` holds the
    /// user's place in each sequential feeder (start it with [`Feeds::start_positions`]).
    pub fn draw(
        &self,
        per: Per,
        vars: &mut Vars,
        positions: &mut [usize],
        rng: &mut Xoshiro256PlusPlus,
    ) -> Result<(), Exhausted> {
        for (feed, position) in self.feeds.iter().zip(positions) {
            if feed.feeder.per != per {
                continue;
            }
            let rows = feed.feeder.table.rows();
            let row = match feed.feeder.strategy {
                Strategy::Sequential => {
                    let row = *position % rows;
                    *position = row + 1;
                    row
                }
                Strategy::Random => rng.random_range(0..rows),
                Strategy::Unique => {
                    let taken = feed.taken.fetch_add(1, Ordering::Relaxed);
                    let row = self.segment.row(taken);
                    match feed.feeder.on_exhausted {
                        OnExhausted::Recycle => self.recycled_row(taken, rows),
                        OnExhausted::Stop if row < rows => row,
                        OnExhausted::Stop => {
                            self.ran_out.store(true, Ordering::Relaxed);
                            return Err(Exhausted {
                                feeder: feed.name.clone(),
                            });
                        }
                    }
                }
            };
            vars.set_row(&feed.name, &feed.feeder.table, row);
        }
        Ok(())
    }

    /// The `taken`-th row of a recycling `unique` feeder: the segment's rows in turn, or,
    /// with fewer rows than segments and none of its own, any row in turn.
    fn recycled_row(&self, taken: usize, rows: usize) -> usize {
        let (index, count) = (self.segment.index() as usize, self.segment.count() as usize);
        // The rows r < rows with r mod count == index.
        let own = rows.saturating_sub(index).div_ceil(count);
        match own {
            0 => self.segment.row(taken) % rows,
            own => self.segment.row(taken % own),
        }
    }

    /// Where user `vu` starts in each feeder: sequential feeders at row `vu mod rows`.
    pub fn start_positions(&self, vu: u32) -> Vec<usize> {
        self.feeds
            .iter()
            .map(|feed| vu as usize % feed.feeder.table.rows().max(1))
            .collect()
    }
}
