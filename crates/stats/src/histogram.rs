//! Latency histograms: microseconds, 3 significant digits, 1 µs ..= 1 hour.
//!
//! Histograms start small and grow to the largest value seen (auto-resize), so a
//! recorder with many rows stays small while latencies are short; growth is at most
//! a few dozen reallocations over a histogram's life and never happens in steady
//! state. Every value is clamped into range: a sample is never dropped and
//! recording never panics. A value above the range is recorded as the highest and
//! reported to the caller, which counts it (`overflow`), so the clamp is never silent.

use std::time::Duration;

use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2DeflateSerializer};
use hdrhistogram::Histogram;

/// Significant decimal digits kept by every latency histogram.
pub const SIGNIFICANT_DIGITS: u8 = 3;
/// The lowest latency recorded, in microseconds; shorter ones are recorded as this.
pub const LOWEST_US: u64 = 1;
/// The highest latency recorded, in microseconds (one hour); longer ones are recorded as this.
pub const HIGHEST_US: u64 = 3_600_000_000;

/// Why an encoded histogram from a result file could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum HistogramDecodeError {
    /// The text is not standard base64.
    #[error("histogram is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    /// The bytes are not an HDR V2 (optionally DEFLATE-compressed) histogram.
    #[error("histogram is not a valid HDR V2 encoding: {0}")]
    Hdr(#[from] hdrhistogram::serialization::DeserializeError),
}

/// A new, empty latency histogram.
pub fn new_histogram() -> Histogram<u64> {
    // Auto-resizing from a 2 ms range: small until long latencies show up.
    Histogram::new(SIGNIFICANT_DIGITS).expect("3 significant digits is a valid histogram precision")
}

/// A duration as whole microseconds clamped into `LOWEST_US..=HIGHEST_US`.
pub fn clamp_us(d: Duration) -> u64 {
    let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    us.clamp(LOWEST_US, HIGHEST_US)
}

/// Records a latency, clamped into range; never fails, never drops the value.
/// Returns true if it was above [`HIGHEST_US`] and recorded as that (an overflow).
#[inline]
pub fn record_latency(h: &mut Histogram<u64>, d: Duration) -> bool {
    let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    record_us(h, us, 1);
    us > HIGHEST_US
}

/// Records `count` occurrences of a value already in microseconds, clamped into range.
#[inline]
pub(crate) fn record_us(h: &mut Histogram<u64>, us: u64, count: u64) {
    let us = us.clamp(LOWEST_US, HIGHEST_US);
    if h.record_n(us, count).is_err() {
        // Only if growing failed; keep the sample at the edge of the range.
        h.saturating_record_n(us, count);
    }
}

/// Adds `src` into `dst` exactly (never averages); never fails.
pub fn merge_into(dst: &mut Histogram<u64>, src: &Histogram<u64>) {
    if src.is_empty() {
        return;
    }
    // Decoded histograms do not auto-resize; ours must be able to grow to take any source.
    dst.auto(true);
    if dst.add(src).is_err() {
        for v in src.iter_recorded() {
            record_us(dst, v.value_iterated_to(), v.count_at_value());
        }
    }
}

/// Serializes a histogram as HDR V2 + DEFLATE, base64 (standard alphabet, padded).
///
/// Returns an empty string only if the encoder fails, which it does not for
/// histograms built by this crate (counts below `i64::MAX`, written to memory).
pub fn encode_histogram(h: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    match V2DeflateSerializer::new().serialize(h, &mut bytes) {
        Ok(_) => base64::engine::general_purpose::STANDARD.encode(bytes),
        Err(_) => String::new(),
    }
}

/// Decodes a histogram written by [`encode_histogram`] (or any HDR V2 encoder).
pub fn decode_histogram(text: &str) -> Result<Histogram<u64>, HistogramDecodeError> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(text.trim())?;
    let h = Deserializer::new().deserialize(&mut bytes.as_slice())?;
    Ok(h)
}

/// Every recorded `(value, count)` pair, for comparing histograms regardless of
/// their allocated range (`Histogram`'s `==` also compares array lengths).
pub fn recorded_values(h: &Histogram<u64>) -> Vec<(u64, u64)> {
    h.iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_zero_and_huge_values() {
        let mut h = new_histogram();
        assert!(!record_latency(&mut h, Duration::ZERO));
        assert!(!record_latency(&mut h, Duration::from_nanos(999)));
        assert!(!record_latency(&mut h, Duration::from_micros(HIGHEST_US)));
        assert!(
            record_latency(&mut h, Duration::from_secs(10 * 3600)),
            "an overflow"
        );
        assert!(record_latency(&mut h, Duration::MAX), "an overflow");
        assert_eq!(h.len(), 5, "no sample is dropped");
        assert_eq!(h.min(), LOWEST_US);
        assert!(h.equivalent(h.max(), HIGHEST_US), "max {}", h.max());
        assert_eq!(clamp_us(Duration::MAX), HIGHEST_US);
    }

    #[test]
    fn encode_decode_round_trip_is_exact() {
        let mut h = new_histogram();
        for us in [1, 2, 3, 999, 1_000, 1_234, 65_000, 1_000_000, 3_600_000_000] {
            record_us(&mut h, us, us % 7 + 1);
        }
        let text = encode_histogram(&h);
        let back = decode_histogram(&text).expect("decodes");
        assert_eq!(recorded_values(&back), recorded_values(&h));
        assert_eq!(back.len(), h.len());
        assert_eq!(back.max(), h.max());
        assert_eq!(back.min(), h.min());
        // An empty histogram round-trips too.
        let empty = decode_histogram(&encode_histogram(&new_histogram())).expect("decodes");
        assert!(empty.is_empty());
    }

    #[test]
    fn decode_rejects_garbage() {
        assert!(matches!(
            decode_histogram("not base64!"),
            Err(HistogramDecodeError::Base64(_))
        ));
        assert!(matches!(
            decode_histogram("aGVsbG8="),
            Err(HistogramDecodeError::Hdr(_))
        ));
    }

    #[test]
    fn merge_into_grows_a_decoded_destination() {
        let mut small = decode_histogram(&encode_histogram(&new_histogram())).expect("decodes");
        let mut big = new_histogram();
        record_us(&mut big, 5_000_000, 3);
        merge_into(&mut small, &big);
        assert_eq!(recorded_values(&small), recorded_values(&big));
    }
}
