//! The `klavier` command.

fn main() -> std::process::ExitCode {
    klavier::main()
}
