//! Names for the project's named choices, written once per enum.
//!
//! A choice such as a role placement or a network kind has one name on the command line, in
//! summaries and in reports. `names!` writes, from one list of
//! `Variant => "name"`, the enum's `NAMES` (in declaration order), `name` and `parse`; the CLI
//! teaches clap the same names (`src/cli/choices.rs`).

/// Gives a fieldless enum its names: `NAMES` in the order listed (list them in declaration
/// order), `name(self)` and `parse(&str)`.
macro_rules! names {
    ($t:ident { $($v:ident => $n:literal),+ $(,)? }) => {
        impl $t {
            /// Command-line names, in declaration order.
            pub const NAMES: [&'static str; [$($n),+].len()] = [$($n),+];

            /// The command-line name.
            pub fn name(self) -> &'static str {
                match self {
                    $($t::$v => $n,)+
                }
            }

            /// Parses a command-line name.
            pub fn parse(s: &str) -> Option<$t> {
                match s {
                    $($n => Some($t::$v),)+
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use names;

#[cfg(test)]
mod tests {
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Three {
        A,
        B,
        C,
    }
    names!(Three { A => "a", B => "b-b", C => "c" });

    #[test]
    fn names_parse_and_list_in_order() {
        assert_eq!(Three::NAMES, ["a", "b-b", "c"]);
        assert_eq!(Three::B.name(), "b-b");
        assert_eq!(Three::parse("c"), Some(Three::C));
        assert_eq!(Three::parse("B"), None);
        assert_eq!(Three::A.name(), Three::NAMES[0]);
    }
}
