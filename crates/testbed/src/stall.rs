//! The stall switch: hold every response for the first `stall` of each `period`, the
//! way a server pauses for garbage collection or a lock. A request that arrives during
//! a stall waits for its end. Lets tests and demos show what each load model reports
//! when the server stops for a moment.

use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// A stall of `stall` at the start of every `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stall {
    /// How long responses are held.
    pub stall: Duration,
    /// How often the stall comes.
    pub period: Duration,
}

impl FromStr for Stall {
    type Err = String;

    /// `"200ms/1s"`: stall 200 ms every second.
    fn from_str(text: &str) -> Result<Self, String> {
        let (stall, period) = text
            .split_once('/')
            .ok_or_else(|| "expected STALL/PERIOD, e.g. 200ms/1s".to_owned())?;
        let parse =
            |t: &str| humantime::parse_duration(t.trim()).map_err(|e| format!("{t:?}: {e}"));
        let (stall, period) = (parse(stall)?, parse(period)?);
        if period.is_zero() || stall >= period {
            return Err("the stall must be shorter than its period".to_owned());
        }
        Ok(Stall { stall, period })
    }
}

/// The switch in the target's state: off until set.
#[derive(Debug, Default)]
pub struct StallSwitch {
    setting: Mutex<Option<(Stall, Instant)>>,
}

impl StallSwitch {
    /// Turns stalling on (periods count from now) or off.
    pub fn set(&self, stall: Option<Stall>) {
        let mut setting = self.setting.lock().unwrap_or_else(|e| e.into_inner());
        *setting = stall.map(|s| (s, Instant::now()));
    }

    /// Waits out the current stall, if one is under way.
    pub async fn wait(&self) {
        let setting = *self.setting.lock().unwrap_or_else(|e| e.into_inner());
        let Some((stall, since)) = setting else {
            return;
        };
        let phase = since.elapsed().as_nanos() % stall.period.as_nanos();
        let phase = Duration::from_nanos(phase as u64);
        if phase < stall.stall {
            tokio::time::sleep(stall.stall - phase).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stalls_parse_as_stall_slash_period() {
        let ms = Duration::from_millis;
        assert_eq!(
            "200ms/1s".parse(),
            Ok(Stall {
                stall: ms(200),
                period: ms(1000)
            })
        );
        assert!("1s/200ms".parse::<Stall>().is_err());
        assert!("200ms".parse::<Stall>().is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_during_the_stall_waits_for_its_end() {
        let switch = StallSwitch::default();
        switch.set(Some("200ms/1s".parse().expect("valid")));
        let start = Instant::now();
        tokio::time::sleep(Duration::from_millis(50)).await;
        switch.wait().await;
        assert_eq!(start.elapsed(), Duration::from_millis(200));
        tokio::time::sleep(Duration::from_millis(300)).await;
        switch.wait().await;
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(500),
            "no stall outside the window"
        );
    }
}
