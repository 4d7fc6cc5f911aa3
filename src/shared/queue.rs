//! Work shared among one thread per core, results in the items' order.

use std::sync::Mutex;

/// Stack size of typesetting threads: Typst recurses deeply.
pub(crate) const STACK_SIZE: usize = 32 * 1024 * 1024;

/// Maps `f` over `items` on one worker thread per core, each taking the next
/// item when done with its last, results in the items' order; one of the
/// workers does `meanwhile` first: work that must come before something
/// else (reading a summary's household tables) goes on while the other
/// cores start on the items.
///
/// Not one shared rayon pool: Typst parallelises inside a document with
/// rayon, and a rayon worker waiting for that work steals other jobs — it
/// would start further documents while one is half done, and memory grew
/// with the roster (1,000 cadres: 3.9 GB). So each worker is a thread of
/// its own one-thread rayon pool: one document per thread in flight, and
/// Typst's parallel steps run on the thread that asked for them. Handing
/// them to rayon's global pool instead made two workers barely faster than
/// one (200 cadres: 10.0 s of CPU for 5.7 s; now 8.4 s for 4.6 s), the
/// small PDF exports most of all.
pub(crate) fn in_parallel_while<T: Sync, R: Send, M: Send>(
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
    meanwhile: impl FnOnce() -> M + Send,
) -> (Vec<R>, M) {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(items.len().max(1));
    let queue = Queue::new(items.len());
    let work_loop = || queue.work(items, &f);
    let work = || match rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .stack_size(STACK_SIZE)
        .build()
    {
        Ok(pool) => pool.install(work_loop),
        Err(_) => work_loop(),
    };
    // `meanwhile` is taken by whichever thread starts first.
    let pending = std::sync::Mutex::new(Some(meanwhile));
    let done = std::sync::Mutex::new(None);
    let first = || {
        let job = pending.lock().ok().and_then(|mut p| p.take());
        if let Some(job) = job {
            let m = job();
            if let Ok(mut slot) = done.lock() {
                *slot = Some(m);
            }
        }
        work();
    };
    std::thread::scope(|scope| {
        let mut spawned = 0;
        for i in 0..threads {
            let job: &(dyn Fn() + Sync) = if i == 0 { &first } else { &work };
            // Typst recurses deeply: the default 2 MiB stack is not enough.
            if std::thread::Builder::new()
                .stack_size(STACK_SIZE)
                .spawn_scoped(scope, job)
                .is_ok()
            {
                spawned += 1;
            }
        }
        if spawned == 0 {
            first();
        }
    });
    // A worker that could not be started left `meanwhile` to this thread.
    let meanwhile = match done.into_inner().ok().flatten() {
        Some(m) => m,
        None => pending
            .into_inner()
            .ok()
            .flatten()
            .map_or_else(|| unreachable!("meanwhile ran or is pending"), |job| job()),
    };
    // What comes next runs on the calling thread, which cannot reuse the
    // workers' free memory (see `release_free_memory`).
    crate::shared::memory::release_free_memory();
    (queue.results(), meanwhile)
}

/// Items handed out one at a time to whichever thread asks next, with a
/// slot for each result, so that the results come back in the items' order.
pub(crate) struct Queue<R> {
    next: std::sync::atomic::AtomicUsize,
    slots: Vec<Mutex<Option<R>>>,
}

impl<R> Queue<R> {
    pub(crate) fn new(len: usize) -> Queue<R> {
        Queue {
            next: std::sync::atomic::AtomicUsize::new(0),
            slots: (0..len).map(|_| Mutex::new(None)).collect(),
        }
    }

    /// Takes items until none is left, putting what `f` makes of each in its slot.
    pub(crate) fn work<T>(&self, items: &[T], mut f: impl FnMut(&T) -> R) {
        loop {
            let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let (Some(item), Some(slot)) = (items.get(i), self.slots.get(i)) else {
                break;
            };
            let r = f(item);
            if let Ok(mut slot) = slot.lock() {
                *slot = Some(r);
            }
        }
    }

    /// The results in the items' order: fewer than the items when a thread
    /// working on them panicked.
    pub(crate) fn results(self) -> Vec<R> {
        self.slots
            .into_iter()
            .filter_map(|m| m.into_inner().ok().flatten())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_come_back_in_order_and_meanwhile_runs_once() {
        let items: Vec<u32> = (0..50).collect();
        let runs = std::sync::atomic::AtomicUsize::new(0);
        let (squares, said) = in_parallel_while(
            &items,
            |n| n * n,
            || {
                runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                "done"
            },
        );
        assert_eq!(squares, items.iter().map(|n| n * n).collect::<Vec<_>>());
        assert_eq!(said, "done");
        let (none, said) = in_parallel_while(&[] as &[u32], |n| *n, || "still done");
        assert!(none.is_empty());
        assert_eq!(said, "still done");
        assert_eq!(runs.load(std::sync::atomic::Ordering::Relaxed), 1);
    }
}
