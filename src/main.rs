use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, Ordering};

use mimalloc::MiMalloc;

/// The program's allocator: mimalloc. Typst allocates and frees small
/// objects at a high rate from both workers, and glibc's malloc took about a
/// sixth of a kits run's CPU (see README). The system's allocator when the
/// environment has `ZOUFANG_SYSTEM_ALLOCATOR`: `zoufang bench` times
/// calamine alone as a plain program would run it.
#[global_allocator]
static ALLOCATOR: Chosen = Chosen;

struct Chosen;

/// `UNCHOSEN` before the first allocation, then `MIMALLOC` or `SYSTEM`.
static CHOICE: AtomicU8 = AtomicU8::new(UNCHOSEN);
const UNCHOSEN: u8 = 0;
const MIMALLOC: u8 = 1;
const SYSTEM: u8 = 2;

/// The allocator chosen at the first allocation, which comes before `main`,
/// on the only thread.
fn chosen() -> &'static dyn GlobalAlloc {
    let system = match CHOICE.load(Ordering::Relaxed) {
        MIMALLOC => false,
        SYSTEM => true,
        _ => {
            #[cfg(target_os = "linux")]
            // SAFETY: a NUL-terminated name; getenv allocates nothing.
            let set = unsafe { !libc::getenv(c"ZOUFANG_SYSTEM_ALLOCATOR".as_ptr()).is_null() };
            #[cfg(not(target_os = "linux"))]
            let set = false;
            CHOICE.store(if set { SYSTEM } else { MIMALLOC }, Ordering::Relaxed);
            set
        }
    };
    if system { &System } else { &MiMalloc }
}

// SAFETY: every call goes to the allocator chosen before the first one, so
// memory is freed or grown by the allocator that gave it.
unsafe impl GlobalAlloc for Chosen {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the caller promised.
        unsafe { chosen().alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the caller promised.
        unsafe { chosen().alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as the caller promised.
        unsafe { chosen().dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as the caller promised.
        unsafe { chosen().realloc(ptr, layout, new_size) }
    }
}

/// mimalloc's `mi_option_purge_delay`: how long freed memory is kept
/// before it goes back to the system. 100 ms instead of the default 1 s
/// keeps a summary of 200,000 rows under 400 MB at little cost in time.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    if CHOICE.load(Ordering::Relaxed) != SYSTEM {
        // SAFETY: sets an option of the allocator, read when it purges.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 100) };
        no_huge_pages();
    }
    zoufang::cli::run()
}

/// Turns transparent huge pages off for this process. mimalloc asks for
/// them, and each time it handed freed memory back and took it again, the
/// kernel cleared a whole 2 MB page: a tenth of a summary's CPU went to
/// clearing pages. Without them, 200 cadres' kits take a quarter less
/// system time and 190 -> 135 MB at peak (see BENCHMARKS.md). Child
/// processes inherit the setting; `zoufang bench` gives the programs it
/// compares against the machine's own (`bench::quiet`).
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: a flag of this process; no memory is touched.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
