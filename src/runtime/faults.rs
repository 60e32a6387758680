//! Fault injection on the send path, for tests only.
//!
//! Loopback UDP almost never loses, duplicates or reorders a datagram, so on its own a local
//! cluster never exercises the behaviours the checked model explores on its lossy, duplicating
//! network. `--inject-faults SPEC` makes a process misbehave *on purpose* when it sends; the
//! process logs a warning at start so that nobody runs it by accident. `SPEC` is a
//! comma-separated list of `key=value` items:
//!
//! | item | meaning |
//! |---|---|
//! | `drop=F` | drop each outgoing datagram with probability `F` |
//! | `dup=F` | send each surviving datagram twice with probability `F` |
//! | `delay=F` | hold each copy back with probability `F` (this reorders messages) |
//! | `delay-ms=N` | a held-back copy waits a uniform time below `N` ms (default 20) |
//! | `seed=N` | seed of the coin flips (default: from the clock; logged at start) |
//! | `drop-except:KIND=ADDR` | drop every `KIND` message unless it is sent to `ADDR`; repeat the item to allow several addresses |
//!
//! `KIND` is a message variant name such as `Accept` or `Prepare`. The targeted rule arranges
//! exact situations: `drop-except:Accept=127.0.0.1:7003` on a proposer makes its phase-2
//! `Accept` reach exactly one acceptor, leaving a value "half accepted".
//!
//! Faults only ever apply *after* the batch's storage is durable: they model the network, not a
//! broken disk.

use super::rng::Rng;
use itertools::Itertools;
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddrV4;
use std::time::Duration;

/// A parsed `--inject-faults` value.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSpec {
    /// Probability of dropping a datagram.
    pub drop: f64,
    /// Probability of sending a datagram twice.
    pub dup: f64,
    /// Probability of holding a copy back.
    pub delay: f64,
    /// Upper bound of a hold-back.
    pub delay_max: Duration,
    /// Seed of the coin flips (`None`: from the clock).
    pub seed: Option<u64>,
    /// Per message kind, the only destinations it may reach.
    pub drop_except: BTreeMap<String, Vec<SocketAddrV4>>,
}

impl Default for FaultSpec {
    fn default() -> Self {
        FaultSpec {
            drop: 0.0,
            dup: 0.0,
            delay: 0.0,
            delay_max: Duration::from_millis(20),
            seed: None,
            drop_except: BTreeMap::new(),
        }
    }
}

fn probability(key: &str, v: &str) -> Result<f64, String> {
    match v.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!(
            "--inject-faults: {key}={v}: expected a probability between 0 and 1"
        )),
    }
}

impl FaultSpec {
    /// Parses `drop=0.1,dup=0.05,delay=0.2,seed=7,drop-except:Accept=127.0.0.1:7001`.
    pub fn parse(spec: &str) -> Result<FaultSpec, String> {
        let mut f = FaultSpec::default();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let Some((key, value)) = item.split_once('=') else {
                return Err(format!(
                    "--inject-faults: '{item}' is not key=value (keys: drop, dup, delay, \
                     delay-ms, seed, drop-except:KIND)"
                ));
            };
            match key {
                "drop" => f.drop = probability(key, value)?,
                "dup" => f.dup = probability(key, value)?,
                "delay" => f.delay = probability(key, value)?,
                "delay-ms" => {
                    let ms: u64 = value.parse().map_err(|_| {
                        format!("--inject-faults: delay-ms={value}: expected milliseconds")
                    })?;
                    f.delay_max = Duration::from_millis(ms);
                }
                "seed" => {
                    f.seed = Some(value.parse().map_err(|_| {
                        format!("--inject-faults: seed={value}: expected an unsigned integer")
                    })?)
                }
                _ => match key.strip_prefix("drop-except:") {
                    Some(kind) if !kind.is_empty() => {
                        let addr: SocketAddrV4 = value.parse().map_err(|_| {
                            format!("--inject-faults: {key}={value}: expected an IPv4 address:port")
                        })?;
                        f.drop_except
                            .entry(kind.to_string())
                            .or_default()
                            .push(addr);
                    }
                    _ => {
                        return Err(format!(
                            "--inject-faults: unknown key '{key}' (keys: drop, dup, delay, \
                             delay-ms, seed, drop-except:KIND)"
                        ))
                    }
                },
            }
        }
        Ok(f)
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "drop={} dup={} delay={} delay-ms={}",
            self.drop,
            self.dup,
            self.delay,
            self.delay_max.as_millis()
        )?;
        for (kind, addrs) in &self.drop_except {
            write!(f, " drop-except:{kind}={}", addrs.iter().join("+"))?;
        }
        Ok(())
    }
}

/// What happens to one outgoing datagram: the delay of each copy sent (empty: dropped).
pub type Fate = Vec<Duration>;

