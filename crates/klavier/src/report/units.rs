//! Numbers for people: latencies, sizes, rates and shares in the unit that suits
//! each value, with three significant digits (what the histograms keep).

/// A latency in µs, in the unit that suits it, with three significant digits.
pub(super) fn micros(us: f64) -> String {
    if us < 999.5 {
        format!("{us:.0}µs")
    } else if us < 999_500.0 {
        format!("{}ms", three_digits(us / 1e3))
    } else if us < 999_500_000.0 {
        format!("{}s", three_digits(us / 1e6))
    } else {
        format!("{:.0}s", us / 1e6)
    }
}

/// `x` with three significant digits, for 1 ≤ x < 1000.
fn three_digits(x: f64) -> String {
    if x < 9.995 {
        format!("{x:.2}")
    } else if x < 99.95 {
        format!("{x:.1}")
    } else {
        format!("{x:.0}")
    }
}

/// A byte count in B, KiB, MiB or GiB.
pub(super) fn byte_size(bytes: f64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1023.5 {
        return format!("{bytes:.0} B");
    }
    let mut value = bytes / 1024.0;
    for unit in UNITS {
        if value < 999.5 || unit == "TiB" {
            return format!("{} {unit}", three_digits(value.max(1.0)));
        }
        value /= 1024.0;
    }
    format!("{bytes:.0} B")
}

/// A rate per second: whole numbers from 100 up, more digits below.
pub(super) fn rate(per_second: f64) -> String {
    if per_second >= 99.95 {
        format!("{per_second:.0}/s")
    } else if per_second >= 9.995 {
        format!("{per_second:.1}/s")
    } else {
        format!("{per_second:.2}/s")
    }
}

/// A planned duration in seconds, without decimals when whole.
pub(super) fn seconds(secs: f64) -> String {
    if secs.fract() == 0.0 {
        format!("{secs:.0}s")
    } else {
        format!("{secs:.2}s")
    }
}

pub(super) fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".to_owned();
    }
    format!("{:.2}%", part as f64 * 100.0 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_units() {
        // (µs, shown as)
        let table = [
            (0.0, "0µs"),
            (812.0, "812µs"),
            (999.4, "999µs"),
            (999.6, "1.00ms"),
            (12_400.0, "12.4ms"),
            (123_456.0, "123ms"),
            (999_700.0, "1.00s"),
            (1_200_000.0, "1.20s"),
            (61_000_000.0, "61.0s"),
            (3_600_000_000.0, "3600s"),
        ];
        for (us, expected) in table {
            assert_eq!(micros(us), expected, "{us} µs");
        }
    }

    #[test]
    fn byte_units() {
        // (bytes, shown as)
        let table = [
            (0.0, "0 B"),
            (512.0, "512 B"),
            (1_536.0, "1.50 KiB"),
            (350_000.0, "342 KiB"),
            (3.5 * 1024.0 * 1024.0, "3.50 MiB"),
            (1024.0_f64.powi(3) * 12.0, "12.0 GiB"),
        ];
        for (bytes, expected) in table {
            assert_eq!(byte_size(bytes), expected, "{bytes} B");
        }
    }
}
