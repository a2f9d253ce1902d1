//! Sign-in attempt limits, per account and per client address. Kept in this process:
//! with several instances, each enforces its own limit (the README says so).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct SignInLimiter {
    per_account: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl SignInLimiter {
    pub fn new(per_account_per_minute: u32, per_ip_per_minute: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            per_account: RateLimiter::keyed(quota(per_account_per_minute)),
            per_ip: RateLimiter::keyed(quota(per_ip_per_minute)),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one attempt. `Err(wait)` says how long until the next attempt is allowed.
    pub fn check(&self, account: &str, ip: Option<IpAddr>) -> Result<(), Duration> {
        let now = self.clock.now();
        if let Some(ip) = ip {
            self.per_ip
                .check_key(&ip)
                .map_err(|not_until| not_until.wait_time_from(now))?;
        }
        self.per_account
            .check_key(&account.to_owned())
            .map_err(|not_until| not_until.wait_time_from(now))?;
        // Forget idle keys now and then so the maps do not grow without bound.
        if self.per_account.len() > 10_000 {
            self.per_account.retain_recent();
            self.per_ip.retain_recent();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engages_per_account_after_the_quota() {
        let limiter = SignInLimiter::new(3, 100);
        for _ in 0..3 {
            assert!(limiter.check("a@x.org", None).is_ok());
        }
        let wait = limiter.check("a@x.org", None);
        assert!(matches!(wait, Err(d) if d > Duration::ZERO));
        assert!(
            limiter.check("b@x.org", None).is_ok(),
            "other accounts unaffected"
        );
    }

    #[test]
    fn engages_per_ip() {
        let limiter = SignInLimiter::new(100, 2);
        let ip: IpAddr = [10, 0, 0, 1].into();
        assert!(limiter.check("a@x.org", Some(ip)).is_ok());
        assert!(limiter.check("b@x.org", Some(ip)).is_ok());
        assert!(limiter.check("c@x.org", Some(ip)).is_err());
    }
}