/// The fault injector of one process.
#[derive(Clone, Debug)]
pub struct Faults {
    spec: FaultSpec,
    rng: Rng,
    seed: u64,
}

impl Faults {
    /// An injector for `spec`.
    pub fn new(spec: FaultSpec) -> Faults {
        let seed = spec.seed.unwrap_or_else(|| Rng::from_entropy().next_u64());
        Faults {
            spec,
            rng: Rng::seeded(seed),
            seed,
        }
    }

    /// The seed in use (to reproduce a run).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The spec.
    pub fn spec(&self) -> &FaultSpec {
        &self.spec
    }

    /// Decides the fate of a `kind` message to `dst`.
    pub fn decide(&mut self, kind: &str, dst: SocketAddrV4) -> Fate {
        if let Some(allowed) = self.spec.drop_except.get(kind) {
            if !allowed.contains(&dst) {
                return Vec::new();
            }
        }
        if self.rng.chance(self.spec.drop) {
            return Vec::new();
        }
        let copies = if self.rng.chance(self.spec.dup) { 2 } else { 1 };
        (0..copies)
            .map(|_| {
                if self.rng.chance(self.spec.delay) {
                    self.spec.delay_max.mul_f64(self.rng.next_f64())
                } else {
                    Duration::ZERO
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddrV4 {
        s.parse().unwrap()
    }

    #[test]
    fn parses_every_key() {
        let f = FaultSpec::parse(
            "drop=0.1, dup=0.05,delay=0.2,delay-ms=7,seed=9,drop-except:Accept=127.0.0.1:1,\
             drop-except:Accept=127.0.0.1:2",
        )
        .unwrap();
        assert_eq!(f.drop, 0.1);
        assert_eq!(f.dup, 0.05);
        assert_eq!(f.delay, 0.2);
        assert_eq!(f.delay_max, Duration::from_millis(7));
        assert_eq!(f.seed, Some(9));
        assert_eq!(
            f.drop_except["Accept"],
            vec![a("127.0.0.1:1"), a("127.0.0.1:2")]
        );
        assert_eq!(
            f.to_string(),
            "drop=0.1 dup=0.05 delay=0.2 delay-ms=7 drop-except:Accept=127.0.0.1:1+127.0.0.1:2"
        );
    }

    #[test]
    fn bad_specs_are_explained() {
        assert_eq!(
            FaultSpec::parse("drop=2").unwrap_err(),
            "--inject-faults: drop=2: expected a probability between 0 and 1"
        );
        assert_eq!(
            FaultSpec::parse("loss=0.1").unwrap_err(),
            "--inject-faults: unknown key 'loss' (keys: drop, dup, delay, delay-ms, seed, \
             drop-except:KIND)"
        );
        assert_eq!(
            FaultSpec::parse("drop-except:Accept=node1").unwrap_err(),
            "--inject-faults: drop-except:Accept=node1: expected an IPv4 address:port"
        );
        assert_eq!(
            FaultSpec::parse("drop").unwrap_err(),
            "--inject-faults: 'drop' is not key=value (keys: drop, dup, delay, delay-ms, seed, \
             drop-except:KIND)"
        );
    }

    #[test]
    fn targeted_rule_lets_one_destination_through() {
        let mut f = Faults::new(FaultSpec::parse("drop-except:Accept=127.0.0.1:1").unwrap());
        assert_eq!(f.decide("Accept", a("127.0.0.1:1")), vec![Duration::ZERO]);
        assert_eq!(f.decide("Accept", a("127.0.0.1:2")), Vec::<Duration>::new());
        assert_eq!(f.decide("Prepare", a("127.0.0.1:2")), vec![Duration::ZERO]);
    }

    #[test]
    fn rates_are_close_to_the_spec_and_seeded() {
        let spec = FaultSpec::parse("drop=0.1,dup=0.05,delay=0.2,seed=7").unwrap();
        let run = || {
            let mut f = Faults::new(spec.clone());
            (0..10_000)
                .map(|_| f.decide("Prepare", a("127.0.0.1:1")))
                .collect::<Vec<_>>()
        };
        let fates = run();
        assert_eq!(fates, run());
        let dropped = fates.iter().filter(|f| f.is_empty()).count();
        let doubled = fates.iter().filter(|f| f.len() == 2).count();
        let copies: usize = fates.iter().map(|f| f.len()).sum();
        let delayed = fates.iter().flatten().filter(|d| !d.is_zero()).count();
        assert!((900..1100).contains(&dropped), "{dropped}");
        assert!((350..560).contains(&doubled), "{doubled}");
        assert!((copies / 6..copies / 4).contains(&delayed), "{delayed}");
        assert!(fates
            .iter()
            .flatten()
            .all(|d| *d < Duration::from_millis(20)));
    }
}
