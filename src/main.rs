//! The `paxos` binary: everything is in the library's [`paxos::cli`].

fn main() -> std::process::ExitCode {
    paxos::cli::main()
}
