//! The named choices of the command line (`--merge`, `--network`, `--learn`, `--search`,
//! `--goal`, `--assumption`) as clap value enums, so clap parses them, lists them in `--help`
//! and refuses an unknown one with usage help and exit code 2.
//!
//! Each type keeps its names in one place, its own `NAMES` with `name` and `parse` (summaries,
//! reports and cluster files use them too); this module only teaches clap those names.

use crate::models::claims::{Assumption, Goal};
use crate::models::search::Search;
use crate::models::single::{LearnMode, Merge, NetworkKind};
use clap::builder::PossibleValue;
use std::sync::LazyLock;

macro_rules! value_enum {
    ($($t:ty),*) => {$(
        impl clap::ValueEnum for $t {
            fn value_variants<'a>() -> &'a [Self] {
                static VARIANTS: LazyLock<Vec<$t>> = LazyLock::new(|| {
                    <$t>::NAMES
                        .iter()
                        .map(|n| <$t>::parse(n).expect("every name parses"))
                        .collect()
                });
                &VARIANTS
            }

            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(PossibleValue::new(self.name()))
            }
        }
    )*};
}

value_enum!(Merge, NetworkKind, LearnMode, Search, Goal, Assumption);

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    /// Every name round-trips, so clap's list is the types' own.
    #[test]
    fn names_round_trip() {
        fn check<T: ValueEnum + PartialEq + std::fmt::Debug>(names: &[&str]) {
            let listed: Vec<String> = T::value_variants()
                .iter()
                .map(|v| v.to_possible_value().unwrap().get_name().to_string())
                .collect();
            assert_eq!(listed, names);
            for n in names {
                assert_eq!(
                    T::from_str(n, false)
                        .unwrap()
                        .to_possible_value()
                        .unwrap()
                        .get_name(),
                    *n
                );
            }
        }
        check::<Merge>(&Merge::NAMES);
        check::<NetworkKind>(&NetworkKind::NAMES);
        check::<LearnMode>(&LearnMode::NAMES);
        check::<Search>(&Search::NAMES);
        check::<Goal>(&Goal::NAMES);
        check::<Assumption>(&Assumption::NAMES);
        assert_eq!(Search::NAMES, ["bfs", "dfs"]);
    }
}
