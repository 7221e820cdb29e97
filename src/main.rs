//! The `steward` binary: everything lives in the library; this only runs the CLI.

fn main() {
    std::process::exit(steward::cli::main());
}
