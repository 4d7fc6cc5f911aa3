// mimalloc instead of the system allocator: Typst allocates and frees
// small objects at a high rate from both workers, and glibc's malloc took
// about a sixth of a kits run's CPU (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay`: how long freed memory is kept
/// before it goes back to the system. 100 ms instead of the default 1 s
/// keeps a summary of 200,000 rows under 400 MB at little cost in time.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // SAFETY: sets an option of the allocator, read when it purges.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 100) };
    zoufang::cli::run()
}
