//! RFC 3339 timestamps, formatted by humantime (already the workspace's duration crate).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The last millisecond RFC 3339's four-digit year can write: 9999-12-31T23:59:59.999Z.
const LAST: Duration = Duration::from_millis(253_402_300_799_999);

/// Formats a time as RFC 3339 in UTC with milliseconds, e.g. `2025-03-01T14:07:09.250Z`.
/// Times before 1970 are formatted as the epoch, times after year 9999 as its end.
pub fn rfc3339_utc(time: SystemTime) -> String {
    let clamped = time.clamp(UNIX_EPOCH, UNIX_EPOCH + LAST);
    humantime::format_rfc3339_millis(clamped).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        // (seconds since the epoch, millis, expected)
        let table = [
            (0, 0, "1970-01-01T00:00:00.000Z"),
            (951_782_400, 0, "2000-02-29T00:00:00.000Z"), // leap day of a century leap year
            (1_709_251_199, 999, "2024-02-29T23:59:59.999Z"),
            (1_735_689_600, 5, "2025-01-01T00:00:00.005Z"),
            (4_107_542_400, 0, "2100-03-01T00:00:00.000Z"), // 2100 is not a leap year
        ];
        for (secs, millis, expected) in table {
            let t = UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis);
            assert_eq!(rfc3339_utc(t), expected);
        }
    }

    #[test]
    fn before_the_epoch_is_the_epoch() {
        let t = UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(rfc3339_utc(t), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn after_year_9999_is_its_end() {
        let t = UNIX_EPOCH + LAST + Duration::from_secs(86_400 * 365);
        assert_eq!(rfc3339_utc(t), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn sub_millisecond_parts_are_cut_not_rounded() {
        let t = UNIX_EPOCH + Duration::from_nanos(1_999_999);
        assert_eq!(rfc3339_utc(t), "1970-01-01T00:00:00.001Z");
    }
}
