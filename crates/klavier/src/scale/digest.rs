//! The plan digest: what makes results segments of the same run.

use klavier_plan::Plan;

/// `sha256:HEX` of the compiled plan (as `klavier check` describes it: target, load,
/// timings, session and every request, after defaults and overrides) and the seed.
/// Segments of one run share it; `klavier merge` refuses results that do not.
pub fn plan_digest(plan: &Plan, seed: u64) -> String {
    let text = format!("klavier plan digest v1\n{plan}\nseed {seed}\n");
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    let hex: String = digest
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(users: u32) -> Plan {
        let source = "[target]\nbase_url = \"http://127.0.0.1:1\"\n[scenarios.a]\nweight = 1\n\
                      [[scenarios.a.requests]]\nmethod = \"GET\"\npath = \"/\"\n\
                      [timings]\ntest_duration_seconds = 5\n";
        let overrides = klavier_plan::Overrides {
            users: Some(users),
            ..Default::default()
        };
        klavier_plan::compile(source, "p.toml", &overrides).expect("valid")
    }

    #[test]
    fn the_digest_follows_the_plan_and_the_seed() {
        let digest = plan_digest(&plan(4), 7);
        assert_eq!(digest, plan_digest(&plan(4), 7));
        assert!(
            digest.starts_with("sha256:") && digest.len() == 7 + 64,
            "{digest}"
        );
        assert_ne!(digest, plan_digest(&plan(4), 8));
        assert_ne!(digest, plan_digest(&plan(5), 7));
    }
}
