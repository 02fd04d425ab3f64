//! The partition rule: user `u` belongs to share `u mod n`. The same rule splits users
//! (and open-model arrivals) across worker threads and across machines (`--segment I/N`).
//!
//! The two scales compose: worker `t` of `T` in segment `I` of `N` runs share
//! `I + N·t` of `N·T` (a user `u` with `u ≡ I (mod N)` and `(u − I)/N ≡ t (mod T)`), so
//! a process's workers split exactly its segment and nothing else.

use std::fmt;
use std::str::FromStr;

/// The user ids (0-based) of share `index` out of `shares`, among `users` users.
pub fn users_of_share(index: u32, shares: u32, users: u32) -> impl Iterator<Item = u32> {
    assert!(shares > 0 && index < shares, "share {index} of {shares}");
    (index..users).step_by(shares as usize)
}

/// Segment `index` of `count`: the users `u` (and arrivals `k`) with `u mod count == index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Segment {
    index: u32,
    count: u32,
}

/// Why a segment is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    /// Not `I/N`.
    #[error("{0:?} is not a segment: expected I/N with 0 <= I < N, e.g. 0/4")]
    Syntax(String),
    /// `N` is zero.
    #[error("a run has at least one segment: N must be 1 or more (found 0)")]
    NoSegments,
    /// `I` is not below `N`.
    #[error("segment {index} of {count} does not exist: segments are numbered 0 to {last}")]
    OutOfRange {
        /// The index given.
        index: u32,
        /// The count given.
        count: u32,
        /// The highest valid index.
        last: u32,
    },
}

impl Segment {
    /// The whole run: one segment.
    pub const WHOLE: Segment = Segment { index: 0, count: 1 };

    /// Segment `index` of `count`.
    pub fn new(index: u32, count: u32) -> Result<Self, SegmentError> {
        if count == 0 {
            return Err(SegmentError::NoSegments);
        }
        if index >= count {
            return Err(SegmentError::OutOfRange {
                index,
                count,
                last: count - 1,
            });
        }
        Ok(Segment { index, count })
    }

    /// Which segment (0-based).
    pub fn index(self) -> u32 {
        self.index
    }

    /// How many segments the run has.
    pub fn count(self) -> u32 {
        self.count
    }

    /// Whether this is the whole run.
    pub fn is_whole(self) -> bool {
        self.count == 1
    }

    /// Worker `thread` of `threads` of this segment runs share `(index, shares)` of the
    /// whole run: the partition rule applied twice.
    pub fn worker_share(self, thread: u32, threads: u32) -> (u32, u32) {
        (
            self.index + self.count * thread,
            self.count * threads.max(1),
        )
    }

    /// Whether user (or arrival) `id` of the whole run belongs to this segment.
    pub fn contains(self, id: u64) -> bool {
        id % u64::from(self.count) == u64::from(self.index)
    }

    /// How many of `users` users (ids `0..users`) belong to this segment.
    pub fn users(self, users: u32) -> u32 {
        users_of_share(self.index, self.count, users).count() as u32
    }

    /// The row of the whole run a `unique` feeder hands out as this segment's `draw`-th
    /// (0-based) row: the segment's rows are those `r` with `r mod count == index`, so no
    /// two segments ever take the same row.
    pub fn row(self, draw: usize) -> usize {
        self.index as usize + draw * self.count as usize
    }
}

impl Default for Segment {
    fn default() -> Self {
        Segment::WHOLE
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Segment {
    type Err = SegmentError;

    /// `I/N`, e.g. `0/4`.
    fn from_str(text: &str) -> Result<Self, SegmentError> {
        let syntax = || SegmentError::Syntax(text.to_owned());
        let (index, count) = text.split_once('/').ok_or_else(syntax)?;
        let index = index.trim().parse().map_err(|_| syntax())?;
        let count = count.trim().parse().map_err(|_| syntax())?;
        Segment::new(index, count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shares_cover_every_user_exactly_once() {
        for users in [0, 1, 2, 7, 64, 1001] {
            for shares in 1..5 {
                let mut seen: Vec<u32> = (0..shares)
                    .flat_map(|i| users_of_share(i, shares, users))
                    .collect();
                seen.sort_unstable();
                assert_eq!(seen, (0..users).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn shares_differ_by_at_most_one_user() {
        let sizes: Vec<usize> = (0..3).map(|i| users_of_share(i, 3, 10).count()).collect();
        assert_eq!(sizes, vec![4, 3, 3]);
    }

    #[test]
    fn segments_parse_as_index_slash_count() {
        assert_eq!("2/4".parse(), Segment::new(2, 4));
        assert_eq!("0/1".parse::<Segment>(), Ok(Segment::WHOLE));
        assert_eq!(
            "4/4".parse::<Segment>().unwrap_err().to_string(),
            "segment 4 of 4 does not exist: segments are numbered 0 to 3"
        );
        assert_eq!("0/0".parse::<Segment>(), Err(SegmentError::NoSegments));
        for bad in ["", "1", "a/2", "1/b", "-1/2", "1/2/3"] {
            assert!(
                matches!(bad.parse::<Segment>(), Err(SegmentError::Syntax(_))),
                "{bad:?}"
            );
        }
    }

    /// Every user's worker, found by the composed rule, over every segment and thread.
    fn owners(users: u32, count: u32, threads: u32) -> Vec<Vec<(u32, u32)>> {
        let mut owners = vec![Vec::new(); users as usize];
        for index in 0..count {
            let segment = Segment::new(index, count).unwrap();
            for thread in 0..threads {
                let (share, shares) = segment.worker_share(thread, threads);
                for u in users_of_share(share, shares, users) {
                    assert!(segment.contains(u64::from(u)), "user {u} outside {segment}");
                    owners[u as usize].push((index, thread));
                }
            }
        }
        owners
    }

    proptest! {
        /// The union of the N segments (each split over its threads) is every user, and
        /// no user runs twice.
        #[test]
        fn segments_and_their_workers_are_disjoint_and_complete(
            users in 0u32..2000, count in 1u32..9, threads in 1u32..5,
        ) {
            for (u, owners) in owners(users, count, threads).iter().enumerate() {
                prop_assert_eq!(owners.len(), 1, "user {} owned by {:?}", u, owners);
            }
            let total: u32 = (0..count).map(|i| Segment::new(i, count).unwrap().users(users)).sum();
            prop_assert_eq!(total, users);
        }

        /// `unique` rows: the segments' draws never meet, and together they take every row.
        #[test]
        fn unique_rows_are_disjoint_and_complete(rows in 0usize..500, count in 1u32..9) {
            let mut taken: Vec<usize> = (0..count)
                .flat_map(|i| {
                    let segment = Segment::new(i, count).unwrap();
                    (0..).map(move |d| segment.row(d)).take_while(move |&r| r < rows)
                })
                .collect();
            taken.sort_unstable();
            prop_assert_eq!(taken, (0..rows).collect::<Vec<_>>());
        }
    }
}
