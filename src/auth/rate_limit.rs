//! Sign-in attempt limits, per account and per client address. Kept in this process:
//! with several instances, each enforces its own limit (the README says so).
//!
//! Someone guessing at a known email must not lock its owner out: a browser that has
//! signed in to the account before carries a device cookie (OWASP's "device cookies"),
//! and its attempts are counted against that device, not against the account.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct SignInLimiter {
    per_account: DefaultKeyedRateLimiter<String>,
    per_device: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    bursts: Mutex<HashMap<String, Burst>>,
    /// A burst of refusals ends once none has come for this long.
    burst_quiet: Duration,
}

/// Refused attempts against one account, collapsed into audit rows: the first is
/// recorded at once, the rest as one row with their count when the burst ends.
struct Burst {
    last: Instant,
    unrecorded: u32,
}

impl SignInLimiter {
    pub fn new(per_account_per_minute: u32, per_ip_per_minute: u32, burst_quiet: Duration) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            per_account: RateLimiter::keyed(quota(per_account_per_minute)),
            per_device: RateLimiter::keyed(quota(per_account_per_minute)),
            per_ip: RateLimiter::keyed(quota(per_ip_per_minute)),
            clock: DefaultClock::default(),
            bursts: Mutex::new(HashMap::new()),
            burst_quiet,
        }
    }

    /// Counts one attempt: against the device, when the browser carries a device cookie
    /// for this account, else against the account; and always against the address.
    /// `Err(wait)` says how long until the next attempt is allowed.
    pub fn check(
        &self,
        account: &str,
        ip: Option<IpAddr>,
        device: Option<&str>,
    ) -> Result<(), Duration> {
        let now = self.clock.now();
        if let Some(ip) = ip {
            self.per_ip
                .check_key(&ip)
                .map_err(|not_until| not_until.wait_time_from(now))?;
        }
        let counted = match device {
            Some(device) => self.per_device.check_key(&device.to_owned()),
            None => self.per_account.check_key(&account.to_owned()),
        };
        counted.map_err(|not_until| not_until.wait_time_from(now))?;
        // Forget idle keys now and then so the maps do not grow without bound.
        if self.per_account.len() + self.per_device.len() > 10_000 {
            self.per_account.retain_recent();
            self.per_device.retain_recent();
            self.per_ip.retain_recent();
        }
        Ok(())
    }

    /// Notes a refused attempt on `account`. True when it opens a burst: record it now.
    /// The burst's later refusals come back from `ended_bursts` as one count.
    pub fn note_refusal(&self, account: &str) -> bool {
        let mut bursts = self.bursts.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        match bursts.get_mut(account) {
            Some(burst) if now.duration_since(burst.last) < self.burst_quiet => {
                burst.last = now;
                burst.unrecorded += 1;
                false
            }
            _ => {
                bursts.insert(
                    account.to_owned(),
                    Burst {
                        last: now,
                        unrecorded: 0,
                    },
                );
                true
            }
        }
    }

    /// Bursts that have gone quiet, with the refusals not yet recorded (none are lost:
    /// a burst that is still going stays until it ends).
    pub fn ended_bursts(&self) -> Vec<(String, u32)> {
        let mut bursts = self.bursts.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let mut ended = Vec::new();
        bursts.retain(|account, burst| {
            if now.duration_since(burst.last) < self.burst_quiet {
                return true;
            }
            if burst.unrecorded > 0 {
                ended.push((account.clone(), burst.unrecorded));
            }
            false
        });
        ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engages_per_account_after_the_quota() {
        let limiter = SignInLimiter::new(3, 100, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(limiter.check("a@x.org", None, None).is_ok());
        }
        let wait = limiter.check("a@x.org", None, None);
        assert!(matches!(wait, Err(d) if d > Duration::ZERO));
        assert!(
            limiter.check("b@x.org", None, None).is_ok(),
            "other accounts unaffected"
        );
        // A device that signed in before is counted on its own.
        assert!(limiter.check("a@x.org", None, Some("device-1")).is_ok());
    }

    #[test]
    fn engages_per_ip() {
        let limiter = SignInLimiter::new(100, 2, Duration::from_secs(60));
        let ip: IpAddr = [10, 0, 0, 1].into();
        assert!(limiter.check("a@x.org", Some(ip), None).is_ok());
        assert!(limiter.check("b@x.org", Some(ip), Some("d")).is_ok());
        assert!(limiter.check("c@x.org", Some(ip), Some("d")).is_err());
    }

    #[test]
    fn a_burst_of_refusals_is_one_record_and_one_count() {
        let limiter = SignInLimiter::new(3, 100, Duration::ZERO);
        assert!(limiter.note_refusal("a@x.org"), "the first opens a burst");
        // With no quiet time each refusal opens its own burst, and nothing is left over.
        assert!(limiter.note_refusal("a@x.org"));
        assert!(limiter.ended_bursts().is_empty());

        let limiter = SignInLimiter::new(3, 100, Duration::from_secs(3600));
        assert!(limiter.note_refusal("a@x.org"));
        for _ in 0..6 {
            assert!(!limiter.note_refusal("a@x.org"));
        }
        assert!(limiter.note_refusal("b@x.org"));
        assert!(limiter.ended_bursts().is_empty(), "still going");
    }
}
