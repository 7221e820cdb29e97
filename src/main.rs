//! The `steward` binary: everything lives in the library; this only runs the CLI.

/// mimalloc instead of the system allocator: manifest loading makes hundreds of thousands of
/// small allocations, where glibc's malloc spent a quarter of the load time consolidating.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(steward::faces::cli::main());
}
