//! The partition rule: user `u` belongs to share `u mod n`. The same rule splits users
//! across worker threads now, and across machines (`--segment I/N`) later.

/// The user ids (0-based) of share `index` out of `shares`, among `users` users.
pub fn users_of_share(index: u32, shares: u32, users: u32) -> impl Iterator<Item = u32> {
    assert!(shares > 0 && index < shares, "share {index} of {shares}");
    (index..users).step_by(shares as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
