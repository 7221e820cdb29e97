//! The `steward` binary: everything lives in the library; this only runs the CLI.

/// mimalloc instead of the system allocator: manifest loading makes hundreds of thousands of
/// small allocations, where glibc's malloc spent a quarter of the load time consolidating.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    no_transparent_huge_pages();
    std::process::exit(steward::faces::cli::main());
}

/// mimalloc asks for transparent huge pages (`MADV_HUGEPAGE`) on its arenas. Each first touch
/// then zeroes 2 MB, and right after another process has freed a lot of memory the kernel
/// compacts memory to find one: the load of a large manifest varied from 105 to 250 ms on the
/// same machine, and held ~18 MB more (BENCHMARKS.md, issue #8). This is what
/// `MIMALLOC_ALLOW_THP=0` does, for this process only.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag on this process's memory; no pointers.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
